"""Deleting the test objects of an external PYBOSSA, within its rate limit.

The suite's cleanup talks to the server with plain `requests` (not the code under test), paced by
the process's shared pacer, which the tests' clients feed too: PYBOSSA counts every request per
(endpoint, client IP) and lets 299 of 300 through in a 15-minute window; a cleanup that ran into
429s would spend requests the tests then miss, and the suite must show none in the server's log.
Listing stops at a short page, as a client should.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import requests

from pbclient.pacers import pacer_for
from pbclient.retry import RetryPolicy, bucket_of

__all__ = ["PacedSession", "delete_test_objects"]

log = logging.getLogger(__name__)

PAGE = 100


class PacedSession(requests.Session):
    """A session paced by the process's shared pacer of the server (pbclient/pacers.py).

    The tests' clients spend from the same buckets between two cleanups, so what this session
    saw last is stale: it asks the pacer they all feed, and feeds it in turn.
    """

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        parts = requests.utils.urlparse(str(url))
        pacer = pacer_for(f"{parts.scheme}://{parts.netloc}", RetryPolicy().reserve, time.time)
        bucket = bucket_of(parts.path)
        while True:
            delay, ticket = pacer.start(bucket)
            if ticket is not None:
                break
            log.warning("cleanup waits %.0f s for %s's next rate-limit window", delay, bucket)
            time.sleep(delay + 1)
        try:
            answer = super().request(method, url, *args, **kwargs)
        except BaseException:
            pacer.release(bucket)
            raise
        pacer.observe(bucket, answer.headers, ticket)
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
