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
the known range.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pbclient.pagination import MAX_PAGE_SIZE

__all__ = ["chunks", "read_chunked"]

Pages = Callable[[int], Iterator[list[dict[str, Any]]]]
#: the lowest and highest ids the caller knows were created (None: nothing known)
Known = tuple[int, int] | None


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


def _walk(pages: Pages, after: int, up_to: int | None) -> list[dict[str, Any]]:
    """One chunk's rows: the walk from `after`, stopped at the page that reaches `up_to`."""
    rows: list[dict[str, Any]] = []
    for page in pages(after):
        if up_to is None:
            rows += page
            continue
        rows += [row for row in page if row["id"] <= up_to]
        if page[-1]["id"] >= up_to:
            break  # the next chunk starts here
    return rows


def read_chunked(pages: Pages, after_id: int, known: Known, workers: int) -> list[dict[str, Any]]:
    """Every row above `after_id` in id order, the chunks of `chunks` read at once.

    Args:
        pages: the keyset walk's pages from a given `last_id` (ascending, checked ids).
        after_id: read rows above this id.
        known: the lowest and highest ids the caller knows were created (None: one walk).
        workers: most chunks read at once.

    Raises:
        pbclient.errors.PybossaError: a page failed (the first chunk's error, in id order).
    """
    bounds = chunks(after_id, known, workers)
    if len(bounds) == 1:
        return _walk(pages, after_id, None)
    pool = ThreadPoolExecutor(max_workers=len(bounds), thread_name_prefix="pbsync-readback")
    try:
        futures = [pool.submit(_walk, pages, after, up_to) for after, up_to in bounds]
        rows: list[dict[str, Any]] = []
        for future in futures:
            rows += future.result()
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return rows
