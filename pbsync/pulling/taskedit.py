"""Pull into a folder that has task files: the server's tasks are written into those files.

A task file keeps its format and its name. A row is matched to a server task by its identity (the
`[tasks] key` fields, or the whole info): a matched row whose values differ is updated in place,
only the cells (CSV) or the line (JSONL) that changed; a row the server no longer has is removed;
a server task no row holds is appended to the last task file that can be edited. Everything else
(the header, quoting, blank lines, line endings, the other rows) is kept byte for byte.

What a format cannot hold is a `PullError` naming the file and the task, never a silent switch to
another format: a CSV cell holds only text, and every row of a CSV has every column (a task with
an info field that is not a column, or without one that is, cannot be a row). Reserved attributes
(`n_answers`...) get a column of their own when a task needs one; its empty cells mean "the
`[tasks]` default". .json, .xlsx and .po files are read but not edited: a pull that would change
one says so and stops (nothing is written).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pbsync.errors import PullError
from pbsync.folder.taskfiles import TaskRow, build_tasks, check_attribute
from pbsync.folder.taskreaders import read_task_file
from pbsync.model import TASK_FIELDS, TaskState, content_key
from pbsync.pulling.tomlmerge import same_value

__all__ = ["EDITABLE", "update_task_files"]

#: the task file types pull edits in place
EDITABLE = (".csv", ".jsonl")


@dataclass
class _File:
    rel: str
    text: str
    rows: list[TaskRow]
    #: row line -> the server task it holds now (None: the server no longer has it)
    now: dict[int, TaskState | None]
    appended: list[TaskState]


def update_task_files(
    files: Mapping[str, bytes],
    tasks: Sequence[TaskState],
    key_fields: tuple[str, ...],
    old_defaults: Mapping[str, Any],
    defaults: Mapping[str, Any],
) -> dict[str, bytes]:
    """The new content of each task file in `files` (folder-relative name -> bytes, in order).

    Args:
        files: the folder's task files as they are.
        tasks: the server's tasks (identities unique).
        key_fields: the `[tasks] key` fields.
        old_defaults: the `[tasks]` defaults the files were written against.
        defaults: the `[tasks]` defaults after the pull.

    Raises:
        PullError: a file does not read, or cannot hold a task (format and task named).
    """
    parsed = [_read(rel, data, key_fields, old_defaults) for rel, data in files.items()]
    # keyed as the rows are: by the `[tasks] key` fields (a server task's own `key` hashes its
    # whole info, which would match no row once the project has key fields)
    server = {content_key(t.info, key_fields): t for t in tasks}
    for tf in parsed:
        for row in tf.rows:
            tf.now[row.line] = server.pop(_key(row, key_fields), None)
    if server:
        editable = [tf for tf in parsed if Path(tf.rel).suffix.lower() in EDITABLE]
        if not editable:
            names = ", ".join(files)
            raise PullError(
                f"{names}: pull cannot add the server's {len(server)} new task(s): it edits only "
                f"{' and '.join(EDITABLE)} task files (nothing was written); convert it, or list "
                "an (empty) tasks.jsonl in [tasks] files to receive them"
            )
        editable[-1].appended = sorted(server.values(), key=lambda t: (t.id is None, t.id or 0))
    out = {}
    for tf in parsed:
        if not _needs_edit(tf, defaults):
            out[tf.rel] = files[tf.rel]
            continue
        ext = Path(tf.rel).suffix.lower()
        if ext == ".csv":
            out[tf.rel] = _edit_csv(tf, defaults).encode("utf-8")
        elif ext == ".jsonl":
            out[tf.rel] = _edit_jsonl(tf, defaults).encode("utf-8")
        else:
            raise PullError(
                f"{tf.rel}: pull cannot keep the {ext} format (it edits only "
                f"{', '.join(EDITABLE)} files) and the server's tasks differ from it: convert it "
                "to .csv or .jsonl, or move it away and pull again (nothing was written)"
            )
    return out


# -- reading ---------------------------------------------------------------------------------------


def _read(rel: str, data: bytes, key_fields: tuple[str, ...], defaults: Mapping[str, Any]) -> _File:
    rows, problems = read_task_file(Path(rel), rel, data)
    _, problems2 = build_tasks(rows, key_fields, defaults)
    for problem in [*problems, *problems2]:
        raise PullError(f"cannot update {rel} in place: {problem}; fix it, or move it away")
    text = data.decode("utf-8-sig") if Path(rel).suffix.lower() in EDITABLE else ""
    return _File(rel, text, rows, {}, [])


def _key(row: TaskRow, key_fields: tuple[str, ...]) -> str:
    return content_key(row.info, key_fields)


def _value(row: TaskRow, name: str, defaults: Mapping[str, Any]) -> Any:
    """A row's attribute: its own cell/key, else the `[tasks]` default."""
    if name in row.attrs:
        return check_attribute(name, row.attrs[name])[0]
    return defaults[name]


def _same_task(row: TaskRow, task: TaskState, defaults: Mapping[str, Any]) -> bool:
    return same_value(row.info, task.info) and all(
        same_value(_value(row, n, defaults), getattr(task, n)) for n in TASK_FIELDS
    )


def _needs_edit(tf: _File, defaults: Mapping[str, Any]) -> bool:
    if tf.appended:
        return True
    by_line = {row.line: row for row in tf.rows}
    return any(t is None or not _same_task(by_line[n], t, defaults) for n, t in tf.now.items())


def _describe(task: TaskState) -> str:
    text = json.dumps(task.info, ensure_ascii=False)
    return f"task {task.id} ({text[:60]}{'...' if len(text) > 60 else ''})"


# -- CSV -------------------------------------------------------------------------------------------


def _edit_csv(tf: _File, defaults: Mapping[str, Any]) -> str:
    lines = io.StringIO(tf.text, newline="").readlines()
    records = _csv_records(lines)  # first line (1-based) -> (start, end) indexes in `lines`
    header_at = min(n for n, (a, b) in records.items() if "".join(lines[a:b]).strip())
    start, end = records.pop(header_at)
    header_text = "".join(lines[start:end])
    eol = header_text[len(header_text.rstrip("\r\n")) :] or "\n"
    delimiter = _delimiter(header_text)
    header = next(csv.reader([header_text.rstrip("\r\n")], delimiter=delimiter))
    columns = [c for c in header if c not in TASK_FIELDS]
    tasks = [t for t in tf.now.values() if t is not None]
    tasks += tf.appended
    for task in tasks:
        _check_fits(tf.rel, task, columns)
    extra = [
        n
        for n in TASK_FIELDS
        if n not in header and any(not same_value(getattr(t, n), defaults[n]) for t in tasks)
    ]
    out = list(lines)
    if extra:
        out[end - 1] = _cells_line(out[end - 1], [_cell(n, delimiter) for n in extra], delimiter)
    by_line = {row.line: row for row in tf.rows}
    for first, (start, end) in sorted(records.items(), reverse=True):
        row, held = by_line.get(first), tf.now.get(first)
        if row is None:
            continue  # a blank line
        if held is None:
            del out[start:end]
            continue
        raw = "".join(lines[start:end])
        body = raw.rstrip("\r\n")
        cells = _raw_cells(body, delimiter)
        for i, name in enumerate(header):
            cells[i] = _csv_value(cells[i], row, held, name, defaults, delimiter)
        cells += [_attr_cell(held, n, defaults, delimiter) for n in extra]
        out[start:end] = [delimiter.join(cells) + raw[len(body) :]]
    text = "".join(out)
    if tf.appended and text and not text.endswith(("\n", "\r")):
        text += eol
    for task in tf.appended:
        cells = [
            _attr_cell(task, n, defaults, delimiter) if n in TASK_FIELDS else
            _cell(task.info[n], delimiter)
            for n in [*header, *extra]
        ]  # fmt: skip
        text += delimiter.join(cells) + eol
    return text


def _check_fits(rel: str, task: TaskState, columns: list[str]) -> None:
    """Raise PullError when a CSV row with `columns` cannot hold `task`'s info."""
    for name, value in task.info.items():
        if name not in columns:
            why = f"info field {name!r}, which is not a column"
        elif not isinstance(value, str):
            why = f"a {type(value).__name__} in {name!r} (a CSV cell holds only text)"
        else:
            continue
        raise PullError(f"{rel}: cannot keep the CSV format: {_describe(task)} has {why}")
    missing = [c for c in columns if c not in task.info]
    if missing:
        raise PullError(
            f"{rel}: cannot keep the CSV format: {_describe(task)} has no {missing[0]!r} "
            "(a CSV row would give it the empty text)"
        )


def _csv_value(
    raw: str, row: TaskRow, task: TaskState, name: str, defaults: Mapping[str, Any], delim: str
) -> str:
    """The cell of column `name`: the raw text when it still says the same."""
    if name not in TASK_FIELDS:
        return raw if row.info[name] == task.info[name] else _cell(task.info[name], delim)
    value = getattr(task, name)
    if name in row.attrs:
        same = same_value(check_attribute(name, row.attrs[name])[0], value)
    else:
        same = same_value(defaults[name], value)
    return raw if same else _attr_cell(task, name, defaults, delim)


def _attr_cell(task: TaskState, name: str, defaults: Mapping[str, Any], delim: str) -> str:
    value = getattr(task, name)
    return "" if same_value(value, defaults[name]) else _cell(str(value), delim)


def _cell(value: str, delimiter: str) -> str:
    if value == "":
        return ""  # csv.writer writes "" for a lone empty field
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="").writerow([value])
    return buffer.getvalue()


def _cells_line(line: str, cells: list[str], delimiter: str) -> str:
    body = line.rstrip("\r\n")
    return body + "".join(delimiter + c for c in cells) + line[len(body) :]


def _delimiter(header: str) -> str:
    """The header's separator: `,` unless the header has none and has `;` or a tab."""
    if "," in header:
        return ","
    return next((d for d in (";", "\t") if d in header), ",")


def _csv_records(lines: list[str]) -> dict[int, tuple[int, int]]:
    """Each CSV record (a quoted cell may span lines): its first line -> (start, end) indexes."""
    reader = csv.reader(iter(lines), strict=True)
    records, start = {}, 0
    for _ in reader:
        records[start + 1] = (start, reader.line_num)
        start = reader.line_num
    return records


def _raw_cells(body: str, delimiter: str) -> list[str]:
    """A record's cells as written (quotes kept), split where csv.reader splits them."""
    cells, current, quoted, at_start = [], [], False, True
    i = 0
    while i < len(body):
        ch = body[i]
        if quoted:
            current.append(ch)
            if ch == '"':
                if body[i + 1 : i + 2] == '"':
                    current.append('"')
                    i += 1
                else:
                    quoted = False
        elif ch == delimiter:
            cells.append("".join(current))
            current, at_start = [], True
            i += 1
            continue
        else:
            quoted = ch == '"' and at_start
            current.append(ch)
        at_start = False
        i += 1
    cells.append("".join(current))
    return cells


# -- JSON lines ------------------------------------------------------------------------------------


def _edit_jsonl(tf: _File, defaults: Mapping[str, Any]) -> str:
    lines = tf.text.split("\n")
    by_line = {row.line: row for row in tf.rows}
    for number in sorted(tf.now, reverse=True):
        task, row = tf.now[number], by_line[number]
        if task is None:
            del lines[number - 1]
        elif not _same_task(row, task, defaults):
            cr = "\r" if lines[number - 1].endswith("\r") else ""
            lines[number - 1] = _json_line(task, defaults, row) + cr
    text = "\n".join(lines)
    if tf.appended and text and not text.endswith("\n"):
        text += "\n"
    # a new line's fields in the file's own order (the server's is its own: jsonb sorts keys)
    order = tuple(tf.rows[0].info) if tf.rows else ()
    return text + "".join(_json_line(t, defaults, order=order) + "\n" for t in tf.appended)


def _json_line(
    task: TaskState,
    defaults: Mapping[str, Any],
    row: TaskRow | None = None,
    order: tuple[str, ...] = (),
) -> str:
    """The task as one JSON object: info (in the row's order, else `order`), then the
    attributes it needs."""
    obj = {k: task.info[k] for k in (row.info if row else order) if k in task.info}
    obj.update(task.info)
    for name in TASK_FIELDS:
        value = getattr(task, name)
        if (row is not None and name in row.attrs) or not same_value(value, defaults[name]):
            obj[name] = value
    return json.dumps(obj, ensure_ascii=False)
