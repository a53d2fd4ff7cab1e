"""The plan's vocabulary: actions, field changes, conflicts and the `Plan` itself (pure data).

`make_plan` (planner.py) builds a `Plan`; `apply` (apply.py) carries out its actions in order.
Kept apart from planner.py so that both read the same small, I/O-free types.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pbsync.model import HelpingMaterialState, ProjectFields, TaskState

__all__ = [
    "Action",
    "Blocked",
    "Caller",
    "Conflict",
    "CreateHelpingMaterial",
    "CreateProject",
    "CreateTasks",
    "DeleteDuplicateHelpingMaterial",
    "DeleteDuplicateTask",
    "DeleteHelpingMaterial",
    "DeleteTask",
    "Duplicate",
    "FieldChange",
    "Plan",
    "PublishProject",
    "RemoteOnly",
    "Unfinished",
    "UpdateHelpingMaterial",
    "UpdateProject",
    "UpdateTask",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FieldChange:
    """One field that differs: `old` is the server's value (None: absent), `new` the folder's."""

    field: str
    old: Any
    new: Any
    drift: bool = False


@dataclass(frozen=True)
class Action:
    """Base of every planned step."""

    @property
    def kind(self) -> str:
        """The action's type name, e.g. "UpdateTask"."""
        return type(self).__name__

    @property
    def writes(self) -> int:
        """How many write requests the action needs at least."""
        return 1


@dataclass(frozen=True)
class CreateProject(Action):
    project: ProjectFields


@dataclass(frozen=True)
class UpdateProject(Action):
    """PUT the changed fields; `body["info"]` (if any) is the server's info merged with ours."""

    project_id: int
    changes: tuple[FieldChange, ...]
    body: Mapping[str, Any]


@dataclass(frozen=True)
class PublishProject(Action):
    short_name: str


@dataclass(frozen=True)
class CreateHelpingMaterial(Action):
    """Create a material; `info` is what to send (the folder's info plus sha256 / name)."""

    material: HelpingMaterialState
    info: Mapping[str, Any]


@dataclass(frozen=True)
class UpdateHelpingMaterial(Action):
    """Update material `remote_id`: re-upload the file only when `reupload` (its sha256 changed)."""

    material: HelpingMaterialState
    remote_id: int
    info: Mapping[str, Any]
    reupload: bool
    changes: tuple[FieldChange, ...]


@dataclass(frozen=True)
class DeleteHelpingMaterial(Action):
    material: HelpingMaterialState


@dataclass(frozen=True)
class CreateTasks(Action):
    tasks: tuple[TaskState, ...]

    @property
    def writes(self) -> int:
        return len(self.tasks)


@dataclass(frozen=True)
class UpdateTask(Action):
    task_id: int
    task: TaskState
    body: Mapping[str, Any]
    changes: tuple[FieldChange, ...]


@dataclass(frozen=True)
class DeleteTask(Action):
    task: TaskState


@dataclass(frozen=True)
class DeleteDuplicateTask(Action):
    """Delete `task`, a second copy of task `keep` (same identity, no task runs)."""

    task: TaskState
    keep: int


@dataclass(frozen=True)
class DeleteDuplicateHelpingMaterial(Action):
    """Delete `material`, a second copy of material `keep` (same name).

    `detach`: the copy points at the same stored file as `keep` (same container and file name),
    and PYBOSSA deletes a material's file with it; the copy's info loses its file keys first
    (one PUT), so that the kept material's file stays.
    """

    material: HelpingMaterialState
    keep: int
    detach: bool = False

    @property
    def writes(self) -> int:
        return 2 if self.detach else 1


@dataclass(frozen=True)
class Duplicate:
    """One identity found more than once on the server (a lost answer, two pushes at once).

    `keep` is the copy that stays: always the lowest id, so that two pushes deciding at the same
    time keep the same one. `extra` are the other copies (ascending); of those, `deleting` are
    deleted by this plan (or were, by a push's check), `answered` stay because they have task
    runs (never deleted: they hold volunteers' answers), `uncounted` stay because their task
    runs were not counted.
    """

    kind: str
    name: str
    keep: int
    extra: tuple[int, ...]
    deleting: tuple[int, ...] = ()
    answered: tuple[int, ...] = ()
    uncounted: tuple[int, ...] = ()

    @property
    def left(self) -> tuple[int, ...]:
        """The extra copies still there after the plan."""
        return tuple(i for i in self.extra if i not in self.deleting)

    def to_json(self) -> dict[str, Any]:
        """What is kept, the other copies, which are deleted and which stay (for `--json`)."""
        return {
            "kind": self.kind,
            "name": self.name,
            "keep": self.keep,
            "extra": list(self.extra),
            "deleted": list(self.deleting),
            "answered": list(self.answered),
            "uncounted": list(self.uncounted),
        }


@dataclass(frozen=True)
class Unfinished:
    """A push from this folder that began writing and did not finish (`.pbsync/` marker).

    Its POSTs may have created objects whose answers were lost, some even after the next fetch:
    copies above these ids (tasks, helping materials) may be its doing. `project_id` is None
    when it was creating the project.
    """

    project_id: int | None
    #: None: that push read no tasks and created none (a push of project fields only)
    last_task_id: int | None
    #: None: that push read no helping materials and created none
    last_helping_id: int | None
    started: str = ""


@dataclass(frozen=True)
class Conflict:
    """Both sides changed `field` of `item` since the last push, to different values."""

    item: str
    field: str
    local: Any
    remote: Any


@dataclass(frozen=True)
class RemoteOnly:
    """Something on the server the folder does not define (kept unless pruning).

    `task` is the server's task (kind "task"), so that a plan can show it by content.
    """

    kind: str
    name: str
    id: int | None
    n_task_runs: int | None = None
    task: TaskState | None = None


@dataclass(frozen=True)
class Blocked:
    """A step the plan leaves out, and why.

    `forceable`: `force` does it anyway (a task with task runs); False when the server would
    refuse it whatever the options (a task with a result, for a caller who is not an admin:
    PYBOSSA answers 403), so the push goes on without it.
    """

    item: str
    reason: str
    id: int | None = None
    forceable: bool = True


@dataclass(frozen=True)
class Caller:
    """What the server lets this key do that the plan must know (None / empty: not known).

    `admin`: the key is an admin's. `with_result`: ids of tasks that have a result (only those a
    prune would delete are looked up). PYBOSSA lets only an admin delete a task with a result
    (the result goes with it); nobody may delete a result, or a task run that is part of one.
    """

    admin: bool | None = None
    with_result: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Plan:
    """An ordered list of actions plus what is deliberately left alone."""

    short_name: str
    project_id: int | None
    actions: tuple[Action, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    remote_only: tuple[RemoteOnly, ...] = ()
    blocked: tuple[Blocked, ...] = ()
    notes: tuple[str, ...] = ()
    prune: bool = False
    force: bool = False
    #: the highest task id the server had when the plan was made (0: none; None: unknown, as in
    #: a plan built by hand); creating tasks looks for a lost POST's task among those above it
    #: instead of posting it again
    last_task_id: int | None = None
    #: the same for helping materials
    last_helping_id: int | None = None
    #: identities the server holds more than once (see `Duplicate`)
    duplicates: tuple[Duplicate, ...] = ()
    #: the folder's `[tasks] key` fields: a task's identity on the server
    task_key_fields: tuple[str, ...] = ()
    #: the unfinished push whose copies this plan looks for (None: the last push finished)
    unfinished: Unfinished | None = None
    #: extra copies are deleted (keeping the lowest id; never a task with runs)
    dedupe: bool = False
    #: the parts neither read nor compared ("helping materials", "tasks"): the folder's are
    #: as last synced (`pbsync.sync.scope`)
    unread: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        """No action and no conflict: there is nothing to send."""
        return not self.actions and not self.conflicts

    @property
    def in_sync(self) -> bool:
        """Nothing to send, and no identity twice on the server: the folder and the server agree.

        A duplicate that cannot be deleted (its copies have task runs) keeps this False: the
        server still holds a row twice, which volunteers answer twice.
        """
        return self.empty and not self.duplicates

    @property
    def refused(self) -> tuple[Blocked, ...]:
        """Blocked steps that stop the push: those `force` would do, when it is not given."""
        return () if self.force else tuple(b for b in self.blocked if b.forceable)

    @property
    def uncounted(self) -> frozenset[int]:
        """Ids of extra task copies this plan would delete once their task runs are counted."""
        return frozenset(i for d in self.duplicates for i in d.uncounted)

    @property
    def destructive(self) -> tuple[Action, ...]:
        """Actions that delete or publish (publishing deletes task runs): they need confirmation.

        Deleting the extra copy of a duplicate is not among them: its twin with the lowest id
        stays, and a copy with task runs is never deleted, so nothing the folder or the
        volunteers made is lost (that is also what lets the push after an unfinished one clean
        up without asking).
        """
        kinds = (DeleteTask, DeleteHelpingMaterial, PublishProject)
        return tuple(a for a in self.actions if isinstance(a, kinds))

    def count(self, kind: type[Action]) -> int:
        """Items affected by actions of `kind` (tasks counted one by one)."""
        return sum(
            a.writes if isinstance(a, CreateTasks) else 1
            for a in self.actions
            if isinstance(a, kind)
        )
