"""A push with 8 workers through a small rate limit: the server answers no 429, ever.

The local server limits like PYBOSSA (40 per 5-second window here, 39 succeed) on the test's
fake clock, which the client's waits move: nobody waits, and windows really roll over while
requests are in flight. The server counts its answers by status (`stats.answered(429)`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

import pbsync
from pbclient.client import Client
from pbsync.server import LocalServer

from .conftest import FakeTime

pytestmark = pytest.mark.local_only(reason="a rate-limited local server on the test's fake clock")

LIMIT, WINDOW = 40, 5
N_TASKS = 300


@pytest.fixture
def limited(fake_time: FakeTime) -> Iterator[LocalServer]:
    """40 requests per 5-second window per endpoint, on the test's fake clock."""
    with LocalServer(rate_limit=(LIMIT, WINDOW)) as server:
        server.state.limiter.clock = fake_time.clock
        yield server


def _folder(tmp_path: Path, short_name: str, rows: int) -> Path:
    folder = tmp_path / short_name
    folder.mkdir()
    (folder / "project.toml").write_text(
        f'[project]\nname = "{short_name}"\nshort_name = "{short_name}"\ndescription = "d"\n',
        encoding="utf-8",
    )
    lines = "\n".join(f"https://example.org/{i}.png" for i in range(rows))
    (folder / "tasks.csv").write_text(f"url\n{lines}\n", encoding="utf-8")
    return folder


def _push(server: LocalServer, fake_time: FakeTime, folder: Path) -> pbsync.Report:
    with Client(server.url, server.api_key, sleep=fake_time.sleep, clock=fake_time.clock) as client:
        return pbsync.push(folder, client)


def _tasks_on(server: LocalServer) -> int:
    return int(server.store.query("SELECT COUNT(*) FROM task")[0][0])


def test_a_push_of_300_tasks_with_8_workers_gets_no_429(
    tmp_path: Path, limited: LocalServer, fake_time: FakeTime
) -> None:
    report = _push(limited, fake_time, _folder(tmp_path, "pbsynctest_pace8", N_TASKS))
    assert report.created["task"] == N_TASKS and _tasks_on(limited) == N_TASKS
    assert limited.stats.answered(429) == 0
    # the limit was met: the task bucket took at least as many windows as 39 a window allow
    task_requests = limited.stats.count(path="/api/task")
    assert len(fake_time.sleeps) >= math.ceil(task_requests / (LIMIT - 1)) - 1


def test_a_push_into_a_window_another_client_spent_gets_no_429(
    tmp_path: Path, limited: LocalServer, fake_time: FakeTime
) -> None:
    """The push's client knows nothing of the task bucket, which another client left with 2
    requests (1 that succeeds): its 8 workers used to go blind (0, 2, 4, 3, 2 429s in five
    runs); now the first asks and the others wait for its answer."""
    with requests.Session() as other:
        for _ in range(LIMIT - 2):
            assert other.get(f"{limited.url}/api/task").status_code == 200
    report = _push(limited, fake_time, _folder(tmp_path, "pbsynctest_pacespent", 20))
    assert report.created["task"] == 20 and _tasks_on(limited) == 20
    assert limited.stats.answered(429) == 0
    assert fake_time.sleeps  # it did wait for the next window
