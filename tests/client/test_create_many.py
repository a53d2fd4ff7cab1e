"""tasks.create_many: concurrency, order, progress, and no duplicates after ambiguous failures."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from requests.adapters import HTTPAdapter

from pbclient.client import Client
from pbclient.errors import BulkCreateError
from pbclient.resources import Project


def _infos(project: Project, client: Client) -> list[Any]:
    return [t.info for t in client.tasks.iter(project_id=project.id)]


def test_200_tasks_with_4_workers_keep_order(client: Client, project: Project) -> None:
    calls: list[tuple[int, int]] = []
    infos = [{"n": i} for i in range(200)]
    tasks = client.tasks.create_many(
        project, infos, workers=4, progress=lambda d, t: calls.append((d, t))
    )
    assert [t.info for t in tasks] == infos
    assert (
        _infos(project, client) == infos
        or sorted(_infos(project, client), key=lambda i: i["n"]) == infos
    )
    assert len(_infos(project, client)) == 200
    assert calls[-1] == (200, 200) and [d for d, _ in calls] == list(range(1, 201))


def test_bodies_and_task_fields(client: Client, project: Project) -> None:
    tasks = client.tasks.create_many(
        project, [{"info": {"a": 1}, "n_answers": 5}, {"b": 2}], bodies=True, n_answers=3
    )
    assert [(t.info, t.n_answers) for t in tasks] == [({"a": 1}, 5), ({"b": 2}, 3)]


class _DropAfterSending(HTTPAdapter):
    """Sends for real, then loses the answer of the first `n` task POSTs.

    The local server can drop a connection only before it acts; losing the answer after the task
    was created (the ambiguous case) needs this transport-level stand-in.
    """

    def __init__(self, n: int) -> None:
        super().__init__(pool_maxsize=8)
        self.left = n

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        response = super().send(request, **kwargs)
        if request.method == "POST" and self.left > 0:
            self.left -= 1
            response.close()
            raise requests.ConnectionError("connection reset after the server answered")
        return response


@pytest.mark.faults
def test_lost_answers_after_the_server_acted_make_no_duplicates(
    local_server: Any, client: Client, project: Project
) -> None:
    client.session.get_adapter("http://").close()  # its pooled connection would leak
    client.session.mount("http://", _DropAfterSending(3))
    infos = [{"n": i % 5} for i in range(20)]  # identical infos too: each task adopted once
    tasks = client.tasks.create_many(project, infos, workers=4)
    assert [t.info for t in tasks] == infos
    assert len({t.id for t in tasks}) == 20
    assert len(_infos(project, client)) == 20


@pytest.mark.faults
def test_dropped_before_acting_is_created_again(
    local_server: Any, client: Client, project: Project
) -> None:
    local_server.faults.add(2, drop=True, path="/api/task", method="POST")
    infos = [{"n": i} for i in range(10)]
    tasks = client.tasks.create_many(project, infos, workers=2)
    assert [t.info for t in tasks] == infos
    assert sorted(i["n"] for i in _infos(project, client)) == list(range(10))


@pytest.mark.faults
def test_definite_failure_stops_and_reports_what_was_created(
    local_server: Any, client: Client, project: Project
) -> None:
    local_server.faults.add(1, status=403, path="/api/task", method="POST")
    with pytest.raises(BulkCreateError) as caught:
        client.tasks.create_many(project, [{"n": i} for i in range(5)], workers=1)
    created = [t for t in caught.value.results if t is not None]
    assert len(caught.value.errors) == 1
    assert len(_infos(project, client)) == len(created)


@pytest.mark.faults
def test_a_429_burst_is_waited_out_and_every_task_is_created_once(
    local_server: Any, client: Client, project: Project, fake_time: Any
) -> None:
    # at most `rate_limit_waits` (3) answers of the burst can hit one call, so every call succeeds
    local_server.faults.add(3, status=429, path="/api/task", method="POST")
    infos = [{"n": i} for i in range(30)]
    tasks = client.tasks.create_many(project, infos, workers=4)
    assert [t.info for t in tasks] == infos
    assert sorted(i["n"] for i in _infos(project, client)) == list(range(30))
    # a 429 means the server did not act: each was retried, none created a duplicate
    assert local_server.stats.snapshot()[("POST", "/api/task")] == 33
    assert fake_time.waits, "the client waited instead of failing"


@pytest.mark.faults
def test_a_5xx_burst_is_reconciled_not_reposted_blindly(
    local_server: Any, client: Client, project: Project
) -> None:
    # a 503 may come after the server acted: create_many looks before it posts again
    local_server.faults.add(3, status=503, path="/api/task", method="POST")
    infos = [{"n": i} for i in range(12)]
    tasks = client.tasks.create_many(project, infos, workers=4)
    stats = local_server.stats.snapshot()
    assert [t.info for t in tasks] == infos
    assert sorted(i["n"] for i in _infos(project, client)) == list(range(12))
    assert stats[("POST", "/api/task")] == 15  # 3 refused, 12 created; none retried in the pool
    assert stats[("GET", "/api/task")] == 2  # the max-id probe, then the reconciling listing


@pytest.mark.faults
def test_an_admin_filling_another_users_project_reconciles_without_duplicates(
    local_server: Any, client: Client, endpoint: str, other_api_key: str
) -> None:
    # authenticated lists leave out rows of projects the caller does not own (admins too):
    # reconciling must list with all=1, or every lost answer is POSTed again
    with Client(endpoint, other_api_key) as owner:
        theirs = owner.projects.create(
            name="Someone else's", short_name="pbsynctest_theirs", description="d"
        )
        owner.tasks.create(project_id=theirs.id, info={"before": True})
    client.session.get_adapter("http://").close()  # its pooled connection would leak
    client.session.mount("http://", _DropAfterSending(3))
    infos = [{"n": i} for i in range(6)]
    tasks = client.tasks.create_many(theirs, infos, workers=2)
    assert [t.info for t in tasks] == infos
    rows = client.tasks.find(project_id=theirs.id, all=1, limit=100)
    assert sorted(r.id for r in rows if r.info != {"before": True}) == sorted(t.id for t in tasks)


class Cancelled(Exception):
    """A progress callback's way to stop the call."""


def test_a_cancelling_progress_callback_stops_every_worker(
    client: Client, project: Project
) -> None:
    import threading

    calls: list[int] = []

    def progress(done: int, total: int) -> None:
        calls.append(done)
        if done == 3:
            raise Cancelled

    with pytest.raises(Cancelled):
        client.tasks.create_many(
            project, [{"n": i} for i in range(200)], workers=4, progress=progress
        )
    for thread in threading.enumerate():  # let the POSTs in flight end
        if thread.name.startswith("pbclient-create"):
            thread.join(timeout=10)
    assert calls == [1, 2, 3]  # nobody is told of a task after the cancel
    created = len(client.tasks.find(project_id=project.id, limit=100))
    assert created < 3 + 4  # at most the POSTs already in flight went on
