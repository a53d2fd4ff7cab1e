"""The tasks part of a shown plan: what is created, updated, deleted and left on the server.

Projects hold thousands of tasks, and a plan is read by a person: each kind of step is one
heading line ("+ create 5 tasks"), tasks sharing the same change are one group ("~ update 3,000
tasks: n_answers: 5 -> 3"), and only the first few tasks of each are listed unless every task is
asked for (`diff --tasks`). `--json` is where every task is, structured.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from pbsync.cli.plantext import change_lines, changed_fields, task_text, task_where
from pbsync.model import TaskState
from pbsync.sync.actions import CreateTasks, DeleteTask, FieldChange, Plan, UpdateTask

__all__ = ["Line", "task_lines"]

#: tasks listed per group, and groups of updates shown, unless every task is asked for
SHOWN = 5
MORE_HINT = "diff --tasks lists them"
DRIFT = " (changed on the server since the last push)"


@dataclass(frozen=True)
class Line:
    """One line of the plan: `style` a rich style ("" none), `text` plain text (not markup)."""

    style: str
    text: str
    indent: int = 2


def _n(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _listed(
    tasks: Sequence[TaskState], keys: tuple[str, ...], every: bool, indent: int = 6
) -> list[Line]:
    shown = tasks if every else tasks[:SHOWN]
    out = [Line("", f"{task_where(t)}  {task_text(t, keys)}".strip(), indent) for t in shown]
    if len(tasks) > len(shown):
        more = f"... and {len(tasks) - len(shown):,} more ({MORE_HINT})"
        out.append(Line("dim", more, indent))
    return out


def _change_text(changes: Iterable[FieldChange]) -> list[str]:
    return [
        line + (DRIFT if change.drift else "")
        for change in changes
        for line in change_lines(change)
    ]


def _updates(updates: Sequence[UpdateTask], keys: tuple[str, ...], every: bool) -> list[Line]:
    groups: dict[tuple[str, ...], list[UpdateTask]] = {}
    for update in updates:
        groups.setdefault(tuple(_change_text(update.changes)), []).append(update)
    out: list[Line] = []
    shown = list(groups.items()) if every else list(groups.items())[:SHOWN]
    for lines, members in shown:
        tasks = [replace(m.task, id=m.task_id) for m in members]
        if len(members) == 1:
            where = f"{task_where(tasks[0])}  {task_text(tasks[0], keys)}"
            out.append(Line("yellow", f"~ update task {where}"))
            out += [Line("", line, 6) for line in lines]
            continue
        head = f"~ update {_n(len(members), 'task')}:"
        out.append(Line("yellow", f"{head} {lines[0]}" if len(lines) == 1 else head))
        out += [Line("", line, 6) for line in lines] if len(lines) > 1 else []
        out += _listed(tasks, keys, every)
    rest = [m for _, members in list(groups.items())[len(shown) :] for m in members]
    if rest:
        fields = sorted({f for m in rest for c in m.changes for f in changed_fields(c)})
        what = ", ".join(fields[:SHOWN]) + (", ..." if len(fields) > SHOWN else "")
        out.append(
            Line("dim", f"... and {_n(len(rest), 'more task')} to update: {what} ({MORE_HINT})")
        )
    return out


def task_lines(plan: Plan, every: bool = False) -> list[Line]:
    """The plan's task steps, grouped and summarised (every task listed when `every`)."""
    keys = plan.task_key_fields
    created = [t for a in plan.actions if isinstance(a, CreateTasks) for t in a.tasks]
    updates = [a for a in plan.actions if isinstance(a, UpdateTask)]
    deleted = [a.task for a in plan.actions if isinstance(a, DeleteTask)]
    out: list[Line] = []
    if created:
        out.append(Line("green", f"+ create {_n(len(created), 'task')}"))
        out += _listed(created, keys, every)
    out += _updates(updates, keys, every)
    if deleted:
        out.append(Line("red", f"- delete {_n(len(deleted), 'task')}"))
        out += _listed(deleted, keys, every)
    remote = [r.task for r in plan.remote_only if r.kind == "task" and r.task is not None]
    if remote:
        out.append(
            Line("dim", f"remote only, kept (push --prune deletes them): {_n(len(remote), 'task')}")
        )
        out += [Line("dim", line.text, line.indent) for line in _listed(remote, keys, every)]
    return out
