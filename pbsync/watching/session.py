"""One watch's syncs: reload the folder, read only the parts of the server that the edit touched.

A push reads the parts of the server its folder changed since the last recorded sync
(`pbsync.sync.scope`; its first push, or one after `--refresh`, reads everything: one request per
100 tasks). A watch knows more: after a sync, the server holds what the folder held. So each later
sync reloads the folder, compares it with the folder as last synced, and for the parts that
changed (the project's fields and texts, the helping materials, the tasks) reads the server's
current version, so that a change made meanwhile on the server is seen (drift, or a conflict,
which is shown and skipped); the parts that did not change are taken as in sync. A presenter
save costs one read of the project and one PUT, whatever the number of tasks; a tasks edit reads
the tasks, a helping file the materials.

A sync that fails (invalid folder, server unreachable, a refusal) leaves the last synced state as
it was, so the next one reads again whatever is still pending: a server that comes back is
picked up.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from filelock import FileLock, Timeout

from pbclient.client import Client
from pbsync.errors import PbsyncError
from pbsync.folder.project import LocalProject
from pbsync.model import ProjectState
from pbsync.sync.actions import Plan
from pbsync.sync.apply import Report, apply
from pbsync.sync.informed import informed_plan
from pbsync.sync.record import load_record, lock_path, record_of, save_record
from pbsync.sync.remote import RemoteProject, project_fields

__all__ = ["PARTS", "SyncResult", "WatchSession"]

log = logging.getLogger(__name__)

#: the parts of a project a sync reads separately
PARTS = ("project", "helping", "tasks")


@dataclass(frozen=True)
class SyncResult:
    """What one sync of a watch did (or why it did nothing).

    Attributes:
        at: when the sync started (local time).
        paths: the folder-relative paths whose events led to it (empty for the first sync).
        parts: the parts that differed from the last sync (`PARTS`); empty: nothing to send.
        plan: the plan that was applied (None when nothing was planned or it failed before).
        report: the apply's report (None when nothing was applied).
        requests: requests sent to the server by this sync, reads included.
        seconds: how long it took.
        error: one line saying why it failed or was skipped (None: it succeeded).
    """

    at: datetime
    paths: tuple[str, ...] = ()
    parts: tuple[str, ...] = ()
    plan: Plan | None = None
    report: Report | None = None
    requests: int = 0
    seconds: float = 0.0
    error: str | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """True when the sync succeeded (or had nothing to do)."""
        return self.error is None


class WatchSession:
    """The syncs of one watched folder against one server.

    Args:
        folder: the project folder.
        client: an authenticated client.
        target: the server's name in `.pbsync/state.json` (default: the client's endpoint).
        env: the `[env.NAME]` overlay.
        prune: plan deletions of what the folder no longer has (never without it).
        force: apply over conflicts (the folder's values win) and delete answered tasks.
    """

    def __init__(
        self,
        folder: str | os.PathLike[str],
        client: Client,
        *,
        target: str | None = None,
        env: str | None = None,
        prune: bool = False,
        force: bool = False,
    ) -> None:
        self.folder = Path(folder)
        self.client = client
        self.target = target or client.endpoint
        self.env, self.prune, self.force = env, prune, force
        #: the folder's state at the last successful sync (None: read the whole server)
        self.synced: ProjectState | None = None
        self.project_id: int | None = None
        self._categories: dict[int, str] | None = None

    def sync(self, paths: tuple[str, ...] = ()) -> SyncResult:
        """Reload the folder and send what changed since the last sync; never raises for a
        failed sync (the result's `error` says why), only for a bug or an interrupt."""
        at, started, before = datetime.now(), time.monotonic(), self.client.stats.total
        result = SyncResult(at=at, paths=paths)
        try:
            result = self._sync(result)
        except (PbsyncError, OSError) as exc:
            result = replace(result, error=_one_line(exc))
        except Exception as exc:
            # a server's refusal or an unreachable one (pbclient's errors), or a bug: one line
            # either way, and the watch goes on
            if not _is_client_error(exc):
                log.debug("sync failed", exc_info=True)
                exc = RuntimeError(f"unexpected {type(exc).__name__}: {exc}")
            result = replace(result, error=_one_line(exc))
        return replace(
            result,
            requests=self.client.stats.total - before,
            seconds=time.monotonic() - started,
        )

    def _sync(self, result: SyncResult) -> SyncResult:
        local = LocalProject.load(self.folder, env=self.env)
        state = local.state
        parts = self._changed(state)
        if not parts:
            return result
        result = replace(result, parts=parts)
        lock = FileLock(str(self._lock_path()), timeout=0)
        try:
            lock.acquire()
        except Timeout as exc:
            raise PbsyncError(f"a push is running in {self.folder}: not synced") from exc
        try:
            plan = self._plan(state, parts)
            result = replace(result, plan=plan, notes=plan.notes)
            if plan.empty:
                self._synced(state, plan.project_id, parts)
                return result
            report = apply(plan, self.client)
            self._synced(state, report.project_id, parts)
            return replace(result, report=report)
        finally:
            lock.release()

    def _changed(self, state: ProjectState) -> tuple[str, ...]:
        if self.synced is None:
            return PARTS
        last = self.synced
        changed = {
            "project": state.project != last.project,
            "helping": state.helping_materials != last.helping_materials,
            "tasks": state.tasks != last.tasks,
        }
        return tuple(part for part in PARTS if changed[part])

    def _plan(self, state: ProjectState, parts: tuple[str, ...]) -> Plan:
        if self.synced is None or self.project_id is None:
            local, remote = state, self._read_all(state)
        else:
            local, remote = self._read_parts(state, parts)
        previous = load_record(self.folder, self.target, state.project.short_name)
        # what a push asks before deleting (task runs, results, the key's role), asked the same
        # way: a watch never sends a DELETE PYBOSSA would refuse with 403
        return informed_plan(
            self.client, local, remote, prune=self.prune, force=self.force, previous=previous
        )

    def _read_parts(
        self, state: ProjectState, parts: tuple[str, ...]
    ) -> tuple[ProjectState, ProjectState | None]:
        """The folder and the server, compared on `parts` only: the server's side of those is
        read again, and the other parts are left out of both sides (they are in sync)."""
        assert self.project_id is not None
        local = state
        remote = replace(state, project_id=self.project_id, remote_info=dict(state.project.info))
        if "project" in parts:
            row = RemoteProject.project_row(self.client, state.project.short_name, owner=True)
            if row is None:  # deleted on the server, or the short_name changed: start over
                self.synced = None
                return state, self._read_all(state)
            fields = project_fields(row, self._category_names())
            remote = replace(remote, project=fields, remote_info=dict(fields.info))
        if "helping" in parts:
            materials = RemoteProject.helping_materials(self.client, self.project_id)
            remote = replace(remote, helping_materials=materials)
        else:
            local, remote = (
                replace(local, helping_materials=()),
                replace(remote, helping_materials=()),
            )
        if "tasks" in parts and state.tasks is not None:
            remote = replace(remote, tasks=RemoteProject.tasks(self.client, self.project_id))
        else:  # None: tasks not managed, so not compared
            local, remote = replace(local, tasks=None), replace(remote, tasks=None)
        return local, remote

    def _read_all(self, state: ProjectState) -> ProjectState | None:
        """The whole server side, as `RemoteProject.fetch` reads it (categories kept for later)."""
        row = RemoteProject.project_row(self.client, state.project.short_name, owner=True)
        names = self._category_names()  # now, so that a later presenter save reads only the row
        if row is None:
            self.project_id = None
            return None
        self.project_id = project_id = int(row["id"])
        fields = project_fields(row, names)
        tasks = RemoteProject.tasks(self.client, project_id) if state.tasks is not None else None
        return ProjectState(
            project=fields,
            helping_materials=RemoteProject.helping_materials(self.client, project_id),
            tasks=tasks,
            project_id=project_id,
            remote_info=dict(fields.info),
        )

    def _category_names(self) -> dict[int, str]:
        if self._categories is None:
            by_name = RemoteProject.categories(self.client)
            self._categories = {v: k for k, v in by_name.items()}
        return self._categories

    def _synced(self, state: ProjectState, project_id: int | None, parts: tuple[str, ...]) -> None:
        self.synced, self.project_id = state, project_id
        short_name = state.project.short_name
        previous = None if "tasks" in parts else load_record(self.folder, self.target, short_name)
        if previous is not None:
            # the tasks did not change since the last sync recorded them: their fingerprints
            # stand (100,000 tasks take a second to fingerprint again, at every save)
            record = record_of(replace(state, tasks=None), project_id=project_id)
            record = replace(record, tasks=previous.tasks)
        else:
            record = record_of(state, project_id=project_id)
        save_record(self.folder, self.target, short_name, record)

    def _lock_path(self) -> Path:
        return lock_path(self.folder)  # refuses a `.pbsync` symlinked out, before any write


def _is_client_error(exc: Exception) -> bool:
    from pbclient.errors import PybossaError

    return isinstance(exc, PybossaError)


def _one_line(exc: BaseException) -> str:
    from pbsync.errors import ValidationError

    if isinstance(exc, ValidationError):
        return "; ".join(str(p) for p in exc.problems)
    return " ".join(str(exc).split()) or type(exc).__name__
