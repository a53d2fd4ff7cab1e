"""One-line texts of values, tasks and field changes in a shown plan (pbsync/cli/plantext.py)."""

from __future__ import annotations

from typing import Any

import pytest

from pbsync.cli.plantext import change_lines, short_value, task_text
from pbsync.model import TaskState
from pbsync.sync.actions import FieldChange


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("plain", "plain"),
        (5, "5"),
        ({"a": [1, 2]}, '{"a": [1, 2]}'),
        ("two\nlines\x1b[31m", "two lines [31m"),  # no line break, no terminal escape
        ("x" * 100, "x" * 57 + "..."),
        ("data:image/png;base64," + "A" * 300, "data:image/png;base64,... (322 chars)"),
        ("data:,hello", "data:,... (11 chars)"),
    ],
)
def test_short_value(value: Any, shown: str) -> None:
    assert short_value(value) == shown


def test_task_text_uses_key_fields_and_cuts_the_line() -> None:
    task = TaskState(key="k", info={"url": "https://example.org/a.png", "title": "Shapes 1"})
    # name order, whatever order the info came in (a server's jsonb orders keys its own way)
    assert task_text(task) == "title=Shapes 1, url=https://example.org/a.png"
    flipped = TaskState(key="k", info={"title": "Shapes 1", "url": "https://example.org/a.png"})
    assert task_text(flipped) == task_text(task)
    assert task_text(task, ("title",)) == "title=Shapes 1"
    wide = TaskState(key="k", info={f"f{i}": "v" * 30 for i in range(10)})
    assert len(task_text(wide)) == 100 and task_text(wide).endswith("...")
    assert task_text(TaskState(key="k", info={})) == "(empty info)"


@pytest.mark.parametrize(
    ("old", "new", "lines"),
    [
        (5, 3, ["n_answers: 5 -> 3"]),
        ({"a": 1, "b": 2}, {"a": 1, "b": 3}, ["n_answers.b: 2 -> 3"]),
        ({"a": 1}, {"a": 1, "c": "x"}, ["n_answers.c: (none) -> x"]),
        ({"a": 1, "c": "x"}, {"a": 1}, ["n_answers.c: x -> (none)"]),
        ({"a": {"b": 1}}, {"a": {"b": 2}}, ["n_answers.a.b: 1 -> 2"]),
        ({"a": 5}, {"a": 5.0, "b": True}, ["n_answers.b: (none) -> true"]),
    ],
)
def test_change_lines_in_plain_words(old: Any, new: Any, lines: list[str]) -> None:
    assert change_lines(FieldChange("n_answers", old, new)) == lines
