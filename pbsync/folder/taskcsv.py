"""CSV and TSV task files: the delimiter, the rows, and pbs's `info` column.

Cells are strings; an empty cell is kept as "" in info, and an empty reserved cell means "the
`[tasks]` default". A file whose header has an `info` column may hold a task's whole info there as
a JSON object, as the files pbs users fed to `pbs add-tasks` did (pbs sent that cell as a string,
which PYBOSSA stored as a string; pbsync sends the object): see `_info_cell`.
"""

from __future__ import annotations

import csv
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

from pbsync.errors import Problem
from pbsync.folder.storable import parse_float
from pbsync.folder.taskfiles import TaskRow, header_problems, split_reserved
from pbsync.model import TASK_FIELDS

__all__ = ["INFO_COLUMN", "csv_delimiter", "read_csv", "read_tsv"]

log = logging.getLogger(__name__)

#: a line with its end (\r\n, \r or \n, as `io.StringIO(newline="")` splits), or the last one
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
_RESERVED = frozenset(TASK_FIELDS)
#: the attributes of a row that sets none (shared: rows are read, never changed)
_NO_ATTRS: dict[str, Any] = {}

#: the column whose JSON object is a task's whole info (pbs's `info`)
INFO_COLUMN = "info"

#: delimiters a CSV file may use, as named in messages
_DELIMITERS: dict[str, str] = {",": "comma", ";": "semicolon", "\t": "tab"}


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


def read_tsv(text: str, relname: str) -> tuple[list[TaskRow], list[Problem]]:
    """A tab-separated file (always tabs)."""
    return read_csv(text, relname, delimiter="\t")


def read_csv(
    text: str, relname: str, delimiter: str | None = None
) -> tuple[list[TaskRow], list[Problem]]:
    """The rows of a CSV file (delimiter told by the header unless given)."""
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
            found = _info_cell(info, relname, line)
            if isinstance(found, Problem):
                problems.append(found)
            else:
                rows.append(TaskRow(found, attrs, relname, line))
    except csv.Error as exc:
        problems.append(Problem(relname, f"CSV syntax error: {exc}", reader.line_num))
    if header is None:
        problems.append(Problem(relname, "no header row (the first row names the info fields)", 1))
    return rows, problems


def _lines(text: str) -> Iterator[str]:
    """The lines of `text` one at a time: a StringIO would hold a copy four bytes a character."""
    return (match.group() for match in _LINE.finditer(text))


def _info_cell(info: dict[str, Any], relname: str, line: int) -> dict[str, Any] | Problem:
    """The row's info, or the JSON object its `info` cell holds (pbs's wrapped form).

    Only a cell starting with `{` is read as JSON, so a column that happens to be named `info`
    and holds text keeps working; such a cell must then be a valid JSON object, and the row's
    other info cells must be empty (pbs dropped them; pbsync will not guess how to merge them).
    """
    cell = info.get(INFO_COLUMN)
    if not isinstance(cell, str) or not cell.lstrip().startswith("{"):
        return info
    try:
        value = json.loads(cell, parse_float=parse_float)
    except (json.JSONDecodeError, RecursionError) as exc:
        why = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
        msg = f"the cell starts with '{{' but is not a JSON object: {why}"
        return Problem(relname, msg, line, INFO_COLUMN)
    if not isinstance(value, dict):
        return Problem(relname, "the cell must hold a JSON object", line, INFO_COLUMN)
    others = sorted(k for k, v in info.items() if k != INFO_COLUMN and v.strip() != "")
    if others:
        msg = (
            f"the info cell holds the task's info as JSON, so the other info cells must be "
            f"empty: move {', '.join(others)} into the JSON"
        )
        return Problem(relname, msg, line, others[0])
    return value
