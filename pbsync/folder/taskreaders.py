"""Task file formats and their readers: which format a file has, and its rows.

A `[tasks] files` entry names a file and, optionally, its format (`{ path = "flickr_tasks.csv",
format = "csv" }`); otherwise the extension tells it (`FORMATS`). CSV and TSV live in taskcsv.py,
spreadsheets in xlsx.py. Every reader returns `TaskRow`s and the problems found, never raising
for bad content. The meanings of pbs's task files (pbs 3.0.0's `pbs add-tasks`) are kept:
- JSON: a list of objects; an object whose `info` is an object is a task in PYBOSSA's shape (the
  info is that object), see `_object_row`;
- CSV: an `info` cell holding a JSON object is the task's info (taskcsv.py);
- `.properties`: `var_id=string` lines become `{"var_id": ..., "string": ...}`.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

from pbsync.errors import Problem
from pbsync.folder.storable import MAX_DEPTH, TOO_DEEP, deep_line, parse_float
from pbsync.folder.taskcsv import read_csv, read_tsv
from pbsync.folder.taskfiles import TaskRow, decode_utf8, split_reserved
from pbsync.model import TASK_FIELDS

__all__ = ["FORMATS", "TASK_EXTENSIONS", "format_of", "read_task_file"]

log = logging.getLogger(__name__)

#: the task file formats, as `format = "..."` names them; each is also an extension
FORMATS: tuple[str, ...] = ("csv", "tsv", "json", "jsonl", "xlsx", "xlsm", "po", "properties")
#: extensions a task file found by the default search (or named without a format) may have
TASK_EXTENSIONS: tuple[str, ...] = tuple(f".{name}" for name in FORMATS)

#: sibling keys of `info` in a PYBOSSA-shaped task that the server sets: ignored, so a task
#: list exported from PYBOSSA reads back (pbs ignored every sibling)
_SERVER_TASK_KEYS = frozenset({"id", "created", "project_id", "state", "fav_user_ids"})

_WS = re.compile(r"\s*")


def format_of(name: str) -> str | None:
    """The format a file's extension tells (`Tasks.CSV` -> "csv"), or None."""
    ext = Path(name).suffix.lower().lstrip(".")
    return ext if ext in FORMATS else None


def read_task_file(
    path: Path, relname: str, data: bytes | None = None, fmt: str | None = None
) -> tuple[list[TaskRow], list[Problem]]:
    """Read one task file; `relname` is the folder-relative name for messages.

    Args:
        path: the file.
        relname: its folder-relative name, for messages.
        data: the file's content when the caller has read it already (the loader reads each
            file once, through its path check); otherwise `path` is read.
        fmt: one of `FORMATS`; None: the extension tells.
    """
    fmt = fmt or format_of(path.name)
    if fmt is None:
        known = ", ".join(TASK_EXTENSIONS)
        msg = f"unsupported task file type {path.suffix.lower()!r} (use one of {known})"
        return [], [Problem(relname, msg)]
    if data is None:
        data = path.read_bytes()
    if fmt in ("xlsx", "xlsm"):
        from pbsync.folder.xlsx import read_xlsx  # imports openpyxl: only xlsx users pay for it

        return read_xlsx(data, relname)
    text, problem = decode_utf8(data, relname)
    if text is None:
        return [], [problem] if problem else []
    readers = {
        "csv": read_csv,
        "tsv": read_tsv,
        "json": _read_json,
        "jsonl": _read_jsonl,
        "po": _read_po,
        "properties": _read_properties,
    }
    return readers[fmt](text, relname)


def _object_row(
    obj: Any, relname: str, line: int, what: str, wrapped: bool = False
) -> TaskRow | Problem:
    """One task from a JSON object; with `wrapped` (a .json list), pbs's `{"info": {...}}` form.

    In that form the info is the `info` object as it is (reserved keys inside it stay info, as pbs
    sent them); sibling `n_answers`, `priority_0`, `quorum`, `calibration` are the task's
    attributes, as in PYBOSSA's own task objects; the keys the server sets (`id`, `created`...)
    are ignored; any other sibling is a problem, since pbs silently dropped it.
    """
    if not isinstance(obj, dict):
        return Problem(relname, f"{what} must be a JSON object, got {type(obj).__name__}", line)
    if wrapped and isinstance(obj.get("info"), dict):
        others = sorted(set(obj) - {"info", *TASK_FIELDS, *_SERVER_TASK_KEYS})
        if others:
            msg = (
                "beside 'info' a task may only have n_answers, priority_0, quorum, calibration "
                f"(and the server's id, created...): move {', '.join(others)} into info"
            )
            return Problem(relname, msg, line, others[0])
        _, attrs = split_reserved(obj)
        return TaskRow(dict(obj["info"]), attrs, relname, line)
    info, attrs = split_reserved(obj)
    return TaskRow(info, attrs, relname, line)


def _read_json(text: str, relname: str) -> tuple[list[TaskRow], list[Problem]]:
    """A JSON list of objects, decoded element by element so each task knows its line."""
    decoder = json.JSONDecoder(parse_float=parse_float)
    rows: list[TaskRow] = []
    problems: list[Problem] = []
    pos = _WS.match(text, 0).end()  # type: ignore[union-attr]
    if not text.startswith("[", pos):
        return [], [Problem(relname, "a JSON task file must be a list of objects", 1)]
    pos, line, counted = pos + 1, 1, 0
    empty = _WS.match(text, pos).end()  # type: ignore[union-attr]
    try:
        while not text.startswith("]", empty):
            pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
            obj, end = decoder.raw_decode(text, pos)
            line += text.count("\n", counted, pos)
            counted = pos
            row = _object_row(obj, relname, line, "each task", wrapped=True)
            (rows if isinstance(row, TaskRow) else problems).append(row)  # type: ignore[arg-type]
            pos = _WS.match(text, end).end()  # type: ignore[union-attr]
            if text.startswith("]", pos):
                break
            if not text.startswith(",", pos):
                raise json.JSONDecodeError("Expecting ',' delimiter", text, pos)
            pos += 1
    except json.JSONDecodeError as exc:
        problems.append(
            Problem(relname, f"invalid JSON: {exc.msg} (column {exc.colno})", exc.lineno)
        )
        return rows, problems
    except RecursionError:
        # counted from where the task starts: its object is level 1, as in a JSONL line
        problems.append(Problem(relname, TOO_DEEP, deep_line(text, MAX_DEPTH, pos)))
        return rows, problems
    pos = max(pos, empty)
    if text[pos + 1 :].strip():
        problems.append(
            Problem(relname, "extra data after the JSON list", text.count("\n", 0, pos) + 1)
        )
    return rows, problems


def _read_jsonl(text: str, relname: str) -> tuple[list[TaskRow], list[Problem]]:
    rows: list[TaskRow] = []
    problems: list[Problem] = []
    for number, raw in enumerate(text.split("\n"), 1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw, parse_float=parse_float)
        except json.JSONDecodeError as exc:
            problems.append(
                Problem(relname, f"invalid JSON: {exc.msg} (column {exc.colno})", number)
            )
            continue
        except RecursionError:
            problems.append(Problem(relname, TOO_DEEP, number))
            continue
        row = _object_row(obj, relname, number, "each line")
        (rows if isinstance(row, TaskRow) else problems).append(row)  # type: ignore[arg-type]
    return rows, problems


def _read_po(text: str, relname: str) -> tuple[list[TaskRow], list[Problem]]:
    import polib

    try:
        catalog = polib.pofile(text)
    except (OSError, ValueError) as exc:
        match = re.search(r"\s*\(?line (\d+)\)?", str(exc))
        text = str(exc).replace(match[0], "") if match else str(exc)
        line = int(match[1]) if match else None
        return [], [Problem(relname, f"invalid PO file: {text}", line)]
    rows = []
    for entry in catalog:
        if entry.obsolete:
            continue
        info: dict[str, Any] = {"msgid": entry.msgid}
        if entry.msgctxt is not None:
            info["msgctxt"] = entry.msgctxt
        rows.append(TaskRow(info, {}, relname, entry.linenum))
    return rows, []


def _read_properties(text: str, relname: str) -> tuple[list[TaskRow], list[Problem]]:
    """`var_id=string` lines (pbs's meaning): info `{"var_id": ..., "string": ...}` each.

    The line is split at its first `=`, so the string may hold `=` (pbs crashed on such a line);
    both sides are kept as written, spaces included, as pbs sent them. Blank lines and comments
    (`#` or `!` first) are skipped; Java's escapes and line continuations are not interpreted.
    """
    rows: list[TaskRow] = []
    problems: list[Problem] = []
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw.removesuffix("\r")
        if not line.strip() or line.lstrip().startswith(("#", "!")):
            continue
        var_id, sep, string = line.partition("=")
        if not sep:
            problems.append(Problem(relname, "expected var_id=string (no '=' on the line)", number))
            continue
        rows.append(TaskRow({"var_id": var_id, "string": string}, {}, relname, number))
    return rows, problems
