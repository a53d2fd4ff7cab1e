"""The presenter preview over HTTP: its pages, its front-end files, and what the page's scripts
need from the API. Browsers are not driven here: pybossa.js runs under jsdom in
test_preview_js.py, and test_preview_live.py covers the watch status and live reload.
"""

from __future__ import annotations

import hashlib
import re

import pytest
import requests
from serverkit import Api

from pbsync.server import LocalServer, workflow

PRESENTER = (
    "<div id='pbs-app'><b>Question?</b></div>\n"
    "<script>pybossa.presentTask(function (task, d) {}); pybossa.run('pbsynctest');</script>"
)
TUTORIAL = "<p id='tut'>Read me</p>"
#: the theme's script order, modernizr and cookieconsent left out
SCRIPTS = [
    "/static/js/vendor/jquery-2.2.3.js",
    "/static/js/vendor/bootstrap.js",
    "/static/js/flashmessages.js",
    "/static/js/pybossa/pybossa.js",
    "/static/js/pybossa-player/dist/pybossa-player.min.js",
]


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def body_scripts(page: str) -> list[str]:
    body = page.split("<body>", 1)[1]
    return re.findall(r'<script[^>]*\ssrc="([^"]+)"', body)


def make_project(api: Api, short_name: str = "pbsynctest", **fields: object) -> dict:
    info = {"task_presenter": PRESENTER, "tutorial": TUTORIAL}
    return api.project(short_name, info=info, **fields)


# -- the presenter page -----------------------------------------------------------------------


@pytest.mark.local_only
@pytest.mark.parametrize("page", ["newtask", "presenter", "task"])
def test_presenter_page_is_pybossas_layout(admin_local: Api, anon: Api, page: str) -> None:
    project = make_project(admin_local, name="A <i>name</i>")
    task = admin_local.task(project["id"])
    path = f"/project/pbsynctest/{page}" + (f"/{task['id']}" if page == "task" else "")
    resp = anon.get(path)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "text/html; charset=utf-8"
    text = resp.text
    assert '<link rel="stylesheet" type="text/css" href="/static/css/bootstrap.min.css">' in text
    assert body_scripts(text) == SCRIPTS
    # the container, its heading, then the presenter as is, then the locale PYBOSSA pages carry
    container = text.split('<div class="container">', 1)[1]
    heading = re.search(r"<h1><a href=\"([^\"]+)\">(.*?)</a>: Contribute</h1>", container)
    assert heading is not None
    assert heading.groups() == ("/project/pbsynctest/", "A &lt;i&gt;name&lt;/i&gt;")
    assert container.index(heading.group(0)) < container.index(PRESENTER)
    assert container.index(PRESENTER) < container.index("id='PYBOSSA_USER_LOCALE'")
    # every script the presenter needs comes before it
    assert text.rindex(SCRIPTS[-1]) < text.index(PRESENTER)


@pytest.mark.local_only
def test_page_watches_its_presenter_and_shows_the_error(admin_local: Api, anon: Api) -> None:
    make_project(admin_local)
    page = anon.get("/project/pbsynctest/newtask").text
    head = page.split("</head>", 1)[0]
    # in <head>, deferred: it runs even when the presenter's markup is broken
    assert '<script src="/_pbsync/preview/preview.js" defer' in head
    assert f'data-hash="{sha(PRESENTER)}"' in head
    assert 'data-state="/_pbsync/preview/pbsynctest/state" data-watch="presenter"' in head
    assert '<div id="pbsync-preview-error" role="alert" hidden>' in page
    admin_local.ok("POST", "/_pbsync/preview/pbsynctest/status", json={"error": "x <b>1</b>"})
    page = anon.get("/project/pbsynctest/newtask").text
    # first in <body>, before the presenter can break anything
    banner = '<div id="pbsync-preview-error" role="alert"><strong>'
    assert page.split("<body>", 1)[1].lstrip().startswith(banner)
    assert "x &lt;b&gt;1&lt;/b&gt;" in page
    tutorial = anon.get("/project/pbsynctest/tutorial").text
    assert f'data-watch="tutorial" data-hash="{sha(TUTORIAL)}"' in tutorial


@pytest.mark.local_only
def test_task_page_hands_the_task_out(
    admin_local: Api, anon: Api, local_server: LocalServer
) -> None:
    project = make_project(admin_local)
    first, second = admin_local.task(project["id"]), admin_local.task(project["id"])
    body = {"project_id": project["id"], "task_id": second["id"], "info": {"a": 1}}
    assert anon.post("/api/taskrun", json=body).status_code == 403  # not handed out yet
    assert anon.get(f"/project/pbsynctest/task/{second['id']}").status_code == 200
    run = anon.post("/api/taskrun", json=body)
    assert run.status_code == 200, run.text
    assert (run.json()["user_id"], run.json()["user_ip"]) == (None, anonymous_ip(local_server))
    assert first["id"] != second["id"]


@pytest.mark.local_only
def test_pages_of_unknown_projects_and_tasks_are_404(admin_local: Api, anon: Api) -> None:
    project = make_project(admin_local)
    other = admin_local.project("pbsynctest-other")
    foreign = admin_local.task(other["id"])
    for path in (
        "/project/nope/newtask",
        "/project/nope/",
        "/project/nope/tutorial",
        "/project/nope/results",
        "/project/pbsynctest/task/999",
        f"/project/pbsynctest/task/{foreign['id']}",
        "/project/pbsynctest/task/abc",
    ):
        resp = anon.get(path)
        assert resp.status_code == 404, path
        assert resp.headers["Content-Type"].startswith("text/html")
    assert project["short_name"] == "pbsynctest"


@pytest.mark.local_only
def test_drafts_are_previewed_with_warnings(admin_local: Api, anon: Api) -> None:
    admin_local.project("pbsynctest", allow_anonymous_contributors=False)
    page = anon.get("/project/pbsynctest/newtask").text
    assert "does not have a task presenter" in page
    assert "does not allow anonymous contributors" in page


# -- the other pages ----------------------------------------------------------------------------


@pytest.mark.local_only
def test_index_lists_every_project(admin_local: Api, other: Api, anon: Api) -> None:
    assert 'id="no-projects"' in anon.get("/").text
    make_project(admin_local, "pbsynctest-a", name="First & one")
    other.project("pbsynctest-b")  # another user's draft is listed too
    page = anon.get("/").text
    assert "First &amp; one" in page
    for short_name in ("pbsynctest-a", "pbsynctest-b"):
        assert f'href="/project/{short_name}/newtask"' in page
        assert f'href="/project/{short_name}/"' in page


@pytest.mark.local_only
def test_project_page(admin_local: Api, anon: Api) -> None:
    long_description = "# About\n<script>alert(1)</script>"
    project = make_project(
        admin_local, description="Find <faces>", long_description=long_description
    )
    task = admin_local.task(project["id"], n_answers=1)
    admin_local.task(project["id"])
    anon.ok("GET", f"/api/project/{project['id']}/newtask")
    answer = {"project_id": project["id"], "task_id": task["id"], "info": "yes"}
    anon.ok("POST", "/api/taskrun", json=answer)
    page = anon.get("/project/pbsynctest/").text
    assert "Find &lt;faces&gt;" in page
    assert "# About\n&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)</script>" not in page
    assert re.search(r'id="done">1</span> of <span id="total">2</span>', page)
    for target in ("newtask", "tutorial", "results"):
        assert f'href="/project/pbsynctest/{target}"' in page


@pytest.mark.local_only
def test_tutorial_and_results_pages(admin_local: Api, anon: Api) -> None:
    project = make_project(admin_local)
    tutorial = anon.get("/project/pbsynctest/tutorial").text
    assert TUTORIAL in tutorial
    assert 'href="/project/pbsynctest/newtask"' in tutorial
    assert body_scripts(tutorial) == SCRIPTS
    assert 'id="noresult"' in anon.get("/project/pbsynctest/results").text
    info = {"task_presenter": PRESENTER, "results": "<div id='chart'></div>"}
    admin_local.ok("PUT", f"/api/project/{project['id']}", json={"info": info})
    assert "<div id='chart'></div>" in anon.get("/project/pbsynctest/results").text


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
def test_anonymous_newtask_and_taskrun_flow(
    admin_local: Api, anon: Api, local_server: LocalServer
) -> None:
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
        assert (run["user_id"], run["user_ip"]) == (None, anonymous_ip(local_server))
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


def anonymous_ip(server: LocalServer) -> str:
    """What the server stores as 127.0.0.1's address (anonymised, as PYBOSSA does)."""
    return workflow.anonymised_ip(server.store, "127.0.0.1")
