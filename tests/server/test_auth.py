"""Authentication: none, query key, header key, Bearer, wrong key; owners, others, admins."""

from __future__ import annotations

import pytest
from serverkit import Api, error_of

from pbsync.server import LocalServer
from pbsync.server.context import Caller
from pbsync.server.schema import PROJECT

BODY = {"name": "Auth", "short_name": "pbsynctest_auth", "description": "d"}


def test_query_key_authenticates(admin: Api, anon: Api) -> None:
    resp = anon.post("/api/project", json=BODY, params={"api_key": admin.key})
    assert resp.status_code == 200


def test_header_key_authenticates(admin: Api) -> None:
    assert admin.post("/api/project", json=BODY).status_code == 200


@pytest.mark.parametrize("header", ["Bearer {key}", "wrong-key", ""])
def test_bearer_wrong_or_no_key_is_anonymous(admin: Api, anon: Api, header: str) -> None:
    headers = {"Authorization": header.format(key=admin.key)} if header else {}
    resp = anon.post("/api/project", json=BODY, headers=headers)
    assert error_of(resp) == (401, "Unauthorized")
    # reads still work anonymously with a wrong key
    assert anon.get("/api/category", headers=headers).status_code == 200


def test_wrong_query_key_reads_as_anonymous(admin: Api, anon: Api) -> None:
    admin.project()
    assert anon.ok("GET", "/api/project", params={"api_key": "nope"}) == []


def test_other_users_project_is_forbidden(owner: Api, other: Api, anon: Api) -> None:
    project = owner.project()
    path = f"/api/project/{project['id']}"
    assert error_of(other.put(path, json={"description": "x"})) == (403, "Forbidden")
    assert error_of(anon.put(path, json={"description": "x"})) == (401, "Unauthorized")
    assert error_of(other.delete(path)) == (403, "Forbidden")
    task_body = {"project_id": project["id"], "info": {}}
    assert error_of(other.post("/api/task", json=task_body)) == (403, "Forbidden")
    assert error_of(anon.post("/api/task", json=task_body)) == (401, "Unauthorized")
    hm_body = {"project_id": project["id"], "info": {}}
    assert error_of(other.post("/api/helpingmaterial", json=hm_body)) == (403, "Forbidden")


def test_unpublished_project_get(owner: Api, other: Api, anon: Api) -> None:
    project = owner.project(info={"task_presenter": "<p>", "secret": 1})
    path = f"/api/project/{project['id']}"
    assert error_of(anon.get(path)) == (401, "Unauthorized")
    assert error_of(other.get(path)) == (403, "Forbidden")
    assert owner.ok("GET", path)["info"]["secret"] == 1
    task = owner.task(project["id"])
    # tasks are readable anonymously even when the project is unpublished
    assert anon.ok("GET", f"/api/task/{task['id']}")["id"] == task["id"]


def test_public_view_of_published_project(
    local_server: LocalServer, owner: Api, other: Api, anon: Api
) -> None:
    project = owner.project(info={"task_presenter": "<p>", "secret": 1, "thumbnail_url": "t"})
    local_server.store.update(PROJECT, project["id"], {"published": True})
    for caller in (anon, other):
        got = caller.ok("GET", f"/api/project/{project['id']}")
        assert "secret_key" not in got and "published" not in got and "webhook" not in got
        assert got["info"] == {"task_presenter": "<p>", "thumbnail_url": "t"}
    assert "secret_key" in owner.ok("GET", f"/api/project/{project['id']}")


def test_admin_may_write_anything(owner: Api, admin_local: Api) -> None:
    project = owner.project()
    changed = admin_local.ok("PUT", f"/api/project/{project['id']}", json={"description": "a"})
    assert changed["description"] == "a"
    admin_local.ok("POST", "/api/task", json={"project_id": project["id"]})
    # but admin lists are owner-filtered too
    assert admin_local.ok("GET", "/api/project") == []
    assert len(admin_local.ok("GET", "/api/project", params={"all": 1})) == 1


def test_categories_are_admin_only(other: Api, anon: Api) -> None:
    body = {"name": "n", "short_name": "n", "description": "d"}
    assert error_of(other.post("/api/category", json=body)) == (403, "Forbidden")
    assert error_of(anon.post("/api/category", json=body)) == (401, "Unauthorized")


def test_key_never_in_user_view_of_others(owner: Api, admin_local: Api) -> None:
    users = admin_local.ok("GET", "/api/user")
    assert all("api_key" not in u for u in users if u["name"] != "admin")


def test_private_user_columns_cannot_be_probed(owner: Api, anon: Api, admin_local: Api) -> None:
    """Non-admins' filters and orderings on private user columns are ignored, as PYBOSSA does."""
    everyone = anon.ok("GET", "/api/user")
    assert len(everyone) == 2
    for caller in (anon, owner):
        right = caller.ok("GET", "/api/user", params={"email_addr": "admin@localhost"})
        wrong = caller.ok("GET", "/api/user", params={"email_addr": "nobody@localhost"})
        assert right == wrong == caller.ok("GET", "/api/user")
        ordered = caller.ok("GET", "/api/user", params={"orderby": "api_key", "desc": "true"})
        assert ordered == list(reversed(caller.ok("GET", "/api/user")))
    assert anon.ok("GET", "/api/user", params={"name": "owner"}) == [everyone[1]]
    found = admin_local.ok("GET", "/api/user", params={"email_addr": "owner@localhost"})
    assert [u["name"] for u in found] == ["owner"]


def test_caller_repr_hides_the_key(local_server: LocalServer) -> None:
    who = Caller(local_server.store.user_by_key(local_server.api_key), "127.0.0.1")
    assert who.admin and local_server.api_key not in repr(who)
