"""Table tests of make_plan: pure, no I/O."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest

from pbsync.errors import ValidationError
from pbsync.model import HelpingMaterialState, ProjectFields, ProjectState, TaskState, content_key
from pbsync.sync.actions import (
    CreateHelpingMaterial,
    CreateProject,
    CreateTasks,
    DeleteDuplicateTask,
    DeleteHelpingMaterial,
    DeleteTask,
    PublishProject,
    UpdateHelpingMaterial,
    UpdateProject,
    UpdateTask,
)
from pbsync.sync.planner import TASK_BATCH, make_plan
from pbsync.sync.record import record_of
from pbsync.sync.stored import upload_name

FIELDS = ProjectFields(
    name="Cats",
    short_name="pbsynctest_cats",
    description="Spot cats",
    long_description="# Cats",
    category="thinking",
    info={"task_presenter": "<p>v1</p>", "sched": "default"},
)


def task(
    info: dict[str, Any], *, id: int | None = None, runs: int | None = None, **kw: Any
) -> TaskState:
    return TaskState(key=content_key(info), info=info, id=id, n_task_runs=runs, **kw)


def material(
    name: str, *, sha: str | None = "aa", id: int | None = None, **info: Any
) -> HelpingMaterialState:
    server_info = dict(info)
    media_url = None
    if id is not None and sha is not None:
        # as pbsync uploads it to project 7 (see `remote`): under its upload name
        stored = upload_name(7, name, sha)
        server_info.update(sha256=sha, file_name=stored, container="user_1", name=name)
        media_url = f"http://pybossa/uploads/user_1/{stored}"
    return HelpingMaterialState(
        name=name,
        info=server_info if id is not None else info,
        sha256=sha,
        media_url=media_url,
        id=id,
        file_path=None if id is not None else f"/tmp/{name}",
    )


def local(
    tasks: tuple[TaskState, ...] | None = (),
    helping: tuple[HelpingMaterialState, ...] = (),
    **fields: Any,
) -> ProjectState:
    return ProjectState(project=replace(FIELDS, **fields), helping_materials=helping, tasks=tasks)


def remote(
    tasks: tuple[TaskState, ...] | None = (),
    helping: tuple[HelpingMaterialState, ...] = (),
    *,
    extra_info: dict[str, Any] | None = None,
    **fields: Any,
) -> ProjectState:
    project = replace(FIELDS, **{"published": False, **fields})
    info = {**project.info, **(extra_info or {})}
    project = replace(project, info=info)
    return ProjectState(
        project=project, helping_materials=helping, tasks=tasks, project_id=7, remote_info=info
    )


def kinds(plan: Any) -> list[str]:
    return [a.kind for a in plan.actions]


T1, T2, T3 = {"url": "a"}, {"url": "b"}, {"url": "c"}


@pytest.mark.parametrize(
    ("mine", "theirs", "expected"),
    [
        (local(), remote(), []),
        (local(), None, ["CreateProject"]),
        (
            local((task(T1),), published=True),
            None,
            ["CreateProject", "CreateTasks", "PublishProject"],
        ),
        (local((task(T1),), published=True), remote((task(T1, id=1),)), ["PublishProject"]),
        (local(description="Spot dogs"), remote(), ["UpdateProject"]),
        (local((task(T1),)), remote((task(T1, id=1),)), []),
        (local((task(T1), task(T2))), remote((task(T1, id=1),)), ["CreateTasks"]),
        (local((task(T1, n_answers=5),)), remote((task(T1, id=1),)), ["UpdateTask"]),
        (local(None), remote((task(T1, id=1),)), []),
        (local(helping=(material("m.png"),)), remote(), ["CreateHelpingMaterial"]),
        (local(helping=(material("m.png"),)), remote(helping=(material("m.png", id=3),)), []),
        (
            local(helping=(material("m.png", sha="bb"),)),
            remote(helping=(material("m.png", id=3),)),
            ["UpdateHelpingMaterial"],
        ),
    ],
)
def test_actions(mine: ProjectState, theirs: ProjectState | None, expected: list[str]) -> None:
    assert kinds(make_plan(mine, theirs)) == expected


def test_unmanaged_fields_and_web_info_keys_are_left_alone() -> None:
    mine = local(long_description=None, category=None)
    theirs = remote(
        long_description="set in web", category="sensing", extra_info={"thumbnail": "x"}
    )
    assert make_plan(mine, theirs).empty


def test_update_sends_only_changed_fields_and_merged_info() -> None:
    mine = local(info={"task_presenter": "<p>v2</p>", "sched": "default"})
    plan = make_plan(mine, remote(extra_info={"thumbnail": "t.png"}))
    (action,) = plan.actions
    assert isinstance(action, UpdateProject)
    assert [c.field for c in action.changes] == ["info.task_presenter"]
    assert action.body == {
        "info": {"task_presenter": "<p>v2</p>", "sched": "default", "thumbnail": "t.png"}
    }


def test_plain_field_change_does_not_send_info() -> None:
    (action,) = make_plan(local(description="new"), remote()).actions
    assert isinstance(action, UpdateProject) and action.body == {"description": "new"}


def test_numbers_compare_by_value() -> None:
    mine = local((task(T1, priority_0=0),))
    assert make_plan(mine, remote((task(T1, id=1, priority_0=0.0),))).empty


def test_remote_only_is_listed_not_deleted_without_prune() -> None:
    plan = make_plan(local(), remote((task(T1, id=1),), (material("x.png", id=2),)))
    assert plan.empty
    assert [(r.kind, r.id) for r in plan.remote_only] == [("helping material", 2), ("task", 1)]


@pytest.mark.parametrize(
    ("runs", "force", "deleted", "blocked"),
    [
        (0, False, [1], []),
        (2, False, [], ["task 1"]),
        (None, False, [], ["task 1"]),
        (2, True, [1], []),
    ],
)
def test_prune_never_deletes_answered_tasks_without_force(
    runs: int | None, force: bool, deleted: list[int], blocked: list[str]
) -> None:
    plan = make_plan(local(), remote((task(T1, id=1, runs=runs),)), prune=True, force=force)
    assert [a.task.id for a in plan.actions if isinstance(a, DeleteTask)] == deleted
    assert [b.item for b in plan.blocked] == blocked


def test_prune_deletes_helping_materials_and_duplicate_tasks() -> None:
    theirs = remote((task(T1, id=1, runs=0), task(T1, id=2, runs=0)), (material("x.png", id=5),))
    plan = make_plan(local((task(T1),)), theirs, prune=True)
    # the copy goes as a duplicate of the lowest id (never with task runs, even with --force)
    assert [type(a) for a in plan.actions] == [DeleteHelpingMaterial, DeleteDuplicateTask]
    assert plan.actions[1].task.id == 2  # type: ignore[attr-defined]


def test_tasks_are_created_in_batches_in_file_order() -> None:
    rows = tuple(task({"n": i}) for i in range(TASK_BATCH + 3))
    plan = make_plan(local(rows), remote())
    batches = [a for a in plan.actions if isinstance(a, CreateTasks)]
    assert [len(b.tasks) for b in batches] == [TASK_BATCH, 3]
    assert batches[1].tasks[-1].info == {"n": TASK_BATCH + 2}
    assert plan.count(CreateTasks) == TASK_BATCH + 3


def test_key_fields_turn_an_edited_row_into_an_update() -> None:
    mine = replace(
        local((TaskState(key=content_key({"url": "a", "q": 2}), info={"url": "a", "q": 2}),)),
        task_key_fields=("url",),
    )
    mine = replace(
        mine,
        tasks=(
            TaskState(key=content_key({"url": "a", "q": 2}, ("url",)), info={"url": "a", "q": 2}),
        ),
    )
    plan = make_plan(mine, remote((task({"url": "a", "q": 1}, id=9),)))
    (action,) = plan.actions
    assert (
        isinstance(action, UpdateTask)
        and action.task_id == 9
        and action.body == {"info": {"url": "a", "q": 2}}
    )


def test_helping_reupload_only_when_the_file_changed() -> None:
    theirs = remote(helping=(material("m.png", id=3, caption="old"),))
    caption_only = make_plan(local(helping=(material("m.png", caption="new"),)), theirs).actions
    new_file = make_plan(local(helping=(material("m.png", sha="bb"),)), theirs).actions
    assert isinstance(caption_only[0], UpdateHelpingMaterial) and not caption_only[0].reupload
    # the server's keys are sent back
    assert caption_only[0].info["file_name"] == upload_name(7, "m.png", "aa")
    assert isinstance(new_file[0], UpdateHelpingMaterial) and new_file[0].reupload


@pytest.mark.parametrize(
    ("served", "reupload"),
    [
        (upload_name(7, "m.png", "aa"), False),  # pbsync's own name: info.sha256 vouches for it
        ("m.png", True),  # an older pbsync's name: another upload may have overwritten it
        (upload_name(8, "m.png", "aa"), True),  # another project's copy
        (upload_name(7, "n.png", "aa"), True),  # another material's copy
        (upload_name(7, "m.png", "bb"), True),  # other bytes than info.sha256 says
        (None, True),  # no media_url at all
    ],
)
def test_a_file_stored_under_another_name_is_uploaded_again(
    served: str | None, reupload: bool
) -> None:
    stored = material("m.png", id=3)
    url = None if served is None else f"http://pybossa/uploads/user_1/{served}"
    theirs = remote(helping=(replace(stored, media_url=url),))
    plan = make_plan(local(helping=(material("m.png"),)), theirs)
    assert [a.reupload for a in plan.actions if isinstance(a, UpdateHelpingMaterial)] == (
        [True] if reupload else []
    )
    if reupload:
        (change,) = plan.actions[0].changes  # type: ignore[attr-defined]
        assert (change.field, change.old, change.new) == (
            "stored file",
            url,
            upload_name(7, "m.png", "aa"),
        )


def test_link_only_material_records_its_name() -> None:
    link = HelpingMaterialState(name="guide", info={"caption": "c"}, media_url="https://e/g.pdf")
    (action,) = make_plan(local(helping=(link,)), remote()).actions
    assert isinstance(action, CreateHelpingMaterial) and action.info == {
        "caption": "c",
        "name": "guide",
    }


def test_conflict_when_both_sides_changed_since_last_push() -> None:
    previous = record_of(local())
    mine = local(description="mine")
    plan = make_plan(mine, remote(description="theirs"), previous=previous)
    assert [(c.field, c.local, c.remote) for c in plan.conflicts] == [
        ("description", "mine", "theirs")
    ]
    assert not plan.empty


def test_server_only_change_is_drift_not_conflict() -> None:
    previous = record_of(local())
    plan = make_plan(local(), remote(description="web edit"), previous=previous)
    (action,) = plan.actions
    assert isinstance(action, UpdateProject) and action.changes[0].drift and not plan.conflicts


def test_same_value_on_both_sides_is_no_conflict() -> None:
    previous = record_of(local())
    assert make_plan(local(description="x"), remote(description="x"), previous=previous).empty


def test_task_conflict() -> None:
    previous = record_of(local((task(T1),)))
    mine = local((task(T1, n_answers=3),))
    plan = make_plan(mine, remote((task(T1, id=1, n_answers=4),)), previous=previous)
    assert [(c.field, c.local, c.remote) for c in plan.conflicts] == [("n_answers", 3, 4)]


def test_plan_is_deterministic() -> None:
    mine = local((task(T3), task(T1)), (material("b.png"), material("a.png")), description="d")
    theirs = remote((task(T2, id=4, runs=0), task(T1, id=2)), (material("z.png", id=8),))
    first = make_plan(mine, theirs, prune=True)
    assert first == make_plan(mine, theirs, prune=True)
    assert kinds(first) == [
        "UpdateProject",
        "CreateHelpingMaterial",
        "CreateHelpingMaterial",
        "DeleteHelpingMaterial",
        "CreateTasks",
        "DeleteTask",
    ]


def test_published_false_locally_is_a_note() -> None:
    plan = make_plan(local(published=False), remote(published=True))
    assert plan.empty and plan.notes


def test_destructive_actions() -> None:
    theirs = remote((task(T1, id=1, runs=0),))
    plan = make_plan(local((task(T2),), published=True), theirs, prune=True)
    assert [type(a) for a in plan.destructive] == [DeleteTask, PublishProject]
    with pytest.raises(ValidationError, match="at least one task"):  # pruned of every task
        make_plan(local(published=True), theirs, prune=True)
    assert not make_plan(local(), None).destructive
    assert isinstance(make_plan(local(), None).actions[0], CreateProject)


def web_made(name: str, **info: Any) -> HelpingMaterialState:
    """A file-backed material uploaded outside pbsync: no info.name, no info.sha256."""
    server_info = {**info, "file_name": name, "container": "user_1"}
    return HelpingMaterialState(name=name, info=server_info, media_url=f"/u/{name}", id=4)


@pytest.mark.parametrize(
    ("local_sha", "recorded", "expected"),
    [
        ("aa", "aa", []),  # pulled, unchanged: the record vouches for the server's file
        ("bb", "aa", ["UpdateHelpingMaterial"]),  # the file changed locally after the pull
        ("aa", None, ["UpdateHelpingMaterial"]),  # never synced: the server's file is unknown
    ],
)
def test_material_made_outside_pbsync(
    local_sha: str, recorded: str | None, expected: list[str]
) -> None:
    mine = local(helping=(material("m.png", sha=local_sha, caption="c"),))
    previous = record_of(local(helping=(material("m.png", sha=recorded or "zz", caption="c"),)))
    if recorded is None:
        previous = replace(previous, files={}, helping={})
    plan = make_plan(mine, remote(helping=(web_made("m.png", caption="c"),)), previous=previous)
    assert kinds(plan) == expected and not plan.conflicts
    for action in plan.actions:
        assert isinstance(action, UpdateHelpingMaterial) and action.reupload
        assert action.info["sha256"] == local_sha and action.info["name"] == "m.png"
        assert not any(c.drift for c in action.changes)


@pytest.mark.parametrize(
    ("mine", "theirs", "missing"),
    [
        (local(published=True, info={}), None, "a task presenter (presenter.html) and at least"),
        (local(published=True, info={"task_presenter": "<p/>"}), None, "at least one task"),
        (local(published=True, tasks=None), None, "at least one task"),
    ],
)
def test_publishing_what_pybossa_would_refuse_is_a_validation_error(
    mine: ProjectState, theirs: ProjectState | None, missing: str
) -> None:
    with pytest.raises(ValidationError, match=re.escape(missing)) as caught:
        make_plan(mine, theirs)
    assert caught.value.problems[0].field == "project.published"


def test_publishing_with_the_servers_presenter_and_tasks_is_fine() -> None:
    theirs = remote((task(T1, id=1),))
    assert kinds(make_plan(local(published=True, info={}), theirs)) == ["PublishProject"]
    assert kinds(make_plan(local((task(T1),), published=True), None))[-1] == "PublishProject"


def test_first_push_over_an_existing_project_says_so() -> None:
    mine = local(description="mine")
    assert make_plan(mine, remote()).notes[0].startswith("pbsynctest_cats already exists")
    assert not make_plan(mine, remote(), previous=record_of(local())).notes
    assert not make_plan(local(), remote()).notes  # nothing to replace
