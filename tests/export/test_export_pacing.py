"""An export against a rate-limited server paces itself from the headers: no 429, few windows.

The local server lets 9 of 10 requests per endpoint through per 5-second window; 2,000 tasks are 21
list requests, so 3 windows. Server, client and command share a fake clock, so the waits take no
time (the timed run against `pbsync serve --rate-limit 40/5` is bench/bench_export.py).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from export_kit import seed

import pbsync.target
from pbclient.client import Client
from pbsync.cli import main
from pbsync.server import LocalServer

pytestmark = pytest.mark.local_only(reason="a rate-limited local server on a fake clock")

SHORT = "pbsynctest_paced"
LIMIT, WINDOW, TASKS = 10, 5, 2000


@pytest.fixture
def limited(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[LocalServer, list[float]]]:
    now = [time.time()]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    def client(*args: Any, **kwargs: Any) -> Client:
        kwargs["sleep"] = sleep  # in place of the command's own (real) sleep
        return Client(*args, clock=lambda: now[0], **kwargs)

    with LocalServer(rate_limit=(LIMIT, WINDOW)) as server:
        server.state.limiter.clock = lambda: now[0]
        with Client(server.url, server.api_key, sleep=sleep, clock=lambda: now[0]) as admin:
            made = admin.projects.create(name="Paced", short_name=SHORT, description="d")
        seed(server.store, made.id, TASKS, 0)
        now[0] += WINDOW  # a fresh window for the command under test
        server.stats.reset()
        monkeypatch.setattr(pbsync.target, "Client", partial(client))
        yield server, now


class Statuses(logging.Handler):
    """The status of every API request the server logs (`GET /api/task 200 3 ms`)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        _, path, status = record.getMessage().split()[:3]
        if path.startswith("/api/"):
            self.seen.append(status)


@pytest.fixture
def statuses() -> Iterator[Statuses]:
    # on the server's own logger: the command reconfigures the root logger (and pytest's capture)
    logger = logging.getLogger("pbsync.server.requests")
    handler, level = Statuses(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(level)


def test_no_429_and_no_more_windows_than_the_requests_need_plus_one(
    limited: tuple[LocalServer, list[float]], tmp_path: Path, statuses: Statuses
) -> None:
    server, now = limited
    env = {"HOME": str(tmp_path), "PYBOSSA_ENDPOINT": None, "PYBOSSA_API_KEY": None}
    args = ["export", SHORT, "--what", "tasks", "--out", str(tmp_path / "out")]
    started = now[0]
    result = CliRunner().invoke(
        main, [*args, "--endpoint", server.url, "--api-key", server.api_key], env=env
    )
    assert result.exit_code == 0, result.output
    assert statuses.seen and "429" not in statuses.seen
    requests = TASKS // 100 + 1
    assert server.stats.count("GET", "/api/task") == requests  # a 429 would have been re-sent
    windows = math.ceil(requests / (LIMIT - 1))
    assert now[0] - started <= (windows + 1) * WINDOW
    assert "rate limit reached on /api/task" in result.stderr  # the waiting line
