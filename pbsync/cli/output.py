"""Rendering plans, reports and progress with rich (and as JSON for `--json`)."""

from __future__ import annotations

import difflib
import json
import logging
import math
import threading
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.progress import Task as ProgressTask
from rich.text import Text

from pbclient.client import Client
from pbclient.retry import RateLimitWait
from pbsync.cli.plantasks import task_lines
from pbsync.cli.plantext import change_lines, short_value
from pbsync.model import TaskState
from pbsync.sync.actions import (
    Action,
    CreateHelpingMaterial,
    CreateProject,
    CreateTasks,
    DeleteDuplicateHelpingMaterial,
    DeleteDuplicateTask,
    DeleteHelpingMaterial,
    DeleteTask,
    Duplicate,
    FieldChange,
    Plan,
    PublishProject,
    RemoteOnly,
    UpdateHelpingMaterial,
    UpdateProject,
    UpdateTask,
)
from pbsync.sync.apply import Report, Reporter

__all__ = [
    "ProgressReporter",
    "describe_duplicate",
    "plan_json",
    "render_plan",
    "render_report",
    "summary",
]

log = logging.getLogger(__name__)

#: lines of a text diff shown per field before "... N more lines"
DIFF_LINES = 40
#: items listed per group (remote-only, created tasks) before "... and N more"
LIST_ITEMS = 10
#: PYBOSSA's rate-limit window, seconds
WINDOW = 900


def summary(plan: Plan) -> dict[str, int]:
    """Counts of what the plan does, by verb and kind."""
    return {
        "create_project": plan.count(CreateProject),
        "update_project": plan.count(UpdateProject),
        "publish": plan.count(PublishProject),
        "create_helping": plan.count(CreateHelpingMaterial),
        "update_helping": plan.count(UpdateHelpingMaterial),
        "delete_helping": plan.count(DeleteHelpingMaterial),
        "create_tasks": plan.count(CreateTasks),
        "update_tasks": plan.count(UpdateTask),
        "delete_tasks": plan.count(DeleteTask),
        "delete_duplicates": plan.count(DeleteDuplicateTask)
        + plan.count(DeleteDuplicateHelpingMaterial),
        "conflicts": len(plan.conflicts),
        "remote_only": len(plan.remote_only),
        "duplicates": len(plan.duplicates),
    }


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def _change_json(change: FieldChange) -> dict[str, Any]:
    return {
        "field": change.field,
        "old": _jsonable(change.old),
        "new": _jsonable(change.new),
        "drift": change.drift,
    }


def _task_json(task: TaskState) -> dict[str, Any]:
    """A task in full: where it comes from, its info and attributes (every task, for `--json`)."""
    return {
        "source": task.source,
        "info": _jsonable(task.info),
        "n_answers": task.n_answers,
        "priority_0": task.priority_0,
        "quorum": task.quorum,
        "calibration": task.calibration,
    }


def _remote_only_json(item: RemoteOnly) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": item.kind, "name": item.name, "id": item.id}
    if item.task is not None:
        out["info"] = _jsonable(item.task.info)
        out["n_task_runs"] = item.task.n_task_runs
    return out


def _action_json(action: Action) -> dict[str, Any]:
    out: dict[str, Any] = {"action": action.kind}
    if isinstance(action, UpdateProject | UpdateHelpingMaterial | UpdateTask):
        out["changes"] = [_change_json(c) for c in action.changes]
    if isinstance(action, CreateHelpingMaterial | UpdateHelpingMaterial | DeleteHelpingMaterial):
        out["name"] = action.material.name
    if isinstance(action, UpdateHelpingMaterial):
        out["reupload"] = action.reupload
    if isinstance(action, CreateTasks):
        out["count"] = len(action.tasks)
        out["sources"] = [t.source for t in action.tasks]
        out["tasks"] = [_task_json(t) for t in action.tasks]
    if isinstance(action, UpdateTask):
        out["task_id"], out["source"] = action.task_id, action.task.source
        out["info"] = _jsonable(action.task.info)
    if isinstance(action, DeleteTask):
        out["task_id"] = action.task.id
        out["info"] = _jsonable(action.task.info)
        out["n_task_runs"] = action.task.n_task_runs
    if isinstance(action, DeleteDuplicateTask):
        out["task_id"], out["keep"] = action.task.id, action.keep
    if isinstance(action, DeleteDuplicateHelpingMaterial):
        out["name"], out["id"] = action.material.name, action.material.id
        out["keep"] = action.keep
    return out


def plan_json(plan: Plan) -> dict[str, Any]:
    """The plan as JSON: `in_sync`, `summary`, `actions`, `conflicts`, `remote_only`, ..."""
    return {
        "project": plan.short_name,
        "project_id": plan.project_id,
        "in_sync": plan.in_sync,
        "summary": summary(plan),
        "actions": [_action_json(a) for a in plan.actions],
        "conflicts": [
            {
                "item": c.item,
                "field": c.field,
                "local": _jsonable(c.local),
                "remote": _jsonable(c.remote),
            }
            for c in plan.conflicts
        ],
        "remote_only": [_remote_only_json(r) for r in plan.remote_only],
        "blocked": [{"item": b.item, "reason": b.reason} for b in plan.blocked],
        "duplicates": [d.to_json() for d in plan.duplicates],
        "notes": list(plan.notes),
        "unread": list(plan.unread),
    }


def _short(value: Any) -> str:
    return short_value(value)


def _render_change(console: Console, change: FieldChange, indent: str = "    ") -> None:
    drift = " [yellow](changed on the server since the last push)[/]" if change.drift else ""
    old, new = change.old, change.new
    if isinstance(old, str) and isinstance(new, str) and ("\n" in old or "\n" in new):
        console.print(f"{indent}[bold]{escape(change.field)}[/]{drift}")
        lines = list(
            difflib.unified_diff(
                old.splitlines(), new.splitlines(), "server", "folder", lineterm="", n=2
            )
        )
        for line in lines[:DIFF_LINES]:
            style = "green" if line.startswith("+") else "red" if line.startswith("-") else "dim"
            console.print(f"{indent}  [{style}]{escape(line)}[/]", highlight=False)
        if len(lines) > DIFF_LINES:
            console.print(f"{indent}  ... {len(lines) - DIFF_LINES} more lines")
        return
    lines = change_lines(change)
    if len(lines) == 1 and lines[0].startswith(f"{change.field}: "):
        field, _, values = lines[0].partition(": ")
        console.print(f"{indent}[bold]{escape(field)}[/]: {escape(values)}{drift}", highlight=False)
        return
    console.print(f"{indent}[bold]{escape(change.field)}[/]{drift}")
    for line in lines[:DIFF_LINES]:
        console.print(f"{indent}  {escape(line)}", highlight=False)
    if len(lines) > DIFF_LINES:
        console.print(f"{indent}  ... {len(lines) - DIFF_LINES} more")


def _render_action(console: Console, action: Action) -> None:
    if isinstance(action, CreateProject):
        console.print(f"  [green]+ create project[/] {escape(action.project.short_name)}")
    elif isinstance(action, UpdateProject | UpdateHelpingMaterial):
        what = ""
        if isinstance(action, UpdateHelpingMaterial):
            what = f" {action.material.name}" + (" (new file)" if action.reupload else "")
        label = "update project" if isinstance(action, UpdateProject) else "update helping material"
        console.print(f"  [yellow]~ {label}[/]{escape(what)}")
        for change in action.changes:
            _render_change(console, change)
    elif isinstance(action, PublishProject):
        console.print(f"  [magenta]! publish[/] {escape(action.short_name)}")
    elif isinstance(action, CreateHelpingMaterial):
        console.print(f"  [green]+ create helping material[/] {escape(action.material.name)}")
    elif isinstance(action, DeleteHelpingMaterial):
        console.print(f"  [red]- delete helping material[/] {escape(action.material.name)}")
    elif isinstance(action, DeleteDuplicateTask):
        console.print(f"  [red]- delete duplicate task[/] {action.task.id} (copy of {action.keep})")
    elif isinstance(action, DeleteDuplicateHelpingMaterial):
        what = f"{action.material.name} #{action.material.id} (copy of #{action.keep})"
        console.print(f"  [red]- delete duplicate helping material[/] {escape(what)}")


def _ids(ids: tuple[int, ...]) -> str:
    shown = ", ".join(f"#{i}" for i in ids[:LIST_ITEMS])
    return shown + (f" and {len(ids) - LIST_ITEMS} more" if len(ids) > LIST_ITEMS else "")


def describe_duplicate(duplicate: Duplicate, *, done: bool = False) -> str:
    """One line for an identity the server holds more than once, and what becomes of its copies.

    Args:
        duplicate: the copies.
        done: the deletions happened (a push's report), rather than being planned.
    """
    d = duplicate
    n = len(d.extra) + 1
    parts = [f"#{d.keep} kept"]
    if d.deleting:
        parts.append(f"{_ids(d.deleting)} {'deleted' if done else 'to delete'}")
    if d.answered:
        parts.append(f"{_ids(d.answered)} kept: task runs (delete by hand if unwanted)")
    if d.uncounted:
        parts.append(f"{_ids(d.uncounted)} kept: task runs not counted")
    others = tuple(i for i in d.left if i not in d.answered and i not in d.uncounted)
    if others:
        parts.append(f"push --dedupe deletes {_ids(others)}")
    return f"duplicate {d.kind} {d.name}: {n} copies on the server; " + ", ".join(parts)


#: actions shown by `task_lines` (grouped, summarised) rather than one by one
TASK_ACTIONS = (CreateTasks, UpdateTask, DeleteTask)


def render_plan(console: Console, plan: Plan, *, all_tasks: bool = False) -> None:
    """Print the plan grouped: actions (with field-level diffs), conflicts, remote-only, notes.

    Tasks are shown by content, tasks sharing a change as one group, the first few of each
    group listed; `all_tasks` lists every one (`diff --tasks`).
    """
    if plan.in_sync:
        console.print(f"[green]{escape(plan.short_name)}: in sync[/], nothing to push.")
    elif plan.empty:
        console.print(
            f"[bold]{escape(plan.short_name)}[/]: nothing to push, but the server holds copies"
        )
    else:
        console.print(f"[bold]{escape(plan.short_name)}[/]: {_counts_line(plan)}")
        for action in plan.actions:
            if not isinstance(action, TASK_ACTIONS):
                _render_action(console, action)
    for line in task_lines(plan, all_tasks):
        text = escape(line.text)
        styled = f"[{line.style}]{text}[/]" if line.style else text
        console.print(" " * line.indent + styled, highlight=False)
    for conflict in plan.conflicts:
        console.print(
            f"  [bold red]conflict[/] {escape(conflict.item)} {escape(conflict.field)}: "
            f"folder [green]{escape(_short(conflict.local))}[/], server "
            f"[red]{escape(_short(conflict.remote))}[/] (both changed since the last push)",
            highlight=False,
        )
    remote_only = [r for r in plan.remote_only if r.task is None]  # tasks: by content, above
    if remote_only:
        names = ", ".join(r.name for r in remote_only[:LIST_ITEMS])
        more = len(remote_only) - LIST_ITEMS
        names += f" and {more} more" if more > 0 else ""
        console.print(f"  [dim]remote only (kept; push --prune deletes them): {escape(names)}[/]")
    for blocked in plan.blocked:
        console.print(f"  [red]blocked[/] {escape(blocked.item)}: {escape(blocked.reason)}")
    for duplicate in plan.duplicates[:LIST_ITEMS]:
        console.print(f"  [yellow]{escape(describe_duplicate(duplicate))}[/]", highlight=False)
    if len(plan.duplicates) > LIST_ITEMS:
        console.print(f"  [yellow]... and {len(plan.duplicates) - LIST_ITEMS} more duplicates[/]")
    for note in plan.notes:
        console.print(f"  [dim]note: {escape(note)}[/]")
    if plan.unread:
        console.print(f"  [dim]{escape(unread_line(plan))}[/]")


def unread_line(plan: Plan) -> str:
    """What a push did not compare, and how to make it compare: "tasks not read: ..."."""
    parts = " and ".join(plan.unread)
    return (
        f"{parts} not read: unchanged in the folder since the last sync (push --refresh "
        "compares them with the server)"
    )


def _counts_line(plan: Plan) -> str:
    """What the plan does, by verb and kind: "create 1 project, 2 helping materials, 5 tasks"."""
    counts = summary(plan)
    verbs = []
    for verb in ("create", "update", "delete"):
        kinds = [
            _n(counts[f"{verb}_project"], "project") if counts.get(f"{verb}_project") else "",
            _n(counts[f"{verb}_helping"], "helping material") if counts[f"{verb}_helping"] else "",
            _n(counts[f"{verb}_tasks"], "task") if counts[f"{verb}_tasks"] else "",
        ]
        if any(kinds):
            verbs.append(f"{verb} " + ", ".join(k for k in kinds if k))
    if counts["delete_duplicates"]:
        verbs.append(
            f"delete {_n(counts['delete_duplicates'], 'extra copy')}".replace("copys", "copies")
        )
    if counts["publish"]:
        verbs.append("publish")
    if plan.conflicts:
        verbs.append(_n(len(plan.conflicts), "conflict"))
    return "; ".join(verbs)


def _n(count: int, noun: str) -> str:
    """ "1 task", "3,412 tasks"."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def summary_line(report: Report) -> str:
    """What an apply did, in a few words: "1 project updated, 3 tasks created"."""
    parts = [
        f"{n:,} {kind}{'s' if n != 1 else ''} {what}"
        for what, counter in (
            ("created", report.created),
            ("updated", report.updated),
            ("deleted", report.deleted),
        )
        for kind, n in sorted(counter.items())
    ]
    if report.published:
        parts.append("published")
    return ", ".join(parts) or "nothing changed"


def render_report(console: Console, report: Report) -> None:
    """One-paragraph summary of an apply."""
    if report.cancelled:
        console.print("Cancelled; nothing was sent.")
        return
    # "Dry run, nothing sent: 1 project would be updated" reads; "Would 1 project updated" did not
    verb = "Dry run, nothing sent; it would have:" if report.dry_run else "Done:"
    text = summary_line(report)
    # the planning reads count too: requests are what a PYBOSSA's rate limit spends
    counts = f"{_n(report.requests, 'request')}, {_n(report.writes, 'write')}"
    spent = f" ({_n(report.requests, 'request')})" if report.dry_run else ""
    if not report.dry_run:
        spent = f" ({counts}, {report.seconds:.1f}s)"
    console.print(f"{verb} {text}{spent}.")
    for duplicate in report.duplicates[:LIST_ITEMS]:
        line = describe_duplicate(duplicate, done=True)
        console.print(f"  {escape(line)} (another push, or a lost answer)", highlight=False)
    if len(report.duplicates) > LIST_ITEMS:
        console.print(f"  ... and {len(report.duplicates) - LIST_ITEMS} more duplicates")


class ProgressReporter(Reporter):
    """A rich progress bar for task creation, and rate-limit waits with an estimate of the end."""

    def __init__(self, console: Console, client: Client | None = None) -> None:
        self.console = console
        self.client = client
        self.progress: Progress | None = None
        self.bar: Any = None
        self.left = 0
        self._lock = threading.Lock()
        self._announced: set[tuple[str, int]] = set()
        #: the last announced window's end per bucket: the next one tells the window's length
        self._last_until: dict[str, float] = {}

    def start(self, plan: Plan) -> None:
        self.left = plan.count(CreateTasks)
        # a bar only on a terminal: elsewhere (CI logs, pipes) it would print just a blank line
        if self.left and self.console.is_terminal:
            self.progress = Progress(
                TextColumn("creating tasks"),
                BarColumn(),
                MofNCompleteColumn(),
                PacedTimeColumn(),
                console=self.console,
                transient=True,
            )
            self.progress.start()
            self.bar = self.progress.add_task("tasks", total=self.left)

    def task_created(self, remaining: int) -> None:
        self.left = remaining
        if self.progress is not None:
            self.progress.advance(self.bar)

    def rate_limit_wait(self, wait: RateLimitWait) -> None:
        # every worker thread waits for the same window: announce each window once
        with self._lock:
            window = (wait.path, int(wait.until))
            if window in self._announced:
                return
            self._announced.add(window)
            # servers may use another window than PYBOSSA's 900 s (`serve --rate-limit 40/60`):
            # once two windows were seen, their distance is the length the estimate uses
            previous = self._last_until.get(wait.path)
            self._last_until[wait.path] = wait.until
            length = wait.until - previous if previous and wait.until - previous >= 1 else WINDOW
            message = wait_message(wait, self.left, self._limit(wait.path), length)
            self.console.print(message)
            if self.progress is not None and "done about " in message:
                # rich's estimate comes from the recent speed, which knows nothing of the windows
                end = message.rsplit("done about ", 1)[1]
                self.progress.update(self.bar, done_about=end)

    def finish(self, report: Report) -> None:
        self.close()

    def close(self) -> None:
        """Stop the progress bar (also after an error)."""
        if self.progress is not None:
            self.progress.stop()
            self.progress = None

    def _limit(self, path: str) -> int | None:
        limits: Mapping[str, Any] = self.client.rate_limits if self.client else {}
        found = limits.get(path)
        return getattr(found, "limit", None)


class PacedTimeColumn(TimeRemainingColumn):
    """Rich's time remaining, or the pacing estimate once a rate-limit window was waited for."""

    def render(self, task: ProgressTask) -> Text:
        """`done about 14:05` when the reporter set `done_about`, else the remaining time."""
        end = task.fields.get("done_about")
        if end:
            return Text(f"done about {end}", style="progress.remaining")
        return super().render(task)


def wait_message(wait: RateLimitWait, left: int, limit: int | None, window: float = WINDOW) -> str:
    """ "3,412 tasks left, next window at 14:05, done about 16:20" (local time).

    Args:
        wait: the wait being announced.
        left: tasks still to create.
        limit: the bucket's `X-RateLimit-Limit` (PYBOSSA's 300 when unknown).
        window: the window's length in seconds.
    """
    at = datetime.fromtimestamp(wait.until).strftime("%H:%M")
    if not left:
        return f"rate limit reached on {wait.path}: waiting until {at}"
    per_window = max((limit or 300) - 1, 1)  # PYBOSSA lets limit - 1 through per window
    windows = math.ceil(left / per_window)
    done = wait.until + (windows - 1) * window + min(left, per_window) * 0.05
    end = datetime.fromtimestamp(max(done, time.time())).strftime("%H:%M")
    return f"{left:,} tasks left, next window at {at}, done about {end}"
