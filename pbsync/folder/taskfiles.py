"""Task files: readers (csv, json, jsonl, xlsx, po), task identity, and the tasks.jsonl writer.

A reader turns one file into `TaskRow`s (info + raw reserved attributes + the line/row it came
from) and a list of `Problem`s; `build_tasks` validates the reserved attributes, applies the
`[tasks]` defaults, computes each task's identity (`model.content_key`) and reports duplicates.
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

import csv
import json
import logging
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pbsync.errors import Problem
from pbsync.folder.storable import (
    MAX_DEPTH,
    TOO_DEEP,
    body_problem,
    deep_line,
    parse_float,
    screen,
)
from pbsync.model import TASK_DEFAULTS, TASK_FIELDS, TaskState, content_key

__all__ = [
    "TASK_EXTENSIONS",
    "TaskRow",
    "build_tasks",
    "check_attribute",
    "csv_delimiter",
    "decode_utf8",
    "header_problems",
    "read_task_file",
    "split_reserved",
    "write_jsonl",
]

log = logging.getLogger(__name__)

#: extensions a task file may have
TASK_EXTENSIONS: tuple[str, ...] = (".csv", ".tsv", ".json", ".jsonl", ".xlsx", ".po")

#: delimiters a CSV file may use, as named in messages
_DELIMITERS: dict[str, str] = {",": "comma", ";": "semicolon", "\t": "tab"}

_INT_TEXT = re.compile(r"^[+-]?\d+$")
#: a line with its end (\r\n, \r or \n, as `io.StringIO(newline="")` splits), or the last one
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
_RESERVED = frozenset(TASK_FIELDS)
#: the attributes of a row that sets none (shared: rows are read, never changed)
_NO_ATTRS: dict[str, Any] = {}
_WS = re.compile(r"\s*")


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


# -- readers ---------------------------------------------------------------------------------------


def read_task_file(
    path: Path, relname: str, data: bytes | None = None
) -> tuple[list[TaskRow], list[Problem]]:
    """Read one task file by extension; `relname` is the folder-relative name for messages.

    `data` is the file's content when the caller has read it already (the loader reads each
    file once, through its path check); otherwise `path` is read.
    """
    ext = path.suffix.lower()
    if data is None:
        data = path.read_bytes()
    if ext == ".xlsx":
        from pbsync.folder.xlsx import read_xlsx  # imports openpyxl: only xlsx users pay for it

        return read_xlsx(data, relname)
    text, problem = decode_utf8(data, relname)
    if text is None:
        return [], [problem] if problem else []
    readers = {
        ".csv": _read_csv,
        ".tsv": _read_tsv,
        ".json": _read_json,
        ".jsonl": _read_jsonl,
        ".po": _read_po,
    }
    reader = readers.get(ext)
    if reader is None:
        known = ", ".join(TASK_EXTENSIONS)
        return [], [Problem(relname, f"unsupported task file type {ext!r} (use one of {known})")]
    return reader(text, relname)


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


def csv_delimiter(text: str, relname: str) -> tuple[str, Problem | None]:
    """The delimiter of a CSV file, told by its header line: comma, semicolon or tab.

    Spreadsheets in many locales save "CSV" with semicolons (the comma is their decimal mark),
    and read as commas such a file would become one column named `title;url`. The header line
    holds column names, not data, so the one delimiter it contains (outside quotes) is the
    file's; a header holding two of them is ambiguous and refused rather than guessed.
    """
    lines = enumerate(text.splitlines(), 1)
    line_no, header = next(((n, h) for n, h in lines if h.strip(",; \t")), (1, ""))
    counts = dict.fromkeys(_DELIMITERS, 0)
    quoted = False
    for char in header:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    found = [d for d, n in counts.items() if n]
    if len(found) <= 1:
        return (found[0] if found else ","), None
    names = [f"{_DELIMITERS[d]}s" for d in found]
    both = ", ".join(names[:-1]) + " and " + names[-1]
    shown = header if len(header) <= 80 else header[:77] + "..."
    msg = (
        f"cannot tell the delimiter: the header {shown!r} holds {both} "
        "(use one delimiter; quote a column name that contains another)"
    )
    return ",", Problem(relname, msg, line_no)


def _read_tsv(text: str, relname: str) -> tuple[list[TaskRow], list[Problem]]:
    return _read_csv(text, relname, delimiter="\t")


def _read_csv(
    text: str, relname: str, delimiter: str | None = None
) -> tuple[list[TaskRow], list[Problem]]:
    if delimiter is None:
        delimiter, problem = csv_delimiter(text, relname)
        if problem is not None:
            return [], [problem]
    reader = csv.reader(_lines(text), delimiter=delimiter, strict=True)
    rows: list[TaskRow] = []
    problems: list[Problem] = []
    header: list[str] | None = None
    reserved = False
    start = 1
    try:
        for cells in reader:
            line, start = start, reader.line_num + 1
            if not "".join(cells).strip():
                continue  # blank line
            if header is None:
                header = cells
                problems += header_problems(header, relname, line)
                reserved = not _RESERVED.isdisjoint(header)
                continue
            if len(cells) != len(header):
                msg = f"row has {len(cells)} cells but the header has {len(header)}"
                problems.append(Problem(relname, msg, line))
                continue
            row = dict(zip(header, cells, strict=True))
            if reserved:
                info, attrs = split_reserved(row)
                attrs = {k: v for k, v in attrs.items() if v.strip() != ""} or _NO_ATTRS
            else:  # most files: no reserved column, nothing to split
                info, attrs = row, _NO_ATTRS
            rows.append(TaskRow(info, attrs, relname, line))
    except csv.Error as exc:
        problems.append(Problem(relname, f"CSV syntax error: {exc}", reader.line_num))
    if header is None:
        problems.append(Problem(relname, "no header row (the first row names the info fields)", 1))
    return rows, problems


def _lines(text: str) -> Iterator[str]:
    """The lines of `text` one at a time: a StringIO would hold a copy four bytes a character."""
    return (match.group() for match in _LINE.finditer(text))


def _object_row(obj: Any, relname: str, line: int, what: str) -> TaskRow | Problem:
    if not isinstance(obj, dict):
        return Problem(relname, f"{what} must be a JSON object, got {type(obj).__name__}", line)
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
            row = _object_row(obj, relname, line, "each task")
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
