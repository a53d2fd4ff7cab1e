"""Contribution flow: newtask hand-outs, task runs, completion and results, progress and stats."""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import Any

from werkzeug.datastructures import MultiDict

from pbsync.server import schema
from pbsync.server.context import Caller
from pbsync.server.errors import ApiError, unauthorized_or_forbidden
from pbsync.server.listing import DEFAULT_LIMIT, MAX_LIMIT, fuzzy_bool
from pbsync.server.store import Row, Store, now_iso

log = logging.getLogger(__name__)

REQUEST_FIRST = "You must request a task first!"


def anonymised_ip(store: Store, ip: str) -> str:
    """Return the IPv4-looking stand-in stored for an anonymous volunteer's IP.

    PYBOSSA stores anonymous task runs' IPs through CryptoPAn under a secret key, never the IP
    itself; this keyed hash does the same job (stable per server, not reversible), without
    CryptoPAn's prefix preservation, which no client can observe.
    """
    secret = (store.setting("secret") or "").encode()
    digest = hmac.new(secret, f"ip:{ip}".encode(), hashlib.sha256).digest()
    return ".".join(str(b) for b in digest[:4])


def _answered_clause(store: Store, who: Caller) -> tuple[str, Any]:
    if who.id is not None:
        return "user_id = ?", who.id
    return "user_id IS NULL AND user_ip = ?", anonymised_ip(store, who.ip)


def new_tasks(store: Store, project: Row, who: Caller, args: MultiDict[str, str]) -> list[Row]:
    """Return the open tasks to hand `who` (not completed, not answered by them) and record them."""
    if who.id is None and project.get("allow_anonymous_contributors") is False:
        raise unauthorized_or_forbidden(None, "This project does not allow anonymous contributors")
    try:
        limit = min(MAX_LIMIT, max(0, int(args.get("limit", 1))))
    except ValueError:
        limit = 1
    try:
        offset = min(max(0, int(args.get("offset", 0))), 2**62)
    except ValueError:
        offset = 0
    column = args.get("orderby") or "id"
    if schema.TASK.column(column) is None:
        column = "id"
    direction = "DESC" if fuzzy_bool(args.get("desc")) else "ASC"
    clause, who_value = _answered_clause(store, who)
    sql = (
        "SELECT * FROM task WHERE project_id = ? AND state != 'completed' AND id NOT IN "
        f'(SELECT task_id FROM taskrun WHERE {clause}) ORDER BY "{column}" {direction}, id '
        "LIMIT ? OFFSET ?"
    )
    with store.transaction():
        rows = store.query(sql, (project["id"], who_value, limit, offset))
        tasks = [store.decode(schema.TASK, r) for r in rows]
        hand_out(store, [t["id"] for t in tasks], who)
    return tasks


def hand_out(store: Store, task_ids: list[int], who: Caller) -> None:
    """Record that tasks were handed to `who`, so that `who` may post a task run for each.

    newtask does it, and so does the page of one task (`/project/<short_name>/task/<id>`).
    """
    with store.transaction() as conn:
        conn.executemany(
            "INSERT OR IGNORE INTO handout (task_id, who) VALUES (?, ?)",
            [(task_id, who.who) for task_id in task_ids],
        )


def prepare_taskrun(store: Store, values: dict[str, Any], who: Caller) -> dict[str, Any]:
    """Check a task run body (keys and values already checked); return the values to insert.

    Raises:
        ApiError: 403 for an unknown task, a project mismatch or a task not handed to `who`.
    """
    task = (
        store.get(schema.TASK, values["task_id"])
        if isinstance(values.get("task_id"), int)
        else None
    )
    if task is None:
        raise ApiError("Forbidden", "Invalid task_id")
    if values.get("project_id") != task["project_id"]:
        raise ApiError("Forbidden", "Invalid project_id")
    project = store.project_owners(task["project_id"])
    if who.id is None and project and project.get("allow_anonymous_contributors") is False:
        raise unauthorized_or_forbidden(None)
    handed = store.query(
        "SELECT 1 FROM handout WHERE task_id = ? AND who = ?", (task["id"], who.who)
    )
    clause, who_value = _answered_clause(store, who)
    answered = store.query(
        f"SELECT 1 FROM taskrun WHERE task_id = ? AND {clause}", (task["id"], who_value)
    )
    if not handed or answered:
        raise ApiError("Forbidden", REQUEST_FIRST)
    now = now_iso()
    return {
        **schema.TASKRUN.defaults,
        **values,
        "user_id": who.id,
        "user_ip": None if who.id is not None else anonymised_ip(store, who.ip),
        "created": now,
        "finish_time": now,
    }


def record_taskrun(store: Store, values: dict[str, Any], who: Caller) -> Row:
    """Insert a task run; complete its task and write the result when it reaches n_answers.

    Raises:
        ApiError: 403 when the hand-out was used up meanwhile (two posts of the same answer at once:
            `prepare_taskrun` saw the hand-out for both, only one may claim it).
    """
    with store.transaction() as conn:
        claimed = conn.execute(
            "DELETE FROM handout WHERE task_id = ? AND who = ?", (values["task_id"], who.who)
        ).rowcount
        if not claimed:
            raise ApiError("Forbidden", REQUEST_FIRST)
        run = store.insert(schema.TASKRUN, values)
        task = store.get(schema.TASK, run["task_id"])
        assert task is not None
        run_ids = [
            r[0]
            for r in store.query(
                "SELECT id FROM taskrun WHERE task_id = ? ORDER BY id", (task["id"],)
            )
        ]
        if task["n_answers"] is not None and len(run_ids) >= task["n_answers"]:
            conn.execute("UPDATE task SET state = 'completed' WHERE id = ?", (task["id"],))
            _write_result(store, task, run_ids)
    return run


def _write_result(store: Store, task: Row, run_ids: list[int]) -> None:
    existing = store.select(schema.RESULT, "task_id = ? AND last_version = 1", (task["id"],))
    if existing:
        store.update(schema.RESULT, existing[0]["id"], {"task_run_ids": run_ids})
        return
    values = {
        "created": now_iso(),
        "project_id": task["project_id"],
        "task_id": task["id"],
        "task_run_ids": run_ids,
        "last_version": True,
        "info": None,
    }
    store.insert(schema.RESULT, values)


def user_progress(store: Store, project: Row, who: Caller) -> dict[str, int]:
    """Return `{"done", "total"}`: runs by `who` in the project and the project's tasks."""
    clause, who_value = _answered_clause(store, who)
    done = store.query(
        f"SELECT COUNT(*) FROM taskrun WHERE project_id = ? AND {clause}",
        (project["id"], who_value),
    )[0][0]
    total = store.query("SELECT COUNT(*) FROM task WHERE project_id = ?", (project["id"],))[0][0]
    return {"done": done, "total": total}


def project_stats(store: Store, project_id: int) -> dict[str, Any]:
    """Return the `stats` object `stats=1` adds to a project."""
    one = store.query(
        "SELECT (SELECT COUNT(*) FROM task WHERE project_id = :p),"
        " (SELECT COUNT(*) FROM task WHERE project_id = :p AND state = 'completed'),"
        " (SELECT COUNT(*) FROM taskrun WHERE project_id = :p),"
        " (SELECT COUNT(*) FROM result WHERE project_id = :p),"
        " (SELECT COUNT(DISTINCT COALESCE('u' || user_id, 'i' || user_ip)) FROM taskrun"
        "  WHERE project_id = :p),"
        " (SELECT MAX(finish_time) FROM taskrun WHERE project_id = :p)",
        {"p": project_id},
    )[0]
    n_tasks, n_completed, n_runs, n_results, n_volunteers, last = tuple(one)
    return {
        "id": project_id,
        "project_id": project_id,
        "n_tasks": n_tasks,
        "n_task_runs": n_runs,
        "n_results": n_results,
        "n_volunteers": n_volunteers,
        "n_completed_tasks": n_completed,
        "overall_progress": (n_completed * 100 // n_tasks) if n_tasks else 0,
        "average_time": 0.0,
        "n_blogposts": 0,
        "last_activity": last,
        "info": {},
    }


def related(store: Store, task: Row) -> dict[str, Any]:
    """Return what `related=1` adds to a task: its task runs and its result."""
    runs = store.select(schema.TASKRUN, "task_id = ? ORDER BY id", (task["id"],))
    results = store.select(schema.RESULT, "task_id = ? ORDER BY id DESC LIMIT 1", (task["id"],))
    return {"task_runs": runs, "result": results[0] if results else None}


def clear_contributions(store: Store, project_id: int) -> None:
    """Delete a project's task runs and results (publishing does).

    As in PYBOSSA, the tasks keep their state: a completed task stays completed with no runs.
    """
    with store.transaction() as conn:
        conn.execute("DELETE FROM result WHERE project_id = ?", (project_id,))
        conn.execute("DELETE FROM taskrun WHERE project_id = ?", (project_id,))
        conn.execute(
            "DELETE FROM handout WHERE task_id IN (SELECT id FROM task WHERE project_id = ?)",
            (project_id,),
        )


__all__ = ["DEFAULT_LIMIT", "new_tasks", "prepare_taskrun", "record_taskrun", "user_progress"]
