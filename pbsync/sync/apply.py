"""Carry out a `Plan` against a server and report what it cost.

Safety first: `apply` refuses, before its first write, a plan with unresolved conflicts or blocked
deletions (unless the plan was made with `force`), and an unknown category. Tasks are created by a
small bounded pool of workers. Nothing here keeps local bookkeeping that could go stale: an apply
interrupted at any point (Ctrl-C, crash, network loss) is resumed by fetching and planning again,
which creates only what is still missing since a task's identity is its content.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from pbclient.client import Client
from pbclient.errors import InvalidDataError, RefusedError
from pbclient.resources import HelpingMaterial, Project
from pbclient.retry import RateLimitWait
from pbsync.errors import (
    ConflictError,
    PbsyncError,
    Problem,
    UnsafeOperationError,
    ValidationError,
)
from pbsync.model import ProjectFields, TaskState
from pbsync.sync.actions import (
    Action,
    CreateHelpingMaterial,
    CreateProject,
    CreateTasks,
    DeleteHelpingMaterial,
    DeleteTask,
    Plan,
    PublishProject,
    UpdateHelpingMaterial,
    UpdateProject,
    UpdateTask,
)
from pbsync.sync.remote import RemoteProject

__all__ = ["WORKERS", "Report", "Reporter", "apply"]

log = logging.getLogger(__name__)

#: concurrent task POSTs; small, as the server's rate limit is per client anyway
WORKERS = 4


class Reporter:
    """Receives progress from `apply`; subclass and override what you need (all no-ops here).

    Exceptions raised by a reporter stop the apply (that is how a UI cancels).
    """

    def start(self, plan: Plan) -> None:
        """The apply begins (nothing sent yet)."""

    def action_started(self, action: Action) -> None:
        """An action begins."""

    def action_done(self, action: Action) -> None:
        """An action finished."""

    def task_created(self, task: TaskState, remaining: int) -> None:
        """One task was created; `remaining` tasks of the whole plan are still to be created."""

    def rate_limit_wait(self, wait: RateLimitWait) -> None:
        """The client is about to wait for a rate-limit window (wire `Client(on_wait=...)` here)."""

    def finish(self, report: Report) -> None:
        """The apply finished."""


@dataclass
class Report:
    """What an apply did: counts by kind ("project", "helping material", "task"), requests spent."""

    dry_run: bool = False
    project_id: int | None = None
    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    deleted: Counter[str] = field(default_factory=Counter)
    published: bool = False
    cancelled: bool = False
    requests: int = 0
    writes: int = 0
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """A JSON-serialisable summary."""
        return {
            "dry_run": self.dry_run,
            "project_id": self.project_id,
            "created": dict(self.created),
            "updated": dict(self.updated),
            "deleted": dict(self.deleted),
            "published": self.published,
            "cancelled": self.cancelled,
            "requests": self.requests,
            "writes": self.writes,
            "seconds": round(self.seconds, 3),
        }


def check(plan: Plan) -> None:
    """Raise if `plan` must not be applied as it is.

    Raises:
        ConflictError: conflicts and no `force`.
        UnsafeOperationError: blocked deletions (tasks with task runs) and no `force`.
    """
    if plan.conflicts and not plan.force:
        fields = sorted({f"{c.item}: {c.field}" for c in plan.conflicts})
        raise ConflictError(
            "the server and the folder both changed " + ", ".join(fields) + " since the last push "
            "(pull to take the server's values, or push --force to keep the folder's)",
            fields,
        )
    if plan.blocked and not plan.force:
        items = ", ".join(b.item for b in plan.blocked[:5])
        more = f" and {len(plan.blocked) - 5} more" if len(plan.blocked) > 5 else ""
        raise UnsafeOperationError(
            f"{items}{more} {'has' if len(plan.blocked) == 1 else 'have'} task runs: deleting "
            "deletes volunteers' answers (use --force to delete anyway, or push without --prune)"
        )


def apply(
    plan: Plan, client: Client, *, reporter: Reporter | None = None, dry_run: bool = False
) -> Report:
    """Send the plan's actions in order.

    Args:
        plan: from `make_plan`.
        client: an authenticated client for the server the plan was made against.
        reporter: progress callbacks (see `Reporter`).
        dry_run: send nothing; the report counts what would be done.

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
    before = client.stats.total
    started = time.monotonic()
    reporter.start(plan)
    runner.run()
    runner.report.requests = client.stats.total - before
    runner.report.seconds = time.monotonic() - started
    reporter.finish(runner.report)
    return runner.report


class _Runner:
    def __init__(self, plan: Plan, client: Client, reporter: Reporter, dry_run: bool) -> None:
        self.plan, self.client, self.reporter, self.dry_run = plan, client, reporter, dry_run
        self.report = Report(dry_run=dry_run, project_id=plan.project_id)
        self.project_id = plan.project_id
        self.tasks_left = plan.count(CreateTasks)
        self.category_ids: dict[str, int] = {}

    def run(self) -> None:
        if not self.dry_run:
            self._resolve_categories()
            self._check_publish()
        for action in self.plan.actions:
            self.reporter.action_started(action)
            if self.dry_run:
                self._count(action)
            else:
                self._do(action)
            self.reporter.action_done(action)

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
        params: dict[str, Any] = {"project_id": self.plan.project_id, "limit": 1}
        if self.client.has_api_key:
            params["all"] = 1  # an admin's list would leave out another user's project's runs
        if self.client.request("GET", "/api/taskrun", params=params):
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
        handler: Callable[[Any], None] = getattr(self, f"_do_{action.kind}")
        writes_before = _writes(self.client)
        handler(action)
        self.report.writes += _writes(self.client) - writes_before
        if not isinstance(action, CreateTasks):
            self._count(action)

    # -- one handler per action type --------------------------------------------------------------
    def _do_CreateProject(self, action: CreateProject) -> None:
        body = self._project_body(action.project)
        try:
            row = self.client.request("POST", "/api/project", json=body)
        except InvalidDataError as exc:
            if "already exists" not in str(exc):
                raise
            # PYBOSSA wants both name and short_name unique; the fetch found no project with
            # this short_name, so the clash is another project's name, or one this key cannot see
            fields = action.project
            raise PbsyncError(
                f"the server already has a project with the name {fields.name!r} or the "
                f"short_name {fields.short_name!r} (another of yours, or another user's): "
                "PYBOSSA needs both to be unique; change them in project.toml"
            ) from exc
        self.project_id = self.report.project_id = int(row["id"])

    def _do_UpdateProject(self, action: UpdateProject) -> None:
        body = dict(action.body)
        if "category" in body:
            body["category_id"] = self.category_ids[body.pop("category")]
        self.client.request("PUT", f"/api/project/{action.project_id}", json=body)

    def _do_PublishProject(self, action: PublishProject) -> None:
        project = Project.from_server({"id": self._project_id(), "short_name": action.short_name})
        try:
            self.client.projects.publish(project, force=self.plan.force)
        except RefusedError as exc:
            raise UnsafeOperationError(
                f"{action.short_name} has task runs, which publishing deletes (use --force)"
            ) from exc

    def _do_CreateHelpingMaterial(self, action: CreateHelpingMaterial) -> None:
        material, project_id = action.material, self._project_id()
        if material.file_path is None:
            body = {"project_id": project_id, "info": dict(action.info)}
            body.update(media_url=material.media_url, priority=material.priority)
            self.client.request("POST", "/api/helpingmaterial", json=body)
            return
        created = self.client.helping_materials.create(
            project_id, dict(action.info), file_path=material.file_path
        )
        if material.priority:
            # a multipart upload carries no priority: set it at once so the next plan is empty
            body = {"priority": material.priority}
            self.client.request("PUT", f"/api/helpingmaterial/{created.id}", json=body)

    def _do_UpdateHelpingMaterial(self, action: UpdateHelpingMaterial) -> None:
        material, path = action.material, f"/api/helpingmaterial/{action.remote_id}"
        body: dict[str, Any] = {"info": dict(action.info), "priority": material.priority}
        if action.reupload and material.file_path is not None:
            data = {"id": action.remote_id, "project_id": self._project_id(), "info": body["info"]}
            self.client.helping_materials.update(
                HelpingMaterial.from_server(data), file_path=material.file_path
            )
            if not any(c.field == "priority" for c in action.changes):
                return
            body = {"priority": material.priority}
        elif material.sha256 is None:
            body["media_url"] = material.media_url
        self.client.request("PUT", path, json=body)

    def _do_DeleteHelpingMaterial(self, action: DeleteHelpingMaterial) -> None:
        self.client.request("DELETE", f"/api/helpingmaterial/{action.material.id}")

    def _do_UpdateTask(self, action: UpdateTask) -> None:
        self.client.request("PUT", f"/api/task/{action.task_id}", json=dict(action.body))

    def _do_DeleteTask(self, action: DeleteTask) -> None:
        self.client.request("DELETE", f"/api/task/{action.task.id}")

    def _do_CreateTasks(self, action: CreateTasks) -> None:
        project_id = self._project_id()
        for task in _create_concurrently(self.client, project_id, action.tasks):
            self.tasks_left -= 1
            self.report.created["task"] += 1
            self.reporter.task_created(task, self.tasks_left)

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


def _create_concurrently(
    client: Client, project_id: int, tasks: tuple[TaskState, ...]
) -> Iterator[TaskState]:
    """POST every task with at most `WORKERS` in flight; yields each task once it is created.

    Progress is yielded in the caller's thread, so an exception there (a reporter, Ctrl-C) stops
    the pool: queued tasks are cancelled, in-flight ones finish. On Ctrl-C the pool is not waited
    for: a worker may be sleeping through a rate-limit window (up to 15 minutes on PYBOSSA); the
    connection's stoppable sleep (embedded.connect) wakes it, and a re-run creates what is missing.
    """
    pending = iter(tasks)
    pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="pbsync-task")
    running: dict[Future[Any], TaskState] = {}
    interrupted = False
    try:
        for task in pending:
            running[pool.submit(_post_task, client, project_id, task)] = task
            if len(running) >= WORKERS:
                yield from _drain(running, FIRST_COMPLETED)
        yield from _drain(running, None)
    except KeyboardInterrupt:
        interrupted = True
        raise
    finally:
        pool.shutdown(wait=not interrupted, cancel_futures=True)


def _drain(running: dict[Future[Any], TaskState], until: str | None) -> Iterator[TaskState]:
    done, _ = wait(list(running), return_when=until or "ALL_COMPLETED")
    for future in done:
        task = running.pop(future)
        future.result()  # re-raise a worker's error here
        yield task


def _post_task(client: Client, project_id: int, task: TaskState) -> None:
    body = {
        "project_id": project_id,
        "info": dict(task.info),
        "n_answers": task.n_answers,
        "priority_0": task.priority_0,
        "quorum": task.quorum,
        "calibration": task.calibration,
    }
    client.request("POST", "/api/task", json=body)


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
    }
    return effects[type(action)]


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
