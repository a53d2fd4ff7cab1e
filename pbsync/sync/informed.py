"""A plan whose deletions know what the server lets this caller delete: push and watch share it.

`make_plan` is pure and decides from what the fetch read. A fetch lists tasks without their runs
(counting them for every task would cost a request per task), and nothing in it says whether the
key is an admin's or which tasks have a result. Those answers matter only for the tasks a plan
would delete, so they are asked after a first plan and only for those tasks, then the plan is
made again:

1. task runs (`RemoteProject.count_task_runs`) for the tasks a prune or dedupe would delete: a
   task with runs is blocked (volunteers' answers) unless `force`;
2. with `prune`, when answered tasks are about to be deleted or are held back for their runs:
   whether the key is an admin's (one request), then which of them have a result. PYBOSSA 4.0.2
   answers 403 when a non-admin owner deletes a task with a result (`--force` or not), and an
   admin's delete takes the result with it: the planner blocks the first with the reason and
   notes the second, before any write.
"""

from __future__ import annotations

import logging
from typing import Any

from pbclient.client import Client
from pbsync.model import ProjectState
from pbsync.sync.actions import Caller, DeleteTask, Plan
from pbsync.sync.planner import make_plan
from pbsync.sync.remote import RemoteProject

__all__ = ["caller_of", "informed_plan"]

log = logging.getLogger(__name__)


def informed_plan(
    client: Client,
    local: ProjectState,
    remote: ProjectState | None,
    *,
    prune: bool = False,
    force: bool = False,
    **options: Any,
) -> Plan:
    """`make_plan(local, remote, ...)`, after asking what its deletions depend on.

    Args:
        client: the client the plan will be applied with (its key decides what may be deleted).
        local: the folder's state.
        remote: the server's state as fetched (None: the project does not exist).
        prune: as `make_plan`.
        force: as `make_plan`.
        **options: the other `make_plan` arguments (`previous`, `dedupe`, `unfinished`).

    Raises:
        pbclient.errors.PybossaError: a read failed.
    """
    options = {"prune": prune, "force": force, **options}
    plan = make_plan(local, remote, **options)
    if remote is None:
        return plan
    unknown = {b.id for b in plan.blocked if b.id is not None} if not force else set()
    unknown |= plan.uncounted
    if unknown:
        # count task runs only for the tasks a prune or dedupe would delete, then plan again
        remote = RemoteProject.count_task_runs(client, remote, unknown)
        plan = make_plan(local, remote, **options)
    if prune:
        caller = caller_of(client, remote, plan)
        if caller is not None:
            plan = make_plan(local, remote, **options, caller=caller)
    return plan


def caller_of(client: Client, remote: ProjectState, plan: Plan) -> Caller | None:
    """What the server lets this key delete, asked only when `plan` deletes answered tasks.

    PYBOSSA lets only an admin delete a task with a result: one request says whether the key is
    an admin's, then the results of the tasks the prune would delete (or holds back for their
    runs) are looked up, unless an admin without `force` (who deletes none of them).

    Returns:
        None when nothing needs asking (no answered task in the way, or an admin without
        `force`).
    """
    answered = {
        a.task.id
        for a in plan.actions
        if isinstance(a, DeleteTask) and a.task.n_task_runs != 0 and a.task.id is not None
    }
    answered |= {b.id for b in plan.blocked if b.id is not None}
    if not answered:
        return None
    admin = RemoteProject.caller_is_admin(client)
    if admin and not plan.force:
        return None
    return Caller(admin, RemoteProject.tasks_with_results(client, remote, answered))
