"""`read_ahead`: pages in order, errors where the page would have been, a stop that stops."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from pbclient.client import Client
from pbclient.pagination import read_ahead
from pbsync.server import LocalServer


def numbered(n: int, fail_at: int | None = None) -> Iterator[list[dict[str, int]]]:
    for i in range(n):
        if i == fail_at:
            raise RuntimeError(f"page {i} failed")
        yield [{"id": i}]


def test_pages_come_in_order() -> None:
    assert [p[0]["id"] for p in read_ahead(numbered(10))] == list(range(10))


def test_an_error_is_raised_where_its_page_would_have_been() -> None:
    seen = []
    with pytest.raises(RuntimeError, match="page 3 failed"):
        for page in read_ahead(numbered(10, fail_at=3)):
            seen.append(page[0]["id"])
    assert seen == [0, 1, 2]


def test_no_more_than_depth_pages_wait_and_a_stop_stops_the_walk() -> None:
    produced: list[int] = []
    blocked = threading.Event()

    def pages() -> Iterator[list[dict[str, int]]]:
        for i in range(100):
            produced.append(i)
            if i == 3:
                blocked.set()
            yield [{"id": i}]

    walk = read_ahead(pages(), depth=2)
    assert next(walk) == [{"id": 0}]
    # page 0 taken, 1 and 2 waiting: page 3 waits for room, and page 4 is never asked for
    assert blocked.wait(5)
    walk.close()
    assert produced == [0, 1, 2, 3]


@pytest.mark.local_only(reason="counts requests with the local server's stats")
def test_a_walk_read_ahead_sends_the_same_requests(
    endpoint: str, api_key: str, local_server: LocalServer
) -> None:
    with Client(endpoint, api_key) as client:
        project = client.projects.create(
            name="Ahead", short_name="pbsynctest_ahead", description="d"
        )
        for i in range(250):
            client.tasks.create(project_id=project.id, info={"n": i})
        local_server.stats.reset()
        pages = list(read_ahead(client.tasks.pages(project_id=project.id)))
    assert [len(p) for p in pages] == [100, 100, 50]
    assert local_server.stats.snapshot()[("GET", "/api/task")] == 3
