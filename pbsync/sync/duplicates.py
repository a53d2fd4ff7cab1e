"""Copies of one identity on the server, and which of them go (pure; no I/O).

PYBOSSA has no idempotency keys, so a POST whose answer was lost can leave a second copy of a
task or helping material, and two pushes of copies of one folder at once both create everything.
Whatever made them, copies are decided by one rule, the same in the planner (`diff`, `push
--dedupe`, the push after an unfinished one) and in the check a push makes after creating
(`pbsync.sync.settle`):

- the copy with the **lowest id** stays. Two pushes deciding at the same time therefore agree,
  and the lowest copy is never deleted by anyone, so at least one always survives;
- another copy is deleted only when it has no task runs (deleting a task deletes its runs:
  volunteers' answers), and only when the caller wants it deleted (`wanted(id)`);
- a helping material copy that shares its stored file with the kept one (PYBOSSA stores uploads
  by user and file name) loses its file keys before it is deleted, since PYBOSSA deletes a
  material's file with it.

A task's identity is the planner's: `content_key(info, key_fields)`; a helping material's is its
name (`info.name`, else `info.file_name`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from pbsync.model import HelpingMaterialState, TaskState
from pbsync.sync.actions import (
    Action,
    DeleteDuplicateHelpingMaterial,
    DeleteDuplicateTask,
    Duplicate,
    Unfinished,
)

__all__ = [
    "group_copies",
    "helping_copies",
    "shares_file",
    "task_copies",
    "unfinished_note",
    "without_file",
]

log = logging.getLogger(__name__)

T = TypeVar("T", TaskState, HelpingMaterialState)

#: the info keys PYBOSSA sets to locate a material's stored file
FILE_KEYS = ("container", "file_name")


def _id(item: TaskState | HelpingMaterialState) -> int:
    return item.id if item.id is not None else -1


def group_copies(
    items: Iterable[T], key: Callable[[T], str]
) -> tuple[dict[str, T], dict[str, list[T]]]:
    """Group server items by identity.

    Returns:
        (the lowest-id item of every identity, the identities held more than once -> all their
        copies by ascending id).
    """
    groups: dict[str, list[T]] = {}
    for item in sorted(items, key=_id):
        groups.setdefault(key(item), []).append(item)
    first = {k: copies[0] for k, copies in groups.items()}
    return first, {k: copies for k, copies in groups.items() if len(copies) > 1}


def task_copies(
    name: str, copies: Sequence[TaskState], wanted: Callable[[int], bool]
) -> tuple[list[Action], Duplicate]:
    """The deletions and the report for the copies of one task identity (ascending ids).

    Args:
        name: how the identity is shown ("tasks.csv:12", "task 17").
        copies: every copy, lowest id first (at least two).
        wanted: whether the copy with this id should go (dedupe, prune, an unfinished push's).
    """
    keep = _id(copies[0])
    actions: list[Action] = []
    deleting: list[int] = []
    answered: list[int] = []
    uncounted: list[int] = []
    for copy in copies[1:]:
        runs, copy_id = copy.n_task_runs, _id(copy)
        if runs:
            answered.append(copy_id)  # never deleted: its runs are volunteers' answers
        elif not wanted(copy_id):
            continue
        elif runs is None:
            uncounted.append(copy_id)
        else:
            actions.append(DeleteDuplicateTask(copy, keep))
            deleting.append(copy_id)
    extra = tuple(_id(c) for c in copies[1:])
    duplicate = Duplicate(
        "task", name, keep, extra, tuple(deleting), tuple(answered), tuple(uncounted)
    )
    return actions, duplicate


def helping_copies(
    copies: Sequence[HelpingMaterialState], wanted: Callable[[int], bool]
) -> tuple[list[Action], Duplicate]:
    """The deletions and the report for the copies of one helping material (ascending ids)."""
    keep = copies[0]
    actions: list[Action] = []
    for copy in copies[1:]:
        if wanted(_id(copy)):
            detach = shares_file(copy.info, keep.info)
            actions.append(DeleteDuplicateHelpingMaterial(copy, _id(keep), detach))
    extra = tuple(_id(c) for c in copies[1:])
    deleting = tuple(
        _id(a.material) for a in actions if isinstance(a, DeleteDuplicateHelpingMaterial)
    )
    return actions, Duplicate("helping material", keep.name, _id(keep), extra, deleting)


def shares_file(info: Mapping[str, Any], other: Mapping[str, Any]) -> bool:
    """Whether two materials' infos point at the same stored file (container and file name)."""
    return all(info.get(k) for k in FILE_KEYS) and all(
        info.get(k) == other.get(k) for k in FILE_KEYS
    )


def without_file(info: Mapping[str, Any]) -> dict[str, Any]:
    """A material's info without the keys that tie it to its stored file."""
    return {k: v for k, v in info.items() if k not in FILE_KEYS}


def unfinished_note(unfinished: Unfinished) -> str:
    """The plan's note when the last push from the folder did not finish."""
    started = f" (started {unfinished.started})" if unfinished.started else ""
    return (
        f"the last push from this folder did not finish{started}: copies its lost answers "
        "made are deleted, keeping the lowest id (never a task with task runs)"
    )
