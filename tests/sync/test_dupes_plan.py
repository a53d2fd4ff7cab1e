"""Table tests of how make_plan treats an identity the server holds more than once (pure)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from pbsync.model import HelpingMaterialState, ProjectFields, ProjectState, TaskState, content_key
from pbsync.sync.actions import (
    DeleteDuplicateHelpingMaterial,
    DeleteDuplicateTask,
    DeleteHelpingMaterial,
    DeleteTask,
    Duplicate,
    Unfinished,
    UpdateTask,
)
from pbsync.sync.duplicates import shares_file
from pbsync.sync.planner import make_plan

FIELDS = ProjectFields(name="Dupes", short_name="pbsynctest_dupes", description="d")
A, B = {"url": "a"}, {"url": "b"}


def task(
    info: dict[str, Any], id: int | None = None, runs: int | None = None, **kw: Any
) -> TaskState:
    return TaskState(key=content_key(info), info=info, id=id, n_task_runs=runs, **kw)


def local(*tasks: TaskState, helping: tuple[HelpingMaterialState, ...] = ()) -> ProjectState:
    return ProjectState(project=FIELDS, tasks=tuple(tasks), helping_materials=helping)


def remote(*tasks: TaskState, helping: tuple[HelpingMaterialState, ...] = ()) -> ProjectState:
    project = replace(FIELDS, published=False)
    return ProjectState(
        project=project, tasks=tuple(tasks), helping_materials=helping, project_id=7, remote_info={}
    )


def deleted(plan: Any) -> list[int | None]:
    return [a.task.id for a in plan.actions if isinstance(a, DeleteDuplicateTask)]


def test_copies_are_reported_but_not_deleted_by_default() -> None:
    plan = make_plan(local(task(A), task(B)), remote(task(A, 1), task(B, 2), task(A, 3)))
    assert plan.empty and not plan.in_sync  # nothing to send, yet the server holds A twice
    assert plan.duplicates == (Duplicate("task", "task 1", keep=1, extra=(3,)),)
    assert plan.remote_only == ()  # a copy is a duplicate, not a task the folder lacks


def test_the_copy_is_named_by_the_row_that_defines_it() -> None:
    plan = make_plan(local(task(A, source="tasks.csv:2")), remote(task(A, 5), task(A, 4)))
    (duplicate,) = plan.duplicates
    assert (duplicate.name, duplicate.keep, duplicate.extra) == ("tasks.csv:2", 4, (5,))


@pytest.mark.parametrize(
    ("runs", "deleting", "answered", "uncounted"),
    [
        ((0, 0), [3, 4], (), ()),
        ((0, 2), [3], (4,), ()),  # a copy with task runs holds volunteers' answers: it stays
        ((None, 0), [4], (), (3,)),  # runs not counted yet: pbsync.plan counts, then plans again
    ],
)
def test_dedupe_deletes_copies_without_task_runs_keeping_the_lowest_id(
    runs: tuple[int | None, int | None],
    deleting: list[int],
    answered: tuple[int, ...],
    uncounted: tuple[int, ...],
) -> None:
    theirs = remote(task(A, 3, runs[0]), task(A, 1, 5), task(A, 4, runs[1]))
    plan = make_plan(local(task(A)), theirs, dedupe=True)
    assert deleted(plan) == deleting
    (duplicate,) = plan.duplicates
    assert (duplicate.keep, duplicate.answered, duplicate.uncounted) == (1, answered, uncounted)
    assert plan.uncounted == frozenset(uncounted)
    assert all(a.keep == 1 for a in plan.actions if isinstance(a, DeleteDuplicateTask))


def test_force_does_not_delete_an_answered_copy() -> None:
    plan = make_plan(local(task(A)), remote(task(A, 1, 0), task(A, 2, 1)), prune=True, force=True)
    assert deleted(plan) == [] and plan.duplicates[0].answered == (2,)


def test_an_unfinished_push_has_its_copies_deleted_and_older_ones_reported() -> None:
    theirs = remote(task(A, 1, 0), task(A, 2, 0), task(B, 10, 0), task(B, 11, 0))
    unfinished = Unfinished(project_id=7, last_task_id=10, last_helping_id=0, started="x")
    plan = make_plan(local(task(A), task(B)), theirs, unfinished=unfinished)
    assert deleted(plan) == [11]  # above the ids the unfinished push began from
    assert [d.left for d in plan.duplicates] == [(2,), ()]
    assert any("did not finish (started x)" in note for note in plan.notes)


def test_with_key_fields_copies_differ_and_the_lowest_is_updated_to_the_folder() -> None:
    key = ("url",)
    mine = TaskState(key=content_key({"url": "a", "q": 2}, key), info={"url": "a", "q": 2})
    theirs = remote(task({"url": "a", "q": 1}, 8, 0), task({"url": "a", "q": 3}, 9, 0))
    plan = make_plan(replace(local(mine), task_key_fields=key), theirs, dedupe=True)
    assert [type(a) for a in plan.actions] == [UpdateTask, DeleteDuplicateTask]
    assert plan.actions[0].task_id == 8 and deleted(plan) == [9]  # type: ignore[attr-defined]


def test_prune_deletes_every_copy_of_a_task_the_folder_no_longer_has() -> None:
    plan = make_plan(local(), remote(task(A, 1, 0), task(A, 2, 0)), prune=True)
    assert [a.task.id for a in plan.actions if isinstance(a, DeleteTask)] == [1, 2]
    assert plan.duplicates == ()


def material(id: int, name: str = "map.png", **info: Any) -> HelpingMaterialState:
    return HelpingMaterialState(name=name, info={"name": name, **info}, id=id)


STORED = {"file_name": "map.png", "container": "user_1"}


@pytest.mark.parametrize(
    ("copy_info", "detach"),
    [
        (STORED, True),  # the same stored file: PYBOSSA would delete it with the copy
        ({"file_name": "map.png", "container": "user_2"}, False),
        ({}, False),  # a link: no file
    ],
)
def test_a_material_copy_sharing_the_stored_file_is_detached_before_deletion(
    copy_info: dict[str, str], detach: bool
) -> None:
    theirs = remote(helping=(material(2, **copy_info), material(1, **STORED)))
    mine = local(helping=(HelpingMaterialState(name="map.png", info={}, file_path="/x.png"),))
    plan = make_plan(mine, theirs, dedupe=True)
    copies = [a for a in plan.actions if isinstance(a, DeleteDuplicateHelpingMaterial)]
    assert [(a.material.id, a.keep, a.detach) for a in copies] == [(2, 1, detach)]
    assert plan.duplicates[0].kind == "helping material"


def test_material_copies_are_reported_and_pruned_with_their_name() -> None:
    theirs = remote(helping=(material(1), material(2)))
    assert make_plan(local(), theirs).duplicates[0].extra == (2,)
    pruned = make_plan(local(), theirs, prune=True)
    assert [type(a) for a in pruned.actions] == [DeleteHelpingMaterial, DeleteHelpingMaterial]


def test_shares_file_needs_both_keys() -> None:
    assert shares_file(STORED, dict(STORED))
    assert not shares_file({"file_name": "map.png"}, {"file_name": "map.png"})
