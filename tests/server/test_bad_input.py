"""A corpus of bad input: the server answers each as PYBOSSA 4.0.2 does, never with a traceback.

PYBOSSA answers some of it with a 500 (a list body, deep nesting, a lone surrogate ...); the local
server gives the same answers in the same shapes, so a client sees no difference.
"""

from __future__ import annotations

import pytest
from serverkit import Api, error_of

from pbsync.server import LocalServer

MALFORMED = [
    b"{",
    b"{'single': 'quotes'}",
    b'{"a": 1,}',
    b'{"a": NaN}',
    b'{"a": Infinity}',
    b"null",
    b"42",
    b'"string"',
    b"[1, 2]",
    b"\xff\xfe\x00garbage",
    b'{"a": "\xff"}',
    b"[" * 100000,
    b'{"a": ' * 5000 + b"1" + b"}" * 5000,
]
INTERNAL = (
    "The server encountered an internal error and was unable to complete your request. Either "
    "the server is overloaded or there is an error in the application."
)
SQLISH = [
    "'; DROP TABLE project; --",
    'x" OR "1"="1',
    "1 OR 1=1",
    "Robert'); DELETE FROM task;--",
    "%",
    "_",
]


@pytest.mark.parametrize("body", MALFORMED, ids=range(len(MALFORMED)))
@pytest.mark.parametrize("path", ["/api/project", "/api/task"])
def test_malformed_json(admin: Api, body: bytes, path: str) -> None:
    resp = admin.post(path, data=body, headers={"Content-Type": "application/json"})
    assert resp.status_code in (400, 415, 500), resp.text[:200]
    assert "Traceback" not in resp.text
    if resp.status_code == 500:
        # `[1, 2]` (an IndexError) and deep nesting (a RecursionError) in PYBOSSA's request hook
        assert resp.json() == {"code": 500, "description": INTERNAL, "template": "500.html"}


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "image/png", ""])
def test_any_content_type_is_read_as_json(admin: Api, content_type: str) -> None:
    body = b'{"name": "x", "short_name": "pbsynctest_ct", "description": "d"}'
    resp = admin.post("/api/project", data=body, headers={"Content-Type": content_type})
    assert resp.status_code == 200, resp.text


def test_a_form_encoded_body_reads_as_empty(admin: Api) -> None:
    body = b'{"name": "x", "short_name": "pbsynctest_ct", "description": "d"}'
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    resp = admin.post("/api/project", data=body, headers=headers)
    assert error_of(resp) == (415, "ValueError")
    assert resp.json()["exception_msg"] == "Expecting value: line 1 column 1 (char 0)"


@pytest.mark.parametrize("body", [b"[1, 2]", b"[" * 100000])
def test_a_list_body_is_flask_500(admin: Api, body: bytes) -> None:
    """PYBOSSA's request hook walks a list as `body[item]`: an IndexError, or a RecursionError."""
    resp = admin.post("/api/task", data=body, headers={"Content-Type": "application/json"})
    assert resp.status_code == 500
    assert resp.json() == {"code": 500, "description": INTERNAL, "template": "500.html"}
    assert "X-RateLimit-Limit" not in resp.headers


def test_an_empty_json_array_has_no_keys(admin: Api) -> None:
    resp = admin.post("/api/task", data=b"[]", headers={"Content-Type": "application/json"})
    assert error_of(resp) == (415, "AttributeError")
    assert resp.json()["exception_msg"] == "'list' object has no attribute 'keys'"


def test_json_with_charset_parameter_is_json(admin: Api) -> None:
    body = b'{"name": "x", "short_name": "pbsynctest_cs", "description": "d"}'
    headers = {"Content-Type": "application/json; charset=utf-8"}
    assert admin.post("/api/project", data=body, headers=headers).status_code == 200


@pytest.mark.local_only(reason="PYBOSSA sets no cap; the local 1 MiB default models nginx's")
def test_huge_json_body_is_413(admin: Api) -> None:
    project = admin.project()
    body = {"project_id": project["id"], "info": {"blob": "x" * (1024 * 1024 + 1)}}
    resp = admin.post("/api/task", json=body)
    assert resp.status_code == 413
    assert resp.json()["exception_cls"] == "RequestEntityTooLarge"
    # the server still answers on a new request
    assert admin.get("/api/task").status_code == 200


@pytest.mark.parametrize(
    "path", ["/api/task/abc", "/api/task/1.5", "/api/task/-3", "/api/task/1e3", "/api/task/%00"]
)
def test_non_integer_ids_are_routing_404(admin: Api, path: str) -> None:
    resp = admin.get(path)
    assert resp.status_code == 404
    assert "X-RateLimit-Limit" not in resp.headers


def test_huge_integer_ids_and_cursors(admin: Api) -> None:
    big = "9" * 30
    assert admin.get(f"/api/task/{big}").status_code == 404
    for name in ("last_id", "id", "offset", "project_id"):
        assert error_of(admin.get("/api/task", params={name: big})) == (415, "DataError"), name
    assert error_of(admin.get("/api/task", params={"last_id": "-" + big}))[1] == "DataError"
    assert admin.get("/api/task", params={"last_id": "x"}).status_code == 415
    task = admin.task(admin.project()["id"])
    owners = admin.put(f"/api/project/{task['project_id']}", json={"owners_ids": [int(big)]})
    assert error_of(owners) == (415, "DataError")


@pytest.mark.parametrize("text", SQLISH)
def test_sql_looking_strings_are_just_data(admin: Api, text: str) -> None:
    categories = admin.ok("GET", "/api/category", params={"limit": 100})
    project = admin.project(long_description=text, info={text: text})
    task = admin.task(project["id"], info={"q": text})
    assert admin.ok("GET", f"/api/project/{project['id']}")["long_description"] == text
    assert (
        admin.ok("GET", "/api/project", params={"long_description": text})[0]["id"]
        == (project["id"])
    )
    assert admin.ok("GET", "/api/task", params={"info": f"q::{text}"})[0]["id"] == task["id"]
    assert admin.ok("GET", "/api/task", params={"info": f"{text}::{text}"}) == []
    assert admin.get("/api/task", params={"orderby": text}).status_code == 415
    assert admin.get("/api/task", params={text: "1"}).status_code == 415
    assert admin.ok("GET", "/api/category", params={"limit": 100}) == categories


def test_nul_bytes_and_odd_unicode(admin: Api) -> None:
    body = {"name": "a\x00b", "short_name": "pbsynctest_nul", "description": "d"}
    assert error_of(admin.post("/api/project", json=body)) == (415, "ValueError")
    project = admin.project("pbsynctest_uni", description="émoji 🎉 \u202e")
    assert admin.ok("GET", f"/api/project/{project['id']}")["description"] == "émoji 🎉 \u202e"
    lone = b'{"name": "\\ud800", "short_name": "pbsynctest_sur", "description": "d"}'
    resp = admin.post("/api/project", data=lone, headers={"Content-Type": "application/json"})
    # psycopg2 fails encoding the parameter; PYBOSSA answers that exception as a 500
    assert error_of(resp) == (500, "UnicodeEncodeError")


@pytest.mark.parametrize(
    "info",
    [
        b'{"a": ["\\ud800"]}',
        b'{"\\udc00": 1}',
        b'{"deep": [[[{"b": "\\ud83d"}]]]}',
        b'{"nul": "a\\u0000b"}',
        b'{"a\\u0000": 1}',
    ],
)
def test_json_columns_refuse_what_jsonb_refuses(admin: Api, info: bytes) -> None:
    """jsonb refuses unpaired surrogates; accepting them locally would hide that."""
    project = admin.project()
    body = b'{"project_id": %d, "info": %s}' % (project["id"], info)
    resp = admin.post("/api/task", data=body, headers={"Content-Type": "application/json"})
    assert error_of(resp) == (415, "DataError")
    assert admin.ok("GET", "/api/task", params={"project_id": project["id"]}) == []


def test_text_columns_refuse_nul(admin: Api) -> None:
    """psycopg2 refuses NUL in text parameters (a ValueError; in JSON columns a DataError)."""
    body = b'{"name": "a\\u0000b", "short_name": "pbsynctest_nul", "description": "d"}'
    resp = admin.post("/api/project", data=body, headers={"Content-Type": "application/json"})
    assert error_of(resp) == (415, "ValueError")
    assert admin.ok("GET", "/api/project", params={"short_name": "pbsynctest_nul"}) == []


def test_json_columns_keep_escaped_look_alikes_and_paired_surrogates(admin: Api) -> None:
    project = admin.project()
    info = {"emoji": "🎉", "text": "\\u0000 and \\ud800 as plain text"}
    task = admin.task(project["id"], info=info)
    assert admin.ok("GET", f"/api/task/{task['id']}")["info"] == info


def test_json_nested_close_to_the_recursion_limit(admin: Api) -> None:
    project = admin.project()
    for depth, status in ((900, 200), (3000, 500)):
        nested = b"[" * depth + b"]" * depth
        body = b'{"project_id": %d, "info": {"d": %s}}' % (project["id"], nested)
        resp = admin.post("/api/task", data=body, headers={"Content-Type": "application/json"})
        assert resp.status_code == status, (depth, resp.status_code)
        assert admin.get("/api/task", params={"related": 1}).status_code == 200


def test_weird_query_strings(admin: Api) -> None:
    for query in ("limit=%ff", "limit=1&limit=2", "desc=%00", "info=", "info=::", "all=%ff"):
        resp = admin.get(f"/api/task?{query}")
        assert resp.status_code in (200, 415), (query, resp.status_code)


def test_weird_methods(admin: Api) -> None:
    assert admin.request("PATCH", "/api/project/1", json={}).status_code == 405
    assert admin.request("OPTIONS", "/api/project").status_code == 200
    head = admin.request("HEAD", "/api/project")
    assert head.status_code == 200 and head.headers["X-RateLimit-Limit"]
    project = admin.project()
    assert admin.request("HEAD", f"/api/project/{project['id']}").status_code == 200


def test_flask_400_shape_still_has_cors(admin: Api) -> None:
    resp = admin.post("/api/project", data=b"null", headers={"Content-Type": "application/json"})
    assert resp.json()["code"] == 400
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    assert "X-RateLimit-Limit" not in resp.headers


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("multipart/form-data", b"project_id=1"),
        ("multipart/form-data; boundary=zz", b"--zz\r\ngarbage without parts"),
    ],
)
def test_malformed_multipart_is_a_500_key_error(admin: Api, content_type: str, body: bytes) -> None:
    """werkzeug reads a malformed multipart body as an empty form: PYBOSSA misses project_id."""
    resp = admin.post("/api/helpingmaterial", data=body, headers={"Content-Type": content_type})
    assert error_of(resp) == (500, "KeyError")


def test_userprogress_with_non_ascii_digits(admin: Api) -> None:
    resp = admin.get("/api/project/\u00b2/userprogress")
    assert error_of(resp) == (404, "NotFound")


@pytest.mark.local_only(reason="configures the local server's own body cap")
def test_the_body_cap_is_configurable() -> None:
    # small bodies: waitress spools large ones to a file a stopping server may leave open
    body = {
        "name": "x",
        "short_name": "pbsynctest_big",
        "description": "d",
        "info": {"b": "x" * 300},
    }
    for cap, status in ((100, 413), (None, 200)):
        with LocalServer(max_body=cap) as server:
            api = Api(server.url, server.api_key)
            assert api.post("/api/project", json=body).status_code == status
            api.close()
    with LocalServer() as server:
        assert server.state.max_body == 1024 * 1024


def test_project_id_filter_keeps_its_digit_runs(admin: Api) -> None:
    first, second = admin.project("pbsynctest_d1"), admin.project("pbsynctest_d2")
    tasks = [admin.task(first["id"]), admin.task(second["id"])]
    both = f"{first['id']}x{second['id']}"
    assert [t["id"] for t in admin.ok("GET", "/api/task", params={"project_id": both})] == [
        t["id"] for t in tasks
    ]
    only = admin.ok("GET", "/api/task", params={"project_id": f"p{second['id']}"})
    assert [t["id"] for t in only] == [tasks[1]["id"]]
    unfiltered = admin.ok("GET", "/api/task", params={"project_id": "x", "limit": 100})
    assert {t["id"] for t in tasks} <= {t["id"] for t in unfiltered}
