"""CSV and JSON files made from a finished JSON lines export, in constant memory, no request.

CSV columns: `id`, the other top-level fields (sorted), then `info` flattened one level into
`info.KEY` columns (sorted; a value that is itself an object or a list is written as compact
JSON). A row whose `info` is not an object (a string, a list) has it whole in an `info` column,
placed before the `info.*` columns; that column exists only when such a row does. A row without a
field leaves its cell empty, as does `null`; `true`/`false` and numbers are written as JSON writes
them.

The header must cover every row, and the server's answers cannot say which info keys later rows
will bring. So the CSV is made from the JSON lines file once it is complete, in two passes over
that local file: the first collects the column names (memory grows with the number of distinct
keys, never with the rows), the second writes the rows. The alternatives cost more: a first pass
over the server doubles the requests (the scarce resource, 299 per endpoint per 15 minutes), and a
header rewritten when a new key appears rewrites the whole file each time.

Both outputs are written to `NAME.part` and renamed, so a stopped conversion leaves no half file;
the JSON lines file stays: it is what the next export continues.
"""

from __future__ import annotations

import csv
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["csv_columns", "to_csv", "to_json"]

log = logging.getLogger(__name__)


def _lines(source: Path) -> Iterator[bytes]:
    with open(source, "rb") as handle:
        for line in handle:
            if line.strip():
                yield line.rstrip(b"\n")


def _rows(source: Path) -> Iterator[dict[str, Any]]:
    for line in _lines(source):
        row = json.loads(line.decode("utf-8"))
        if isinstance(row, dict):
            yield row


def csv_columns(source: Path) -> list[str]:
    """The CSV header for the rows of a JSON lines file (the rule in the module docstring)."""
    top: set[str] = set()
    info_keys: set[str] = set()
    info_whole = False
    for row in _rows(source):
        top.update(key for key in row if key != "info")
        info = row.get("info")
        if isinstance(info, dict):
            info_keys.update(info)
        elif info is not None:
            info_whole = True
    columns = (["id"] if "id" in top else []) + sorted(top - {"id"})
    if info_whole:
        columns.append("info")
    return columns + [f"info.{key}" for key in sorted(info_keys)]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)  # JSON's own text for the numbers JSON holds, without its overhead
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _flat(row: dict[str, Any]) -> dict[str, str]:
    cells = {key: _cell(value) for key, value in row.items() if key != "info"}
    info = row.get("info")
    if isinstance(info, dict):
        cells.update((f"info.{key}", _cell(value)) for key, value in info.items())
    elif info is not None:
        cells["info"] = _cell(info)
    return cells


def to_csv(source: Path, target: Path) -> Path:
    """Write `target` (CSV, UTF-8, RFC 4180 line ends) from the JSON lines file `source`."""
    columns = csv_columns(source)
    part = target.with_name(target.name + ".part")
    # backslashreplace: a lone surrogate from the server's JSON has no UTF-8 form
    with open(part, "w", encoding="utf-8", errors="backslashreplace", newline="") as handle:
        writer = csv.DictWriter(handle, columns, restval="")
        writer.writeheader()
        for row in _rows(source):
            writer.writerow(_flat(row))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(part, target)
    return target


def to_json(source: Path, target: Path) -> Path:
    """Write `target`, a JSON array of the rows of `source`, one row per line, streamed."""
    part = target.with_name(target.name + ".part")
    with open(part, "wb") as handle:
        handle.write(b"[")
        first = True
        for line in _lines(source):
            handle.write(b"\n" if first else b",\n")
            handle.write(line)
            first = False
        handle.write(b"]\n" if first else b"\n]\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(part, target)
    return target
