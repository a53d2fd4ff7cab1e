"""newtask, task runs, completion and results, userprogress, and publishing."""

from __future__ import annotations

import re

import pytest
from serverkit import Api, error_of

from pbsync.server import LocalServer, workflow
from pbsync.server.context import Caller
from pbsync.server.errors import ApiError

TASKRUN_KEYS = [
    "calibration",
    "created",
    "external_uid",
    "finish_time",
    "id",
    "info",
    "media_url",
    "project_id",
    "task_id",
    "timeout",
    "user_id",
    "user_ip",
]
PRESENTER = {"task_presenter": "<div>presenter</div>"}


def run(api: Api, project_id: int, task_id: int, **extra: object):
    body = {"project_id": project_id, "task_id": task_id, "info": {"answer": 1}, **extra}
    return api.post("/api/taskrun", json=body)


def test_newtask_hands_out_lowest_open_task(admin: Api) -> None:
    project = admin.project()
    first, second = admin.task(project["id"]), admin.task(project["id"])
    got = admin.ok("GET", f"/api/project/{project['id']}/newtask")
    assert got["id"] == first["id"]
    assert admin.ok("GET", f"/api/project/{project['id']}/newtask")["id"] == first["id"]
    several = admin.ok("GET", f"/api/project/{project['id']}/newtask", params={"limit": 2})
    assert [t["id"] for t in several] == [first["id"], second["id"]]
    nxt = admin.ok("GET", f"/api/project/{project['id']}/newtask", params={"offset": 1})
    assert nxt["id"] == second["id"]


def test_taskrun_needs_a_handed_out_task(admin: Api) -> None:
    project = admin.project()
    task = admin.task(project["id"])
    resp = run(admin, project["id"], task["id"])
    assert error_of(resp) == (403, "Forbidden")
    assert resp.json()["exception_msg"] == "You must request a task first!"
    admin.ok("GET", f"/api/project/{project['id']}/newtask")
    taskrun = run(admin, project["id"], task["id"])
    assert taskrun.status_code == 200, taskrun.text
    assert sorted(taskrun.json()) == TASKRUN_KEYS
    # a second run of the same task is refused, and the task is no longer handed out
    assert error_of(run(admin, project["id"], task["id"]))[0] == 403
    assert admin.ok("GET", f"/api/project/{project['id']}/newtask") == {}


def test_two_posts_checked_together_record_one_run(local_server: LocalServer) -> None:
    """Both posts of a double submit pass the hand-out check; only one may claim the hand-out."""
    admin = Api(local_server.url, local_server.api_key)
    project = admin.project()
    task = admin.task(project["id"])
    admin.ok("GET", f"/api/project/{project['id']}/newtask")
    store = local_server.store
    who = Caller(store.user_by_key(local_server.api_key), "127.0.0.1")
    body = {"project_id": project["id"], "task_id": task["id"], "info": {}}
    first, second = (workflow.prepare_taskrun(store, dict(body), who) for _ in range(2))
    workflow.record_taskrun(store, first, who)
    with pytest.raises(ApiError) as refused:
        workflow.record_taskrun(store, second, who)
    assert (refused.value.status, refused.value.message) == (403, workflow.REQUEST_FIRST)
    assert len(admin.ok("GET", "/api/taskrun", params={"task_id": task["id"]})) == 1
    admin.close()


def test_taskrun_bad_task_or_project(admin: Api) -> None:
    project = admin.project()
    other = admin.project("pbsynctest_other")
    task = admin.task(project["id"])
    admin.ok("GET", f"/api/project/{project['id']}/newtask")
    assert error_of(run(admin, project["id"], 999))[0] == 403
    assert error_of(run(admin, other["id"], task["id"]))[0] == 403
    assert error_of(run(admin, project["id"], task["id"], id=5)) == (400, "BadRequest")


def test_anonymous_contributions_by_ip(admin: Api, anon: Api) -> None:
    project = admin.project()
    task = admin.task(project["id"])
    assert anon.ok("GET", f"/api/project/{project['id']}/newtask")["id"] == task["id"]
    taskrun = run(anon, project["id"], task["id"]).json()
    assert taskrun["user_id"] is None
    # stored anonymised (PYBOSSA: CryptoPAn), never as the volunteer's address
    assert taskrun["user_ip"] != "127.0.0.1"
    assert re.fullmatch(r"\d+\.\d+\.\d+\.\d+", taskrun["user_ip"])
    progress = anon.ok("GET", f"/api/project/{project['short_name']}/userprogress")
    assert progress == {"done": 1, "total": 1}


def test_completion_creates_a_result(admin: Api, other: Api) -> None:
    project = admin.project()
    task = admin.task(project["id"], n_answers=2)
    for api in (admin, other):
        api.ok("GET", f"/api/project/{project['id']}/newtask")
        assert run(api, project["id"], task["id"]).status_code == 200
    assert admin.ok("GET", f"/api/task/{task['id']}")["state"] == "completed"
    [result] = admin.ok("GET", "/api/result", params={"project_id": project["id"]})
    assert sorted(k for k in result if k not in ("link", "links")) == sorted(
        ["created", "id", "info", "last_version", "project_id", "task_id", "task_run_ids"]
    )
    assert len(result["task_run_ids"]) == 2
    assert admin.ok("GET", f"/api/project/{project['id']}/newtask") == {}
    updated = admin.ok("PUT", f"/api/result/{result['id']}", json={"info": {"final": 1}})
    assert updated["info"] == {"final": 1}


def test_userprogress_by_id_and_unknown(admin: Api) -> None:
    project = admin.project()
    admin.task(project["id"])
    assert admin.ok("GET", f"/api/project/{project['id']}/userprogress") == {"done": 0, "total": 1}
    assert error_of(admin.get("/api/project/nope/userprogress")) == (404, "NotFound")
    assert error_of(admin.get("/api/project/999/newtask")) == (404, "NotFound")


def _csrf(api: Api, short_name: str, **params: str) -> str:
    page = api.get(
        f"/project/{short_name}/publish",
        params=params,
        headers={"Content-Type": "application/json"},
    )
    assert page.status_code == 200, page.text
    return str(page.json()["csrf"])


def test_publish_needs_presenter_and_tasks_and_clears_runs(admin: Api, anon: Api) -> None:
    project = admin.project()
    short = project["short_name"]
    json_page = {"Content-Type": "application/json"}
    # PYBOSSA refuses the page itself (403) until there is a presenter and a task
    assert admin.get(f"/project/{short}/publish", headers=json_page).status_code == 403
    admin.ok("PUT", f"/api/project/{project['id']}", json={"info": PRESENTER})
    assert admin.get(f"/project/{short}/publish", headers=json_page).status_code == 403
    task = admin.task(project["id"], n_answers=1)
    token = _csrf(admin, short)
    admin.ok("GET", f"/api/project/{project['id']}/newtask")
    assert run(admin, project["id"], task["id"]).status_code == 200
    resp = admin.post(f"/project/{short}/publish", headers={"X-CSRFToken": token})
    assert resp.status_code == 200, resp.text
    assert admin.ok("GET", f"/api/project/{project['id']}")["published"] is True
    assert admin.ok("GET", "/api/taskrun") == []
    assert admin.ok("GET", "/api/result") == []
    # PYBOSSA deletes the answers but leaves the task's state as it was
    assert admin.ok("GET", f"/api/task/{task['id']}")["state"] == "completed"
    assert [p["id"] for p in anon.ok("GET", "/api/project")] == [project["id"]]


def test_publish_checks_csrf_and_auth(admin: Api, anon: Api, other: Api) -> None:
    project = admin.project(info=PRESENTER)
    admin.task(project["id"])
    short = project["short_name"]
    assert admin.post(f"/project/{short}/publish").status_code == 400
    assert admin.post(f"/project/{short}/publish", headers={"X-CSRFToken": "x"}).status_code == 400
    signin = anon.get(f"/project/{short}/publish", allow_redirects=False)
    assert signin.status_code == 302
    assert signin.headers["Location"].endswith(
        f"/account/signin?next=%2Fproject%2F{short}%2Fpublish"
    )
    assert other.get(f"/project/{short}/publish").status_code == 403
    assert admin.get("/project/nope/publish").status_code == 404
    key = str(admin.key)
    token = _csrf(anon, short, api_key=key)
    headers = {"X-CSRFToken": token}
    resp = anon.post(f"/project/{short}/publish", params={"api_key": key}, headers=headers)
    assert resp.status_code == 200
