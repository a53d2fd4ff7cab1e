"""The PYBOSSA REST views: `/api/<resource>[/<id>]`, newtask, userprogress, globalstats."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, request

from pbsync.server import present, rules, schema, uploads, validation, workflow
from pbsync.server.context import (
    Caller,
    api_view,
    base_url,
    caller,
    is_multipart,
    json_body,
    json_response,
    state,
)
from pbsync.server.errors import ApiError, unauthorized_or_forbidden
from pbsync.server.listing import check_args, fuzzy_bool, list_rows
from pbsync.server.schema import RESOURCES, Resource
from pbsync.server.store import Row, Store

log = logging.getLogger(__name__)

bp = Blueprint("api", __name__)

_NAMES = ", ".join(RESOURCES)
#: arguments a write accepts in its query string besides columns
WRITE_ARGS = frozenset({"api_key"})
#: what PYBOSSA 4.0.2 (SQLAlchemy 1.4) says when a DELETE's row went away since its lookup
UNMAPPED_NONE = "Class 'builtins.NoneType' is not mapped"


@bp.route(f"/api/<any({_NAMES}):resource>", methods=["GET", "POST"])
@bp.route(f"/api/<any({_NAMES}):resource>/<int:oid>", methods=["GET", "PUT", "DELETE"])
@api_view()
def resource_view(resource: str, oid: int | None = None) -> Response:
    """One view for a resource's list and items, so they share a rate-limit bucket as in PYBOSSA."""
    res = RESOURCES[resource]
    if request.method in ("GET", "HEAD"):  # Flask answers HEAD with the GET view
        return _get_list(res) if oid is None else _get_one(res, oid)
    if request.method == "POST":
        return _post(res)
    assert oid is not None
    if request.method == "PUT":
        return _put(res, oid)
    return _delete(res, oid)


def _decorate(res: Resource, row: Row, who: Caller, base: str) -> dict[str, Any]:
    obj = present.view(res, row, who)
    store = state().store
    if res.name == "project" and fuzzy_bool(request.args.get("stats")):
        obj["stats"] = workflow.project_stats(store, row["id"])
    if res.name == "task" and fuzzy_bool(request.args.get("related")):
        obj.update(workflow.related(store, row))
    return present.with_links(res, obj, row, base)


def _get_list(res: Resource) -> Response:
    who = caller()
    rows = list_rows(state().store, res, request.args, who)
    base = base_url()
    return json_response([_decorate(res, row, who, base) for row in rows])


def _get_one(res: Resource, oid: int) -> Response:
    # PYBOSSA reads no filter of a one-object GET, so unknown arguments pass, among them the
    # `_=<timestamp>` that jQuery's `cache: false` adds (pybossa.js reads tasks that way)
    who = caller()
    row = state().store.get(res, oid)
    if row is None:
        raise ApiError("NotFound")
    if res.name == "project" and not row["published"] and not who.may_write(row):
        raise unauthorized_or_forbidden(who.id)
    return json_response(_decorate(res, row, who, base_url()))


def _accepts_upload(res: Resource) -> bool:
    return res.name in uploads.UPLOAD_RESOURCES and is_multipart()


def _body(multipart: bool, *, creating: bool) -> dict[str, Any]:
    if multipart:
        return uploads.form_body(require_project=creating)
    return json_body()


def _attach_file(
    res: Resource, values: dict[str, Any], who: Caller, project_id: Any
) -> dict[str, Any]:
    container = f"user_{who.id}" if who.id is not None else "anonymous"
    if who.admin and res.name != "taskrun":
        # PYBOSSA files an admin's upload under the project's owner
        owner = rules.project_of(state().store, project_id).get("owner_id")
        container = f"user_{owner}" if owner is not None else container
    taskrun = res.name == "taskrun"
    return uploads.attach(state().uploads, container, values, taskrun=taskrun)


def _post(res: Resource) -> Response:
    check_args(res, request.args, WRITE_ARGS)
    if res.name == "user":
        raise ApiError("MethodNotAllowed", "The method is not allowed for the requested URL.")
    who = caller()
    store = state().store
    multipart = _accepts_upload(res)
    body = validation.check_keys(res, _body(multipart, creating=True))
    if res.name == "taskrun":
        values = workflow.prepare_taskrun(store, validation.check_values(res, body), who)
    else:
        values = rules.prepare_create(store, res, body, who)
    if multipart:
        values = _attach_file(res, values, who, values.get("project_id"))
    if res.name == "taskrun":
        row = workflow.record_taskrun(store, values, who)
    else:
        row = store.insert(res, values)
    return json_response(present.view(res, row, who))


def _writable_row(res: Resource, oid: int, action: str) -> tuple[Store, Row, Caller]:
    """The row a PUT or DELETE targets, once the caller may write it (404/401/403 otherwise)."""
    check_args(res, request.args, WRITE_ARGS)
    who = caller()
    store = state().store
    row = store.get(res, oid)
    if row is None:
        raise ApiError("NotFound")
    rules.authorize(store, res, row, who, action)
    return store, row, who


def _put(res: Resource, oid: int) -> Response:
    store, row, who = _writable_row(res, oid, "update")
    multipart = _accepts_upload(res)
    body = validation.check_keys(res, _body(multipart, creating=False))
    values = rules.prepare_update(store, res, row, body, who)
    if multipart and "file" in request.files:
        # PYBOSSA's PUT with a file sets only the file's media_url, container and file_name:
        # the form's other fields (info, priority ...) are checked, then ignored
        project_id = values.get("project_id", row.get("project_id"))
        values = _attach_file(res, {"info": row.get("info")}, who, project_id)
    return json_response(present.view(res, store.update(res, oid, values), who))


def _delete(res: Resource, oid: int) -> Response:
    store, row, _who = _writable_row(res, oid, "delete")
    state().faults.pause_point("DELETE", request.path)  # a test may stage a race here
    if not store.delete(res, oid) and res.name != "category":
        # deleted by another request since the lookup: PYBOSSA's repositories load the row
        # again to delete it, get None, and SQLAlchemy's session.delete(None) raises (a 500).
        # A category is deleted by a query, which deletes nothing and answers 204
        raise ApiError("UnmappedInstanceError", UNMAPPED_NONE)
    if res.name in uploads.UPLOAD_RESOURCES:
        # as PYBOSSA's _file_delete: the file the info names goes too, even when another
        # object's info names the same file (uploads are stored by user and file name)
        uploads.detach(state().uploads, row.get("info"))
    return Response(status=204)


def _project_by_id_or_name(key: str) -> Row:
    store = state().store
    numeric = key.isascii() and key.isdigit()  # "²".isdigit() is True but int("²") fails
    row = store.get(schema.PROJECT, int(key)) if numeric else None
    if row is None and not numeric:
        found = store.select(schema.PROJECT, "short_name = ?", (key,))
        row = found[0] if found else None
    if row is None:
        raise ApiError("NotFound")
    return row


@bp.route("/api/project/<int:project_id>/newtask", methods=["GET"])
@api_view("project")
def new_task(project_id: int) -> Response:
    """Hand the caller the next task(s) to answer: one object, a list when limit > 1, {} if none."""
    store = state().store
    project = store.get(schema.PROJECT, project_id)
    if project is None:
        raise ApiError("NotFound")
    who = caller()
    tasks = workflow.new_tasks(store, project, who, request.args)
    # PYBOSSA hands tasks out as plain dicts: no `link`/`links`, unlike a GET of the task
    objs = [dict(t) for t in tasks]
    if not objs:
        return json_response({})
    if len(objs) == 1:
        return json_response(objs[0])
    return json_response(objs)


@bp.route("/api/project/<key>/userprogress", methods=["GET"])
@api_view("project")
def user_progress(key: str) -> Response:
    """Return `{"done", "total"}` for the caller in a project (by id or short_name)."""
    project = _project_by_id_or_name(key)
    return json_response(workflow.user_progress(state().store, project, caller()))


@bp.route("/api/globalstats", methods=["GET"])
@api_view("globalstats")
def global_stats() -> Response:
    """Return site-wide counts in PYBOSSA's shape (its figures come from caches; these are live)."""
    store = state().store

    def count(sql: str) -> int:
        return int(store.query(sql)[0][0])

    n_tasks, n_runs = count("SELECT COUNT(*) FROM task"), count("SELECT COUNT(*) FROM taskrun")
    anonymous = "SELECT COUNT(DISTINCT user_ip) FROM taskrun WHERE user_id IS NULL"
    # per category: published projects, only for categories that have one; then featured, draft
    used = store.query(
        "SELECT c.short_name, COUNT(*) FROM category c JOIN project p ON p.category_id = c.id"
        " WHERE p.published = 1 GROUP BY c.id ORDER BY c.id"
    )
    categories = [{str(name): int(n)} for name, n in used]
    categories.append({"featured": count("SELECT COUNT(*) FROM project WHERE featured = 1")})
    categories.append({"draft": count("SELECT COUNT(*) FROM project WHERE published = 0")})
    return json_response(
        {
            "n_projects": count("SELECT COUNT(*) FROM project"),
            "n_users": count("SELECT COUNT(*) FROM user") + count(anonymous),
            "n_tasks": n_tasks,
            "n_task_runs": n_runs,
            # PYBOSSA's own arithmetic: tasks minus task runs, negative once tasks get answers
            "n_pending_tasks": n_tasks - n_runs,
            "n_results": count("SELECT COUNT(*) FROM result"),
            "categories": categories,
        }
    )
