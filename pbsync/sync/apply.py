"""Carry out a `Plan` against a server and report what it cost.

Safety first: `apply` refuses, before its first write, a plan with unresolved conflicts or blocked
deletions (unless the plan was made with `force`), and an unknown category. Every request goes
through pbclient's managers, so each PYBOSSA rule (owner scoping, the publish guard, the
reserved-keys retry, uploads) has one home; tasks are created by `client.tasks.create_many`, a
bounded pool of workers that finds a POST whose answer was lost on the server instead of posting
it twice, and the project and helping materials are looked for the same way (by short_name, by
the info sent) before a create is sent again. Once the creates are done, `settle` deletes the
copies that appeared meanwhile (another push of the folder, a lost answer that landed late),
keeping the lowest id. Nothing here keeps local bookkeeping that could go stale: an apply
interrupted at any point (Ctrl-C, crash, network loss) is resumed by fetching and planning again,
which creates only what is still missing since a task's identity is its content (the push around
it records that it began, `pbsync.sync.marker`, so that the next one deletes the copies its lost
answers made).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from pbclient.client import Client
from pbclient.errors import BulkCreateError, InvalidDataError
from pbclient.reconcile import create_once
from pbclient.resources import HelpingMaterial, Project, Resource, Task
from pbclient.tasks import DEFAULT_WORKERS
from pbsync.errors import (
    ConflictError,
    PbsyncError,
    Problem,
    UnsafeOperationError,
    ValidationError,
)
from pbsync.model import HelpingMaterialState, ProjectFields, TaskState
from pbsync.sync.actions import (
    Action,
    CreateHelpingMaterial,
    CreateProject,
    CreateTasks,
    DeleteDuplicateHelpingMaterial,
    DeleteDuplicateTask,
    DeleteHelpingMaterial,
    DeleteTask,
    Plan,
    PublishProject,
    UpdateHelpingMaterial,
    UpdateProject,
    UpdateTask,
)
from pbsync.sync.remote import RemoteProject
from pbsync.sync.report import Report, Reporter
from pbsync.sync.settle import delete_material_copy, delete_task_copy, settle
from pbsync.sync.stored import upload_name

__all__ = ["WORKERS", "Report", "Reporter", "apply"]

log = logging.getLogger(__name__)

#: concurrent task POSTs: pbclient's bulk default (see `pbclient.tasks.DEFAULT_WORKERS`)
WORKERS = DEFAULT_WORKERS


def check(plan: Plan) -> None:
    """Raise if `plan` must not be applied as it is.

    Raises:
        ConflictError: conflicts and no `force`.
        UnsafeOperationError: blocked deletions (tasks with task runs) and no `force`; a step
            the server refuses whatever the options (`Blocked.forceable` False) is left out
            and does not stop the push.
    """
    if plan.conflicts and not plan.force:
        fields = sorted({f"{c.item}: {c.field}" for c in plan.conflicts})
        raise ConflictError(
            "the server and the folder both changed " + ", ".join(fields) + " since the last push "
            "(pull to take the server's values, or push --force to keep the folder's)",
            fields,
        )
    refused = plan.refused
    if refused:
        items = ", ".join(b.item for b in refused[:5])
        more = f" and {len(refused) - 5} more" if len(refused) > 5 else ""
        raise UnsafeOperationError(
            f"{items}{more} {'has' if len(refused) == 1 else 'have'} task runs: deleting "
            "deletes volunteers' answers (use --force to delete anyway, or push without --prune)"
        )


def apply(
    plan: Plan,
    client: Client,
    *,
    reporter: Reporter | None = None,
    dry_run: bool = False,
    spent: tuple[int, float] = (0, 0.0),
    before_writes: Callable[[], None] | None = None,
) -> Report:
    """Send the plan's actions in order, then delete the copies that appeared meanwhile.

    Args:
        plan: from `make_plan`.
        client: an authenticated client for the server the plan was made against.
        reporter: progress callbacks (see `Reporter`).
        dry_run: send nothing; the report counts what would be done.
        spent: (requests, seconds) already spent on this push, planning it: the report and
            `reporter.finish` count them too.
        before_writes: called once every check passed, right before the first write (not for
            a plan with no action, nor a dry run): the push records there that it began.

    Returns:
        The report (requests counted from the client's stats).

    Raises:
        ConflictError, UnsafeOperationError: see `check` (nothing sent).
        ValidationError: the folder names a category the server does not have (nothing sent).
        pbclient.errors.PybossaError: the server refused a write or could not be reached; the writes
            before it stand, and a new fetch + plan + apply resumes.
    """
    check(plan)
    reporter = reporter or Reporter()
    runner = _Runner(plan, client, reporter, dry_run)
    runner.before_writes = before_writes
    before = client.stats.total
    started = time.monotonic()
    reporter.start(plan)
    runner.run()
    runner.report.requests = client.stats.total - before + spent[0]
    runner.report.seconds = time.monotonic() - started + spent[1]
    reporter.finish(runner.report)
    return runner.report


class _Runner:
    def __init__(self, plan: Plan, client: Client, reporter: Reporter, dry_run: bool) -> None:
        self.plan, self.client, self.reporter, self.dry_run = plan, client, reporter, dry_run
        self.report = Report(dry_run=dry_run, project_id=plan.project_id)
        self.project_id = plan.project_id
        self.tasks_left = plan.count(CreateTasks)
        self.category_ids: dict[str, int] = {}
        #: the highest task id known before the next batch (None: create_many reads it)
        self.after_id = plan.last_task_id
        #: one handler per action type: the plan's vocabulary, mapped explicitly
        self.handlers: dict[type[Action], Callable[[Any], None]] = {
            CreateProject: self._create_project,
            UpdateProject: self._update_project,
            PublishProject: self._publish_project,
            CreateHelpingMaterial: self._create_helping,
            UpdateHelpingMaterial: self._update_helping,
            DeleteHelpingMaterial: self._delete_helping,
            CreateTasks: self._create_tasks,
            UpdateTask: self._update_task,
            DeleteTask: self._delete_task,
            DeleteDuplicateTask: self._delete_task_copy,
            DeleteDuplicateHelpingMaterial: self._delete_material_copy,
        }
        self.settled = False
        #: the lowest and highest task ids this push's creates got (the settle's chunks)
        self.created: tuple[int, int] | None = None
        self.before_writes: Callable[[], None] | None = None

    def run(self) -> None:
        if not self.dry_run:
            self._resolve_categories()
            self._check_publish()
            if self.before_writes is not None and self.plan.actions:
                self.before_writes()
        for action in self.plan.actions:
            if isinstance(action, PublishProject):
                self._settle()  # before publishing: volunteers would start on the copies
            self.reporter.action_started(action)
            if self.dry_run:
                self._count(action)
            else:
                self._do(action)
            self.reporter.action_done(action)
        self._settle()

    def _settle(self) -> None:
        """After creating: delete the copies lost answers or another push made (settle.py)."""
        if self.dry_run or self.settled or self.project_id is None:
            return
        self.settled = True
        # where copies may have appeared: what this push created, and what it found copied
        # (a lost answer of the same run may still land)
        created, deleted = self.report.created, self.report.deleted
        tasks = bool(created["task"] or deleted["duplicate task"])
        helping = bool(created["helping material"] or deleted["duplicate helping material"])
        if not (tasks or helping):
            return
        writes_before = _writes(self.client)
        found = settle(
            self.client,
            self.plan,
            self.project_id,
            tasks=tasks,
            helping=helping,
            created=self.created,
            workers=WORKERS,
        )
        self.report.writes += _writes(self.client) - writes_before
        for duplicate in found:
            self.report.deleted[f"duplicate {duplicate.kind}"] += len(duplicate.deleting)
        self.report.duplicates += found

    def _resolve_categories(self) -> None:
        """Map the category short_names the plan uses to ids (one GET), before any write."""
        wanted = {c for c in map(_category_of, self.plan.actions) if c}
        if not wanted:
            return
        self.category_ids = RemoteProject.categories(self.client)
        missing = sorted(wanted - set(self.category_ids))
        if missing:
            known = ", ".join(sorted(self.category_ids)) or "none"
            raise ValidationError(
                [
                    Problem(
                        "project.toml",
                        f"unknown category {m!r} (server has: {known})",
                        None,
                        "project.category",
                    )
                    for m in missing
                ]
            )

    def _check_publish(self) -> None:
        """Refuse, before any write, to publish an existing project that has task runs."""
        publishing = any(isinstance(a, PublishProject) for a in self.plan.actions)
        if not publishing or self.plan.force or self.plan.project_id is None:
            return
        if self.client.projects.has_task_runs(self.plan.project_id):
            raise UnsafeOperationError(
                f"{self.plan.short_name} has task runs, which publishing deletes (use --force)"
            )

    def _count(self, action: Action) -> None:
        kind, counter = _effect(action)
        if counter == "published":
            self.report.published = True
            return
        getattr(self.report, counter)[kind] += (
            action.writes if isinstance(action, CreateTasks) else 1
        )

    def _do(self, action: Action) -> None:
        writes_before = _writes(self.client)
        self.handlers[type(action)](action)
        self.report.writes += _writes(self.client) - writes_before
        if not isinstance(action, CreateTasks):
            self._count(action)

    # -- one handler per action type --------------------------------------------------------------
    def _create_project(self, action: CreateProject) -> None:
        fields = action.project
        body = self._project_body(fields)
        try:
            # a POST whose answer was lost is looked for by short_name (unique on the server)
            created = create_once(
                lambda: self.client.projects.create(body),
                lambda: self._created_meanwhile(fields.short_name),
                rounds=self.client.retry.retries + 1,
            )
        except InvalidDataError as exc:
            if "already exists" not in str(exc):
                raise
            # the fetch found no project with this short_name: another push of this folder
            # (or a lost answer of ours) made it since, and this push goes on in it
            found = self._created_meanwhile(fields.short_name)
            if found is None:
                # PYBOSSA wants both name and short_name unique: the clash is another
                # project's name, or a project this key cannot see
                raise PbsyncError(
                    f"the server already has a project with the name {fields.name!r} or the "
                    f"short_name {fields.short_name!r} (another of yours, or another user's): "
                    "PYBOSSA needs both to be unique; change them in project.toml"
                ) from exc
            log.info("%s was created meanwhile (another push?): adopted", fields.short_name)
            created = found
        self.project_id = self.report.project_id = int(created.id)

    def _created_meanwhile(self, short_name: str) -> Project | None:
        """The project `short_name` if it exists now (one GET); another user's is refused.

        Raises:
            pbsync.errors.NotOwnerError: it belongs to another user.
        """
        row = RemoteProject.project_row(self.client, short_name, owner=True)
        return Project.from_server(row) if row is not None else None

    def _update_project(self, action: UpdateProject) -> None:
        body = dict(action.body)
        if "category" in body:
            body["category_id"] = self.category_ids[body.pop("category")]
        # the plan's info is already the server's info (as fetched) with the folder's keys on top
        self.client.projects.update(_as_fetched(Project, action.project_id), **body)

    def _publish_project(self, action: PublishProject) -> None:
        project = Project.from_server({"id": self._project_id(), "short_name": action.short_name})
        # _check_publish asked the server about task runs before the first write; asking again
        # here would cost a request per publish for the same answer
        self.client.projects.publish(project, force=True)

    def _create_helping(self, action: CreateHelpingMaterial) -> None:
        material = action.material
        self.client.helping_materials.create(
            self._project_id(),
            dict(action.info),
            file_path=material.file_path,
            media_url=material.media_url if material.file_path is None else None,
            priority=material.priority,
            upload_name=self._upload_name(material),
            # a lost answer is looked for among the materials above those the fetch saw
            after_id=self.plan.last_helping_id,
        )

    def _update_helping(self, action: UpdateHelpingMaterial) -> None:
        material = action.material
        fields: dict[str, Any] = {"info": dict(action.info), "priority": material.priority}
        if material.sha256 is None:
            fields["media_url"] = material.media_url
        # what the fetch saw of it, so that only the planned changes are sent
        known = {"project_id": self._project_id(), **_fields_of(action)}
        stub = _as_fetched(HelpingMaterial, action.remote_id, **known)
        path = material.file_path if action.reupload else None
        name = self._upload_name(material) if action.reupload else None
        self.client.helping_materials.update(stub, file_path=path, upload_name=name, **fields)

    def _upload_name(self, material: HelpingMaterialState) -> str | None:
        """The name the file travels under (see `pbsync.sync.stored`); None for a link."""
        if material.file_path is None or material.sha256 is None:
            return None
        return upload_name(self._project_id(), material.name, material.sha256, material.file_path)

    def _delete_helping(self, action: DeleteHelpingMaterial) -> None:
        self.client.helping_materials.delete(_id_of(action.material.id))

    def _update_task(self, action: UpdateTask) -> None:
        self.client.tasks.update(_as_fetched(Task, action.task_id), **action.body)

    def _delete_task(self, action: DeleteTask) -> None:
        self.client.tasks.delete(_id_of(action.task.id))

    def _delete_task_copy(self, action: DeleteDuplicateTask) -> None:
        delete_task_copy(self.client, action)

    def _delete_material_copy(self, action: DeleteDuplicateHelpingMaterial) -> None:
        delete_material_copy(self.client, action)

    def _create_tasks(self, action: CreateTasks) -> None:
        def created(done: int, total: int) -> None:
            self.tasks_left -= 1
            self.report.created["task"] += 1
            self.reporter.task_created(self.tasks_left)

        try:
            tasks = self.client.tasks.create_many(
                self._project_id(),
                [_task_body(task) for task in action.tasks],
                bodies=True,
                workers=WORKERS,
                progress=created,
                after_id=self.after_id,
            )
        except BulkCreateError as exc:
            # the first item's own error says why (the server refused it, or was unreachable);
            # what was created stays, and a re-run creates the rest
            log.info("%s", exc)
            raise exc.errors[min(exc.errors)] from exc
        ids = [int(task.id) for task in tasks]
        if ids:
            low, high = self.created or (min(ids), max(ids))
            self.created = (min(low, *ids), max(high, *ids))
        if self.after_id is not None:
            # the next batch looks for lost answers only above what this one created
            self.after_id = max([self.after_id, *ids])

    # -- helpers ----------------------------------------------------------------------------------
    def _project_id(self) -> int:
        if self.project_id is None:
            raise RuntimeError("the plan has no project to act on")  # a plan bug, not user error
        return self.project_id

    def _project_body(self, fields: ProjectFields) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": fields.name,
            "short_name": fields.short_name,
            "description": fields.description,
            "info": dict(fields.info),
        }
        for name in ("long_description", "webhook", "allow_anonymous_contributors", "zip_download"):
            if getattr(fields, name) is not None:
                body[name] = getattr(fields, name)
        if fields.category is not None:
            body["category_id"] = self.category_ids[fields.category]
        return body


R = TypeVar("R", bound=Resource)


def _as_fetched(cls: type[R], resource_id: int, **known: Any) -> R:
    """A resource as the plan's fetch saw it: an update then sends just the fields set on it.

    The plan already merged the server's `info` (as fetched) with the folder's keys, so the
    manager must not fetch it again to merge (which it does for objects built by hand).
    """
    obj: R = cls.from_server({"id": resource_id, **known})
    return obj


def _fields_of(action: UpdateHelpingMaterial) -> dict[str, Any]:
    """The server's priority and media_url as the plan saw them: the folder's, unless changed."""
    material = action.material
    seen: dict[str, Any] = {"priority": material.priority}
    if material.sha256 is None:
        seen["media_url"] = material.media_url
    seen.update({c.field: c.old for c in action.changes if c.field in seen})
    return seen


def _id_of(value: int | None) -> int:
    if value is None:
        raise RuntimeError("a planned deletion without a server id")  # a plan bug
    return value


def _task_body(task: TaskState) -> dict[str, Any]:
    return {
        "info": dict(task.info),
        "n_answers": task.n_answers,
        "priority_0": task.priority_0,
        "quorum": task.quorum,
        "calibration": task.calibration,
    }


def _writes(client: Client) -> int:
    return sum(n for (method, _), n in client.stats.snapshot().items() if method != "GET")


def _category_of(action: Action) -> str | None:
    if isinstance(action, CreateProject):
        return action.project.category
    if isinstance(action, UpdateProject):
        value = action.body.get("category")
        return str(value) if value is not None else None
    return None


def _effect(action: Action) -> tuple[str, str]:
    """(kind of item, report counter) for an action."""
    effects: Mapping[type[Action], tuple[str, str]] = {
        CreateProject: ("project", "created"),
        UpdateProject: ("project", "updated"),
        PublishProject: ("project", "published"),
        CreateHelpingMaterial: ("helping material", "created"),
        UpdateHelpingMaterial: ("helping material", "updated"),
        DeleteHelpingMaterial: ("helping material", "deleted"),
        CreateTasks: ("task", "created"),
        UpdateTask: ("task", "updated"),
        DeleteTask: ("task", "deleted"),
        DeleteDuplicateTask: ("duplicate task", "deleted"),
        DeleteDuplicateHelpingMaterial: ("duplicate helping material", "deleted"),
    }
    return effects[type(action)]
