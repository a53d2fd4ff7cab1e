"""Output hygiene: the API key never printed, logged or stored; --json keeps stdout pure; -q."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from pbsync.cli import main

SHORT = "pbsynctest_hygiene"


def write_project(folder: Path) -> Path:
    folder.mkdir()
    (folder / "project.toml").write_text(
        f'[project]\nname = "H"\nshort_name = "{SHORT}"\ndescription = "d"\n', encoding="utf-8"
    )
    (folder / "presenter.html").write_text("<p>hi</p>\n", encoding="utf-8")
    (folder / "tasks.csv").write_text("url\nhttps://e/1\nhttps://e/2\n", encoding="utf-8")
    return folder


def test_key_from_the_environment_is_never_shown_or_stored(
    endpoint: str, api_key: str, clean_server: None, tmp_path: Path
) -> None:
    folder = write_project(tmp_path / "p")
    key = api_key
    env = {"HOME": str(tmp_path), "PYBOSSA_ENDPOINT": endpoint, "PYBOSSA_API_KEY": key}
    runner = CliRunner()
    outputs = []
    for args in (["-vv", "push", str(folder), "--yes"], ["-vv", "diff", str(folder), "--json"]):
        result = runner.invoke(main, args, env=env)
        assert result.exit_code == 0, result.output
        outputs += [result.stdout, result.stderr]
    pulled = runner.invoke(main, ["-vv", "pull", SHORT, str(tmp_path / "copy")], env=env)
    assert pulled.exit_code == 0, pulled.output
    outputs += [pulled.stdout, pulled.stderr]
    assert "/api/" in "".join(outputs)  # -vv did log the requests
    for text in outputs:
        assert key not in text
    for record in (folder / ".pbsync" / "state.json", tmp_path / "copy" / ".pbsync" / "state.json"):
        stored = record.read_text(encoding="utf-8")
        assert key not in stored and endpoint in stored


def test_json_stdout_is_only_json_even_verbose(
    endpoint: str, api_key: str, clean_server: None, tmp_path: Path
) -> None:
    folder = write_project(tmp_path / "p")
    target = ["--endpoint", endpoint, "--api-key", api_key]
    env = {"HOME": str(tmp_path), "PYBOSSA_ENDPOINT": None, "PYBOSSA_API_KEY": None}
    runner = CliRunner()
    pushed = runner.invoke(main, [*target, "-v", "push", str(folder), "--json"], env=env)
    assert pushed.exit_code == 0, pushed.output
    assert set(json.loads(pushed.stdout)) == {"plan", "report"}
    diffed = runner.invoke(main, [*target, "-v", "diff", str(folder), "--json"], env=env)
    assert diffed.exit_code == 0 and json.loads(diffed.stdout)["in_sync"] is True


def test_quiet_prints_nothing_but_errors(
    endpoint: str, api_key: str, clean_server: None, tmp_path: Path
) -> None:
    folder = write_project(tmp_path / "p")
    target = ["--endpoint", endpoint, "--api-key", api_key]
    env = {"HOME": str(tmp_path), "PYBOSSA_ENDPOINT": None, "PYBOSSA_API_KEY": None}
    runner = CliRunner()
    quiet = runner.invoke(main, [*target, "-q", "push", str(folder), "--yes"], env=env)
    assert quiet.exit_code == 0 and quiet.stdout == "" and quiet.stderr == ""
    (folder / "presenter.html").write_text("<p>changed</p>\n", encoding="utf-8")
    diffed = runner.invoke(main, [*target, "-q", "diff", str(folder)], env=env)
    assert diffed.exit_code == 2 and diffed.stdout == ""
    broken = runner.invoke(main, [*target, "-q", "diff", str(tmp_path / "missing")], env=env)
    assert broken.exit_code == 1 and broken.stderr.startswith("error:")
