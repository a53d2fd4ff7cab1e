"""`~/.pybossa.cfg` keys through the CLI: the same server spelled differently, and withheld keys."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from pbsync.cli import main


def write_project(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "project.toml").write_text(
        '[project]\nname = "Keys cfg"\nshort_name = "pbsynctest_keyscfg"\ndescription = "d"\n',
        encoding="utf-8",
    )
    (folder / "presenter.html").write_text("<p>hi</p>\n", encoding="utf-8")
    return folder


def _invoke(tmp_path: Path, *args: str) -> Result:
    env = {"HOME": str(tmp_path), "PYBOSSA_ENDPOINT": None, "PYBOSSA_API_KEY": None}
    return CliRunner().invoke(main, list(args), env=env)


def test_localhost_endpoint_gets_the_key_written_for_127_0_0_1(
    tmp_path: Path, endpoint: str, api_key: str, clean_server: None
) -> None:
    if "127.0.0.1" not in endpoint:
        pytest.skip("needs the local server on 127.0.0.1")
    (tmp_path / ".pybossa.cfg").write_text(
        f"[default]\nserver = {endpoint}/\napikey = {api_key}\n", encoding="utf-8"
    )
    folder = write_project(tmp_path / "proj")
    spelled = endpoint.replace("127.0.0.1", "localhost")
    result = _invoke(tmp_path, "--endpoint", spelled, "diff", str(folder))
    assert result.exit_code == 2, result.output
    assert "create project" in result.stdout
    assert "warning" not in result.stderr


def test_withheld_key_is_one_warning_line(
    tmp_path: Path, endpoint: str, api_key: str, clean_server: None
) -> None:
    (tmp_path / ".pybossa.cfg").write_text(
        f"[default]\nserver = http://pb.example.org\napikey = {api_key}\n", encoding="utf-8"
    )
    folder = write_project(tmp_path / "proj")
    result = _invoke(tmp_path, "--endpoint", endpoint, "diff", str(folder))
    stderr = result.stderr
    warnings = [line for line in stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1, stderr
    assert "is not sent to" in warnings[0] and "http://pb.example.org" in warnings[0]
    assert api_key not in stderr
    assert result.exit_code == 1
