"""RemoteProject.fetch over HTTP: shape, and request counts against the local server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pbclient.client import Client
from pbsync.model import content_key
from pbsync.server import LocalServer
from pbsync.sync import remote
from pbsync.sync.remote import RemoteProject

SHORT = "pbsynctest_remote"


@pytest.fixture
def client(endpoint: str, api_key: str, clean_server: None) -> Iterator[Client]:
    """The admin's client on a clean server (the local one, or an external PYBOSSA)."""
    with Client(endpoint, api_key) as c:
        yield c


def make_project(client: Client, n_tasks: int) -> int:
    (sensing,) = client.request("GET", "/api/category", params={"short_name": "sensing"})
    body = {
        "name": "R",
        "short_name": SHORT,
        "description": "d",
        "category_id": sensing["id"],
        "info": {"task_presenter": "<p/>", "web": 1},
    }
    project_id = int(client.request("POST", "/api/project", json=body)["id"])
    for i in range(n_tasks):
        client.request(
            "POST", "/api/task", json={"project_id": project_id, "info": {"i": i}, "n_answers": 2}
        )
    client.request(
        "POST",
        "/api/helpingmaterial",
        json={"project_id": project_id, "info": {"name": "guide"}, "media_url": "https://e/g.pdf"},
    )
    return project_id


def test_missing_project_is_none(client: Client) -> None:
    assert RemoteProject.fetch(client, "pbsynctest_nothing") is None


def test_fetch_shape(client: Client) -> None:
    project_id = make_project(client, 3)
    state = RemoteProject.fetch(client, SHORT)
    assert state is not None and state.project_id == project_id
    assert state.project.category == "sensing"
    assert state.remote_info == {"task_presenter": "<p/>", "web": 1}
    assert [(m.name, m.media_url) for m in state.helping_materials] == [
        ("guide", "https://e/g.pdf")
    ]
    assert state.tasks is not None
    assert [t.key for t in state.tasks] == [content_key({"i": i}) for i in range(3)]
    assert {t.n_answers for t in state.tasks} == {2}


def test_request_counts(client: Client, local_server: LocalServer) -> None:
    make_project(client, 250)
    local_server.stats.reset()
    RemoteProject.fetch(client, SHORT)
    # project + categories + helping materials + 3 task pages (250 = 100 + 100 + 50)
    assert local_server.stats.total() == 6
    local_server.stats.reset()
    assert RemoteProject.fetch(client, SHORT, tasks=False).tasks is None  # type: ignore[union-attr]
    assert local_server.stats.total() == 3


def _answer(client: Client, project_id: int) -> int:
    task = client.request("GET", f"/api/project/{project_id}/newtask")
    client.request(
        "POST", "/api/taskrun", json={"project_id": project_id, "task_id": task["id"], "info": 1}
    )
    return int(task["id"])


@pytest.mark.parametrize("per_task_limit", [20, 0])
def test_count_task_runs(
    client: Client, monkeypatch: pytest.MonkeyPatch, per_task_limit: int
) -> None:
    monkeypatch.setattr(remote, "PER_TASK_COUNT_LIMIT", per_task_limit)
    project_id = make_project(client, 3)
    answered = _answer(client, project_id)
    state = RemoteProject.fetch(client, SHORT)
    assert state is not None and state.tasks is not None
    counted = RemoteProject.count_task_runs(client, state)
    assert {t.id: t.n_task_runs for t in counted.tasks or ()} == {
        t.id: (1 if t.id == answered else 0) for t in state.tasks
    }
