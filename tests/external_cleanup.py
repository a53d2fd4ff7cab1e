"""Deleting the test objects of an external PYBOSSA, within its rate limit.

The suite's cleanup talks to the server with plain `requests` (not the code under test), so it
paces itself: PYBOSSA counts every request per (endpoint, client IP) and lets 299 of 300 through
in a 15-minute window; a cleanup that ran into 429s would spend requests the tests then miss, and
the suite must show none in the server's log. Listing stops at a short page, as a client should.
"""

from __future__ import annotations

import contextlib
import logging
import time
from typing import Any

import requests

from pbclient.retry import bucket_of

__all__ = ["PacedSession", "delete_test_objects"]

log = logging.getLogger(__name__)

PAGE = 100


class PacedSession(requests.Session):
    """A session that waits for the next window when the last answer left no request to spend."""

    def __init__(self) -> None:
        super().__init__()
        self._windows: dict[str, tuple[int, float]] = {}  # bucket -> (remaining, reset)

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        bucket = bucket_of(requests.utils.urlparse(str(url)).path)
        remaining, reset = self._windows.get(bucket, (2, 0.0))
        if remaining <= 1 and reset > time.time():
            wait = reset - time.time() + 1
            log.warning("cleanup waits %.0f s for %s's next rate-limit window", wait, bucket)
            time.sleep(wait)
        answer = super().request(method, url, *args, **kwargs)
        left = answer.headers.get("X-RateLimit-Remaining")
        ends = answer.headers.get("X-RateLimit-Reset")
        if left is not None and ends is not None:
            with contextlib.suppress(ValueError):
                self._windows[bucket] = (int(left), float(ends))
        return answer


def _pages(session: requests.Session, endpoint: str, resource: str, **filters: int) -> list[dict]:
    """Every row of `resource` the caller may list (keyset pages of 100), filtered by `filters`."""
    last_id, found = 0, []
    while True:
        params = {"limit": PAGE, "last_id": last_id, **filters}
        page = session.get(f"{endpoint}/api/{resource}", params=params, timeout=30)
        page.raise_for_status()
        rows = page.json()
        found += rows
        if len(rows) < PAGE:
            return found
        last_id = rows[-1]["id"]


def _delete(session: requests.Session, endpoint: str, resource: str, row_id: int) -> int:
    return session.delete(f"{endpoint}/api/{resource}/{row_id}", timeout=30).status_code


def _delete_project(session: requests.Session, endpoint: str, project_id: int) -> int:
    """Delete a test project in the order PYBOSSA allows; return the last status.

    PYBOSSA refuses (403) to delete a project that has a result, even for an admin, and results
    cannot be deleted; an admin may delete the tasks that have results (their runs and results go
    with them), then the project. A non-admin key gets 403 on those tasks too, so a project its
    volunteers answered stays behind (the warning names it).
    """
    status = _delete(session, endpoint, "project", project_id)
    if status != 403:
        return status
    results = _pages(session, endpoint, "result", project_id=project_id)
    for task_id in sorted({r["task_id"] for r in results}):
        _delete(session, endpoint, "task", task_id)
    return _delete(session, endpoint, "project", project_id)


def delete_test_objects(session: requests.Session, endpoint: str, prefix: str) -> None:
    """Delete the external server's projects, then categories, named with `prefix`.

    Authenticated project lists only hold the caller's own projects, so nobody else's are touched;
    projects go first because a category still in use cannot be deleted.
    """
    for resource in ("project", "category"):
        rows = _pages(session, endpoint, resource)
        for row in rows:
            if not str(row.get("short_name", "")).startswith(prefix):
                continue
            if resource == "project":
                status = _delete_project(session, endpoint, row["id"])
            else:
                status = _delete(session, endpoint, resource, row["id"])
            if status not in (204, 404):
                log.warning("test %s %d not deleted: %d", resource, row["id"], status)
