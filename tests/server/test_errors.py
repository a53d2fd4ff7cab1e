"""Every error path of the spec: the error JSON, its status mapping, and the non-JSON shapes."""

from __future__ import annotations

import pytest
from serverkit import Api, error_of

BODY = {"name": "Err", "short_name": "pbsynctest_err", "description": "d"}


def test_error_json_shape_and_target(anon: Api) -> None:
    resp = anon.post("/api/project", json=BODY)
    assert error_of(resp) == (401, "Unauthorized")
    body = resp.json()
    assert (body["action"], body["target"]) == ("POST", "project")
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    assert "X-RateLimit-Limit" in resp.headers


def test_duplicate_short_name_and_name(admin: Api) -> None:
    admin.project("pbsynctest_dup")
    resp = admin.post("/api/project", json={**BODY, "short_name": "pbsynctest_dup"})
    assert error_of(resp) == (415, "DBIntegrityError")
    assert "duplicate key value" in resp.json()["exception_msg"]
    resp = admin.post("/api/project", json={**BODY, "name": "Pbsynctest_Dup"})
    assert error_of(resp) == (415, "DBIntegrityError")


@pytest.mark.parametrize("missing", ["name", "short_name", "description"])
def test_missing_required_field(admin: Api, missing: str) -> None:
    body = {k: v for k, v in BODY.items() if k != missing}
    resp = admin.post("/api/project", json=body)
    assert error_of(resp) == (415, "DBIntegrityError")
    assert "not-null" in resp.json()["exception_msg"]


def test_unknown_body_field(admin: Api) -> None:
    resp = admin.post("/api/project", json={**BODY, "foo": 1})
    assert error_of(resp) == (415, "TypeError")
    assert resp.json()["exception_msg"] == "'foo' is an invalid keyword argument for Project"


@pytest.mark.parametrize(
    "key", ["id", "created", "updated", "completed", "contacted", "secret_key"]
)
def test_reserved_project_keys(admin: Api, key: str) -> None:
    resp = admin.post("/api/project", json={**BODY, key: 1})
    assert error_of(resp) == (400, "BadRequest")
    assert resp.json()["exception_msg"] == "Reserved keys in payload"


@pytest.mark.parametrize("key", ["id", "created", "state", "fav_user_ids"])
def test_reserved_task_keys(admin: Api, key: str) -> None:
    project = admin.project()
    resp = admin.post("/api/task", json={"project_id": project["id"], key: 1})
    assert error_of(resp) == (400, "BadRequest")


@pytest.mark.parametrize("value", [True, False])
def test_published_is_forbidden_on_post_and_put(admin: Api, value: bool) -> None:
    assert error_of(admin.post("/api/project", json={**BODY, "published": value}))[0] == 403
    project = admin.project()
    resp = admin.put(f"/api/project/{project['id']}", json={"published": value})
    assert error_of(resp) == (403, "Forbidden")
    assert resp.json()["exception_msg"] == "You cannot publish a project via the API"


def test_unknown_category(admin: Api) -> None:
    resp = admin.post("/api/project", json={**BODY, "category_id": 999})
    assert error_of(resp) == (400, "BadRequest")
    assert resp.json()["exception_msg"] == "category_id does not exist"
    project = admin.project()
    resp = admin.put(f"/api/project/{project['id']}", json={"category_id": 999})
    assert error_of(resp) == (415, "DBIntegrityError")


def test_system_short_name_and_long_description(admin: Api) -> None:
    resp = admin.post("/api/project", json={**BODY, "short_name": "new"})
    assert error_of(resp) == (415, "ValueError")
    resp = admin.post("/api/project", json={**BODY, "description": "x" * 256})
    assert error_of(resp) == (415, "DataError")
    assert admin.post("/api/project", json={**BODY, "description": "x" * 255}).status_code == 200


def test_empty_body_and_wrong_content_type(admin: Api) -> None:
    expected = "Expecting value: line 1 column 1 (char 0)"
    for kwargs in (
        {"data": b"", "headers": {"Content-Type": "application/json"}},
        {
            "data": b'{"name": "x"}',
            "headers": {"Content-Type": "application/x-www-form-urlencoded"},
        },
    ):
        resp = admin.post("/api/project", **kwargs)  # type: ignore[arg-type]
        assert error_of(resp) == (415, "ValueError"), kwargs
        assert resp.json()["exception_msg"] == expected


def test_json_array_is_a_plain_400(admin: Api) -> None:
    resp = admin.post("/api/task", json=[{"project_id": 1}])
    assert resp.status_code == 400
    assert resp.json() == {
        "code": 400,
        "description": resp.json()["description"],
        "template": "400.html",
    }
    assert "X-RateLimit-Limit" not in resp.headers


def test_task_for_missing_project_and_external_uid(admin: Api) -> None:
    assert error_of(admin.post("/api/task", json={"project_id": 999})) == (415, "AttributeError")
    assert error_of(admin.post("/api/task", json={"info": {}})) == (415, "AttributeError")
    project = admin.project()
    body = {"project_id": project["id"], "external_uid": "x"}
    assert error_of(admin.post("/api/task", json=body)) == (415, "TypeError")


def test_not_found_in_api_views(admin: Api) -> None:
    for method in ("GET", "PUT", "DELETE"):
        resp = admin.request(method, "/api/project/999", json={})
        assert error_of(resp) == (404, "NotFound"), method


def test_routing_404_and_405(admin: Api) -> None:
    for path in ("/api/project/abc", "/api/project/", "/api/nothing", "/api/project/-1"):
        resp = admin.get(path)
        assert resp.status_code == 404, path
        assert resp.headers["Content-Type"].startswith("text/html")
        assert "X-RateLimit-Limit" not in resp.headers
    resp = admin.get("/api/project/abc", headers={"Content-Type": "application/json"})
    assert resp.json()["code"] == 404
    resp = admin.put("/api/project", json={})
    assert resp.status_code == 405
    assert resp.headers["Content-Type"].startswith("text/html")
    assert admin.post("/api/project/1", json={}).status_code == 405


def test_wrong_value_types(admin: Api) -> None:
    project = admin.project()
    for body in (
        {"project_id": project["id"], "n_answers": "many"},
        {"project_id": project["id"], "n_answers": 2**40},
        {"project_id": project["id"], "priority_0": "high"},
        {"project_id": "1; DROP TABLE task"},
    ):
        resp = admin.post("/api/task", json=body)
        assert resp.status_code == 415, (body, resp.text)
    # PostgreSQL rounds a fractional integer half away from zero
    assert admin.task(project["id"], quorum=1.5)["quorum"] == 2
    # what psycopg2 or SQLAlchemy refuse before sending is a 500 on PYBOSSA
    resp = admin.post("/api/project", json={**BODY, "name": {"a": 1}})
    assert error_of(resp) == (500, "ProgrammingError")
    resp = admin.post("/api/project", json={**BODY, "allow_anonymous_contributors": "yes"})
    assert error_of(resp) == (500, "StatementError")


def test_unknown_query_argument_on_write(admin: Api) -> None:
    resp = admin.post("/api/project", json=BODY, params={"foo": "1"})
    assert error_of(resp) == (415, "AttributeError")
