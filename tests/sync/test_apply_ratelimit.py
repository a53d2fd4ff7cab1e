"""Rate-limit waits reach the reporter with the number of tasks still to create."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import pbsync
from pbclient.client import Client
from pbclient.errors import PybossaError
from pbclient.retry import RateLimitWait
from pbsync.server import LocalServer
from pbsync.sync.apply import Reporter


class Recorder(Reporter):
    def __init__(self) -> None:
        self.left = 0
        self.waits: list[tuple[str, int]] = []

    def task_created(self, remaining: int) -> None:
        self.left = remaining

    def rate_limit_wait(self, wait: RateLimitWait) -> None:
        self.waits.append((wait.path, self.left))


def test_waits_are_reported_with_tasks_left(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "project.toml").write_text(
        '[project]\nname = "RL"\nshort_name = "pbsynctest_rl"\ndescription = "d"\n',
        encoding="utf-8",
    )
    (folder / "tasks.csv").write_text(
        "n\n" + "\n".join(map(str, range(20))) + "\n", encoding="utf-8"
    )
    reporter = Recorder()
    now = [time.time()]

    def sleep(seconds: float) -> None:  # the client's clock moves, nobody waits
        now[0] += seconds

    # a 10-request window; the client's waits take no time, so it gives up after its bounded ones
    with (
        LocalServer(rate_limit=(10, 900)) as server,
        Client(
            server.url,
            server.api_key,
            on_wait=reporter.rate_limit_wait,
            sleep=sleep,
            clock=lambda: now[0],
        ) as client,
        pytest.raises(PybossaError),
    ):
        pbsync.push(folder, client, reporter=reporter)
    assert reporter.waits and reporter.waits[0][0] == "/api/task"
    assert 0 < reporter.waits[0][1] < 20
