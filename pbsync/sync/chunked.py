"""A keyset walk over tasks above an id, read in parallel chunks of the id range.

A keyset walk is sequential: page n+1's cursor is page n's last id. The check after a push's creates
(`pbsync.sync.settle`) reads every task above an id, one page per 100 tasks, and it knows the range
of ids its own creates got; behind a 50 ms round trip its 100 pages for 10,000 tasks cost 5 s one
after the other. Split at multiples of 100 ids above the range's start, each chunk is a walk of its
own that starts at its lower bound (the first at the walk's start, below the range) and stops at the
page that reaches its upper bound, so with dense ids (a push's own creates) the chunks send the
pages one walk would, one at a time each; with gaps or interleaved ids (deletions, another push's
tasks) a chunk's pages are shorter and a few more requests go out. The last chunk has no upper
bound: it reads on until a short page, as the single walk would, and sees whatever was created above
the known range. Against a server that answers a page faster than a round trip would cost, the one
walk is read instead, a page ahead of its reader (`read_chunked`).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pbclient.pagination import MAX_PAGE_SIZE, read_ahead

__all__ = ["chunks", "read_chunked"]

Pages = Callable[[int], Iterator[list[dict[str, Any]]]]
#: the lowest and highest ids the caller knows were created (None: nothing known)
Known = tuple[int, int] | None
#: seconds: a first page answered faster than this comes from a server that answers faster than
#: a round trip would cost, where chunks at once only contend for its time (10,000 tasks on the
#: local server, 2 shared cores, one run each: at 0 ms ~5 ms a page, 8 chunks at once 0.8 s
#: against 0.5 s in one walk; at +50 ms ~55 ms a page, 5.8 s in one walk, 0.95 s in 8 chunks,
#: 101 requests both)
PARALLEL_FROM = 0.015


def chunks(after_id: int, known: Known, workers: int) -> list[tuple[int, int | None]]:
    """`(after, up_to)` id bounds: up to `workers` chunks of the known ids, then above.

    Each bounded chunk spans a whole number of pages of the known range (dense ids: a push's
    own creates); the first reaches down to `after_id` (copies below the range are read too,
    and on a server shared with other projects the range may start far above it); the last is
    open (None).
    """
    if known is None:
        return [(after_id, None)]
    base = max(after_id, known[0] - 1)
    span = known[1] - base
    pages = -(-span // MAX_PAGE_SIZE) if span > 0 else 0
    count = max(1, min(workers, pages))
    per = -(-pages // count) * MAX_PAGE_SIZE
    starts = [base + k * per for k in range(count) if k * per < span or k == 0]
    ends: list[int | None] = [*starts[1:], None]
    return list(zip([after_id, *starts[1:]], ends, strict=True))


def _walk(
    walk: Iterator[list[dict[str, Any]]], up_to: int | None, stop: threading.Event | None = None
) -> list[dict[str, Any]]:
    """One chunk's rows: its walk's pages, stopped at the page that reaches `up_to` (or when
    `stop` is set: the caller gave up)."""
    rows: list[dict[str, Any]] = []
    for page in walk:
        if stop is not None and stop.is_set():
            return rows
        if up_to is None:
            rows += page
            continue
        rows += [row for row in page if row["id"] <= up_to]
        if page[-1]["id"] >= up_to:
            break  # the next chunk starts here
    return rows


def read_chunked(
    pages: Pages,
    after_id: int,
    known: Known,
    workers: int,
    *,
    parallel_from: float = PARALLEL_FROM,
) -> Iterator[list[dict[str, Any]]]:
    """Every row above `after_id`, in pages in id order, the chunks of `chunks` read at once.

    The first chunk's first page decides: answered within `parallel_from` seconds, the server
    answers faster than a round trip would cost (the local server at 0 ms, sharing the
    machine's cores with the client), and chunks at once would only make it juggle them: the
    walk goes on alone, one page ahead of the caller (`read_ahead`: the server works on the next
    page while the caller reads this one); slower, the other chunks start at once.

    Args:
        pages: the keyset walk's pages from a given `last_id` (ascending, checked ids).
        after_id: read rows above this id.
        known: the lowest and highest ids the caller knows were created (None: one walk).
        workers: most chunks read at once.
        parallel_from: see above (0: always at once).

    Raises:
        pbclient.errors.PybossaError: a page failed (the first chunk's error, in id order).
    """
    bounds = chunks(after_id, known, workers)
    first = pages(after_id)
    started = time.monotonic()
    page = next(first, None)
    if page is None:
        return  # nothing above after_id at all
    if len(bounds) == 1 or time.monotonic() - started < parallel_from:
        yield page
        yield from read_ahead(first, depth=1)
        return
    rest, stop = bounds[1:], threading.Event()
    pool = ThreadPoolExecutor(max_workers=len(rest), thread_name_prefix="pbsync-readback")
    try:
        futures = [pool.submit(lambda a, u: _walk(pages(a), u, stop), a, u) for a, u in rest]
        yield _walk(itertools.chain([page], first), bounds[0][1])
        for future in futures:
            yield future.result()
    except BaseException:
        # Ctrl-C, a failed page, a reader that stopped early: the other walks end after the
        # request they have in flight, not at their chunk's end
        stop.set()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
