"""Property tests: what pull writes, load reads back; server names never escape the folder."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pbsync.folder.taskfiles import build_tasks, write_jsonl
from pbsync.folder.taskreaders import read_task_file
from pbsync.model import TASK_DEFAULTS, TASK_FIELDS, TaskState, content_key
from pbsync.pulling.run import safe_name

# PYBOSSA cannot store NUL (the loader refuses it), so a round trip never carries one
storable = st.characters(exclude_categories=("Cs",), exclude_characters="\x00")
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(storable),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(storable, max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
infos = st.dictionaries(
    st.text(storable, max_size=8).filter(lambda k: k not in TASK_FIELDS), json_values, max_size=4
)
attrs = st.fixed_dictionaries(
    {
        "n_answers": st.integers(1, 50),
        "priority_0": st.sampled_from([0.0, 0.25, 1.0]),
        "quorum": st.integers(0, 3),
        "calibration": st.integers(0, 1),
    }
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(infos, attrs), max_size=8, unique_by=lambda t: content_key(t[0])))
def test_jsonl_written_by_pull_reads_back_identically(
    rows: list[tuple[dict[str, Any], dict[str, Any]]],
) -> None:
    tasks = [
        TaskState(key=content_key(info), info=info, id=i + 1, **a)
        for i, (info, a) in enumerate(rows)
    ]
    defaults = {**TASK_DEFAULTS, "n_answers": 5}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "tasks.jsonl"
        path.write_text(write_jsonl(tasks, defaults), encoding="utf-8")
        read, problems = read_task_file(path, "tasks.jsonl")
    back, more = build_tasks(read, (), defaults)
    assert problems == more == []
    fields = ("key", "info", *TASK_FIELDS)
    assert [tuple(getattr(t, f) for f in fields) for t in back] == [
        tuple(getattr(t, f) for f in fields) for t in tasks
    ]


@settings(max_examples=300, deadline=None)
@given(
    st.text(max_size=40)
    | st.lists(st.sampled_from(["..", ".", "/", "\\", "C:", "a", "\x00", "x.png"]), max_size=8).map(
        "".join
    )
)
def test_safe_name_always_stays_below_the_folder(name: str) -> None:
    rel = safe_name(name)
    assert rel not in ("", ".", "..") and "/" not in rel and "\\" not in rel
    assert "\x00" not in rel and ":" not in rel
    root = Path("/srv/folder/helping")
    assert (root / rel).resolve().is_relative_to(root)
