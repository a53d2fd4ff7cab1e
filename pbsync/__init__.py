"""pbsync: PYBOSSA projects as code.

The library API, usable without the command line:

    import pbsync
    from pbclient.client import Client

    with Client("https://crowdcrafting.org", api_key) as client:
        plan = pbsync.plan("myproject", client)          # what a push would change
        report = pbsync.push("myproject", client)        # do it
        pbsync.pull(client, "catspotting", "copy")       # write a folder from the server

The package-level functions (`load`, `plan`, `push`, `pull`) are the library API, named like the
commands. The stages live in subpackages: `pbsync.folder` (load), `pbsync.sync` (fetch, plan,
apply, record) and `pbsync.pulling` (pull). No submodule is named like a package-level function:
`import pbsync.plan as m` would then bind the function while `from pbsync.plan import ...` read
the module.

Errors are `pbsync.errors.PbsyncError` subclasses (invalid folder, conflict, unsafe step...) and
`pbclient.errors.PybossaError` subclasses (the server refused, or could not be reached).
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

__version__ = "0.1.0"

# the modules are planner.py and puller.py so that `pbsync.plan` and `pbsync.pull` are only ever
# the library functions below, however they are imported
import pbsync.pulling.run as _pull_module
from pbsync.errors import PbsyncError
from pbsync.pulling.run import PullReport
from pbsync.sync.actions import Plan
from pbsync.sync.apply import Report, Reporter, apply
from pbsync.sync.planner import make_plan
from pbsync.sync.record import STATE_DIR, load_record, record_of, save_record, synced_names
from pbsync.sync.remote import RemoteProject

if TYPE_CHECKING:
    from pbclient.client import Client
    from pbsync.folder.project import LocalProject

__all__ = [
    "Plan",
    "Report",
    "Reporter",
    "__version__",
    "apply",
    "load",
    "make_plan",
    "plan",
    "pull",
    "push",
]

log = logging.getLogger(__name__)

PathLike = str | os.PathLike[str]


def load(folder: PathLike, *, env: str | None = None) -> LocalProject:
    """Read and validate a project folder.

    Raises:
        pbsync.errors.ValidationError: every problem found, at once.
    """
    from pbsync.folder.project import LocalProject

    return LocalProject.load(folder, env=env)


def plan(
    project: PathLike | LocalProject,
    client: Client,
    *,
    prune: bool = False,
    force: bool = False,
    env: str | None = None,
    target: str | None = None,
) -> Plan:
    """What a push of `project` (a folder or a loaded project) to `client`'s server would do.

    Args:
        project: a folder path or a `LocalProject`.
        client: an authenticated client.
        prune: plan deletions of remote-only helping materials and tasks.
        force: plan over conflicts and allow deleting answered tasks.
        env: the `[env.NAME]` overlay to apply when loading a folder.
        target: the server's name in `.pbsync/state.json` (default: the client's endpoint).

    Raises:
        pbsync.errors.ValidationError: the folder is invalid.
        pbclient.errors.PybossaError: the server could not be read.
    """
    local = project if not isinstance(project, str | os.PathLike) else load(project, env=env)
    state = local.state
    short_name = state.project.short_name
    remote = RemoteProject.fetch(client, short_name, tasks=state.tasks is not None, owner=True)
    where = target or client.endpoint
    previous = load_record(local.folder, where, short_name)
    result = make_plan(state, remote, prune=prune, force=force, previous=previous)
    if remote is None:
        result = _note_other_names(result, local.folder, where)
    unknown = {b.id for b in result.blocked if b.id is not None}
    if remote is not None and unknown and not force:
        # count task runs only for the tasks a prune would delete, then plan again
        remote = RemoteProject.count_task_runs(client, remote, unknown)
        result = make_plan(state, remote, prune=prune, force=force, previous=previous)
    return result


def _note_other_names(result: Plan, folder: PathLike, target: str) -> Plan:
    """Say so when a folder synced under another short_name is about to create a new project."""
    others = [n for n in synced_names(os.fspath(folder), target) if n != result.short_name]
    if not others:
        return result
    note = (
        f"this folder was synced with {', '.join(others)} on this server: a new project "
        f"{result.short_name} will be created and the other one kept (PYBOSSA projects are "
        "found by short_name; an [env] overlay does this on purpose)"
    )
    return dataclasses.replace(result, notes=(*result.notes, note))


def push(
    project: PathLike | LocalProject,
    client: Client,
    *,
    prune: bool = False,
    force: bool = False,
    dry_run: bool = False,
    env: str | None = None,
    target: str | None = None,
    reporter: Reporter | None = None,
    confirm: Callable[[Plan], bool] | None = None,
) -> Report:
    """Make the server match the folder: plan, then apply, then record the sync.

    One push at a time per folder (a lock on `.pbsync/push.lock`). After every action succeeded
    the sync is recorded in `.pbsync/state.json` (unless `dry_run`).

    Args:
        project, client, prune, force, env, target: as for `plan`.
        dry_run: plan and report, send no write.
        reporter: progress callbacks.
        confirm: called with the plan before any write; returning False cancels (nothing sent).

    Returns:
        The report; `report.cancelled` is True when `confirm` said no.

    Raises:
        pbsync.errors.ConflictError, pbsync.errors.UnsafeOperationError: refused (nothing sent).
        pbsync.errors.PbsyncError: another push is running in this folder.
    """
    from filelock import FileLock, Timeout

    local = project if not isinstance(project, str | os.PathLike) else load(project, env=env)
    lock_dir = Path(local.folder) / STATE_DIR
    lock_dir.mkdir(parents=True, exist_ok=True)
    try:
        with FileLock(str(lock_dir / "push.lock"), timeout=0):
            return _push_locked(local, client, prune, force, dry_run, target, reporter, confirm)
    except Timeout as exc:
        raise PbsyncError(f"another push is running in {local.folder}") from exc


def _push_locked(
    local: LocalProject,
    client: Client,
    prune: bool,
    force: bool,
    dry_run: bool,
    target: str | None,
    reporter: Reporter | None,
    confirm: Callable[[Plan], bool] | None,
) -> Report:
    the_plan = plan(local, client, prune=prune, force=force, target=target)
    if confirm is not None and not confirm(the_plan):
        return Report(dry_run=dry_run, project_id=the_plan.project_id, cancelled=True)
    report = apply(the_plan, client, reporter=reporter, dry_run=dry_run)
    if not dry_run:
        record = record_of(local.state, project_id=report.project_id)
        save_record(local.folder, target or client.endpoint, the_plan.short_name, record)
    return report


def pull(
    client: Client,
    short_name: str,
    folder: PathLike,
    *,
    tasks: bool = True,
    force: bool = False,
    env: str | None = None,
    target: str | None = None,
) -> PullReport:
    """Write (or update) `folder` from the server's project `short_name`.

    Args:
        client, short_name, folder, tasks, force, env: see `pbsync.pulling.run.pull`.
        target: the server's name in `.pbsync/state.json` (default: the client's endpoint).

    Raises:
        pbsync.errors.ProjectNotFoundError: no such project.
        pbsync.errors.PullError: local changes would be overwritten (and not `force`).
    """
    report = _pull_module.pull(client, short_name, folder, tasks=tasks, force=force, env=env)
    if target is not None and target != client.endpoint:
        # the record was written under the client's URL; file it under the stable target name
        record = load_record(Path(folder), client.endpoint, short_name)
        if record is not None:
            save_record(Path(folder), target, short_name, record)
    return report
