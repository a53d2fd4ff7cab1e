"""The server's tasks read against the folder's: whole only where they differ.

A project of 100,000 tasks held whole on both sides (the folder's, the server's as rows, then as
`TaskState`s, then grouped by identity) cost a diff 250 MB and most of its time in comparing
(five `same` calls, ten JSON serialisations, per task). `read_against` streams the task pages
instead and keeps, for a server task equal to the folder's task of its identity, only its id
(`ReadTasks.same`); a whole `TaskState` is kept only for what the plan shows or acts on: a task
that differs (`UpdateTask` shows old -> new), a task the folder does not have (remote-only, a
deletion), and every copy of an identity the server holds more than once (the first copy too, so
that the planner sees the whole group, lowest id first).

Equality is `pbsync.sync.compare.same` on every compared field (info and the four settings,
defaults filled in), taken in its cheap form where it is sure: the settings number for number
(`1` and `1.0` alike, `True` and `1` not); info needs nothing more when the identity is the hash
of the whole info (the same identity is the same canonical text), and otherwise is compared as
Python values, then as canonical text, and only then by `same` itself.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from pbsync.model import TASK_DEFAULTS, TaskState, canonical_json, content_key
from pbsync.sync.compare import same

__all__ = ["ReadTasks", "read_against", "task_info", "task_of", "task_settings"]

log = logging.getLogger(__name__)

#: the four settings a task file may set, and PYBOSSA's defaults for them
_SETTINGS = tuple(TASK_DEFAULTS)
_N_ANSWERS, _PRIORITY_0, _QUORUM, _CALIBRATION = TASK_DEFAULTS.values()


def task_info(row: Mapping[str, Any]) -> dict[str, Any]:
    """A task row's info as pbsync compares it (a non-object info as `{"value": info}`)."""
    info = row.get("info")
    return info if isinstance(info, dict) else {"value": info}


def task_settings(row: Mapping[str, Any]) -> tuple[int, float, int, int]:
    """A task row's `n_answers`, `priority_0`, `quorum`, `calibration` (defaults filled in)."""
    n_answers, priority_0, quorum, calibration = map(row.get, _SETTINGS)
    return (
        int(_N_ANSWERS if n_answers is None else n_answers),
        float(_PRIORITY_0 if priority_0 is None else priority_0),
        int(_QUORUM if quorum is None else quorum),
        int(_CALIBRATION if calibration is None else calibration),
    )


def task_of(row: Mapping[str, Any], key: str | None = None) -> TaskState:
    """A task row as a `TaskState` (`key`: its info's `content_key`, when already known)."""
    info = task_info(row)
    n_answers, priority_0, quorum, calibration = task_settings(row)
    return TaskState(
        key=content_key(info) if key is None else key,
        info=info,
        n_answers=n_answers,
        priority_0=priority_0,
        quorum=quorum,
        calibration=calibration,
        id=row.get("id"),
        state=row.get("state"),
    )


@dataclass
class ReadTasks:
    """The server's tasks as read against the folder's.

    Attributes:
        same: identity -> id of the server's task equal to the folder's task of that identity
            (held once on the server: copies are in `others`).
        others: every other server task, whole, ascending by id.
    """

    same: dict[str, int] = field(default_factory=dict)
    others: list[TaskState] = field(default_factory=list)


def read_against(
    rows: Iterable[Mapping[str, Any]],
    local: Iterable[TaskState],
    key_fields: tuple[str, ...] = (),
) -> ReadTasks:
    """Read task rows (ascending ids, as keyset pages come) against the folder's tasks.

    Args:
        rows: the server's task rows.
        local: the folder's tasks (their `key`s are identities under `key_fields`).
        key_fields: the folder's `[tasks] key` fields.
    """
    by_key = {task.key: task for task in local}
    read = ReadTasks()
    kept: set[str] = set()  # identities with a task in `others`
    for row in rows:
        info = task_info(row)
        text = None if key_fields else canonical_json(info)
        key = content_key(info, key_fields) if text is None else _hash(text)
        mine = by_key.get(key)
        if mine is not None and key not in kept:
            agreed = read.same.pop(key, None)
            if agreed is None and _equal(mine, info, text, task_settings(row)):
                read.same[mine.key] = int(row["id"])
                continue
            if agreed is not None:
                # a copy of a task that agreed: the group goes whole to the planner
                read.others.append(replace(mine, id=agreed, source=None))
        kept.add(key)
        read.others.append(task_of(row, None if key_fields else key))
    return read


def _hash(text: str) -> str:
    # content_key's hash, from the canonical text already made
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _equal(
    mine: TaskState, info: dict[str, Any], text: str | None, settings: tuple[Any, ...]
) -> bool:
    """`same` on info and on each setting, the folder's task against a server row's values."""
    ours = (mine.n_answers, mine.priority_0, mine.quorum, mine.calibration)
    if ours != settings or bool in map(type, ours):
        # equal as numbers is `same` unless a bool takes part (never on the server's side: its
        # settings are made numbers); unequal may still be `same` for an unset (None) one
        values = (d if v is None else v for v, d in zip(ours, TASK_DEFAULTS.values(), strict=True))
        if not all(_same_number(a, b) for a, b in zip(values, settings, strict=True)):
            return False
    if text is not None:
        return True  # the identity is the hash of this very text: the infos are the same text
    if mine.info != info:
        return False  # not even equal as Python values: not `same` either (JSON has no tuples)
    if canonical_json(mine.info) == canonical_json(info):
        return True
    return same(mine.info, info)  # True and 1 are equal to Python, not to `same`


def _same_number(a: Any, b: Any) -> bool:
    # `same` on two settings: equal numbers, a bool only equal to a bool
    return bool(a == b) and isinstance(a, bool) == isinstance(b, bool)
