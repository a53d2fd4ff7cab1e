"""Two pushes deleting the same duplicate at once: PYBOSSA 4.0.2 answers the second DELETE with a
500 (UnmappedInstanceError) instead of a 404. A copy that is gone is gone, whatever the answer.

The race is staged on the local server (a DELETE held between its lookup and its write); a 500 on
a copy that is still there cannot be, so that case uses the fault switch."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from pbclient.client import Client
from pbclient.errors import ServerError
from pbclient.retry import RetryPolicy
from pbsync.model import TaskState
from pbsync.server import LocalServer
from pbsync.sync.actions import DeleteDuplicateTask
from pbsync.sync.settle import delete_task_copy

pytestmark = pytest.mark.local_only(
    reason="stages the race (a DELETE held inside the local server) and an injected 500"
)

#: how long a staged step may take on a loaded machine
STEP = 15.0


@pytest.fixture
def client(local_server: LocalServer) -> Iterator[Client]:
    # no retries: the 500 must reach delete_task_copy, as it does when PYBOSSA keeps answering it
    with Client(local_server.url, local_server.api_key, retry=RetryPolicy(retries=0)) as c:
        yield c


def _copy(client: Client) -> DeleteDuplicateTask:
    project = client.projects.create(name="Race", short_name="pbsynctest_race", description="d")
    keep = client.tasks.create(project_id=project.id, info={"u": 1})
    extra = client.tasks.create(project_id=project.id, info={"u": 1})
    task = TaskState(key="k", info={"u": 1}, id=int(extra.id))
    return DeleteDuplicateTask(task=task, keep=int(keep.id))


def test_a_copy_deleted_meanwhile_answered_500_counts_as_gone(
    client: Client, local_server: LocalServer
) -> None:
    """The race itself: this DELETE is held past its lookup while the other push deletes the
    copy, so the local server answers it 500 as PYBOSSA does (tests/server/test_delete_race.py)."""
    action = _copy(client)
    task_id = action.task.id or 0
    hold = local_server.faults.hold("DELETE", f"/api/task/{task_id}")
    outcome: list[bool] = []
    mine = threading.Thread(target=lambda: outcome.append(delete_task_copy(client, action)))
    mine.start()
    assert hold.reached.wait(STEP)
    with Client(local_server.url, local_server.api_key) as other:
        other.tasks.delete(task_id)  # the other push, first to commit
    hold.release()
    mine.join(STEP)
    assert outcome == [False]
    # the 500 was answered, then one GET found the copy gone: nothing retried or raised
    assert local_server.stats.count("DELETE", f"/api/task/{task_id}") == 2
    assert local_server.stats.count("GET", f"/api/task/{task_id}") == 1


def test_a_500_on_a_copy_that_is_still_there_is_raised(
    client: Client, local_server: LocalServer
) -> None:
    action = _copy(client)
    path = f"/api/task/{action.task.id}"
    local_server.faults.add(1, status=500, path=path, method="DELETE")
    with pytest.raises(ServerError):
        delete_task_copy(client, action)
    assert client.tasks.get(action.task.id or 0).id == action.task.id
