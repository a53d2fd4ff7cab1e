"""The preview's live side: change detection for live reload, and the watch's sync status.

Routes (never rate limited nor counted: `/_pbsync/` paths bypass the fault/stats middleware, and
these views are not `api_view`s):
- `GET /_pbsync/preview` -> `{"preview": true}`: tells a client this server has the preview.
- `GET /_pbsync/preview/<short_name>/state` -> `{"presenter": sha256 hex of info.task_presenter,
  "tutorial": sha256 hex of info.tutorial, "error": the watch's last error or null}`; 404 for an
  unknown project.
- `POST /_pbsync/preview/<short_name>/status` with `{"error": "one line" | null}` -> 204. The key of
  an owner or an admin, as the API takes it (`Authorization` header or `?api_key=`); 401
  anonymous (or a wrong key), 403 anyone else, 404 unknown project, 400 for another body. Kept
  in memory per project: a restarted server starts with no errors.
- `GET /_pbsync/preview/<short_name>/project` -> the project as anonymous callers see it, drafts
  included: pybossa.js asks it when `GET /api/project?short_name=` (anonymous lists show
  published projects only) finds nothing, because the local preview shows every project.

Why the page polls `state` (every 300 ms, 2 s in a background tab) instead of listening to
server-sent events:
- waitress serves every request from a fixed pool of `runner.THREADS` (8) threads. An event
  stream holds one for its whole life, so a few open preview tabs would take the threads that a
  push's 8 upload workers need, and `LocalServer.stop()` would wait for them. Bounding each
  stream's life (say 20 s) limits the damage, it does not remove it.
- Browsers allow 6 HTTP/1.1 connections per host across all tabs; each stream holds one, so a
  seventh preview tab, and the page's own API calls, would wait.
- Nothing in the server announces a change: the store is written by API views and, in tests and
  the embedded target, in-process. An event stream would itself poll the store.
- A poll costs one SQLite read and a hash on a kept-alive connection, holds no thread between
  polls, and survives a server restart (the next poll simply succeeds). The page reloads about
  0.3 s after a PUT of the presenter (measured in Chromium), well under a second.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from typing import Any

from flask import Blueprint, Response, abort, request

from pbsync.server import present, schema
from pbsync.server.context import caller, code_response, json_response, state
from pbsync.server.store import Row

log = logging.getLogger(__name__)

bp = Blueprint("preview_live", __name__)

#: longer errors are cut: the banner shows one line
MAX_ERROR_CHARS = 1000
#: what a page may watch to reload -> the info key holding it
WATCHED = {"presenter": "task_presenter", "tutorial": "tutorial"}


class WatchStatus:
    """The watch's last sync error per project, in memory; thread-safe.

    An entry belongs to a project row (its id and creation time), so a project deleted and made
    again under the same id (ids restart after a reset) does not inherit an old error.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._errors: dict[int, tuple[str, str]] = {}

    def set(self, project: Row, error: str | None) -> None:
        """Record `error` for `project` (None clears it)."""
        with self._lock:
            if error is None:
                self._errors.pop(project["id"], None)
            else:
                self._errors[project["id"]] = (str(project.get("created")), error)

    def get(self, project: Row) -> str | None:
        """Return the error recorded for `project`, or None."""
        with self._lock:
            found = self._errors.get(project["id"])
        if found is None or found[0] != str(project.get("created")):
            return None
        return found[1]

    def clear(self) -> None:
        """Forget every error."""
        with self._lock:
            self._errors.clear()


def find_project(short_name: str) -> Row | None:
    """Return the project named `short_name`, published or not."""
    found = state().store.select(schema.PROJECT, "short_name = ?", (short_name,))
    return found[0] if found else None


def info_text(project: Row, key: str) -> str:
    """Return a text of the project's info (the presenter, the tutorial ...), "" when unset."""
    info = project.get("info")
    value = info.get(key) if isinstance(info, dict) else None
    return value if isinstance(value, str) else ""


def text_hash(text: str) -> str:
    """Return the sha256 hex digest of a text (what the page compares to reload)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def project_state(project: Row) -> dict[str, Any]:
    """Return what the preview page polls for."""
    found: dict[str, Any] = {
        name: text_hash(info_text(project, key)) for name, key in WATCHED.items()
    }
    found["error"] = state().preview.get(project)
    return found


def _no_store(resp: Response) -> Response:
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/_pbsync/preview", methods=["GET"])
def capability() -> Response:
    """Tell a client that this server has the preview."""
    return json_response({"preview": True})


@bp.route("/_pbsync/preview/<short_name>/state", methods=["GET"])
def project_state_view(short_name: str) -> Response:
    """The hashes the page watches and the watch's error."""
    project = find_project(short_name)
    if project is None:
        return _no_store(code_response(404, "Project not found."))
    return _no_store(json_response(project_state(project)))


@bp.route("/_pbsync/preview/<short_name>/project", methods=["GET"])
def project_view(short_name: str) -> Response:
    """The project as anonymous callers see it, published or not (pybossa.js's fallback)."""
    project = find_project(short_name)
    if project is None:
        abort(404)
    return json_response(present.public_project(project))


def _error_of(body: Any) -> tuple[bool, str | None]:
    """Return (valid, error) from a status body."""
    if not isinstance(body, dict) or "error" not in body:
        return False, None
    error = body["error"]
    if error is None:
        return True, None
    if not isinstance(error, str):
        return False, None
    error = error.strip()
    if len(error) > MAX_ERROR_CHARS:
        error = error[: MAX_ERROR_CHARS - 1] + "…"
    return True, error or None


@bp.route("/_pbsync/preview/<short_name>/status", methods=["POST"])
def set_status(short_name: str) -> Response:
    """Record (or clear, with null) the watch's last sync error for a project."""
    who = caller()
    if who.id is None:
        return code_response(401, "An API key of the project's owner or an admin is required.")
    project = find_project(short_name)
    if project is None:
        return code_response(404, "Project not found.")
    if not who.may_write(project):
        return code_response(403, "Only the project's owners and admins may set its status.")
    valid, error = _error_of(request.get_json(silent=True))
    if not valid:
        return code_response(400, 'The body must be {"error": "one line"} or {"error": null}.')
    state().preview.set(project, error)
    log.debug("watch status of %s: %s", short_name, error)
    return Response(status=204)
