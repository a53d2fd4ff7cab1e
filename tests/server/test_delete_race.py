"""Two DELETEs of one row at once: the one that loses the race answers 500, as on PYBOSSA 4.0.2.

PYBOSSA looks the row up (404 if it is not there), checks the caller, then its repository loads
the row again to delete it: when another request deleted it in between, that load gives None and
SQLAlchemy's `session.delete(None)` raises UnmappedInstanceError, a 500 in the error JSON. The
local server holds the first DELETE between its lookup and its write (`faults.hold`), lets a
second one delete the row, then releases the first: the race, staged with events.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
import requests
from serverkit import Api, error_of

from pbsync.server import LocalServer

pytestmark = pytest.mark.local_only(reason="holds a request inside the local server")

#: how long a staged step may take on a loaded machine
STEP = 15.0


def _held_delete(server: LocalServer, api: Api, path: str) -> Callable[[], requests.Response]:
    """Send DELETE `path` in a thread and hold it after its lookup; returns `finish()`, which
    releases it and returns its answer."""
    hold = server.faults.hold("DELETE", path)
    answers: list[requests.Response] = []
    sender = Api(api.endpoint, api.key)  # its own connection: `api` stays free for the winner
    thread = threading.Thread(target=lambda: answers.append(sender.delete(path)), daemon=True)
    thread.start()
    assert hold.reached.wait(STEP), "the DELETE never reached its write"

    def finish() -> requests.Response:
        hold.release()
        thread.join(STEP)
        sender.close()
        assert answers, "the held DELETE got no answer"
        return answers[0]

    return finish


def _objects(api: Api) -> dict[str, dict[str, Any]]:
    project = api.project(info={"task_presenter": "<p>"})
    task = api.task(project["id"], n_answers=2)
    api.ok("GET", f"/api/project/{project['id']}/newtask")
    run = api.ok("POST", "/api/taskrun", json={"project_id": project["id"], "task_id": task["id"]})
    material = api.ok("POST", "/api/helpingmaterial", json={"project_id": project["id"]})
    spare = api.project("pbsynctestspare")
    return {"task": task, "taskrun": run, "helpingmaterial": material, "project": spare}


@pytest.mark.parametrize("resource", ["task", "taskrun", "helpingmaterial", "project"])
def test_the_delete_that_loses_the_race_answers_500_unmapped_instance(
    local_server: LocalServer, admin: Api, resource: str
) -> None:
    path = f"/api/{resource}/{_objects(admin)[resource]['id']}"
    finish = _held_delete(local_server, admin, path)
    winner = admin.delete(path)  # the other client, while the first is past its lookup
    assert (winner.status_code, winner.text) == (204, "")
    loser = finish()
    assert error_of(loser) == (500, "UnmappedInstanceError")
    body = loser.json()
    assert (body["action"], body["target"]) == ("DELETE", resource)
    assert body["exception_msg"] == "Class 'builtins.NoneType' is not mapped"
    assert loser.headers["X-RateLimit-Remaining"]  # an API view's answer, with its headers
    # afterwards the row is simply gone: a DELETE that does not find it at lookup is a 404
    assert error_of(admin.delete(path)) == (404, "NotFound")


def test_a_held_delete_of_a_row_still_there_deletes_it(
    local_server: LocalServer, admin: Api
) -> None:
    task = admin.task(admin.project()["id"])
    path = f"/api/task/{task['id']}"
    finish = _held_delete(local_server, admin, path)
    assert admin.get(path).status_code == 200  # looked up, not yet deleted
    assert finish().status_code == 204
    assert error_of(admin.get(path)) == (404, "NotFound")


def test_a_category_deleted_meanwhile_answers_204(local_server: LocalServer, admin: Api) -> None:
    # PYBOSSA deletes a category with a query (`query(Category).filter(...).delete()`), which
    # deletes nothing the second time and raises nothing
    body = {"name": "Raced", "short_name": "pbsynctest_raced", "description": "x"}
    path = f"/api/category/{admin.ok('POST', '/api/category', json=body)['id']}"
    finish = _held_delete(local_server, admin, path)
    assert admin.delete(path).status_code == 204
    assert finish().status_code == 204
    assert error_of(admin.delete(path)) == (404, "NotFound")


def test_a_reset_lets_a_held_request_go(local_server: LocalServer, admin: Api) -> None:
    task = admin.task(admin.project()["id"])
    path = f"/api/task/{task['id']}"
    hold = local_server.faults.hold("DELETE", path)
    sender = Api(admin.endpoint, admin.key)
    answers: list[int] = []
    thread = threading.Thread(target=lambda: answers.append(sender.delete(path).status_code))
    thread.start()
    assert hold.reached.wait(STEP)
    local_server.faults.clear()  # what a test's reset does: no server thread stays stuck
    thread.join(STEP)
    sender.close()
    assert answers == [204]
