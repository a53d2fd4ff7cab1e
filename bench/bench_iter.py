"""Iterate 25,000 tasks with `client.tasks.iter()`: requests spent and memory held.

Run: /work/venv/bin/python bench/bench_iter.py [--tasks 25000]

Prints the number of GET requests the server received for the walk (keyset pages of 100: one per
page, plus one empty page when the last page is full, since PYBOSSA sends no total), the peak
number of Task objects alive at once, and tracemalloc's peak during the walk next to the size of
one page, to show that only one page is ever held.

Why 251 and not 250 for 25,000 tasks: PYBOSSA caps `limit` at 100 and answers a bare array (no
total, no next link, no count header), so 250 answers can carry at most the 25,000 rows themselves
and none of them can say that row 25,001 does not exist; only a 251st answer can. A total from
elsewhere (`stats=1`, `projectstats`) costs a request too, or, taken from an earlier call, may be
stale: stopping on it could silently drop tasks created since. A walk whose size is not a multiple
of 100 ends on its short last page with no extra request.
"""

from __future__ import annotations

import argparse
import gc
import time
import tracemalloc
import weakref

from pbclient.client import Client
from pbclient.resources import Task
from pbsync.server import LocalServer
from pbsync.server.schema import TASK


def _fill(server: LocalServer, project_id: int, n: int) -> None:
    # fast path: straight into the store (the HTTP create path is bench_create_many's subject)
    for i in range(n):
        server.store.insert(TASK, {"project_id": project_id, "info": {"n": i, "url": f"u{i}"}})


def _walk(client: Client, project_id: int) -> tuple[int, int, int]:
    """Iterate every task; return (tasks seen, peak live Task objects, tracemalloc peak)."""
    live: weakref.WeakSet[Task] = weakref.WeakSet()
    seen = peak_live = 0
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    for task in client.tasks.iter(project_id=project_id):
        live.add(task)
        seen += 1
        peak_live = max(peak_live, len(live))
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return seen, peak_live, peak


def _page_bytes(client: Client, project_id: int) -> int:
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    page = client.tasks.find(project_id=project_id, limit=100)
    size = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    del page
    return size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=25_000)
    args = parser.parse_args()
    with LocalServer() as server, Client(server.url, server.api_key) as client:
        project = client.projects.create(name="Bench", short_name="bench", description="bench")
        started = time.perf_counter()
        _fill(server, project.id, args.tasks)
        filled = time.perf_counter() - started
        server.stats.reset()
        started = time.perf_counter()
        seen, peak_live, peak_bytes = _walk(client, project.id)
        walked = time.perf_counter() - started
        gets = server.stats.snapshot().get(("GET", "/api/task"), 0)
        page = _page_bytes(client, project.id)
    full_pages, rest = divmod(seen, 100)
    partial = 1 if rest else 0
    everything = page * seen / 100 / 2**20
    print(f"tasks inserted:          {args.tasks} (store, {filled:.1f} s)")
    print(f"tasks iterated:          {seen} in {walked:.1f} s")
    print(f"GET /api/task requests:  {gets} ({full_pages} full pages, {partial} partial,")
    print(f"                         {gets - full_pages - partial} empty page ending the walk)")
    print(f"peak Task objects alive: {peak_live}")
    print(f"tracemalloc peak:        {peak_bytes / 1024:.0f} KiB during the walk")
    print(f"one page of 100 tasks:   {page / 1024:.0f} KiB (all {seen}: ~{everything:.0f} MiB)")


if __name__ == "__main__":
    main()
