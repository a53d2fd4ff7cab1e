"""Rough edges a user meets at the command line: estimates, messages, hints."""

from __future__ import annotations

import io
import json
import re
import socket
import time
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from rich.console import Console
from rich.progress import Progress

from pbclient.client import Client
from pbclient.retry import RateLimitWait
from pbsync.cli import main
from pbsync.cli.output import PacedTimeColumn, ProgressReporter
from pbsync.server import LocalServer


def _hhmm(epoch: float) -> str:
    return datetime.fromtimestamp(epoch).strftime("%H:%M")


def test_wait_estimate_uses_the_window_length_the_server_showed() -> None:
    # a server with 40 requests per 60 s: 39 tasks per window, so 120 tasks take 4 windows
    console = Console(record=True, width=200, force_terminal=False)
    with LocalServer(rate_limit=(40, 60)) as server, Client(server.url, server.api_key) as client:
        client.tasks.find(limit=1)  # the answer's headers give the bucket's limit
        reporter = ProgressReporter(console, client)
        first = time.time() + 30
        reporter.left = 159
        reporter.rate_limit_wait(RateLimitWait("/api/task", first, 30))
        reporter.left = 120
        reporter.rate_limit_wait(RateLimitWait("/api/task", first + 60, 60))
    ends = re.findall(r"done about (\d\d:\d\d)", console.export_text())
    assert len(ends) == 2
    # the second line knows the window is 60 s: done 3 windows after the next one starts
    expected = {_hhmm(first + 60 + 3 * 60 + s) for s in (0, 39 * 0.05)}
    assert ends[1] in expected, console.export_text()
    # the first could only assume PYBOSSA's 900 s windows
    assert ends[0] == _hhmm(first + 4 * 900 + 39 * 0.05)


SHORT = "pbsynctest_ux"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = tmp_path / "proj"
    folder.mkdir()
    (folder / "project.toml").write_text(
        f'[project]\nname = "UX test"\nshort_name = "{SHORT}"\ndescription = "d"\n',
        encoding="utf-8",
    )
    (folder / "tasks.csv").write_text("url\nhttps://example.org/1.png\n", encoding="utf-8")
    return folder


def _run(tmp_path: Path, *args: str) -> Result:
    env = {"HOME": str(tmp_path), "PYBOSSA_ENDPOINT": None, "PYBOSSA_API_KEY": None}
    return CliRunner().invoke(main, list(args), env=env)


def _errors(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("error:")]


def test_a_wrong_api_key_is_named_as_such(
    tmp_path: Path, folder: Path, endpoint: str, clean_server: None
) -> None:
    result = _run(tmp_path, "--endpoint", endpoint, "--api-key", "not-a-key", "push", str(folder))
    assert result.exit_code == 1
    [line] = _errors(result)
    assert f"the API key was not accepted by {endpoint}" in line
    # found out before any write (issue 11): one GET tells an unknown key from a missing project
    assert "anonymous callers cannot see unpublished" in line and "not-a-key" not in result.output


def test_no_api_key_says_one_is_needed(
    tmp_path: Path, folder: Path, endpoint: str, clean_server: None
) -> None:
    result = _run(tmp_path, "--endpoint", endpoint, "push", str(folder))
    assert result.exit_code == 1
    [line] = _errors(result)
    assert f"not found on {endpoint}, and without an API key" in line
    assert "none can be created" in line and "PYBOSSA_API_KEY" in line


def test_an_unreachable_endpoint_is_one_line_with_a_hint(tmp_path: Path, folder: Path) -> None:
    with socket.socket() as sock:  # a port nobody listens on: bound, never listening
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        result = _run(tmp_path, "--endpoint", url, "--api-key", "unused-key", "diff", str(folder))
    assert result.exit_code == 1
    assert _errors(result) == [
        f"error: cannot reach {url} (connection refused): is the server running, and is the "
        "port right?"
    ]


@pytest.mark.parametrize("command", ["init", "diff", "push", "pull"])
def test_each_command_help_has_examples(tmp_path: Path, command: str) -> None:
    result = _run(tmp_path, command, "--help")
    assert result.exit_code == 0
    assert f"Examples:\n  pbsync {command} " in result.stdout.replace("\n    ", "\n  ")
    assert "ScaffoldError" not in result.stdout  # no notes meant for developers


def test_main_help_lists_whole_command_summaries_and_examples(tmp_path: Path) -> None:
    result = _run(tmp_path, "--help")
    assert result.exit_code == 0
    commands = result.stdout.split("Commands:")[1].split("Examples:")[0]
    assert "..." not in commands
    assert re.search(r"\n  diff +Show what a push would change\.\n", commands)
    assert "pbsync push demo --yes" in result.stdout


def test_one_request_is_singular(
    tmp_path: Path, folder: Path, endpoint: str, api_key: str, clean_server: None
) -> None:
    target = ("--endpoint", endpoint, "--api-key", api_key)
    assert _run(tmp_path, *target, "push", str(folder)).exit_code == 0
    (folder / "presenter.html").write_text("<p>new</p>\n", encoding="utf-8")
    result = _run(tmp_path, *target, "push", str(folder))
    assert result.exit_code == 0, result.output
    # the planning reads are counted too; the one write is singular
    found = re.search(
        r"Done: 1 project updated \((\d+) requests, 1 write, [\d.]+s\)\.", result.stdout
    )
    assert found and int(found.group(1)) > 1, result.stdout


def test_an_endpoint_without_scheme_gets_a_hint(tmp_path: Path, folder: Path) -> None:
    result = _run(tmp_path, "--endpoint", "127.0.0.1:5877", "diff", str(folder))
    assert result.exit_code == 1
    assert _errors(result) == [
        "error: endpoint '127.0.0.1:5877' from --endpoint is not an http(s) URL "
        "(did you mean 'http://127.0.0.1:5877'?)"
    ]


def test_pull_of_an_unknown_project_says_where_and_why_it_may_be_hidden(
    tmp_path: Path, endpoint: str, api_key: str, clean_server: None
) -> None:
    target = ("--endpoint", endpoint, "--api-key", api_key)
    result = _run(tmp_path, *target, "pull", "pbsynctest_nope", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert _errors(result) == [
        f"error: no project 'pbsynctest_nope' on {endpoint} that this API key can see "
        "(an unpublished project is visible only to its owners)"
    ]
    assert not (tmp_path / "out").exists()


def test_the_bar_shows_the_pacing_estimate_once_known() -> None:
    column = PacedTimeColumn()
    with Progress(console=Console(file=io.StringIO())) as progress:
        plain = progress.add_task("creating tasks", total=10)
        paced = progress.add_task("creating tasks", total=10, done_about="21:40")
        assert "done about" not in column.render(progress.tasks[plain]).plain
        assert column.render(progress.tasks[paced]).plain == "done about 21:40"


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["pish"], "error: No such command 'pish'. Did you mean 'push'? (see 'pbsync --help')"),
        (
            ["push", "--yse"],
            "error: No such option '--yse'. (Did you mean one of: '--env', '--yes'?) "
            "(see 'pbsync push --help')",
        ),
    ],
)
def test_usage_errors_are_one_line(tmp_path: Path, args: list[str], line: str) -> None:
    env = {"HOME": str(tmp_path), "PYBOSSA_ENDPOINT": None, "PYBOSSA_API_KEY": None}
    result = CliRunner().invoke(main, args, env=env, prog_name="pbsync")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [line]


def _publish(tmp_path: Path, folder: Path, endpoint: str, api_key: str) -> None:
    # published, so that other users see it at all (then without its owner-only keys)
    toml = (folder / "project.toml").read_text(encoding="utf-8")
    (folder / "project.toml").write_text(
        toml.replace("[project]\n", "[project]\npublished = true\n"), encoding="utf-8"
    )
    (folder / "presenter.html").write_text("<p>task</p>\n", encoding="utf-8")
    owner = ("--endpoint", endpoint, "--api-key", api_key)
    assert _run(tmp_path, *owner, "push", str(folder), "--yes").exit_code == 0


def test_another_users_project_is_refused_before_planning(
    tmp_path: Path, folder: Path, endpoint: str, api_key: str, other_api_key: str
) -> None:
    _publish(tmp_path, folder, endpoint, api_key)
    (tmp_path / "copy").mkdir()
    for name in (
        "project.toml",
        "tasks.csv",
        "presenter.html",
    ):  # the same project, as someone else's folder
        (tmp_path / "copy" / name).write_bytes((folder / name).read_bytes())
    for command in ("diff", "push"):
        result = _run(
            tmp_path,
            "--endpoint",
            endpoint,
            "--api-key",
            other_api_key,
            command,
            str(tmp_path / "copy"),
        )
        assert result.exit_code == 1
        assert _errors(result) == [
            f"error: project '{SHORT}' on {endpoint} belongs to another user: this API key is not "
            "one of its owners (or was not accepted: PYBOSSA treats an unknown key as anonymous)"
        ]


def test_pull_of_another_users_project_brings_its_tasks(
    tmp_path: Path, folder: Path, endpoint: str, api_key: str, other_api_key: str
) -> None:
    _publish(tmp_path, folder, endpoint, api_key)
    (folder / "helping").mkdir()
    (folder / "helping" / "map.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    owner = ("--endpoint", endpoint, "--api-key", api_key)
    assert _run(tmp_path, *owner, "push", str(folder), "--yes").exit_code == 0
    other = ("--endpoint", endpoint, "--api-key", other_api_key)
    result = _run(tmp_path, *other, "pull", SHORT, str(tmp_path / "copy"))
    assert result.exit_code == 0, result.output
    lines = (tmp_path / "copy" / "tasks.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["url"] for line in lines] == ["https://example.org/1.png"]
    assert (tmp_path / "copy" / "helping" / "map.png").read_bytes() == b"\x89PNG\r\n\x1a\n"
