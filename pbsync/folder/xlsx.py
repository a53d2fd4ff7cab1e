"""Task rows from a spreadsheet (`tasks.xlsx`): the first sheet, its first non-blank row the header.

Cells keep their type (numbers, booleans); dates and times become ISO 8601 strings; an empty cell
is "" as in CSV. A spreadsheet stores a formula together with its last result, and pbsync reads
the result; two kinds of cell have no usable one, and each is a problem naming the cell:
- a formula whose result was never saved (a file written by a program, not saved by a
  spreadsheet application): openpyxl reads it as an empty cell, which would become "";
- a formula whose result is an error (`#DIV/0!`, `#REF!`...), which would become that text.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from typing import Any

from pbsync.errors import Problem
from pbsync.folder.taskfiles import TaskRow, header_problems, split_reserved

__all__ = ["read_xlsx"]

log = logging.getLogger(__name__)

#: how much of a formula a message shows
_SHOWN = 40


def read_xlsx(data: bytes, relname: str) -> tuple[list[TaskRow], list[Problem]]:
    """The rows of a spreadsheet's first sheet; `relname` names the file in problems."""
    import openpyxl  # slow to import; only xlsx users pay for it

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zip, XML and its own errors for a broken file
        return [], [Problem(relname, f"cannot read the spreadsheet: {exc}")]
    sheet = _Sheet(relname)
    try:
        sheet.read(book.worksheets[0].iter_rows())
    finally:
        book.close()
    if sheet.valueless:
        sheet.find_formulas(data)
    if sheet.header is None:
        sheet.problems.append(Problem(relname, "no header row in the first sheet", 1))
    rows = [row for row in sheet.rows if row.line not in sheet.bad_rows]
    return rows, sheet.problems


class _Sheet:
    """One reading of a sheet: rows, problems, and the cells whose value is missing."""

    def __init__(self, relname: str) -> None:
        self.relname = relname
        self.header: list[Any] | None = None
        self.rows: list[TaskRow] = []
        self.problems: list[Problem] = []
        #: coordinate ("C3") -> (row number, column name) of cells with a cell but no value
        self.valueless: dict[str, tuple[int, str]] = {}
        self.bad_rows: set[int] = set()

    def read(self, rows: Any) -> None:
        for number, cells in enumerate(rows, 1):
            values = [cell.value for cell in cells]
            if all(v is None or v == "" for v in values):
                continue
            if self.header is None:
                self.header = [str(v).strip() if v is not None else None for v in values]
                while self.header and self.header[-1] is None:
                    self.header.pop()
                self.problems += header_problems(self.header, self.relname, number)
                continue
            self._row(number, cells, values, self.header)

    def _row(self, number: int, cells: Any, values: list[Any], header: list[Any]) -> None:
        if any(v is not None for v in values[len(header) :]):
            msg = "cells to the right of the header's columns"
            self.problems.append(Problem(self.relname, msg, number))
        for name, cell in zip(header, cells, strict=False):
            if cell.data_type == "e":
                msg = f"cell {cell.coordinate} holds the error {cell.value}: fix its formula"
                self.problems.append(Problem(self.relname, msg, number, name))
                self.bad_rows.add(number)
            elif cell.value is None and getattr(cell, "coordinate", None):
                # an empty cell with a style, or a formula with no saved result: the second
                # reading (formulas) tells
                self.valueless[cell.coordinate] = (number, name)
        found = {h: _cell(v) for h, v in zip(header, values, strict=False)}
        found.update({h: "" for h in header[len(values) :]})
        info, attrs = split_reserved(found)
        attrs = {k: v for k, v in attrs.items() if v != ""}
        self.rows.append(TaskRow(info, attrs, self.relname, number))

    def find_formulas(self, data: bytes) -> None:
        """Report the valueless cells that hold a formula (read again, formulas as text)."""
        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        try:
            lines = [line for line, _ in self.valueless.values()]
            rows = book.worksheets[0].iter_rows(min_row=min(lines), max_row=max(lines))
            for cells in rows:
                for cell in cells:
                    where = self.valueless.get(getattr(cell, "coordinate", None) or "")
                    if where is not None and cell.data_type == "f":
                        self._formula(cell.coordinate, str(cell.value), *where)
        finally:
            book.close()

    def _formula(self, coordinate: str, formula: str, number: int, name: str) -> None:
        shown = formula if len(formula) <= _SHOWN else formula[: _SHOWN - 1] + "…"
        msg = (
            f"cell {coordinate} holds a formula with no saved result ({shown}): open and save "
            "the file in a spreadsheet application, or paste the values"
        )
        self.problems.append(Problem(self.relname, msg, number, name))
        self.bad_rows.add(number)


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return value
