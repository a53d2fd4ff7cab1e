"""The plan: what a push would change, computed as a pure function of two states.

`make_plan(local, remote)` compares the folder's `ProjectState` with the server's and returns a
`Plan`: an ordered tuple of actions (project first, then helping materials, then tasks), plus what
the plan deliberately leaves alone (remote-only items, blocked deletions, conflicts). It does no
I/O, so the same two states always give the same plan; `apply` (apply.py) carries it out.

Drift: given `previous` (the fingerprints the last push recorded, see record.py), a value the
server changed since then while the folder changed it too is a `Conflict`; a value only the server
changed is overwritten by the folder's value and flagged `drift` so the user sees it first.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from pbsync.errors import Problem, ValidationError
from pbsync.model import (
    TASK_DEFAULTS,
    HelpingMaterialState,
    ProjectState,
    TaskState,
    content_key,
)
from pbsync.sync.actions import (
    Action,
    Blocked,
    Caller,
    Conflict,
    CreateHelpingMaterial,
    CreateProject,
    CreateTasks,
    DeleteHelpingMaterial,
    DeleteTask,
    Duplicate,
    FieldChange,
    Plan,
    PublishProject,
    RemoteOnly,
    Unfinished,
    UpdateHelpingMaterial,
    UpdateProject,
    UpdateTask,
)
from pbsync.sync.compare import (
    SyncRecord,
    fingerprint,
    helping_fingerprint,
    project_values,
    same,
    task_fields,
    task_fingerprint,
)
from pbsync.sync.duplicates import group_copies, helping_copies, task_copies, unfinished_note
from pbsync.sync.stored import stored_as, upload_name

__all__ = ["TASK_BATCH", "make_plan"]

log = logging.getLogger(__name__)

#: tasks per CreateTasks action (progress and resumption happen per batch)
TASK_BATCH = 500

#: info keys pbsync adds to a helping material to identify it and its file
BOOKKEEPING_KEYS = frozenset({"name", "sha256"})


def make_plan(
    local: ProjectState,
    remote: ProjectState | None,
    *,
    prune: bool = False,
    force: bool = False,
    previous: SyncRecord | None = None,
    dedupe: bool = False,
    unfinished: Unfinished | None = None,
    caller: Caller | None = None,
) -> Plan:
    """Compute the actions that make the server match the folder.

    Args:
        local: the folder's state (`LocalProject.load(...).state`).
        remote: the server's state (`RemoteProject.fetch`), None when the project does not exist.
        prune: delete remote-only helping materials and tasks (otherwise they are listed only).
        force: resolve conflicts in favour of the folder; allow deleting tasks with task runs.
        previous: what the last push recorded, for drift detection.
        dedupe: delete the extra copies of an identity the server holds more than once (the
            lowest id stays; a task with runs is never deleted); `prune` does it too. Without
            either, copies are only reported in `Plan.duplicates`, except those above the ids
            of `unfinished`.
        unfinished: the push from this folder that began writing and did not finish (its
            `.pbsync/` marker): the copies above the ids it began from are deleted.
        caller: whether the key is an admin's and which tasks have a result, when known: a
            task with a result is not deleted for a caller who is not an admin (PYBOSSA answers
            403, `force` or not), and deleting one as an admin is said (its result goes too).

    Returns:
        The plan, in a deterministic order.

    Raises:
        ValidationError: the folder asks to publish a project PYBOSSA would refuse to publish
            (no task presenter, or no task).
    """
    builder = _Builder(local, remote, prune=prune, force=force, previous=previous)
    builder.dedupe, builder.unfinished = dedupe or prune, unfinished
    builder.caller = caller or Caller()
    builder.plan_project()
    builder.plan_helping()
    builder.plan_tasks()
    return builder.result()


class _Builder:
    def __init__(
        self,
        local: ProjectState,
        remote: ProjectState | None,
        *,
        prune: bool,
        force: bool,
        previous: SyncRecord | None,
    ) -> None:
        self.local, self.remote = local, remote
        self.prune, self.force = prune, force
        self.previous = previous or SyncRecord()
        self.never_synced = previous is None
        self.actions: list[Action] = []
        self.conflicts: list[Conflict] = []
        self.remote_only: list[RemoteOnly] = []
        self.blocked: list[Blocked] = []
        self.notes: list[str] = []
        self.duplicates: list[Duplicate] = []
        self.dedupe = False
        self.unfinished: Unfinished | None = None
        self.caller = Caller()
        self.publish = False

    def result(self) -> Plan:
        remote_tasks = (self.remote.tasks if self.remote else None) or ()
        same_ids = self.remote.same_tasks.values() if self.remote else ()
        materials = self.remote.helping_materials if self.remote else ()
        if self.unfinished is not None and self.remote is not None:
            self.notes.append(unfinished_note(self.unfinished))
        if self.publish:
            # last: PYBOSSA publishes only a project that has a presenter and tasks
            self._check_publishable()
            self.actions.append(PublishProject(short_name=self.local.project.short_name))
        return Plan(
            short_name=self.local.project.short_name,
            project_id=self.remote.project_id if self.remote else None,
            actions=tuple(self.actions),
            conflicts=tuple(self.conflicts),
            remote_only=tuple(self.remote_only),
            blocked=tuple(self.blocked),
            notes=tuple(self.notes),
            prune=self.prune,
            force=self.force,
            last_task_id=max(
                max((t.id or 0 for t in remote_tasks), default=0), max(same_ids, default=0)
            ),
            last_helping_id=max((m.id or 0 for m in materials), default=0),
            duplicates=tuple(self.duplicates),
            task_key_fields=self.local.task_key_fields,
            unfinished=self.unfinished,
            dedupe=self.dedupe,
        )

    def _wanted(self, kind: str) -> Callable[[int], bool]:
        """Which extra copies (by id) go: all with dedupe or prune, else an unfinished push's."""
        if self.dedupe:
            return lambda _id: True
        if self.unfinished is None:
            return lambda _id: False
        floor = self.unfinished.last_task_id if kind == "task" else self.unfinished.last_helping_id
        if floor is None:  # that push created none of them
            return lambda _id: False
        return lambda copy_id: copy_id > floor

    def _drift(self, item: str, name: str, local: Any, remote: Any, previous: str | None) -> bool:
        """Classify a difference: returns whether it is server-side drift; records conflicts."""
        if previous is None or fingerprint(remote) == previous:
            return False
        if fingerprint(local) == previous:
            return True
        self.conflicts.append(Conflict(item=item, field=name, local=local, remote=remote))
        return False

    # -- project ------------------------------------------------------------------------------
    def plan_project(self) -> None:
        fields = self.local.project
        if self.remote is None:
            self.actions.append(CreateProject(project=fields))
            self.publish = bool(fields.published)
            return
        assert self.remote.project_id is not None, "a fetched project has an id"
        keys = list(project_values(fields))
        mine = project_values(fields, keys)
        theirs = project_values(self.remote.project, keys)
        changes: list[FieldChange] = []
        for key in keys:
            if key == "published" or same(mine[key], theirs[key]):
                continue
            prev = self.previous.project.get(key)
            drift = self._drift("project", key, mine[key], theirs[key], prev)
            changes.append(FieldChange(key, theirs[key], mine[key], drift=drift))
        if changes and self.never_synced:
            self.notes.append(
                f"{fields.short_name} already exists on the server and this folder has never been "
                "synced with it: the push replaces the server's values shown (pull first to keep "
                "them)"
            )
        if changes:
            body = self._project_body(changes)
            self.actions.append(UpdateProject(self.remote.project_id, tuple(changes), body))
        self._plan_publish(fields.published, self.remote.project.published)

    def _project_body(self, changes: list[FieldChange]) -> dict[str, Any]:
        assert self.remote is not None
        body: dict[str, Any] = {}
        for change in changes:
            if not change.field.startswith("info."):
                body[change.field] = change.new
        if any(c.field.startswith("info.") for c in changes):
            # PYBOSSA replaces info whole: send the server's info with our keys on top
            server_info = self.remote.remote_info or self.remote.project.info
            body["info"] = {**server_info, **self.local.project.info}
        return body

    def _check_publishable(self) -> None:
        """PYBOSSA answers a bare 400 to publishing without a presenter or tasks: say it first."""
        info = self.local.project.info
        theirs = self.remote.remote_info or {} if self.remote else {}
        missing = []
        if not info.get("task_presenter") and not theirs.get("task_presenter"):
            missing.append("a task presenter (presenter.html)")
        remote_tasks = self.remote.tasks if self.remote else ()
        unknown = self.remote is not None and remote_tasks is None
        held = bool(remote_tasks) or bool(self.remote and self.remote.same_tasks)
        if not (self.local.tasks or unknown or (held and not self.prune)):
            missing.append("at least one task")
        if missing:
            problem = Problem(
                "project.toml",
                "published = true, but PYBOSSA publishes only a project with "
                + " and ".join(missing),
                field="project.published",
            )
            raise ValidationError([problem])

    def _plan_publish(self, wanted: bool | None, current: bool | None) -> None:
        if wanted and current is False:
            self.publish = True
        elif wanted is False and current:
            self.notes.append("the project is published; PYBOSSA cannot unpublish through its API")

    # -- helping materials ----------------------------------------------------------------------
    def plan_helping(self) -> None:
        materials = self.remote.helping_materials if self.remote else ()
        remote_by_name, copies = group_copies(materials, lambda m: m.name)
        names = {m.name for m in self.local.helping_materials}
        for material in self.local.helping_materials:
            info = _helping_info(material)
            theirs = remote_by_name.pop(material.name, None)
            if theirs is None:
                self.actions.append(CreateHelpingMaterial(material, info))
            else:
                self._update_helping(material, theirs, info)
        unwanted = list(remote_by_name.values())
        wanted = self._wanted("helping material")
        for name, group in sorted(copies.items(), key=lambda item: _by_id(item[1][0])):
            if name not in names and self.prune:
                unwanted += group[1:]  # the folder has no such material: every copy goes
                continue
            actions, duplicate = helping_copies(group, wanted)
            self.actions += actions
            self.duplicates.append(duplicate)
        for material in sorted(unwanted, key=_by_id):
            if self.prune:
                self.actions.append(DeleteHelpingMaterial(material))
            else:
                self.remote_only.append(RemoteOnly("helping material", material.name, material.id))

    def _update_helping(
        self, mine: HelpingMaterialState, theirs: HelpingMaterialState, info: dict[str, Any]
    ) -> None:
        remote_id = theirs.id
        assert remote_id is not None
        theirs = self._known_file(mine, theirs)
        changes: list[FieldChange] = []
        for key in sorted(info):
            if key in BOOKKEEPING_KEYS and key not in theirs.info and theirs.sha256 == mine.sha256:
                # made outside pbsync: the name matched through file_name and the file is the
                # recorded one, so adding pbsync's keys is not worth a write
                continue
            if not same(info[key], theirs.info.get(key)):
                changes.append(FieldChange(f"info.{key}", theirs.info.get(key), info[key]))
        if not same(float(mine.priority), float(theirs.priority)):
            changes.append(FieldChange("priority", theirs.priority, mine.priority))
        if mine.sha256 is None and mine.media_url != theirs.media_url:
            changes.append(FieldChange("media_url", theirs.media_url, mine.media_url))
        stored_elsewhere = self._stored_elsewhere(mine, theirs)
        if stored_elsewhere is not None:
            changes.append(stored_elsewhere)
        if not changes:
            return
        keys = sorted(mine.info)
        prev = self.previous.helping.get(mine.name)
        local_fp, remote_fp = helping_fingerprint(mine, keys), helping_fingerprint(theirs, keys)
        if prev is not None and remote_fp != prev and local_fp != prev:
            for change in changes:
                self.conflicts.append(
                    Conflict(f"helping material {mine.name}", change.field, change.new, change.old)
                )
        elif prev is not None and remote_fp != prev:
            changes = [FieldChange(c.field, c.old, c.new, drift=True) for c in changes]
        reupload = mine.sha256 is not None and (
            mine.sha256 != theirs.sha256 or stored_elsewhere is not None
        )
        # PYBOSSA replaces info whole: keep the server's keys (file_name, container, and any set in
        # the web UI, which the comparison above leaves alone) under ours
        merged = {**theirs.info, **info}
        self.actions.append(
            UpdateHelpingMaterial(mine, remote_id, merged, reupload, tuple(changes))
        )

    def _stored_elsewhere(
        self, mine: HelpingMaterialState, theirs: HelpingMaterialState
    ) -> FieldChange | None:
        """A change when the server's copy of an unchanged pbsync upload may not be that file.

        pbsync uploads under a name unique to (project, material, content) (`pbsync.sync.stored`);
        a copy served under any other name (an older pbsync's upload under the file's own name)
        may have been overwritten by another upload of the same user, so `info.sha256` does not
        vouch for it: it is uploaded again. Materials made by other tools carry no `sha256` and
        are judged by the hash the last pull recorded instead.
        """
        project_id = self.remote.project_id if self.remote else None
        sha = theirs.info.get("sha256")
        if project_id is None or mine.sha256 is None or sha != mine.sha256:
            return None
        if stored_as(theirs.media_url, project_id, mine.name, mine.sha256, mine.file_path):
            return None
        wanted = upload_name(project_id, mine.name, mine.sha256, mine.file_path)
        return FieldChange("stored file", theirs.media_url, wanted)

    def _known_file(
        self, mine: HelpingMaterialState, theirs: HelpingMaterialState
    ) -> HelpingMaterialState:
        """`theirs` with its file's sha256 filled in from the last sync when the server lacks it.

        Materials uploaded by the web UI or another tool carry no `info.sha256`; the last push or
        pull recorded the hash of the file the server then had (pull downloads it).
        """
        if theirs.sha256 is not None or mine.sha256 is None:
            return theirs
        recorded = self.previous.files.get(mine.name)
        return replace(theirs, sha256=recorded) if recorded is not None else theirs

    # -- tasks ----------------------------------------------------------------------------------
    def plan_tasks(self) -> None:
        if self.local.tasks is None:
            return
        if self.remote is not None and self.remote.tasks is None:
            self.notes.append("tasks were not fetched from the server; tasks left out of the plan")
            return
        key_fields = self.local.task_key_fields
        remote_tasks = self.remote.tasks or () if self.remote else ()
        same_tasks = self.remote.same_tasks if self.remote else {}
        remote_by_key, copies = group_copies(
            remote_tasks, lambda t: content_key(t.info, key_fields)
        )
        new: list[TaskState] = []
        for task in self.local.tasks:
            if task.key in same_tasks:
                continue  # the server holds it as the folder does
            theirs = remote_by_key.pop(task.key, None)
            if theirs is None:
                new.append(task)
            else:
                self._update_task(task, theirs)
        for start in range(0, len(new), TASK_BATCH):
            self.actions.append(CreateTasks(tuple(new[start : start + TASK_BATCH])))
        unwanted = list(remote_by_key.values())
        sources = {task.key: task.source for task in self.local.tasks} if copies else {}
        wanted = self._wanted("task")
        for key, group in sorted(copies.items(), key=lambda item: _by_id(item[1][0])):
            if key not in sources and self.prune:
                unwanted += group[1:]  # the folder has no such task: every copy goes
                continue
            name = sources.get(key) or f"task {group[0].id}"
            actions, duplicate = task_copies(name, group, wanted)
            self.actions += actions
            self.duplicates.append(duplicate)
        self._plan_remote_only_tasks(sorted(unwanted, key=_by_id))

    def _update_task(self, mine: TaskState, theirs: TaskState) -> None:
        assert theirs.id is not None
        want, have = task_fields(mine), task_fields(theirs)
        changes = [
            FieldChange(name, have[name], want[name])
            for name in ("info", *TASK_DEFAULTS)
            if not same(want[name], have[name])
        ]
        if not changes:
            return
        label = f"task {mine.source or theirs.id}"
        prev = self.previous.tasks.get(mine.key)
        if prev is not None and task_fingerprint(theirs) != prev:
            if task_fingerprint(mine) != prev:
                self.conflicts.extend(Conflict(label, c.field, c.new, c.old) for c in changes)
            else:
                changes = [FieldChange(c.field, c.old, c.new, drift=True) for c in changes]
        body = {c.field: c.new for c in changes}
        self.actions.append(UpdateTask(theirs.id, mine, body, tuple(changes)))

    def _plan_remote_only_tasks(self, tasks: Iterable[TaskState]) -> None:
        cascades: list[str] = []
        for task in tasks:
            label = f"task {task.id}"
            has_result = task.id in self.caller.with_result
            if not self.prune:
                self.remote_only.append(RemoteOnly("task", label, task.id, task.n_task_runs, task))
            elif has_result and self.caller.admin is False:
                # PYBOSSA's TaskAuth: only an admin deletes a task that has a result
                reason = (
                    "has a result: PYBOSSA lets only an admin delete it (its owners get 403), "
                    "so it stays, --force or not"
                )
                self.blocked.append(Blocked(label, reason, task.id, forceable=False))
            elif self.force or task.n_task_runs == 0:
                self.actions.append(DeleteTask(task))
                if has_result:
                    cascades.append(label)
            else:
                runs = "may have" if task.n_task_runs is None else "has"
                reason = f"{runs} task runs; deleting it deletes volunteers' answers"
                self.blocked.append(Blocked(label, reason, task.id))
        if cascades:
            self.notes.append(
                f"{', '.join(cascades)} {'has a result' if len(cascades) == 1 else 'have results'}"
                ": this key is an admin's, so PYBOSSA deletes the result with the task"
            )


def _by_id(item: HelpingMaterialState | TaskState) -> int:
    return item.id if item.id is not None else -1


def _helping_info(material: HelpingMaterialState) -> dict[str, Any]:
    """The info pbsync sends for a material: the folder's info plus its identity and file hash."""
    # the name is always sent: the server keeps only a sanitised basename as `file_name`, which
    # would not identify `maps/area.png` or `my map.png`
    info = {**material.info, "name": material.name}
    if material.sha256 is not None:
        info["sha256"] = material.sha256
    return info
