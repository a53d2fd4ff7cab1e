"""What a push reads: the parts of the server its local changes need, or everything.

Requests are the scarce resource (a default PYBOSSA allows 299 per endpoint per 15 minutes,
reads included), and task pages are most of them: 101 reads for 10,000 tasks. A push whose folder
still holds, for a part, exactly what the last recorded sync agreed on (`.pbsync/state.json`)
has nothing to send for that part, and reads it only when it must look at the server's side:

- the project row is always read (1 request, plus 1 for the categories): it is what the push
  may write, and reading it is what catches a field changed on the server since the last sync
  (drift, or a conflict when the folder changed it too);
- helping materials are read (1 request per 100) when the folder's differ from the record;
- task pages are read when the folder's tasks, as loaded (task files, `[tasks]` defaults, key
  fields, `[env]` overlay), differ from the record: one task's fingerprint is enough.

Everything is read and compared (a full refresh), as `diff` always does, when:
- `--refresh`; `--prune` or `--dedupe` (they act on what only the server has);
- no record for this (target, short_name): never synced from this folder, another endpoint or
  embedded server, another short_name, or a record of another format;
- no such project on the server (it is created whole), or one whose id is not the recorded one
  (deleted and made again);
- an unfinished push's marker (`.pbsync/push-in-progress.json`) for this target;
- the folder asks to publish a project the server shows unpublished (PYBOSSA publishes only a
  project with tasks).

What a part left unread means: changes another client made there (tasks added, edited or deleted
on the server) are neither seen nor undone by the push, which sends nothing for that part. The
record keeps, for the parts not compared, what it held (`keep_unread`), so state.json never
claims a part in sync that this push did not compare.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from pbsync.model import ProjectState
from pbsync.sync.actions import Plan
from pbsync.sync.compare import (
    PackedFingerprints,
    SyncRecord,
    helping_fingerprint,
    task_fingerprint,
)

__all__ = [
    "Scope",
    "confirm_scope",
    "keep_unread",
    "read_scope",
    "scoped_plan",
    "unread_left_out",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Scope:
    """The parts of the server a push reads and compares.

    Attributes:
        helping: read and compare the helping materials.
        tasks: read and compare the tasks (when the folder manages tasks).
        reason: why everything is read (None: only what changed).
    """

    helping: bool = True
    tasks: bool = True
    reason: str | None = None

    @property
    def full(self) -> bool:
        """Every part is read."""
        return self.helping and self.tasks

    @property
    def unread(self) -> tuple[str, ...]:
        """The parts left out, as words for a plan's note ("tasks", "helping materials")."""
        return tuple(
            word
            for word, read in (("helping materials", self.helping), ("tasks", self.tasks))
            if not read
        )


FULL = Scope()


def read_scope(
    local: ProjectState,
    previous: SyncRecord | None,
    *,
    refresh: bool = False,
    prune: bool = False,
    dedupe: bool = False,
    unfinished: bool = False,
) -> Scope:
    """What a push of `local` reads, before the project row is seen (see the module docstring).

    Args:
        local: the folder's state.
        previous: the record of the last sync with this target (None: none).
        refresh: the caller asks for a full comparison.
        prune, dedupe: the push's options.
        unfinished: an unfinished push to this target left its marker.
    """
    for asked, reason in (
        (refresh, "--refresh"),
        (prune, "--prune"),
        (dedupe, "--dedupe"),
        (previous is None, "no record of a sync with this server"),
        (unfinished, "the last push did not finish"),
    ):
        if asked:
            return replace(FULL, reason=reason)
    assert previous is not None
    # tasks the folder does not manage are compared as usual: not at all
    tasks = local.tasks is None or _tasks_changed(local, previous.tasks)
    helping = _helping_changed(local, previous)
    return Scope(helping=helping, tasks=tasks)


def confirm_scope(
    scope: Scope, local: ProjectState, previous: SyncRecord | None, row: Mapping[str, Any] | None
) -> Scope:
    """`scope`, or a full one when the project row says the record no longer describes it.

    Args:
        scope: what `read_scope` decided.
        local: the folder's state.
        previous: the record `read_scope` was given.
        row: the server's project row (None: no such project; everything is created).
    """
    if row is None:
        return replace(FULL, reason="no such project on the server")
    if scope.full or previous is None:
        return scope
    if previous.project_id is None or row.get("id") != previous.project_id:
        return replace(FULL, reason="the project's id is not the recorded one")
    if local.project.published and not row.get("published"):
        return replace(FULL, reason="publishing needs the tasks checked")
    return scope


def unread_left_out(local: ProjectState, scope: Scope) -> ProjectState:
    """The folder's side of the comparison: the parts not read are left out, as on the server's
    side (no helping material, tasks not managed), so that the plan says nothing of them."""
    if not scope.helping:
        local = replace(local, helping_materials=())
    if not scope.tasks:
        local = replace(local, tasks=None)
    return local


def scoped_plan(plan: Plan, scope: Scope) -> Plan:
    """`plan` naming the parts it did not compare; their highest ids are unknown (None)."""
    if scope.full:
        return plan
    return replace(
        plan,
        unread=scope.unread,
        last_task_id=plan.last_task_id if scope.tasks else None,
        last_helping_id=plan.last_helping_id if scope.helping else None,
    )


def keep_unread(record: SyncRecord, previous: SyncRecord | None, plan: Plan) -> SyncRecord:
    """`record` (the folder as pushed) with the parts `plan` did not compare as `previous`
    had them: what was agreed about those is still the older record."""
    if previous is None:
        return record
    if "tasks" in plan.unread:
        record = replace(record, tasks=previous.tasks)
    if "helping materials" in plan.unread:
        record = replace(record, helping=dict(previous.helping), files=dict(previous.files))
    return record


def _tasks_changed(local: ProjectState, recorded: Mapping[str, str]) -> bool:
    mine = PackedFingerprints.of({t.key: task_fingerprint(t) for t in local.tasks or ()})
    return mine != recorded  # packed both: one comparison of two strings


def _helping_changed(local: ProjectState, previous: SyncRecord) -> bool:
    materials = local.helping_materials
    if {m.name for m in materials} != set(previous.helping):
        return True
    files = {m.name: m.sha256 for m in materials if m.sha256 is not None}
    if files != dict(previous.files):
        return True
    return any(previous.helping.get(m.name) != helping_fingerprint(m) for m in materials)
