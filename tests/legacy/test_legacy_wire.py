"""The legacy module API against the test server over real HTTP: what was sent, what came back.

Every legacy function is called for real; a response hook on the shared `Client`'s session records
the prepared requests, so the tests see the exact bytes on the wire (method, URL, headers, body).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

import pbclient
from pbclient.legacy_transport import shared_client

PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 24


@dataclass
class Sent:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes


class Wire:
    """The requests the shared legacy `Client` put on the wire, in order."""

    def __init__(self) -> None:
        self.sent: list[Sent] = []

    def __call__(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        request = response.request
        body = request.body or b""
        self.sent.append(
            Sent(
                str(request.method),
                str(request.url),
                dict(request.headers),
                body.encode() if isinstance(body, str) else bytes(body),
            )
        )

    def last(self) -> Sent:
        return self.sent[-1]

    def json(self) -> Any:
        return json.loads(self.last().body)


@pytest.fixture
def wire(legacy_server: str, api_key: str) -> Iterator[Wire]:
    """Record what the legacy calls send (the shared client for the configured endpoint/key)."""
    recorder = Wire()
    session = shared_client(legacy_server, api_key).session
    session.hooks["response"].append(recorder)
    yield recorder
    session.hooks["response"].remove(recorder)


def new_project(name: str = "pbsynctestlegacy") -> pbclient.Project:
    project = pbclient.create_project(f"{name} title", name, "made by the legacy API")
    assert isinstance(project, pbclient.Project), project
    return project


def test_key_travels_in_the_header_never_in_the_url(wire: Wire, api_key: str) -> None:
    new_project()
    pbclient.find_project(short_name="pbsynctestlegacy")
    pbclient.get_tasks(1, limit=1, last_id=0)
    assert len(wire.sent) == 3
    for sent in wire.sent:
        assert "api_key" not in sent.url
        assert api_key not in sent.url
        assert sent.headers["Authorization"] == api_key


def test_project_lifecycle(wire: Wire) -> None:
    project = new_project()
    assert wire.last().method == "POST"
    assert wire.last().url.endswith("/api/project")
    assert wire.json() == {
        "name": "pbsynctestlegacy title",
        "short_name": "pbsynctestlegacy",
        "description": "made by the legacy API",
    }
    assert project.short_name == "pbsynctestlegacy"
    assert repr(project) == f'pybossa.Project("pbsynctestlegacy", {project.id})'

    fetched = pbclient.get_project(project.id)
    assert wire.last().url.endswith(f"/api/project/{project.id}")
    assert fetched.name == "pbsynctestlegacy title"
    assert [p.id for p in pbclient.find_project(short_name="pbsynctestlegacy")] == [project.id]
    assert project.id in [p.id for p in pbclient.get_projects(limit=100)]
    assert pbclient.get_projects(limit=1, last_id=project.id) == []
    assert "last_id=" in wire.last().url and "offset" not in wire.last().url

    fetched.description = "changed"
    fetched.info["task_presenter"] = "<p>hi</p>"
    updated = pbclient.update_project(fetched)
    sent = wire.json()
    assert wire.last().method == "PUT"
    assert not set(sent) & set(pbclient.Project.reserved_keys.keys())
    assert sent["description"] == "changed"
    assert updated.description == "changed"
    assert updated.info["task_presenter"] == "<p>hi</p>"
    assert fetched.id == project.id  # the caller's object keeps its reserved keys

    assert pbclient.delete_project(project.id) is True
    assert wire.last().method == "DELETE" and wire.last().body == b""
    gone = pbclient.get_project(project.id)
    assert (gone["status"], gone["status_code"], gone["exception_cls"]) == (
        "failed",
        404,
        "NotFound",
    )


def test_errors_are_returned_as_pybossa_error_dicts(legacy_server: str) -> None:
    new_project()
    duplicate = pbclient.create_project("pbsynctestlegacy title", "pbsynctestlegacy", "again")
    assert duplicate["status"] == "failed"
    assert duplicate["status_code"] == 415
    assert duplicate["exception_cls"] == "DBIntegrityError"
    assert duplicate["target"] == "project"
    orphan = pbclient.create_task(987654321, {"x": 1})
    assert (orphan["status"], orphan["status_code"], orphan["target"]) == ("failed", 415, "task")


def test_non_json_error_body_comes_back_as_an_error_dict(legacy_server: str) -> None:
    """A routing 404 is an HTML page: 3.0.0 raised JSONDecodeError on it."""
    err = pbclient.get_project("not-an-id")
    assert err["status"] == "failed"
    assert err["status_code"] == 404
    assert err["exception_cls"] == "HTTPError"
    assert err["action"] == "GET" and err["target"] == "project"


def test_list_functions_raise_type_error_on_a_non_list(legacy_server: str) -> None:
    pbclient.set("endpoint", legacy_server + "/nowhere")
    for call in (pbclient.get_projects, pbclient.get_categories, lambda: pbclient.get_taskruns(1)):
        with pytest.raises(TypeError):
            call()
    assert pbclient.get_tasks(1)["status_code"] == 404  # returned as is, as in 3.0.0


def test_categories(legacy_server: str, local_server: Any, other_api_key: str) -> None:
    names = {c.short_name for c in pbclient.get_categories()}
    assert {"thinking", "sensing"} <= names
    thinking = pbclient.find_category(short_name="thinking")[0]
    assert pbclient.get_category(thinking.id) == thinking
    assert pbclient.get_categories(limit=20, last_id=thinking.id)[0].id > thinking.id

    created = pbclient.create_category("Pbsync Test Category", "made by the legacy API")
    assert created.short_name == "pbsynctestcategory"
    created.description = "changed"
    assert pbclient.update_category(created).description == "changed"
    assert pbclient.delete_category(created.id) is True

    pbclient.set("api_key", other_api_key)
    refused = pbclient.create_category("Not Allowed", "non-admins may not")
    assert refused["status"] == "failed"
    assert refused["status_code"] == 403
    assert pbclient.delete_category(thinking.id)["status_code"] == 403


def test_tasks(wire: Wire) -> None:
    project = new_project()
    tasks = [
        pbclient.create_task(project.id, {"n": i}, n_answers=2, priority_0=0.5) for i in range(3)
    ]
    assert wire.json() == {
        "project_id": project.id,
        "info": {"n": 2},
        "calibration": 0,
        "priority_0": 0.5,
        "n_answers": 2,
        "quorum": 0,
    }
    assert [t.info for t in pbclient.get_tasks(project.id)] == [{"n": 0}, {"n": 1}, {"n": 2}]
    page = pbclient.get_tasks(project.id, limit=2, last_id=tasks[0].id)
    assert [t.id for t in page] == [tasks[1].id, tasks[2].id]
    assert pbclient.get_tasks(project.id, limit=1, offset=2)[0].id == tasks[2].id
    assert pbclient.find_tasks(project.id, id=tasks[1].id) == [pbclient.get_task(tasks[1].id)]

    task = tasks[0]
    task.n_answers = 5
    updated = pbclient.update_task(task)
    assert not set(wire.json()) & set(pbclient.Task.reserved_keys.keys())
    assert updated.n_answers == 5 and task.id == updated.id and task.state == "ongoing"

    assert pbclient.delete_task(task.id) is True
    assert pbclient.get_task(task.id)["status_code"] == 404


def _answer(endpoint: str, key: str, project_id: int) -> dict[str, Any]:
    """Contribute one answer the way a volunteer's browser does (newtask, then a taskrun POST)."""
    auth = {"Authorization": key}
    task = requests.get(f"{endpoint}/api/project/{project_id}/newtask", headers=auth, timeout=10)
    body = {"project_id": project_id, "task_id": task.json()["id"], "info": {"answer": "yes"}}
    run = requests.post(f"{endpoint}/api/taskrun", json=body, headers=auth, timeout=10)
    assert run.status_code == 200, run.text
    return dict(run.json())


def test_taskruns_and_results(legacy_server: str, api_key: str) -> None:
    project = new_project()
    task = pbclient.create_task(project.id, {"q": 1}, n_answers=1)
    run = _answer(legacy_server, api_key, project.id)

    runs = pbclient.get_taskruns(project.id)
    assert [r.id for r in runs] == [run["id"]]
    assert repr(runs[0]) == f"pybossa.TaskRun({run['id']})"
    assert pbclient.find_taskruns(project.id, task_id=task.id)[0].info == {"answer": "yes"}
    assert pbclient.get_taskruns(project.id, last_id=run["id"]) == []

    results = pbclient.get_results(project.id)
    assert [r.task_id for r in results] == [task.id]
    assert pbclient.find_results(project.id, task_id=task.id) == results
    result = results[0]
    result.info = {"consensus": "yes"}
    updated = pbclient.update_result(result)
    assert updated.info == {"consensus": "yes"}
    assert result.task_run_ids == [run["id"]]  # reserved keys stay on the caller's object

    # PYBOSSA refuses to delete a run its task's result counts; pbclient hands back the error
    refused = pbclient.delete_taskrun(run["id"])
    assert (refused["status_code"], refused["exception_cls"]) == (403, "Forbidden")
    assert [r.id for r in pbclient.find_taskruns(project.id)] == [run["id"]]
    # an admin may delete a task that has a result: its runs and its result go with it (and the
    # project can then be deleted, which PYBOSSA refuses while it has a result)
    assert pbclient.delete_task(task.id) is True
    assert pbclient.find_taskruns(project.id) == []
    assert pbclient.get_results(project.id) == []


def test_helping_materials(wire: Wire, tmp_path: Path) -> None:
    project = new_project()
    link = pbclient.create_helpingmaterial(
        project.id, {"name": "guide"}, media_url="https://example.org/guide.png"
    )
    assert wire.json() == {
        "project_id": project.id,
        "info": {"name": "guide"},
        "media_url": "https://example.org/guide.png",
    }
    assert link.media_url == "https://example.org/guide.png"  # 3.0.0 always sent null

    path = tmp_path / "map.png"
    path.write_bytes(PNG)
    uploaded = pbclient.create_helpingmaterial(project.id, {"name": "map"}, file_path=str(path))
    assert wire.last().headers["Content-Type"].startswith("multipart/form-data")
    assert b'name="info"' in wire.last().body and b'filename="map.png"' in wire.last().body
    assert uploaded.info["name"] == "map"  # 3.0.0 dropped the info of an upload
    assert uploaded.info["file_name"] == "map.png"
    assert requests.get(uploaded.media_url, timeout=10).content == PNG

    with open(path, "rb") as handle:  # the upstream README's files= shape
        readme = pbclient.create_helpingmaterial(
            project.id, {"name": "again"}, files={"file": handle}
        )
        assert handle.closed
    assert readme.media_url.endswith("/map.png")

    listed = pbclient.get_helping_materials(project.id)
    assert [h.id for h in listed] == [link.id, uploaded.id, readme.id]
    assert pbclient.get_helping_materials(project.id, last_id=uploaded.id) == listed[2:]
    assert [h.media_url for h in pbclient.find_helping_materials(project.id, id=link.id)] == [
        link.media_url
    ]

    uploaded.info = {**uploaded.info, "caption": "The map"}
    updated = pbclient.update_helpingmaterial(uploaded)
    assert not set(wire.json()) & {"id", "created"}
    assert updated.info["caption"] == "The map" and updated.info["file_name"] == "map.png"
    assert pbclient.update_helping_material(updated) == updated

    assert pbclient.delete_helping_material(link.id) is True
    assert pbclient.find_helping_materials(project.id, id=link.id) == []


def test_find_users(legacy_server: str) -> None:
    users = pbclient.find_users()
    assert users and all(isinstance(u, pbclient.legacy_objects.User) for u in users)


def test_switching_key_rebuilds_the_shared_client(
    legacy_server: str, api_key: str, other_api_key: str
) -> None:
    mine = new_project()
    first = shared_client(legacy_server, api_key)
    pbclient.set("api_key", other_api_key)
    theirs = new_project("pbsynctestother")
    assert theirs.owner_id != mine.owner_id
    assert shared_client(legacy_server, other_api_key) is not first
    assert pbclient.update_project(mine)["status_code"] == 403
    # switching back reuses the first client (its connections and rate-limit pacing)
    pbclient.set("api_key", api_key)
    assert isinstance(pbclient.update_project(mine), pbclient.Project)
    assert shared_client(legacy_server, api_key) is first


def test_one_request_per_call_and_no_key_in_logs(
    legacy_server: str, local_server: Any, api_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    project = new_project()
    local_server.stats.reset()
    with caplog.at_level(logging.DEBUG):
        for i in range(3):
            pbclient.create_task(project.id, {"i": i})
        pbclient.get_tasks(project.id)
    assert local_server.stats.snapshot() == {("POST", "/api/task"): 3, ("GET", "/api/task"): 1}
    assert caplog.records  # the keyset hint at least
    assert not [r for r in caplog.records if api_key in r.getMessage()]


def test_transport_errors_propagate_as_requests_errors(
    legacy_server: str, local_server: Any
) -> None:
    """pbs catches requests.exceptions.ConnectionError; a dropped POST must still raise that."""
    local_server.faults.add(1, drop=True, path="/api/project", method="POST")
    with pytest.raises(requests.exceptions.ConnectionError):
        pbclient.create_project("pbsynctestdrop", "pbsynctestdrop", "dropped")


def test_a_429_burst_is_waited_out_and_each_call_creates_once(
    legacy_server: str, local_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """3.0.0 returned the 429 error dict; the shared client waits for the reset and retries."""
    import functools
    import time

    from pbclient import client as client_module
    from pbclient.legacy_transport import close_shared_client

    now = [time.time()]
    slept: list[float] = []

    def sleep(seconds: float) -> None:  # the wait is recorded and the clock moved, never slept
        slept.append(seconds)
        now[0] += seconds

    project = new_project()
    close_shared_client()
    fake = functools.partial(client_module.Client, sleep=sleep, clock=lambda: now[0])
    monkeypatch.setattr(client_module, "Client", fake)
    local_server.faults.add(3, status=429, path="/api/task", method="POST")
    local_server.stats.reset()
    tasks = [pbclient.create_task(project.id, {"i": i}) for i in range(4)]
    assert all(isinstance(t, pbclient.Task) for t in tasks), tasks
    assert local_server.stats.snapshot() == {("POST", "/api/task"): 7}
    assert len(slept) == 3
    assert sorted(t.info["i"] for t in pbclient.find_tasks(project.id)) == [0, 1, 2, 3]
    close_shared_client()


def test_shared_clients_survive_eviction_while_in_use(legacy_server: str) -> None:
    """More keys than are kept, from several threads: evicted clients finish their calls."""
    from concurrent.futures import ThreadPoolExecutor

    def call(i: int) -> int:
        client = shared_client(legacy_server, f"key{i % 7}")  # unknown keys: anonymous reads
        return len(client.request("GET", "/api/category"))

    expected = call(0)
    assert expected >= 2  # at least the default categories
    with ThreadPoolExecutor(6) as pool:
        assert list(pool.map(call, range(60))) == [expected] * 60
