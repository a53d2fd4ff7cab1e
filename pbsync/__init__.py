"""pbsync: PYBOSSA projects as code.

The library API, usable without the command line:

    import pbsync
    from pbclient.client import Client

    with Client("https://crowdcrafting.org", api_key) as client:
        plan = pbsync.plan("myproject", client)          # what a push would change
        report = pbsync.push("myproject", client)        # do it
        pbsync.pull(client, "catspotting", "copy")       # write a folder from the server
        for run in pbsync.export(client, "catspotting", "taskruns"):   # answers, page by page
            ...

        with pbsync.start_push("myproject", client) as job:   # look before anything is sent
            if not job.plan.destructive:
                job.apply()

The package-level functions (`load`, `plan`, `push`, `start_push`, `pull`, `export`) are the
library API, named like the commands. The stages live in subpackages: `pbsync.folder` (load),
`pbsync.sync` (fetch, plan, apply, record), `pbsync.pulling` (pull) and `pbsync.exporting`
(export). No submodule is named like a
package-level function: `import pbsync.plan as m` would then bind the function while
`from pbsync.plan import ...` read the module. Everything is imported on first use, so that
`pbsync --help` stays fast.

A *target* names the server in `.pbsync/state.json`: its endpoint URL, or `"embedded"` for the
embedded local server, whose port changes every run (`pbsync.target.connect` gives it as
`Connection.target`). Pass the same target to `plan`, `push` and `pull`.

Errors are `pbsync.errors.PbsyncError` subclasses (invalid folder, conflict, unsafe step...) and
`pbclient.errors.PybossaError` subclasses (the server refused, or could not be reached).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    import threading

    from pbclient.client import Client
    from pbsync.folder.project import LocalProject
    from pbsync.pulling.run import PullReport
    from pbsync.sync.actions import Plan
    from pbsync.sync.apply import Report, Reporter
    from pbsync.watching.loop import PreviewStatus
    from pbsync.watching.session import SyncResult

__all__ = [
    "Plan",
    "PullReport",
    "PushJob",
    "Report",
    "Reporter",
    "__version__",
    "apply",
    "export",
    "load",
    "make_plan",
    "plan",
    "pull",
    "push",
    "start_push",
    "watch",
]

log = logging.getLogger(__name__)

PathLike = str | os.PathLike[str]

#: names re-exported from the stage modules, imported when first used
_LAZY = {
    "Plan": "pbsync.sync.actions",
    "Report": "pbsync.sync.apply",
    "Reporter": "pbsync.sync.apply",
    "apply": "pbsync.sync.apply",
    "make_plan": "pbsync.sync.planner",
    "PullReport": "pbsync.pulling.run",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pbsync' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


def load(folder: PathLike, *, env: str | None = None) -> LocalProject:
    """Read and validate a project folder.

    Raises:
        pbsync.errors.ValidationError: every problem found, at once.
    """
    from pbsync.folder.project import LocalProject

    return LocalProject.load(folder, env=env)


def _loaded(project: PathLike | LocalProject, env: str | None) -> LocalProject:
    return load(project, env=env) if isinstance(project, str | os.PathLike) else project


def plan(
    project: PathLike | LocalProject,
    client: Client,
    *,
    prune: bool = False,
    force: bool = False,
    env: str | None = None,
    target: str | None = None,
    dedupe: bool = False,
    refresh: bool = True,
) -> Plan:
    """What a push of `project` (a folder or a loaded project) to `client`'s server would do.

    Identities the server holds more than once are in `Plan.duplicates` (whatever the options);
    the copies an unfinished push from this folder left (`.pbsync/push-in-progress.json`) are
    planned for deletion, and with `dedupe` every extra copy is.

    With `refresh` (the default, as `diff` does) every part of the project is read and compared.
    Without it, the parts the folder holds exactly as the last recorded sync left them are
    neither read nor compared (`pbsync.sync.scope` says when; `Plan.unread` names them): a push
    of a presenter edit reads the project, not the task pages.

    Args:
        project: a folder path or a `LocalProject`.
        client: an authenticated client.
        prune: plan deletions of remote-only helping materials and tasks.
        force: plan over conflicts and allow deleting answered tasks.
        env: the `[env.NAME]` overlay to apply when loading a folder.
        target: the server's name in `.pbsync/state.json` (default: the client's endpoint).
        dedupe: delete the extra copies of every identity the server holds more than once
            (the lowest id stays; a task with task runs is never deleted).
        refresh: read and compare everything (False: only what changed since the last sync).

    Raises:
        pbsync.errors.ValidationError: the folder is invalid.
        pbsync.errors.ProjectNotFoundError: the project was not found and no API key is set
            (unpublished projects are invisible without one).
        pbsync.errors.ConfigError: the project was not found and the server did not accept the
            API key.
        pbclient.errors.PybossaError: the server could not be read.
    """
    from pbsync.folder.links import name_warnings
    from pbsync.sync.informed import informed_plan
    from pbsync.sync.keycheck import explain_missing
    from pbsync.sync.marker import load_unfinished
    from pbsync.sync.record import load_record
    from pbsync.sync.remote import RemoteProject
    from pbsync.sync.scope import confirm_scope, read_scope, scoped_plan, unread_left_out

    local = _loaded(project, env)
    short_name = local.state.project.short_name
    where = target or client.endpoint
    previous = load_record(local.folder, where, short_name)
    unfinished = load_unfinished(local.folder, where, short_name)
    scope = read_scope(
        local.state,
        previous,
        refresh=refresh,
        prune=prune,
        dedupe=dedupe,
        unfinished=unfinished is not None,
    )
    row = RemoteProject.project_row(client, short_name, owner=True)
    scope = confirm_scope(scope, local.state, previous, row)
    log.debug("push reads %s", scope)
    remote = None
    if row is None:
        # a wrong key or none hides an unpublished project: say so rather than plan to create it
        explain_missing(client, short_name)
        unfinished = None
    else:
        tasks = scope.tasks and local.state.tasks is not None
        remote = RemoteProject.around(
            client, row, helping=scope.helping, tasks=tasks, against=local.state
        )
        if unfinished is not None and unfinished.project_id not in (None, remote.project_id):
            unfinished = None  # it was another project of that name (deleted and made again)
    state = unread_left_out(local.state, scope)
    options: dict[str, Any] = {"previous": previous, "dedupe": dedupe, "unfinished": unfinished}
    result = informed_plan(client, state, remote, prune=prune, force=force, **options)
    if remote is None:
        result = _note_other_names(result, local.folder, where)
    result = scoped_plan(result, scope)
    # pages that name another project than this push's (pbsync.folder.links)
    return dataclasses.replace(result, notes=(*result.notes, *name_warnings(local)))


def _note_other_names(result: Plan, folder: PathLike, target: str) -> Plan:
    """Say so when a folder synced under another short_name is about to create a new project."""
    from pbsync.sync.record import synced_names

    others = [n for n in synced_names(os.fspath(folder), target) if n != result.short_name]
    if not others:
        return result
    note = (
        f"this folder was synced with {', '.join(others)} on this server: a new project "
        f"{result.short_name} will be created and the other one kept (PYBOSSA projects are "
        "found by short_name; an [env] overlay does this on purpose)"
    )
    return dataclasses.replace(result, notes=(*result.notes, note))


@dataclasses.dataclass
class PushJob:
    """One push, planned and not yet applied: look at `plan`, then `apply()` or `cancel()`.

    Made by `start_push`, which holds the folder's push lock while the job is open.
    """

    local: LocalProject
    client: Client
    target: str
    plan: Plan
    #: the client's request count before the push began: reports count planning reads too
    requests_before: int
    #: how long planning took: reports count it, but not the time a caller took to decide
    planning_seconds: float = 0.0
    #: applied or cancelled (a job runs once, and only while `start_push` holds the lock)
    done: bool = False

    def apply(self, *, reporter: Reporter | None = None, dry_run: bool = False) -> Report:
        """Send the plan, then record the sync in `.pbsync/state.json` (unless `dry_run`).

        Before the first write, `.pbsync/push-in-progress.json` records that this push began
        (`pbsync.sync.marker`); it is removed once the push succeeded, so that the push after
        one that did not finish deletes the copies its lost answers made.

        Raises:
            pbsync.errors.ConflictError, pbsync.errors.UnsafeOperationError: refused (nothing
                sent).
            pbclient.errors.PybossaError: the server refused a write or could not be reached;
                the writes before it stand, and a new push resumes.
        """
        from pbsync.sync.actions import Unfinished
        from pbsync.sync.apply import apply
        from pbsync.sync.marker import clear_unfinished, mark_unfinished
        from pbsync.sync.record import load_record, record_of, save_record
        from pbsync.sync.scope import keep_unread

        if self.done:
            raise RuntimeError("this push was applied or cancelled already")
        self.done = True
        plan, folder, short_name = self.plan, self.local.folder, self.plan.short_name
        # a part the plan did not read gets no create: none of its copies can be this push's
        began = Unfinished(
            plan.project_id,
            None if "tasks" in plan.unread else plan.last_task_id or 0,
            None if "helping materials" in plan.unread else plan.last_helping_id or 0,
        )

        def mark() -> None:
            mark_unfinished(folder, self.target, short_name, began)

        spent = (self.client.stats.total - self.requests_before, self.planning_seconds)
        report = apply(
            plan, self.client, reporter=reporter, dry_run=dry_run, spent=spent, before_writes=mark
        )
        if not dry_run:
            state = self.local.state
            if "tasks" in plan.unread:
                state = dataclasses.replace(state, tasks=None)  # as recorded: kept below
            record = record_of(state, project_id=report.project_id)
            if plan.unread:
                previous = load_record(folder, self.target, short_name)
                record = keep_unread(record, previous, plan)
            save_record(folder, self.target, short_name, record)
            clear_unfinished(folder, self.target, short_name)
        return report

    def cancel(self, *, dry_run: bool = False) -> Report:
        """Send nothing more; the report of a cancelled push (the planning reads were spent)."""
        from pbsync.sync.apply import Report

        self.done = True
        requests = self.client.stats.total - self.requests_before
        return Report(
            dry_run=dry_run, project_id=self.plan.project_id, cancelled=True, requests=requests
        )


@contextmanager
def start_push(
    project: PathLike | LocalProject,
    client: Client,
    *,
    prune: bool = False,
    force: bool = False,
    env: str | None = None,
    target: str | None = None,
    dedupe: bool = False,
    refresh: bool = False,
) -> Iterator[PushJob]:
    """Lock the folder for a push and plan it; the job applies it (or not) inside the block.

    One push at a time per folder (a lock on `.pbsync/push.lock`).

    Args:
        project, client, prune, force, env, target, dedupe: as for `plan`.
        refresh: read and compare every part of the project (default: only the parts the
            folder changed since the last recorded sync, `pbsync.sync.scope`).

    Raises:
        pbsync.errors.PbsyncError: another push is running in this folder.
        pbsync.errors.UnsafePathError: `.pbsync` is a symlink, or its files are not plain files.
        pbsync.errors.ValidationError, pbclient.errors.PybossaError: as for `plan`.
    """
    from filelock import FileLock, Timeout

    from pbsync.errors import PbsyncError
    from pbsync.sync.record import check_state_files, lock_path

    local = _loaded(project, env)
    check_state_files(local.folder)  # `.pbsync` symlinked out: refused before the lock is made
    lock = FileLock(str(lock_path(local.folder)), timeout=0)
    try:
        lock.acquire()
    except Timeout as exc:
        raise PbsyncError(f"another push is running in {local.folder}") from exc
    job: PushJob | None = None
    try:
        before, started = client.stats.total, time.monotonic()
        planned = plan(
            local,
            client,
            prune=prune,
            force=force,
            target=target,
            dedupe=dedupe,
            refresh=refresh,
        )
        job = PushJob(local, client, target or client.endpoint, planned, before)
        job.planning_seconds = time.monotonic() - started
        yield job
    finally:
        if job is not None:
            job.done = True  # the lock goes now: a later apply() must not send anything
        lock.release()


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
    dedupe: bool = False,
    refresh: bool = False,
) -> Report:
    """Make the server match the folder: plan, then apply, then record the sync.

    Only the parts the folder changed since the last recorded sync are read (the project row
    always; helping materials, task pages when they changed: `pbsync.sync.scope`); `refresh`
    reads and compares everything.

    Copies of an identity that appeared while the push created (another push of a copy of the
    folder, a lost answer) are deleted after creating, keeping the lowest id (`report.duplicates`
    says what was kept); so are those an unfinished push from this folder left.

    Args:
        project, client, prune, force, env, target, dedupe: as for `plan`.
        refresh: as for `start_push`.
        dry_run: plan and report, send no write.
        reporter: progress callbacks.
        confirm: decides, given the plan, whether to go on; False cancels (nothing sent).

    Returns:
        The report (`requests` counts every request of the push, planning included);
        `report.cancelled` is True when `confirm` said no.

    Raises:
        pbsync.errors.ConflictError, pbsync.errors.UnsafeOperationError: refused (nothing sent).
        pbsync.errors.PbsyncError: another push is running in this folder.
    """
    options = {"prune": prune, "force": force, "dedupe": dedupe, "refresh": refresh}
    with start_push(project, client, env=env, target=target, **options) as job:
        if confirm is not None and not confirm(job.plan):
            return job.cancel(dry_run=dry_run)
        return job.apply(reporter=reporter, dry_run=dry_run)


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
    from pbsync.pulling.run import pull as pull_folder

    return pull_folder(client, short_name, folder, tasks=tasks, force=force, env=env, target=target)


def export(
    client: Client, short_name: str, what: str = "tasks", *, since: int | None = None
) -> Iterator[dict[str, Any]]:
    """The project's rows of one kind, ascending by id, as the server sends them.

    The project is looked up now (one request); the rows are then read lazily, a keyset page of
    100 per request, one page in memory (the `link`/`links` keys GET adds are left out). To write
    files that a re-run continues, see `pbsync.exporting.run.export_files` (`pbsync export`).

    Args:
        client: a client; without an API key, a published project's rows (as anyone sees them).
        short_name: the project.
        what: `tasks`, `taskruns` or `results`.
        since: only rows with a higher id.

    Raises:
        pbsync.errors.ExportError: `what` is not one kind.
        pbsync.errors.ProjectNotFoundError: no such project visible to the caller.
        pbsync.errors.ConfigError: nothing found, and the server did not accept the API key.
        pbclient.errors.PybossaError: the server refused or could not be reached (also while
            iterating).
    """
    from pbsync.errors import ExportError
    from pbsync.exporting.source import find_project, parse_kinds, project_rows

    kinds = parse_kinds(what)
    if len(kinds) != 1:
        raise ExportError(f"export yields one kind at a time, not {what!r}")
    project = find_project(client, short_name)
    return project_rows(client, project.id, kinds[0], after=since)


def watch(
    folder: PathLike,
    client: Client,
    *,
    on_sync: Callable[[SyncResult], None] | None = None,
    stop_event: threading.Event | None = None,
    prune: bool = False,
    force: bool = False,
    env: str | None = None,
    target: str | None = None,
    preview: PreviewStatus | None = None,
) -> None:
    """Sync `folder` now, then after every save, until `stop_event` is set (or Ctrl-C).

    Each sync reloads the folder and sends only what changed; it reads again only the parts of
    the server the edit touched (a presenter save: one read and one PUT). A failed sync is
    reported to `on_sync` (`SyncResult.error`) and the watch goes on.

    Args:
        folder: the project folder.
        client: an authenticated client.
        on_sync: called with every sync's `pbsync.watching.session.SyncResult`.
        stop_event: set it from another thread to end the watch.
        prune: also delete what the folder no longer has (never without it).
        force: sync over conflicts (the folder's values win), delete answered tasks.
        env: the `[env.NAME]` overlay.
        target: the server's name in `.pbsync/state.json` (default: the client's endpoint).
        preview: report sync failures to pbsync's preview page (`PreviewStatus(client)`).
    """
    from pbsync.watching.loop import watch as watch_folder

    watch_folder(
        folder,
        client,
        target=target,
        env=env,
        prune=prune,
        force=force,
        on_sync=on_sync,
        stop_event=stop_event,
        preview=preview,
    )
