"""The settle's read-back in parallel chunks: the rows and requests of one keyset walk."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from pbclient.client import Client
from pbsync.server import LocalServer
from pbsync.sync.chunked import chunks, read_chunked
from pbsync.sync.remote import RemoteProject

SHORT = "pbsynctest_chunked"


@pytest.fixture
def client(endpoint: str, api_key: str, clean_server: None) -> Iterator[Client]:
    """The admin's client on a clean server."""
    with Client(endpoint, api_key) as c:
        yield c


def _project(client: Client, suffix: str = "") -> int:
    body = {"name": f"C{suffix}", "short_name": SHORT + suffix, "description": "d"}
    return int(client.request("POST", "/api/project", json=body)["id"])


def _pages(client: Client, project_id: int) -> Any:
    return lambda last_id: client.tasks.pages(project_id=project_id, last_id=last_id)


def _rows(pages: Iterator[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return [row for page in pages for row in page]


def _ids(tasks: tuple[Any, ...]) -> list[int]:
    return [int(t.id) for t in tasks]


@pytest.mark.parametrize(
    ("after", "known", "workers"),
    [(0, (1, 10_000), 8), (7, (8, 457), 4), (3, (4, 1_003), 8), (0, (1, 250), 16)],
)
def test_chunks_cover_the_range_in_whole_pages(
    after: int, known: tuple[int, int], workers: int
) -> None:
    bounds = chunks(after, known, workers)
    assert 1 < len(bounds) <= workers
    assert bounds[0][0] == after and bounds[-1][1] is None
    for (start, end), (next_start, _) in itertools.pairwise(bounds):
        assert end == next_start  # no id read twice, none skipped
        assert end is not None and (end - start) % 100 == 0 and start < end <= known[1]
    first_end = bounds[0][1]
    assert first_end is not None and known[1] - bounds[-1][0] <= first_end - after  # balanced


def test_chunks_start_at_the_known_range() -> None:
    # a new project on a server holding a million other tasks: the floor is 0, its tasks' ids
    # start far above; the first chunk still reads from the floor, the others split the range
    bounds = chunks(0, (1_000_001, 1_010_000), 8)
    assert bounds[0] == (0, 1_001_300)
    assert [b[0] for b in bounds[1:]] == [1_000_000 + k * 1_300 for k in range(1, 8)]


@pytest.mark.parametrize(("known", "workers"), [(None, 8), ((1, 100), 8), ((1, 10_000), 1)])
def test_one_chunk_is_one_walk(known: tuple[int, int] | None, workers: int) -> None:
    assert chunks(0, known, workers) == [(0, None)]


def _table(top: int, log: list[tuple[str, int]] | None = None) -> Any:
    """Keyset pages of a table of ids 1..top, walked lazily from `last_id` to its end."""

    def pages(last_id: int) -> Iterator[list[dict[str, Any]]]:
        if log is not None:
            log.append(("walk", last_id))
        for start in range(last_id, top, 100):
            if log is not None:
                log.append(("page", start))
            yield [{"id": i} for i in range(start + 1, min(start + 100, top) + 1)]

    return pages


def test_chunks_are_read_at_once_behind_a_slow_first_page() -> None:
    # the first chunk's first page decides; then each other chunk's first page waits for the
    # others' first pages: read one after the other, the barrier would break
    bounds = chunks(0, (1, 400), 4)
    barrier = threading.Barrier(len(bounds) - 1, timeout=10)
    table = _table(450)

    def pages(last_id: int) -> Iterator[list[dict[str, Any]]]:
        if last_id:
            barrier.wait()
        yield from table(last_id)

    rows = _rows(read_chunked(pages, 0, (1, 400), 4, parallel_from=0))
    assert [r["id"] for r in rows] == list(range(1, 451))


def test_one_walk_is_read_behind_a_fast_first_page() -> None:
    log: list[tuple[str, int]] = []
    rows = _rows(read_chunked(_table(450, log), 0, (1, 400), 4, parallel_from=3600))
    assert [r["id"] for r in rows] == list(range(1, 451))
    assert log == [("walk", 0), *(("page", start) for start in range(0, 450, 100))]


def test_a_failed_chunk_stops_the_other_walks_after_their_page_in_flight() -> None:
    # chunks (0, 500], (500, 1000], (1000, 1500], (1500, ...) of a table of ids 1..2000: the
    # second fails on its first page; the third and fourth have each a page in flight then
    log: list[tuple[str, int]] = []
    failed, closed = threading.Event(), threading.Semaphore(0)
    table = _table(2000, log)

    def pages(last_id: int) -> Iterator[list[dict[str, Any]]]:
        if last_id == 500:
            raise RuntimeError("page failed")
        try:
            for number, page in enumerate(table(last_id)):
                if last_id and number == 1:
                    assert failed.wait(10)
                yield page
        finally:
            if last_id:
                closed.release()

    with pytest.raises(RuntimeError, match="page failed"):
        _rows(read_chunked(pages, 0, (1, 2_000), 4, parallel_from=0))
    failed.set()
    assert closed.acquire(timeout=10) and closed.acquire(timeout=10)
    asked = {start for kind, start in log if kind == "page"}
    assert {1000, 1100, 1500, 1600} <= asked  # the first page, and the one in flight
    assert not asked & {1200, 1300, 1400, 1700, 1800, 1900}


def test_dense_ids_cost_the_requests_of_one_walk(client: Client, local_server: LocalServer) -> None:
    project_id = _project(client)
    created = client.tasks.create_many(project_id, [{"i": i} for i in range(450)])
    ids = sorted(int(t.id or 0) for t in created)
    local_server.stats.reset()
    one_walk = RemoteProject.tasks_above(client, project_id, 0)
    walk_requests = local_server.stats.total()
    local_server.stats.reset()
    chunked = RemoteProject.tasks_above(client, project_id, 0, known=(ids[0], ids[-1]), workers=4)
    assert local_server.stats.total() == walk_requests == 5  # 4 full pages, one short
    assert chunked == one_walk
    local_server.stats.reset()
    walks = read_chunked(_pages(client, project_id), 0, (ids[0], ids[-1]), 4, parallel_from=0)
    at_once = _rows(walks)
    assert local_server.stats.total() == walk_requests
    assert [r["id"] for r in at_once] == ids
    assert _ids(chunked) == ids
    assert {t.n_task_runs for t in chunked} == {0}


def test_interleaved_ids_and_tasks_above_the_range_are_read(
    client: Client, local_server: LocalServer
) -> None:
    # another project's tasks take every other id, one of ours is deleted at a chunk boundary,
    # and tasks created past the known range (another push's copies) must be seen too
    mine, theirs = _project(client), _project(client, "_other")
    ids = []
    for i in range(230):
        ids.append(
            int(client.request("POST", "/api/task", json={"project_id": mine, "info": i})["id"])
        )
        client.request("POST", "/api/task", json={"project_id": theirs, "info": i})
    client.request("DELETE", f"/api/task/{ids[49]}")
    later = [t.id for t in client.tasks.create_many(mine, [{"late": i} for i in range(120)])]
    floor = ids[0] - 1
    local_server.stats.reset()
    one_walk = RemoteProject.tasks_above(client, mine, floor)
    walk_requests = local_server.stats.total()
    chunked = RemoteProject.tasks_above(client, mine, floor, known=(ids[0], ids[-1]), workers=8)
    assert chunked == one_walk
    assert _ids(chunked) == [i for i in ids if i != ids[49]] + sorted(later)
    local_server.stats.reset()
    walks = read_chunked(_pages(client, mine), floor, (ids[0], ids[-1]), 8, parallel_from=0)
    assert [r["id"] for r in _rows(walks)] == _ids(one_walk)
    # a chunk of sparse ids ends on a short page of its own: at most one more request per chunk
    assert walk_requests <= local_server.stats.total() <= walk_requests + 8
