"""Task readers, reserved attributes, identity and the jsonl writer."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from pbsync.folder.taskfiles import (
    TaskRow,
    build_tasks,
    check_attribute,
    decode_utf8,
    write_jsonl,
)
from pbsync.folder.taskreaders import read_task_file
from pbsync.model import TASK_DEFAULTS, TaskState, content_key

ATTRIBUTE_CASES: list[tuple[str, Any, Any, str | None]] = [
    ("n_answers", "5", 5, None),
    ("n_answers", " 7 ", 7, None),
    ("n_answers", 3, 3, None),
    ("n_answers", 3.0, 3, None),
    ("n_answers", "0", None, "positive"),
    ("n_answers", -1, None, "positive"),
    ("n_answers", "2.5", None, "integer"),
    ("n_answers", "five", None, "number"),
    ("n_answers", True, None, "number"),
    ("n_answers", [1], None, "number"),
    ("priority_0", "0.5", 0.5, None),
    ("priority_0", 1, 1.0, None),
    ("priority_0", "0", 0.0, None),
    ("priority_0", "1.5", None, "between 0 and 1"),
    ("priority_0", -0.1, None, "between 0 and 1"),
    ("quorum", "0", 0, None),
    ("quorum", "-2", None, "non-negative"),
    ("calibration", "1", 1, None),
    ("calibration", 0.5, None, "integer"),
]


@pytest.mark.parametrize(("name", "raw", "value", "error"), ATTRIBUTE_CASES)
def test_check_attribute(name: str, raw: Any, value: Any, error: str | None) -> None:
    got, message = check_attribute(name, raw)
    if error is None:
        assert message is None
        assert got == value
        assert type(got) is type(value)
    else:
        assert message is not None and error in message


IDENTITY_CASES: list[tuple[dict[str, Any], dict[str, Any], tuple[str, ...], bool]] = [
    ({"a": 1, "b": 2}, {"b": 2, "a": 1}, (), True),  # key order does not matter
    ({"a": 1}, {"a": "1"}, (), False),  # types matter
    ({"a": 1, "b": 2}, {"a": 1, "b": 3}, (), False),
    ({"a": 1, "b": 2}, {"a": 1, "b": 3}, ("a",), True),  # only key fields count
    ({"a": 1}, {"a": 1, "b": None}, ("a", "b"), True),  # missing == None for key fields
    ({"x": {"y": [1, 2]}}, {"x": {"y": [2, 1]}}, (), False),
    ({"t": "é"}, {"t": "\u00e9"}, (), True),
]


@pytest.mark.parametrize(("one", "two", "key", "same"), IDENTITY_CASES)
def test_identity(
    one: dict[str, Any], two: dict[str, Any], key: tuple[str, ...], same: bool
) -> None:
    assert (content_key(one, key) == content_key(two, key)) is same


def _rows(*infos: dict[str, Any], attrs: dict[str, Any] | None = None) -> list[TaskRow]:
    return [TaskRow(info, dict(attrs or {}), "t.csv", i + 2) for i, info in enumerate(infos)]


def test_build_tasks_applies_defaults_and_row_attributes() -> None:
    rows = [*_rows({"a": "1"}), TaskRow({"a": "2"}, {"n_answers": "4"}, "t.csv", 3)]
    defaults = {**TASK_DEFAULTS, "n_answers": 2}
    tasks, problems = build_tasks(rows, (), defaults)
    assert problems == []
    assert [(t.n_answers, t.source) for t in tasks] == [(2, "t.csv:2"), (4, "t.csv:3")]
    assert tasks[0].key == content_key({"a": "1"})


def test_build_tasks_names_both_duplicate_rows() -> None:
    _, problems = build_tasks(_rows({"a": "1"}, {"a": "2"}, {"a": "1"}))
    assert len(problems) == 1
    assert str(problems[0]) == "t.csv:4: duplicate task: same info as t.csv:2"


def test_build_tasks_duplicates_by_key_fields() -> None:
    tasks, problems = build_tasks(_rows({"u": "x", "n": "1"}, {"u": "x", "n": "2"}), ("u",))
    assert len(tasks) == 1
    assert problems[0].message == "duplicate task: same key (u) as t.csv:2"


def test_build_tasks_missing_key_field() -> None:
    _, problems = build_tasks(_rows({"u": "x"}, {"v": "y"}), ("u",))
    assert [(p.line, p.field) for p in problems] == [(3, "u")]


def test_build_tasks_bad_attribute_has_row_and_field() -> None:
    rows = [TaskRow({"a": 1}, {"priority_0": 2}, "t.json", 7)]
    tasks, problems = build_tasks(rows)
    assert tasks == ()
    assert (problems[0].file, problems[0].line, problems[0].field) == ("t.json", 7, "priority_0")


def test_decode_utf8_reports_offset_and_line() -> None:
    text, problem = decode_utf8(b"a,b\n1,2\n3,\xff\n", "t.csv")
    assert text is None and problem is not None
    assert (problem.line, "offset 10" in problem.message) == (3, True)
    assert decode_utf8(b"\xef\xbb\xbfa", "t.csv") == ("a", None)


# -- readers ---------------------------------------------------------------------------------


def _read(tmp_path: Path, name: str, data: str | bytes) -> tuple[list[TaskRow], list[Any]]:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return read_task_file(path, name)


def test_csv_reader(tmp_path: Path) -> None:
    data = '\ufeffurl,note,n_answers\nhttp://a,"two\nlines",\n\nhttp://b,,3\n'
    rows, problems = _read(tmp_path, "tasks.csv", data)
    assert problems == []
    assert [(r.info, r.attrs, r.line) for r in rows] == [
        ({"url": "http://a", "note": "two\nlines"}, {}, 2),
        ({"url": "http://b", "note": ""}, {"n_answers": "3"}, 5),  # empty cell kept as ""
    ]


@pytest.mark.parametrize(
    ("data", "line", "words"),
    [
        ("a,b\n1,2,3\n", 2, "3 cells"),
        ("a,a\n1,2\n", 1, "duplicate column"),
        ("a,\n1,2\n", 1, "empty column name"),
        ("", 1, "no header"),
        ('a\n"x\n', 2, "CSV"),
    ],
)
def test_csv_reader_problems(tmp_path: Path, data: str, line: int, words: str) -> None:
    _, problems = _read(tmp_path, "tasks.csv", data)
    assert any(p.line == line and words in p.message for p in problems), problems


def test_json_reader_knows_lines(tmp_path: Path) -> None:
    data = '[\n  {"a": 1,\n   "priority_0": 0.5},\n  {"a": [1, 2]}\n]\n'
    rows, problems = _read(tmp_path, "tasks.json", data)
    assert problems == []
    assert [(r.info, r.attrs, r.line) for r in rows] == [
        ({"a": 1}, {"priority_0": 0.5}, 2),
        ({"a": [1, 2]}, {}, 4),
    ]


@pytest.mark.parametrize(
    ("data", "line", "words"),
    [
        ('[\n{"a": 1},\n{"a": }\n]', 3, "invalid JSON"),
        ('{"a": 1}', 1, "list of objects"),
        ('[\n{"a": 1},\n"text"\n]', 3, "JSON object"),
        ('[{"a": 1}]\n[]', 1, "extra data"),
        ('[{"a": 1},\n]', 2, "invalid JSON"),
    ],
)
def test_json_reader_problems(tmp_path: Path, data: str, line: int, words: str) -> None:
    _, problems = _read(tmp_path, "tasks.json", data)
    assert any(p.line == line and words in p.message for p in problems), problems


def test_jsonl_reader(tmp_path: Path) -> None:
    data = '{"a": 1}\n\n{"a": 2, "n_answers": 2}\n{"a": \n[1]\n'
    rows, problems = _read(tmp_path, "tasks.jsonl", data)
    assert [(r.info, r.line) for r in rows] == [({"a": 1}, 1), ({"a": 2}, 3)]
    assert [(p.line, p.message.split(":")[0]) for p in problems] == [
        (4, "invalid JSON"),
        (5, "each line must be a JSON object, got list"),
    ]


def test_xlsx_reader_keeps_types(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["name", "count", "ok", "when", "n_answers"])
    sheet.append(["cat", 3, True, dt.datetime(2024, 5, 1, 12, 30), 2])
    sheet.append(["dog", 2.5, None, dt.date(2024, 5, 2), None])
    book.create_sheet("ignored").append(["x"])
    book.save(tmp_path / "tasks.xlsx")
    rows, problems = read_task_file(tmp_path / "tasks.xlsx", "tasks.xlsx")
    assert problems == []
    assert [(r.info, r.attrs, r.line) for r in rows] == [
        (
            {"name": "cat", "count": 3, "ok": True, "when": "2024-05-01T12:30:00"},
            {"n_answers": 2},
            2,
        ),
        ({"name": "dog", "count": 2.5, "ok": "", "when": "2024-05-02T00:00:00"}, {}, 3),
    ]


def test_xlsx_reader_broken_file(tmp_path: Path) -> None:
    _, problems = _read(tmp_path, "tasks.xlsx", b"not a zip")
    assert "cannot read the spreadsheet" in problems[0].message


def test_po_reader(tmp_path: Path) -> None:
    data = (
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Hello"\nmsgstr ""\n\n'
        'msgctxt "menu"\nmsgid "Open"\nmsgstr "Ouvrir"\n\n'
        '#~ msgid "Old"\n#~ msgstr ""\n'
    )
    rows, problems = _read(tmp_path, "tasks.po", data)
    assert problems == []
    assert [(r.info, r.line) for r in rows] == [
        ({"msgid": "Hello"}, 5),
        ({"msgid": "Open", "msgctxt": "menu"}, 8),
    ]


def test_po_reader_syntax_error(tmp_path: Path) -> None:
    _, problems = _read(tmp_path, "tasks.po", 'msgid "a"\nmsgstr "b"\nbogus line\n')
    assert problems and "invalid PO file" in problems[0].message


def test_unsupported_extension(tmp_path: Path) -> None:
    _, problems = _read(tmp_path, "tasks.txt", "a")
    assert "unsupported task file type" in problems[0].message


# -- writer ----------------------------------------------------------------------------------


def _task(id_: int | None, info: dict[str, Any], **attrs: Any) -> TaskState:
    return TaskState(key=content_key(info), info=info, id=id_, **attrs)


def test_write_jsonl_orders_by_id_and_writes_only_non_defaults() -> None:
    defaults = {**TASK_DEFAULTS, "n_answers": 5}
    tasks = [
        _task(9, {"a": "é"}, n_answers=5),
        _task(2, {"a": 2}, n_answers=30, priority_0=0.5),
        _task(None, {"a": 3}, n_answers=5),
    ]
    lines = write_jsonl(tasks, defaults).splitlines()
    assert lines == [
        '{"a": 2, "n_answers": 30, "priority_0": 0.5}',
        '{"a": "é"}',
        '{"a": 3}',
    ]


def test_write_jsonl_round_trips_through_the_reader(tmp_path: Path) -> None:
    tasks = [_task(i, {"i": i, "nested": {"x": [i, None]}}, quorum=i % 2) for i in range(1, 6)]
    (tmp_path / "tasks.jsonl").write_text(write_jsonl(tasks), encoding="utf-8")
    rows, problems = read_task_file(tmp_path / "tasks.jsonl", "tasks.jsonl")
    back, more = build_tasks(rows)
    assert problems == more == []
    assert [(t.key, t.info, t.quorum) for t in back] == [(t.key, t.info, t.quorum) for t in tasks]


def test_write_jsonl_refuses_reserved_info_keys() -> None:
    with pytest.raises(ValueError, match="n_answers"):
        write_jsonl([_task(1, {"n_answers": 3})])


def test_jsonl_lines_are_json() -> None:
    text = write_jsonl([_task(1, {"q": "a\nb"})])
    assert json.loads(text.splitlines()[0]) == {"q": "a\nb"}


SHAPES = {"title": "Shapes 1", "url": "http://a"}


@pytest.mark.parametrize(
    ("name", "data", "info"),
    [
        ("tasks.csv", "title,url\nShapes 1,http://a\n", SHAPES),
        ("tasks.csv", "title;url\nShapes 1;http://a\n", SHAPES),  # a spreadsheet's "CSV"
        ("tasks.csv", "title\turl\nShapes 1\thttp://a\n", SHAPES),
        ("tasks.csv", '"t;x",url\nShapes 1,http://a\n', {"t;x": "Shapes 1", "url": "http://a"}),
        ("tasks.csv", "\n\ntitle;url\nShapes 1;http://a\n", SHAPES),  # blank lines first
        ("tasks.csv", "url\nhttp://a\n", {"url": "http://a"}),
        ("tasks.tsv", "title\turl\nShapes 1\thttp://a\n", SHAPES),
        ("tasks.tsv", "title\turl\n1, 2; 3\thttp://a\n", {"title": "1, 2; 3", "url": "http://a"}),
    ],
)
def test_csv_delimiter_comes_from_the_header(
    tmp_path: Path, name: str, data: str, info: dict[str, str]
) -> None:
    rows, problems = _read(tmp_path, name, data)
    assert problems == []
    assert [r.info for r in rows] == [info]


def test_csv_header_with_two_delimiters_is_refused(tmp_path: Path) -> None:
    _, problems = _read(tmp_path, "tasks.csv", "\ntitle;url,note\nx;y,z\n")
    (problem,) = problems
    assert (problem.file, problem.line) == ("tasks.csv", 2)
    assert "'title;url,note' holds commas and semicolons" in problem.message
