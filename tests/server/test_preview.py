"""The presenter preview over HTTP: its front-end files, and what the page's scripts need from the
API. test_preview_live.py covers the watch status and live reload.
"""

from __future__ import annotations

import pytest
import requests
from serverkit import Api

from pbsync.server import LocalServer

PRESENTER = "<div id='pbs-app'><b>Question?</b></div>"
#: the theme's script order, modernizr and cookieconsent left out
SCRIPTS = [
    "/static/js/vendor/jquery-2.2.3.js",
    "/static/js/vendor/bootstrap.js",
    "/static/js/flashmessages.js",
    "/static/js/pybossa/pybossa.js",
    "/static/js/pybossa-player/dist/pybossa-player.min.js",
]


def make_project(api: Api, short_name: str = "pbsynctest", **fields: object) -> dict:
    return api.project(short_name, info={"task_presenter": PRESENTER}, **fields)


# -- front-end files ----------------------------------------------------------------------------


@pytest.mark.local_only
@pytest.mark.parametrize(
    ("path", "kind", "marker"),
    [
        (SCRIPTS[0], "text/javascript", b"jQuery JavaScript Library v1.12.4"),
        (SCRIPTS[1], "text/javascript", b"Bootstrap v3.3.7"),
        (SCRIPTS[2], "text/javascript", b"function pybossaNotify("),
        (SCRIPTS[3], "text/javascript", b"pybossa.saveTask = function"),
        (SCRIPTS[4], "text/javascript", b"window.PybossaPlayer = function"),
        ("/static/css/bootstrap.min.css", "text/css", b"Bootstrap v3.3.7"),
        ("/static/fonts/glyphicons-halflings-regular.woff2", "font/woff2", b"wOF2"),
        ("/_pbsync/preview/preview.js", "text/javascript", b"location.reload()"),
    ],
)
def test_front_end_files(local_server: LocalServer, path: str, kind: str, marker: bytes) -> None:
    resp = requests.get(local_server.url + path, timeout=30)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].split(";")[0] == kind
    assert marker in resp.content


@pytest.mark.local_only
def test_only_known_static_paths_are_served(local_server: LocalServer) -> None:
    for path in (
        "/static/js/vendor/jquery.js",
        "/static/pybossa.js",
        "/static/fonts/nope.woff",
        "/static/fonts/..%2F..%2F__init__.py",
        "/static/js/pybossa/../../../__init__.py",
    ):
        resp = requests.get(local_server.url + path, timeout=30)
        assert resp.status_code == 404, path


# -- what the page's scripts need from the API ----------------------------------------------


@pytest.mark.local_only
def test_anonymous_newtask_and_taskrun_flow(admin_local: Api, anon: Api) -> None:
    project = make_project(admin_local)
    assert project["allow_anonymous_contributors"] is True  # PYBOSSA's default
    tasks = [admin_local.task(project["id"], n_answers=1) for _ in range(2)]
    newtask = f"/api/project/{project['id']}/newtask"
    for task in tasks:
        got = anon.ok("GET", newtask, params={"offset": 0, "_": "1"})
        assert got["id"] == task["id"]
        # pybossa.js's saveTask reads the task first, with jQuery's cache-buster
        assert anon.ok("GET", f"/api/task/{task['id']}", params={"_": "1"})["id"] == task["id"]
        body = {"project_id": project["id"], "task_id": task["id"], "info": {"answer": "yes"}}
        run = anon.ok("POST", "/api/taskrun", json=body)
        assert (run["user_id"], run["user_ip"]) == (None, "127.0.0.1")
    assert anon.ok("GET", newtask) == {}
    progress = anon.ok("GET", "/api/project/pbsynctest/userprogress", params={"_": "1"})
    assert progress == {"done": 2, "total": 2}
    closed = admin_local.project("pbsynctest-closed", allow_anonymous_contributors=False)
    admin_local.task(closed["id"])
    assert anon.get(f"/api/project/{closed['id']}/newtask").status_code == 401


def test_one_object_get_ignores_query_arguments(admin: Api) -> None:
    # as PYBOSSA: jQuery's cache: false adds `_=<time>`; a list still refuses unknown arguments
    project = admin.project("pbsynctest")
    task = admin.task(project["id"])
    assert admin.ok("GET", f"/api/task/{task['id']}", params={"_": "123"})["id"] == task["id"]
    listed = admin.get("/api/task", params={"project_id": project["id"], "_": "123"})
    assert listed.status_code == 415
