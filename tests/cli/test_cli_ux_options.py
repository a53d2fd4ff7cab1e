"""Issue 11, items 6 and 7: global options after the command, bare `pbsync`, `--json` errors,
exit 130 on interrupts, and plain wording of the questions and hints."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from pbsync.cli import main

SHORT = "pbsynctest_opts"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = tmp_path / "proj"
    folder.mkdir()
    (folder / "project.toml").write_text(
        f'[project]\nname = "Options"\nshort_name = "{SHORT}"\ndescription = "d"\n',
        encoding="utf-8",
    )
    rows = "url\nhttps://example.org/1.png\nhttps://example.org/2.png\n"
    (folder / "tasks.csv").write_text(rows, encoding="utf-8")
    return folder


def _run(tmp_path: Path, *args: str, stdin: str | None = None) -> Result:
    env = {"HOME": str(tmp_path), "PYBOSSA_ENDPOINT": None, "PYBOSSA_API_KEY": None}
    return CliRunner().invoke(main, list(args), env=env, input=stdin, prog_name="pbsync")


def test_global_options_after_the_command_are_accepted(
    tmp_path: Path, folder: Path, endpoint: str, api_key: str, clean_server: None
) -> None:
    result = _run(tmp_path, "push", str(folder), "--endpoint", endpoint, "--api-key", api_key, "-y")
    assert result.exit_code == 0, result.output
    assert api_key not in result.output
    again = _run(tmp_path, "diff", str(folder), "-q", "--endpoint", endpoint, "--api-key", api_key)
    assert again.exit_code == 0, again.output
    assert again.stdout == ""  # -q after the command counts too


def test_an_option_after_the_command_wins_over_the_same_before_it(
    tmp_path: Path, folder: Path, endpoint: str, api_key: str, clean_server: None
) -> None:
    args = ["--endpoint", "http://127.0.0.1:1", "--api-key", api_key, "push", str(folder)]
    result = _run(tmp_path, *args, "--endpoint", endpoint, "--yes")
    assert result.exit_code == 0, result.output


def test_bare_pbsync_prints_the_help_readably(tmp_path: Path) -> None:
    result = _run(tmp_path)
    assert result.exit_code == 0
    assert result.stdout.startswith("Usage: pbsync [OPTIONS] COMMAND [ARGS]...")
    assert "Commands:" in result.stdout and "error" not in result.output
    assert result.stdout == _run(tmp_path, "--help").stdout


def test_json_validation_errors_are_a_json_object_on_stdout(tmp_path: Path, folder: Path) -> None:
    (folder / "project.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    (folder / "tasks.csv").write_text("url,url\n1,2\n", encoding="utf-8")
    result = _run(tmp_path, "diff", "--json", str(folder))
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert len(document["problems"]) >= 2
    assert document["error"].startswith(f"{len(document['problems'])} problems")
    assert all("project.toml" in p or "tasks.csv" in p for p in document["problems"])


def test_json_connection_errors_are_json_and_hide_the_key(tmp_path: Path, folder: Path) -> None:
    args = ["--endpoint", "http://127.0.0.1:1", "--api-key", "secret-key-123"]
    result = _run(tmp_path, *args, "push", "--json", str(folder))
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert "cannot reach http://127.0.0.1:1" in document["error"]
    assert "secret-key-123" not in result.output


def test_json_usage_errors_are_json(tmp_path: Path) -> None:
    result = _run(tmp_path, "diff", "--json", "--nope")
    assert result.exit_code == 1
    assert "No such option '--nope'" in json.loads(result.stdout)["error"]


def test_the_confirmation_says_what_it_deletes_in_plain_words(
    tmp_path: Path, folder: Path, endpoint: str, api_key: str, clean_server: None
) -> None:
    server = ["--endpoint", endpoint, "--api-key", api_key]
    assert _run(tmp_path, *server, "push", str(folder), "--yes").exit_code == 0
    (folder / "tasks.csv").write_text("url\nhttps://example.org/1.png\n", encoding="utf-8")
    result = _run(tmp_path, *server, "push", str(folder), "--prune", stdin="n\n")
    assert result.exit_code == 1
    assert "Delete 1 task? [y/N]" in result.stderr
    assert "DeleteTask" not in result.output


def test_the_pull_hint_names_the_option(
    tmp_path: Path, folder: Path, endpoint: str, api_key: str, clean_server: None
) -> None:
    server = ["--endpoint", endpoint, "--api-key", api_key]
    assert _run(tmp_path, *server, "push", str(folder), "--yes").exit_code == 0
    toml = folder / "project.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('"d"', '"edited"'), encoding="utf-8")
    result = _run(tmp_path, *server, "pull", SHORT, str(folder))
    assert result.exit_code == 1
    assert "pbsync pull --force" in result.stderr and "with force" not in result.stderr
