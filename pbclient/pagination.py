"""Keyset pagination over PYBOSSA lists.

PYBOSSA answers a list with a bare JSON array (no total, no next link). `last_id=N` returns the
rows with `id > N` in ascending id order, so the cursor is the last id seen: unlike `offset`, it
neither skips nor repeats rows when rows are created or deleted while paging. A page shorter than
the limit is the last one; after a full page one more request is needed to learn that nothing
follows (the server gives no total). A page must move forward (increasing ids above the cursor):
a server that ignores `last_id` would otherwise be asked for the same page forever.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from pbclient.errors import UnexpectedAnswerError

__all__ = ["MAX_PAGE_SIZE", "iter_pages", "read_ahead"]

log = logging.getLogger(__name__)

#: PYBOSSA caps `limit` at 100
MAX_PAGE_SIZE = 100

#: filters that would break a keyset walk (it needs ascending id order and no offset)
_CONFLICTING = ("offset", "orderby", "desc")


def iter_pages(
    fetch: Callable[[dict[str, Any]], list[dict[str, Any]]],
    filters: Mapping[str, Any] | None = None,
    *,
    limit: int = MAX_PAGE_SIZE,
    last_id: int | None = None,
    what: str = "the list",
) -> Iterator[list[dict[str, Any]]]:
    """Yield the pages of a list lazily, one request per page, one page in memory.

    Every page must move forward: ids increasing, the first above the cursor. A server that
    ignores `last_id` (and answers the first page again) or pages backwards would otherwise make
    this loop forever; it raises instead.

    Args:
        fetch: sends the list request with the given query parameters and returns the rows.
        filters: exact-match filters passed verbatim (e.g. `{"project_id": 3}`).
        limit: rows per page (1-100).
        last_id: start after this id (resume a walk).
        what: the request, e.g. `GET /api/task`, for error messages.

    Yields:
        Non-empty lists of rows, ascending by id.

    Raises:
        ValueError: `limit` out of range, or a filter that conflicts with keyset order.
        UnexpectedAnswerError: a row without an integer id, or a page that does not move forward.
    """
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValueError(f"limit must be 1..{MAX_PAGE_SIZE}, not {limit}")
    query = {k: v for k, v in (filters or {}).items() if v is not None}
    conflicting = [k for k in _CONFLICTING if k in query]
    if conflicting:
        raise ValueError(f"keyset iteration cannot use {', '.join(conflicting)}")
    cursor = last_id
    while True:
        params = {**query, "limit": limit}
        if cursor is not None:
            params["last_id"] = cursor
        page = fetch(params)
        if not page:
            return
        cursor = _forward(page, cursor, what)
        short = len(page) < limit
        yield page
        if short:
            return


def _forward(page: list[dict[str, Any]], cursor: int | None, what: str) -> int:
    """The page's last id, once every id was seen to be an integer above the one before."""
    previous = cursor
    for number, row in enumerate(page, 1):
        row_id = row.get("id") if isinstance(row, dict) else None
        if not isinstance(row_id, int) or isinstance(row_id, bool):
            shown = "no id" if row_id is None else f"id {row_id!r:.40}"
            raise UnexpectedAnswerError(f"{what}: row {number} has {shown}, not an integer id")
        if previous is not None and row_id <= previous:
            if number == 1:
                raise UnexpectedAnswerError(
                    f"{what}: the list does not move forward (id {row_id} in row 1 after "
                    f"last_id={cursor}); does the server ignore last_id?"
                )
            raise UnexpectedAnswerError(
                f"{what}: the list is not in id order (id {row_id} in row {number} after id "
                f"{previous} in row {number - 1})"
            )
        previous = row_id
    return int(page[-1]["id"])


def read_ahead(
    pages: Iterator[list[dict[str, Any]]], depth: int = 2
) -> Iterator[list[dict[str, Any]]]:
    """Yield the pages of `pages` while a thread already fetches the next ones.

    A keyset walk cannot ask for page n+1 before page n is read (its cursor is page n's last
    id), but it need not wait for the caller to be done with page n: the server works on the
    next page while the caller works on this one. At most `depth` pages wait in memory. An error
    of the walk is raised here, where the page would have been; a caller that stops early stops
    the thread at its next page (the request in flight ends on its own).
    """
    waiting: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: tuple[str, Any]) -> bool:
        while not stop.is_set():
            try:
                waiting.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def walk() -> None:
        try:
            for page in pages:
                if not put(("page", page)):
                    return
            put(("end", None))
        except BaseException as exc:  # handed to the caller's thread, raised there
            put(("error", exc))

    thread = threading.Thread(target=walk, name="pbclient-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = waiting.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
