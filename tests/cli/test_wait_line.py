"""`diff` and `pull` say when they wait for a rate-limit window (they used to wait silently).

A local server letting one request per endpoint through per window (tasks: two pages); server
and client share a fake clock, so a wait takes no time (the client is built by `pbsync.target`,
which is given the fake clock here).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import pbsync
import pbsync.target
from pbclient.client import Client
from pbsync.cli import main
from pbsync.server import LocalServer

pytestmark = pytest.mark.local_only

SHORT = "pbsynctest_waitline"
LINE = re.compile(
    r"rate limit reached on (/api/\w+) \(.*\): waiting until \d\d:\d\d:\d\d \(\d+ s\)"
)


@pytest.fixture
def limited(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[LocalServer]:
    now = [time.time()]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    with LocalServer(rate_limit=(2, 900)) as server:
        server.state.limiter.clock = lambda: now[0]
        # the project exists, with two pages of tasks
        folder = tmp_path / "src"
        folder.mkdir()
        (folder / "project.toml").write_text(
            f'[project]\nname = "Wait"\nshort_name = "{SHORT}"\ndescription = "d"\n',
            encoding="utf-8",
        )
        rows = "\n".join(str(n) for n in range(150))
        (folder / "tasks.csv").write_text(f"n\n{rows}\n", encoding="utf-8")
        with Client(server.url, server.api_key, sleep=sleep, clock=lambda: now[0]) as client:
            pbsync.push(folder, client)
        now[0] += 900  # a fresh window for the command under test
        monkeypatch.setattr(
            pbsync.target, "Client", partial(_client, fake_clock=lambda: now[0], fake_sleep=sleep)
        )
        yield server


def _client(*args: Any, fake_clock: Any, fake_sleep: Any, **kwargs: Any) -> Client:
    kwargs["sleep"] = fake_sleep  # in place of the command's own (real) sleep
    return Client(*args, clock=fake_clock, **kwargs)


def _run(server: LocalServer, tmp_path: Path, *args: str) -> Any:
    env = {"HOME": str(tmp_path), "PYBOSSA_ENDPOINT": None, "PYBOSSA_API_KEY": None}
    target = ["--endpoint", server.url, "--api-key", server.api_key]
    return CliRunner().invoke(main, [*target, *args], env=env)


def test_pull_prints_one_line_per_window(limited: LocalServer, tmp_path: Path) -> None:
    result = _run(limited, tmp_path, "pull", SHORT, str(tmp_path / "copy"))
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if "rate limit" in line]
    assert lines and all(LINE.fullmatch(line) for line in lines), result.stderr
    assert "/api/task" in LINE.findall(result.stderr)


def test_diff_prints_the_waiting_line(limited: LocalServer, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    assert _run(limited, tmp_path, "pull", SHORT, str(copy)).exit_code == 0
    result = _run(limited, tmp_path, "diff", str(copy))
    assert result.exit_code == 0, result.output
    assert LINE.search(result.stderr), result.stderr
