"""Who may write what, and how a body becomes a stored object (create/update per resource)."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from pbsync.server import schema, validation
from pbsync.server.context import Caller
from pbsync.server.errors import ApiError, unauthorized_or_forbidden
from pbsync.server.schema import Resource
from pbsync.server.store import Row, Store, now_iso

log = logging.getLogger(__name__)


def project_of(store: Store, project_id: Any) -> Row:
    """Return the owners of the project a task or helping material belongs to.

    Returns:
        The project's `id`, `owner_id`, `owners_ids` (what `Caller.may_write` reads).

    Raises:
        ApiError: 415 AttributeError when it does not exist (PYBOSSA fails reading its owner).
    """
    project = store.project_owners(project_id) if isinstance(project_id, int) else None
    if project is None:
        raise ApiError("AttributeError", "'NoneType' object has no attribute 'owner_id'")
    return project


def authorize(store: Store, res: Resource, row: Row, who: Caller, action: str) -> None:
    """Raise 401/403 unless `who` may `action` ("update"/"delete") the stored `row`."""
    # volunteers' answers are protected as in PYBOSSA's auth classes: a project with a result,
    # a task run a result counts and a result itself cannot be deleted, by anyone; a task with a
    # result only by an admin (which takes its runs and result along)
    if res.name == "category":
        allowed = who.admin
    elif res.name == "project":
        allowed = who.may_write(row) and not (action == "delete" and _has_result(store, row))
    elif res.name == "taskrun":
        owned = who.admin or (who.id is not None and row.get("user_id") == who.id)
        allowed = owned and not _in_a_result(store, row)
    elif res.name == "result" and action == "delete":
        allowed = False
    elif res.name == "user":
        raise ApiError("MethodNotAllowed", "The method is not allowed for the requested URL.")
    elif res.name == "task" and action == "delete" and who.admin:
        allowed = True
    else:
        project = store.project_owners(row["project_id"])
        allowed = project is not None and who.may_write(project)
        if res.name == "task" and action == "delete":
            allowed = allowed and not _task_has_result(store, row)
    if not allowed:
        raise unauthorized_or_forbidden(who.id)


def _has_result(store: Store, project: Row) -> bool:
    return bool(store.query("SELECT 1 FROM result WHERE project_id = ? LIMIT 1", (project["id"],)))


def _task_has_result(store: Store, task: Row) -> bool:
    return bool(store.query("SELECT 1 FROM result WHERE task_id = ? LIMIT 1", (task["id"],)))


def _in_a_result(store: Store, run: Row) -> bool:
    # PYBOSSA reads the first result of the run's task (result_repo.get_by) and checks its ids
    results = store.select(schema.RESULT, "task_id = ? ORDER BY id LIMIT 1", (run["task_id"],))
    return bool(results) and run["id"] in (results[0].get("task_run_ids") or [])


def _owners(value: Any, owner: int) -> list[int]:
    if value is None:
        return [owner]
    if not isinstance(value, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    ):
        raise ApiError("DataError", "(psycopg2.errors.InvalidTextRepresentation) malformed array")
    if any(abs(v) > validation.INT_MAX for v in value):
        raise ApiError("DataError", "(psycopg2.errors.NumericValueOutOfRange) integer out of range")
    return value if owner in value else [owner, *value]


def _category_exists(store: Store, category_id: Any) -> bool:
    return store.get(schema.CATEGORY, category_id) is not None


def prepare_create(
    store: Store, res: Resource, body: dict[str, Any], who: Caller
) -> dict[str, Any]:
    """Check a POST body (keys already checked) and return the values to insert.

    Raises:
        ApiError: 401/403 for callers who may not create it; 400/415 for invalid values.
    """
    values = validation.check_values(res, body)
    if res.name == "project":
        return _new_project(store, values, who)
    if res.name == "category":
        if not who.admin:
            raise unauthorized_or_forbidden(who.id)
    elif res.name == "result":
        raise unauthorized_or_forbidden(who.id)
    else:
        project = project_of(store, values.get("project_id"))
        if not who.may_write(project):
            raise unauthorized_or_forbidden(who.id)
    return {**res.defaults, **values, "created": now_iso()}


def _new_project(store: Store, values: dict[str, Any], who: Caller) -> dict[str, Any]:
    if who.id is None:
        raise unauthorized_or_forbidden(None)
    validation.check_short_name(values.get("short_name"))
    validation.check_short_name(values.get("name"))
    if values.get("category_id") is None:
        first = store.query("SELECT id FROM category ORDER BY id LIMIT 1")
        values["category_id"] = first[0][0] if first else None
    elif not _category_exists(store, values["category_id"]):
        raise ApiError("BadRequest", "category_id does not exist")
    now = now_iso()
    values["owners_ids"] = _owners(values.get("owners_ids"), who.id)
    values.update(owner_id=who.id, created=now, updated=now, secret_key=str(uuid.uuid4()))
    return {**schema.PROJECT.defaults, **values}


def prepare_update(
    store: Store, res: Resource, row: Row, body: dict[str, Any], who: Caller
) -> dict[str, Any]:
    """Check a PUT body (keys already checked) against the stored `row`; return the new values."""
    values = validation.check_values(res, body)
    if res.name == "project":
        values.pop("owner_id", None)
        validation.check_short_name(values.get("short_name"))
        validation.check_short_name(values.get("name"))
        if "owners_ids" in values:
            values["owners_ids"] = _owners(values["owners_ids"], row["owner_id"])
        values["updated"] = now_iso()
    elif res.name == "taskrun":
        for key in ("user_id", "user_ip", "task_id", "project_id"):
            values.pop(key, None)
    elif "project_id" in values and values["project_id"] != row.get("project_id"):
        # moving an object is allowed only into a project the caller may write too
        target = project_of(store, values["project_id"])
        if not who.may_write(target):
            raise unauthorized_or_forbidden(who.id)
    if res.name == "task" and "n_answers" in values:
        values["state"] = task_state(store, row["id"], values["n_answers"])
    return values


def task_state(store: Store, task_id: int, n_answers: Any) -> str:
    """Return `completed` when a task has at least `n_answers` runs, else `ongoing`."""
    runs = store.query("SELECT COUNT(*) FROM taskrun WHERE task_id = ?", (task_id,))[0][0]
    return "completed" if n_answers is not None and runs >= n_answers else "ongoing"
