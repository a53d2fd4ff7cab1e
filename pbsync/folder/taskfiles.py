"""Task files: rows, task identity, validation, and the tasks.jsonl writer.

A reader (taskreaders.py, taskcsv.py, xlsx.py) turns one file into `TaskRow`s (info + raw
reserved attributes + the line/row it came from) and a list of `Problem`s; `build_tasks`
validates the reserved attributes, applies the `[tasks]` defaults, computes each task's
identity (`model.content_key`) and reports duplicates.
Readers never raise for bad content: every problem is collected so the user sees them all at once.

Conventions (also in docs/project-format.md):
- CSV cells are strings; an empty cell is kept as the empty string "" in info. An empty cell in a
  reserved column means "use the [tasks] default".
- XLSX cells keep their type (numbers, booleans); dates and times become ISO 8601 strings; an
  empty cell is "" as in CSV (the reader lives in xlsx.py).
- What the server or JSON would refuse (NaN, Infinity, NUL, nesting, bodies over 1 MiB) is a
  problem of the row (storable.py).
- The reserved columns/keys `n_answers`, `priority_0`, `quorum`, `calibration` become task
  attributes and are removed from info.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pbsync.errors import Problem
from pbsync.folder.storable import body_problem, screen
from pbsync.model import TASK_DEFAULTS, TASK_FIELDS, TaskState, content_key

__all__ = [
    "TaskRow",
    "build_tasks",
    "check_attribute",
    "decode_utf8",
    "header_problems",
    "split_reserved",
    "write_jsonl",
]

log = logging.getLogger(__name__)

_INT_TEXT = re.compile(r"^[+-]?\d+$")


@dataclass(frozen=True, slots=True)
class TaskRow:
    """One task as read: `info` without reserved keys, `attrs` the raw reserved values."""

    info: dict[str, Any]
    attrs: dict[str, Any]
    file: str
    line: int


def decode_utf8(data: bytes, relname: str) -> tuple[str | None, Problem | None]:
    """Decode `data` as UTF-8 (a leading BOM is dropped); on failure say where the bad byte is."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        msg = f"not valid UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start}"
        return None, Problem(relname, msg, line)
    nul = text.find("\x00")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        return None, Problem(
            relname, f"NUL character at offset {nul}: PYBOSSA cannot store it", line
        )
    return text, None


def split_reserved(obj: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split a row/object into (info, reserved attributes)."""
    info = {k: v for k, v in obj.items() if k not in TASK_FIELDS}
    attrs = {k: obj[k] for k in TASK_FIELDS if k in obj}
    return info, attrs


def check_attribute(name: str, value: Any) -> tuple[Any, str | None]:
    """Validate one reserved attribute (text is parsed). Returns (value, error or None).

    The error does not repeat `name`: callers report it as the problem's field.
    """
    raw = value
    if isinstance(value, str):
        text = value.strip()
        try:
            value = int(text) if _INT_TEXT.match(text) else float(text)
        except ValueError:
            return None, f"must be a number, got {value!r}"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None, f"must be a number, got {type(value).__name__} {value!r}"
    if isinstance(value, float) and not math.isfinite(value):
        # float() reads "nan" and "inf" too, and JSON's NaN/Infinity arrive as floats
        return None, f"must be a finite number, got {raw!r}"
    if name == "priority_0":
        if not 0.0 <= float(value) <= 1.0:
            return None, f"must be between 0 and 1, got {value!r}"
        return float(value), None
    if isinstance(value, float):
        if not value.is_integer():
            return None, f"must be an integer, got {value!r}"
        value = int(value)
    if name == "n_answers" and value < 1:
        return None, f"must be a positive integer, got {value!r}"
    if value < 0:
        return None, f"must be a non-negative integer, got {value!r}"
    return value, None


# -- shared by the readers ----------------------------------------------------------------------


def header_problems(header: Sequence[Any], relname: str, line: int) -> list[Problem]:
    """Empty and duplicate column names of a header row (CSV, XLSX)."""
    problems: list[Problem] = []
    seen: dict[Any, int] = {}
    for i, name in enumerate(header, 1):
        if name is None or str(name).strip() == "":
            msg = f"empty column name in the header (column {i}): name every column"
            problems.append(Problem(relname, msg, line))
        elif name in seen:
            msg = f"duplicate column in the header (columns {seen[name]} and {i})"
            problems.append(Problem(relname, msg, line, str(name)))
        seen.setdefault(name, i)
    return problems


# -- identity and validation ---------------------------------------------------------------------


def build_tasks(
    rows: Iterable[TaskRow],
    key_fields: tuple[str, ...] = (),
    defaults: Mapping[str, Any] = TASK_DEFAULTS,
) -> tuple[tuple[TaskState, ...], list[Problem]]:
    """Validate rows and turn them into `TaskState`s with identity keys; duplicates are problems."""
    tasks: list[TaskState] = []
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for row in rows:
        attrs, bad = _attributes(row, defaults, problems) if row.attrs else (defaults, False)
        missing = [k for k in key_fields if k not in row.info] if key_fields else ()
        for name in missing:
            msg = "missing: it is a [tasks] key field, so every task needs it"
            problems.append(Problem(row.file, msg, row.line, name))
        unstorable, big = screen(row.info)
        if unstorable is not None:
            problems.append(Problem(row.file, unstorable[1], row.line, unstorable[0]))
        elif not bad and big:
            too_big = body_problem(_task_body(row.info, attrs), "the task's body", "")
            if too_big is not None:
                problems.append(Problem(row.file, too_big[1], row.line, too_big[0]))
                bad = True
        if bad or missing or unstorable:
            continue
        source = f"{row.file}:{row.line}"
        key = content_key(row.info, key_fields)
        if key in seen:
            what = f"key ({', '.join(key_fields)})" if key_fields else "info"
            msg = f"duplicate task: same {what} as {seen[key]}"
            problems.append(Problem(row.file, msg, row.line))
            continue
        seen[key] = source
        tasks.append(TaskState(key=key, info=row.info, source=source, **attrs))
    return tuple(tasks), problems


def _attributes(
    row: TaskRow, defaults: Mapping[str, Any], problems: list[Problem]
) -> tuple[Mapping[str, Any], bool]:
    """The task's settings: `defaults` with the row's own on top; whether one was wrong."""
    attrs = dict(defaults)
    bad = False
    for name, raw in row.attrs.items():
        value, error = check_attribute(name, raw)
        if error:
            problems.append(Problem(row.file, error, row.line, name))
            bad = True
        else:
            attrs[name] = value
    return attrs, bad


def _task_body(info: dict[str, Any], attrs: Mapping[str, Any]) -> dict[str, Any]:
    """The body a push sends to create the task (pbsync.sync.apply), for its size; the
    project id counted as the largest PostgreSQL integer, so the estimate is never short."""
    return {"info": info, **{name: attrs[name] for name in TASK_FIELDS}, "project_id": 2**31 - 1}


# -- writer ----------------------------------------------------------------------------------------


def write_jsonl(tasks: Iterable[TaskState], defaults: Mapping[str, Any] = TASK_DEFAULTS) -> str:
    """Serialise tasks as JSON lines, ordered by task id (tasks without id last, in given order).

    Reserved attributes are written only when they differ from `defaults` (the `[tasks]` settings).
    Raises ValueError when a task's info uses a reserved key (it would read back as an attribute).
    """
    ordered = sorted(tasks, key=lambda t: (t.id is None, t.id or 0))
    lines = []
    for task in ordered:
        clash = [k for k in TASK_FIELDS if k in task.info]
        if clash:
            raise ValueError(f"task {task.id}: info uses the reserved key(s) {', '.join(clash)}")
        obj = dict(task.info)
        for name in TASK_FIELDS:
            value = getattr(task, name)
            if value != defaults.get(name, TASK_DEFAULTS[name]):
                obj[name] = value
        lines.append(json.dumps(obj, ensure_ascii=False) + "\n")
    return "".join(lines)
