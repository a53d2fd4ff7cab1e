"""Web (non-API) endpoints: publishing a project (with its CSRF dance) and serving uploads."""

from __future__ import annotations

import hashlib
import hmac
import io
import logging
from urllib.parse import quote

from flask import Blueprint, Response, abort, redirect, request, send_file
from flask.typing import ResponseReturnValue

from pbsync.server import present, schema, workflow
from pbsync.server.context import caller, json_response, state

log = logging.getLogger(__name__)

bp = Blueprint("web", __name__)

PUBLISHED_FLASH = "Project published! Volunteers will now be able to help you!"
NOT_READY_FLASH = "You must add a task presenter and at least one task before publishing."


def csrf_token(user_id: int) -> str:
    """Return the CSRF token of a user's session (stable for the server's database)."""
    secret = (state().store.setting("secret") or "").encode()
    return hmac.new(secret, f"csrf:{user_id}".encode(), hashlib.sha256).hexdigest()


def _web_error(code: int, description: str) -> Response:
    body = {"code": code, "description": description, "template": f"{code}.html"}
    return json_response(body, code)


@bp.route("/project/<short_name>/publish", methods=["GET", "POST"])
def publish(short_name: str) -> ResponseReturnValue:
    """GET: the page (JSON with `csrf` for a JSON request); POST: publish the project.

    Publishing needs a task presenter and at least one task, deletes the project's task runs and
    results, and sets `published`.
    """
    who = caller()
    if who.id is None:
        # flask-login's login_required, before the project is even looked up
        target = "/account/signin?next=" + quote(request.path, safe="")
        return redirect(request.host_url.rstrip("/") + target, code=302)
    store = state().store
    found = store.select(schema.PROJECT, "short_name = ?", (short_name,))
    if not found:
        return _web_error(404, "Project not found.")
    project = found[0]
    if not who.may_write(project):
        return _web_error(403, "You are not an owner of this project.")
    token = csrf_token(who.id)
    n_tasks = store.query("SELECT COUNT(*) FROM task WHERE project_id = ?", (project["id"],))[0][0]
    info = project["info"] if isinstance(project.get("info"), dict) else {}
    ready = bool(info.get("task_presenter")) and n_tasks > 0
    # PYBOSSA checks the CSRF token before any view, then may('publish') for GET and POST alike
    if request.method == "POST":
        sent = request.headers.get("X-CSRFToken") or request.form.get("csrf_token") or ""
        if not hmac.compare_digest(sent, token):
            return _web_error(400, "The CSRF token is missing or invalid.")
    if not ready:
        return _web_error(403, NOT_READY_FLASH)
    if request.method == "GET":
        body = {
            "template": "/projects/publish.html",
            "project": present.public_project(project),
            "csrf": token,
        }
        return json_response(body)
    workflow.clear_contributions(store, project["id"])
    store.update(schema.PROJECT, project["id"], {"published": True})
    return json_response(
        {"status": "success", "flash": PUBLISHED_FLASH, "next": f"/project/{short_name}/"}
    )


@bp.route("/uploads/<container>/<name>", methods=["GET"])
def uploaded(container: str, name: str) -> Response:
    """Serve a stored upload (404 for anything else, including files never stored)."""
    path = state().uploads.path(container, name)
    if path is None or not path.is_file():
        abort(404)
    # sent from memory (uploads are at most 16 MB): waitress never closes a file it was handed
    # when the client has gone before the answer starts, which leaks an open file
    resp = send_file(io.BytesIO(path.read_bytes()), download_name=path.name, max_age=0)
    resp.headers["Access-Control-Allow-Origin"] = "*"
    return resp
