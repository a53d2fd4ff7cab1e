"""The presenter preview: PYBOSSA's web pages for a project, rendered by the local server.

The page at `/project/<short_name>/newtask` (also `/presenter`, and `/task/<id>` for one task) is
built like PYBOSSA 4.0.2's default theme builds it: Bootstrap 3 CSS, then jQuery, Bootstrap's JS
and pybossa.js at the theme's static paths (see `assets`), then
`<div class="container">` with an `<h1>` linking the project and ": Contribute", then
`info.task_presenter` as is, unescaped. Presenters therefore run unchanged, links they build
included. `/project/<short_name>/tutorial` and `/results` show `info.tutorial` and `info.results`
the same way; `/project/<short_name>/` and `/` are simple overviews.

PYBOSSA shows a draft (unpublished) project's pages to its owners only. The preview is a local
development tool whose visitor is the developer, who has no session here: every project is shown
to everyone, and the page runs anonymously, as a volunteer without an account would.

Every page of a project polls the preview's state (`preview_live`, from `static/preview.js`): the
presenter pages reload when `info.task_presenter` changes, the tutorial when `info.tutorial`
does, and all show the watch's last sync error in a red banner, first in the body.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, abort, render_template, url_for

from pbsync.server import schema, workflow
from pbsync.server.context import caller, state
from pbsync.server.preview_live import WATCHED, find_project, info_text, text_hash
from pbsync.server.store import Row

log = logging.getLogger(__name__)

bp = Blueprint("preview", __name__, template_folder="templates")

NO_PRESENTER = (
    "Sorry, but this project is still a draft and does not have a task presenter "
    "(info.task_presenter)."
)
NO_ANONYMOUS = (
    "This project does not allow anonymous contributors, and the preview runs without an "
    "account: the server will refuse it tasks (401). Set allow_anonymous_contributors to preview."
)


def _page(template: str, status: int = 200, **context: Any) -> Response:
    resp = Response(render_template(template, **context), status=status, mimetype="text/html")
    # a reload must show the presenter as it is now
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _project_or_404(short_name: str) -> Row:
    project = find_project(short_name)
    if project is None:
        abort(404)
    return project


def _live(project: Row, watch: str = "") -> dict[str, Any]:
    """What preview.js needs: where to poll, which text to watch and its hash as rendered."""
    return {
        "state_url": url_for("preview_live.project_state_view", short_name=project["short_name"]),
        "watch": watch,
        "hash": text_hash(info_text(project, WATCHED[watch])) if watch else "",
        "error": state().preview.get(project),
    }


def _progress(project_id: int) -> dict[str, int]:
    stats = workflow.project_stats(state().store, project_id)
    total, done = stats["n_tasks"], stats["n_completed_tasks"]
    return {
        "done": done,
        "total": total,
        "runs": stats["n_task_runs"],
        "percent": done * 100 // total if total else 0,
    }


def _presenter_page(project: Row) -> Response:
    notices = []
    if not info_text(project, "task_presenter"):
        notices.append(NO_PRESENTER)
    if project.get("allow_anonymous_contributors") is False:
        notices.append(NO_ANONYMOUS)
    return _page(
        "presenter.html",
        title=f"{project['name']}: Contribute",
        project=project,
        presenter=info_text(project, "task_presenter"),
        notices=notices,
        live=_live(project, "presenter"),
    )


@bp.route("/", methods=["GET"])
def index() -> Response:
    """The projects on this server (drafts too), with links to their preview."""
    rows = state().store.query(
        "SELECT p.id, p.short_name, p.name, p.description, p.published,"
        " (SELECT COUNT(*) FROM task t WHERE t.project_id = p.id) AS n_tasks,"
        " (SELECT COUNT(*) FROM task t WHERE t.project_id = p.id AND t.state = 'completed')"
        " AS n_completed FROM project p ORDER BY p.id"
    )
    return _page("index.html", title="Projects", projects=[dict(r) for r in rows])


@bp.route("/project/<short_name>/", methods=["GET"])
def project_page(short_name: str) -> Response:
    """A project's overview: description, long description, progress and its pages."""
    project = _project_or_404(short_name)
    return _page(
        "project.html",
        title=project["name"],
        project=project,
        progress=_progress(project["id"]),
        live=_live(project),
    )


# as in PYBOSSA, newtask registered first: url_for (links, the tutorial's start button) builds it
@bp.route("/project/<short_name>/presenter", methods=["GET"])
@bp.route("/project/<short_name>/newtask", methods=["GET"])
def presenter(short_name: str) -> Response:
    """The task presenter in PYBOSSA's page; pybossa.js asks newtask for the tasks."""
    return _presenter_page(_project_or_404(short_name))


@bp.route("/project/<short_name>/task/<int:task_id>", methods=["GET"])
def task_presenter(short_name: str, task_id: int) -> Response:
    """The task presenter on one task (the URL pybossa.js moves to for each task it shows)."""
    project = _project_or_404(short_name)
    store = state().store
    task = store.get(schema.TASK, task_id)
    if task is None or task["project_id"] != project["id"]:
        abort(404)
    # as PYBOSSA's page does: opening a task's page hands it to the visitor, so an answer to it
    # is accepted without a newtask first
    workflow.hand_out(store, [task_id], caller())
    return _presenter_page(project)


@bp.route("/project/<short_name>/tutorial", methods=["GET"])
def tutorial(short_name: str) -> Response:
    """The project's tutorial (`info.tutorial`), then a button to start contributing."""
    project = _project_or_404(short_name)
    return _page(
        "tutorial.html",
        title=f"{project['name']}: Tutorial",
        project=project,
        tutorial=info_text(project, "tutorial"),
        live=_live(project, "tutorial"),
    )


@bp.route("/project/<short_name>/results", methods=["GET"])
def results(short_name: str) -> Response:
    """The project's results page (`info.results`)."""
    project = _project_or_404(short_name)
    n_results = state().store.query(
        "SELECT COUNT(*) FROM result WHERE project_id = ?", (project["id"],)
    )[0][0]
    return _page(
        "results.html",
        title=f"{project['name']}: Results",
        project=project,
        results=info_text(project, "results"),
        n_results=n_results,
        live=_live(project),
    )
