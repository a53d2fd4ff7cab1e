"""The CLI's progress reporter prints the pacing line on rate-limit waits, during a real push
against a server with a small rate limit; server and client share a fake clock, so nobody waits."""

from __future__ import annotations

import re
import time
from pathlib import Path

from rich.console import Console

import pbsync
from pbclient.client import Client
from pbsync.cli.output import ProgressReporter
from pbsync.server import LocalServer

N_TASKS = 25


def test_push_prints_tasks_left_next_window_and_end(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "project.toml").write_text(
        '[project]\nname = "Pace"\nshort_name = "pbsynctest_pace"\ndescription = "d"\n',
        encoding="utf-8",
    )
    rows = "\n".join(f"https://example.org/{i}.png" for i in range(N_TASKS))
    (folder / "tasks.csv").write_text(f"url\n{rows}\n", encoding="utf-8")
    now = [time.time()]

    def sleep(seconds: float) -> None:  # a wait moves both clocks; the window really rolls over
        now[0] += seconds

    console = Console(record=True, width=200, force_terminal=False)
    reporter = ProgressReporter(console)
    with LocalServer(rate_limit=(10, 900)) as server:
        server.state.limiter.clock = lambda: now[0]
        with Client(
            server.url, server.api_key, on_wait=reporter.rate_limit_wait, sleep=sleep,
            clock=lambda: now[0],
        ) as client:  # fmt: skip
            reporter.client = client
            report = pbsync.push(folder, client, reporter=reporter)
    assert report.created["task"] == N_TASKS
    lines = re.findall(
        r"([\d,]+) tasks left, next window at \d\d:\d\d, done about \d\d:\d\d",
        console.export_text(),
    )
    assert lines, console.export_text()
    left = [int(n.replace(",", "")) for n in lines]
    # one line per window (4 workers wait for each), fewer tasks left every time
    assert left == sorted(set(left), reverse=True) and 0 < left[0] < N_TASKS
