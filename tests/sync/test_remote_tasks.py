"""Reading the server's tasks against the folder's (`read_against`, pure): what is kept whole,
and that a plan made from what it keeps is the plan made from every task whole."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from pbsync.model import ProjectFields, ProjectState, TaskState, content_key
from pbsync.sync.compare import PackedFingerprints, SyncRecord, task_fingerprint
from pbsync.sync.planner import make_plan
from pbsync.sync.remote_tasks import read_against, task_of

FIELDS = ProjectFields(name="Read", short_name="pbsynctest_read", description="d")


def row(id: int, info: Any, **settings: Any) -> dict[str, Any]:
    return {"id": id, "project_id": 7, "info": info, "state": "ongoing", **settings}


def mine(info: dict[str, Any], key_fields: tuple[str, ...] = (), **kw: Any) -> TaskState:
    return TaskState(key=content_key(info, key_fields), info=info, source="tasks.csv:2", **kw)


def test_an_equal_task_is_kept_by_id_only() -> None:
    read = read_against([row(4, {"url": "a"})], [mine({"url": "a"})])
    assert read.same == {content_key({"url": "a"}): 4} and read.others == []


@pytest.mark.parametrize(
    ("server", "folder", "equal"),
    [
        ({"n": 1.0}, {"n": 1}, True),  # 1 and 1.0 alike, at any depth
        ({"n": [{"x": 2.0}]}, {"n": [{"x": 2}]}, True),
        ({"n": True}, {"n": 1}, False),  # True and 1 not
        ({"n": "1"}, {"n": 1}, False),
        ({"extra": None}, {}, False),
    ],
)
def test_equality_is_same_on_info(server: Any, folder: Any, equal: bool) -> None:
    key_fields = ("url",)  # the same identity, whatever else differs
    server, folder = {"url": "a", **server}, {"url": "a", **folder}
    read = read_against([row(4, server)], [mine(folder, key_fields)], key_fields)
    assert (read.same != {}) is equal and (len(read.others) == 1) is not equal


@pytest.mark.parametrize(
    ("settings", "equal"),
    [
        ({}, True),  # defaults filled in on both sides
        ({"n_answers": 30, "priority_0": 0}, True),
        ({"n_answers": 2}, False),
        ({"priority_0": 0.5}, False),
        ({"quorum": 1}, False),
    ],
)
def test_equality_covers_the_four_settings(settings: dict[str, Any], equal: bool) -> None:
    read = read_against([row(4, {"url": "a"}, **settings)], [mine({"url": "a"})])
    assert (read.same != {}) is equal


def test_copies_of_an_equal_task_go_whole_lowest_id_first() -> None:
    task = mine({"url": "a"})
    read = read_against([row(4, {"url": "a"}), row(9, {"url": "a"})], [task])
    assert read.same == {}
    assert [(t.id, t.key) for t in read.others] == [(4, task.key), (9, task.key)]


# -- the plan from what read_against keeps is the plan from every task whole ---------------------

A, B, C = {"url": "a"}, {"url": "b"}, {"url": "c"}
CASES = {
    "in sync": ([A, B], [(1, A), (2, B)]),
    "one differs": ([A, B], [(1, A), (2, {**B, "n_answers": 5})]),
    "one missing, one remote only": ([A, B], [(1, A), (3, C)]),
    "copies": ([A, B], [(1, A), (2, B), (3, A), (4, A)]),
    "copy of a differing task": ([A], [(1, {**A, "quorum": 2}), (2, A)]),
    "whole floats": ([{"n": 1, "url": "x"}], [(5, {"n": 1.0, "url": "x"})]),
    "empty server": ([A], []),
}


def _server_row(id: int, spec: dict[str, Any]) -> dict[str, Any]:
    settings = {k: v for k, v in spec.items() if k in ("n_answers", "quorum")}
    return row(id, {k: v for k, v in spec.items() if k not in settings}, **settings)


@pytest.mark.parametrize("prune", [False, True])
@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_the_plan_is_the_plan_from_every_task_whole(case: Any, prune: bool) -> None:
    infos, server = case
    tasks = tuple(replace(mine(info), source=f"tasks.csv:{n}") for n, info in enumerate(infos, 2))
    local = ProjectState(project=FIELDS, tasks=tasks)
    rows = [_server_row(id, spec) for id, spec in server]
    base = ProjectState(project=replace(FIELDS, published=False), project_id=7, remote_info={})
    whole = replace(base, tasks=tuple(task_of(r) for r in rows))
    read = read_against(rows, tasks)
    compact = replace(base, tasks=tuple(read.others), same_tasks=read.same)
    runs = {"n_task_runs": 0}
    whole = replace(whole, tasks=tuple(replace(t, **runs) for t in whole.tasks or ()))
    compact = replace(compact, tasks=tuple(replace(t, **runs) for t in compact.tasks or ()))
    expected = make_plan(local, whole, prune=prune)
    got = make_plan(local, compact, prune=prune)
    assert got.actions == expected.actions
    assert got.remote_only == expected.remote_only and got.duplicates == expected.duplicates
    assert got.last_task_id == expected.last_task_id


# -- the record's task fingerprints: packed, read when used --------------------------------------


def test_packed_fingerprints_round_trip_and_unpack_only_when_read() -> None:
    tasks = {mine(info).key: task_fingerprint(mine(info)) for info in (A, B, C)}
    data = SyncRecord(tasks=tasks).to_json()
    assert isinstance(data["tasks"], str)
    back = SyncRecord.from_json(data).tasks
    assert isinstance(back, PackedFingerprints) and back._unpacked is None
    assert back == PackedFingerprints.of(tasks)  # compared packed: still not unpacked
    assert back._unpacked is None
    assert dict(back) == tasks and back == tasks


def test_a_damaged_packed_line_is_left_out() -> None:
    packed = PackedFingerprints("k1 f1\nbroken\nk2 f2\n")
    assert dict(packed) == {"k1": "f1", "k2": "f2"}


@pytest.mark.parametrize(("value", "equal"), [(True, False), (None, True), (30.0, True)])
def test_a_setting_of_the_folder_is_compared_as_same_does(value: Any, equal: bool) -> None:
    # the server's 30 (PYBOSSA's default): True is not 30 or 1; unset is the default
    read = read_against([row(4, {"url": "a"}, n_answers=30)], [mine({"url": "a"}, n_answers=value)])
    assert (read.same != {}) is equal
