"""The preview's live side over HTTP: the watch status, the state the page polls, the project
route pybossa.js falls back to; none of them rate limited nor counted.
"""

from __future__ import annotations

import hashlib
import time

import pytest
import requests
from serverkit import Api

from pbsync.server import LocalServer

PRESENTER = "<div id='pbs-app'><b>Question?</b></div>"
TUTORIAL = "<p id='tut'>Read me</p>"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def make_project(api: Api, short_name: str = "pbsynctest", **fields: object) -> dict:
    info = {"task_presenter": PRESENTER, "tutorial": TUTORIAL}
    return api.project(short_name, info=info, **fields)


def state_of(api: Api, short_name: str = "pbsynctest") -> dict:
    return api.ok("GET", f"/_pbsync/preview/{short_name}/state")  # type: ignore[no-any-return]


@pytest.mark.local_only
def test_capability_route(local_server: LocalServer) -> None:
    resp = requests.get(local_server.url + "/_pbsync/preview", timeout=30)
    assert resp.status_code == 200
    assert resp.json() == {"preview": True}


@pytest.mark.local_only
def test_status_needs_an_owner_or_admin(
    admin_local: Api, anon: Api, other: Api, local_server: LocalServer
) -> None:
    owner = Api(local_server.url, local_server.create_user("owner"))
    owner.project("pbsynctest")
    path = "/_pbsync/preview/pbsynctest/status"
    body = {"error": "boom"}
    assert anon.post(path, json=body).status_code == 401
    assert Api(local_server.url, "wrong-key").post(path, json=body).status_code == 401
    assert other.post(path, json=body).status_code == 403
    assert state_of(anon)["error"] is None
    assert owner.post(path, json=body).status_code == 204
    assert state_of(anon)["error"] == "boom"
    assert admin_local.post(path, json={"error": None}).status_code == 204
    assert state_of(anon)["error"] is None
    key = {"api_key": local_server.api_key}
    assert anon.post(path, params=key, json={"error": "by query"}).status_code == 204
    assert state_of(anon)["error"] == "by query"
    assert admin_local.post("/_pbsync/preview/nope/status", json=body).status_code == 404
    for bad in ({}, {"error": 3}, {"message": "x"}, ["boom"]):
        assert admin_local.post(path, json=bad).status_code == 400, bad
    assert admin_local.post(path, data="error=x").status_code == 400
    owner.close()


@pytest.mark.local_only
def test_state_follows_presenter_and_status(admin_local: Api, anon: Api) -> None:
    project = make_project(admin_local)
    first = state_of(anon)
    assert first == {
        "presenter": sha(PRESENTER),
        "tutorial": sha(TUTORIAL),
        "error": None,
    }
    # whoever changes the presenter, the next poll sees it
    changed = PRESENTER.replace("Question?", "Another question?")
    info = {"task_presenter": changed}
    admin_local.ok("PUT", f"/api/project/{project['id']}", json={"info": info})
    assert state_of(anon)["presenter"] == sha(changed)
    assert state_of(anon)["tutorial"] == sha("")
    admin_local.ok("POST", "/_pbsync/preview/pbsynctest/status", json={"error": " x\n "})
    assert state_of(anon)["error"] == "x"
    admin_local.ok("POST", "/_pbsync/preview/pbsynctest/status", json={"error": "y" * 5000})
    assert len(state_of(anon)["error"]) == 1000
    assert anon.get("/_pbsync/preview/nope/state").status_code == 404


@pytest.mark.local_only
def test_status_belongs_to_the_project_row(admin_local: Api, anon: Api) -> None:
    project = make_project(admin_local)
    admin_local.ok("POST", "/_pbsync/preview/pbsynctest/status", json={"error": "old"})
    admin_local.ok("DELETE", f"/api/project/{project['id']}")
    assert anon.get("/_pbsync/preview/pbsynctest/state").status_code == 404
    make_project(admin_local)
    assert state_of(anon)["error"] is None


@pytest.mark.local_only
def test_status_is_cleared_by_reset(admin_local: Api, local_server: LocalServer) -> None:
    make_project(admin_local)
    admin_local.ok("POST", "/_pbsync/preview/pbsynctest/status", json={"error": "old"})
    local_server.reset()
    make_project(Api(local_server.url, local_server.api_key))
    assert state_of(admin_local)["error"] is None


@pytest.mark.local_only
def test_preview_routes_are_neither_counted_nor_rate_limited() -> None:
    with LocalServer(rate_limit=(2, 900)) as server:
        admin = Api(server.url, server.api_key)
        make_project(admin)
        server.stats.reset()
        for _ in range(5):
            assert admin.get("/_pbsync/preview/pbsynctest/state").status_code == 200
            assert admin.get("/_pbsync/preview").status_code == 200
            body = {"error": None}
            assert admin.post("/_pbsync/preview/pbsynctest/status", json=body).status_code == 204
            assert "X-RateLimit-Limit" not in admin.get("/_pbsync/preview").headers
        assert server.stats.snapshot() == {}
        admin.close()


@pytest.mark.local_only
def test_a_presenter_put_is_seen_at_once(admin_local: Api, anon: Api) -> None:
    # the page polls every 300 ms; the state itself must change with the PUT, not later
    project = make_project(admin_local)
    before = state_of(anon)["presenter"]
    started = time.monotonic()
    info = {"task_presenter": "<p>new</p>"}
    admin_local.ok("PUT", f"/api/project/{project['id']}", json={"info": info})
    assert state_of(anon)["presenter"] != before
    assert time.monotonic() - started < 1.0


@pytest.mark.local_only
def test_project_route_shows_drafts(admin_local: Api, anon: Api) -> None:
    # anonymous API lists hide drafts: pybossa.js then asks the preview for the project
    make_project(admin_local)
    assert anon.ok("GET", "/api/project", params={"short_name": "pbsynctest", "all": 1}) == []
    found = anon.ok("GET", "/_pbsync/preview/pbsynctest/project", params={"_": "1"})
    assert (found["short_name"], found["info"]["task_presenter"]) == ("pbsynctest", PRESENTER)
    assert "published" not in found and "secret_key" not in found
    assert anon.get("/_pbsync/preview/nope/project").status_code == 404
