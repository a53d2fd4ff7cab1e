"""Pruning tasks that have a result: what PYBOSSA lets this caller delete, planned before any write.

PYBOSSA 4.0.2 (`pybossa/auth/task.py`) lets only an admin delete a task that has a result (the
result goes with it); a non-admin owner gets 403, `--force` or not. These tests hold against the
local server and against a real PYBOSSA: `PBSYNC_TEST_OTHER_API_KEY` names a non-admin user's key
there (without it, the non-admin tests skip in external mode unless the main key is a non-admin's).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from results_kit import answer_one, results_of, task_ids_of, write_folder

import pbsync
from pbclient.client import Client
from pbsync.errors import UnsafeOperationError
from pbsync.model import ProjectFields, ProjectState, TaskState, content_key
from pbsync.sync.actions import Caller, DeleteTask
from pbsync.sync.planner import make_plan
from pbsync.sync.remote import RemoteProject

# -- the planner, pure ----------------------------------------------------------------------------

FIELDS = ProjectFields(name="R", short_name="pbsynctest_r", description="d")


def _state(tasks: tuple[TaskState, ...], project_id: int | None = None) -> ProjectState:
    return ProjectState(project=FIELDS, tasks=tasks, project_id=project_id)


def _task(n: int, runs: int | None) -> TaskState:
    info = {"url": f"https://example.org/{n}.png"}
    return TaskState(key=content_key(info), info=info, id=n, n_task_runs=runs)


@pytest.mark.parametrize("force", [False, True])
def test_non_admin_never_plans_deleting_a_task_with_a_result(force: bool) -> None:
    remote = _state((_task(1, 1), _task(2, 0)), project_id=9)
    caller = Caller(admin=False, with_result=frozenset({1}))
    plan = make_plan(_state(()), remote, prune=True, force=force, caller=caller)
    assert [a.task.id for a in plan.actions if isinstance(a, DeleteTask)] == [2]
    (blocked,) = plan.blocked
    assert blocked.item == "task 1" and not blocked.forceable
    assert "has a result" in blocked.reason and "only an admin" in blocked.reason
    assert plan.refused == ()  # it stays, and the rest of the push goes on


def test_admin_with_force_deletes_a_task_with_a_result_and_says_so() -> None:
    remote = _state((_task(1, None), _task(2, None)), project_id=9)
    caller = Caller(admin=True, with_result=frozenset({1}))
    plan = make_plan(_state(()), remote, prune=True, force=True, caller=caller)
    assert [a.task.id for a in plan.actions if isinstance(a, DeleteTask)] == [1, 2]
    assert plan.blocked == ()
    assert any("task 1 has a result" in n and "deletes the result" in n for n in plan.notes)


# -- over HTTP ------------------------------------------------------------------------------------


@pytest.fixture
def short_name(endpoint: str, api_key: str, clean_server: None) -> Iterator[str]:
    """A fresh short_name; afterwards the admin deletes its tasks (results go), then it."""
    name = f"pbsynctest_res{uuid.uuid4().hex[:8]}"
    yield name
    with Client(endpoint, api_key) as admin:
        if not RemoteProject.caller_is_admin(admin):
            return  # a non-admin run: PYBOSSA keeps a project with results (the suite's cleanup)
        found = admin.request("GET", "/api/project", params={"short_name": name, "all": 1})
        for project in found:
            for task_id in task_ids_of(admin, project["id"]):
                admin.request("DELETE", f"/api/task/{task_id}")
            admin.request("DELETE", f"/api/project/{project['id']}")


@pytest.fixture
def admin_key(endpoint: str, api_key: str, clean_server: None) -> str:
    with Client(endpoint, api_key) as client:
        if not RemoteProject.caller_is_admin(client):
            pytest.skip("the test key is not an admin's")
    return api_key


@pytest.fixture
def non_admin_key(
    request: pytest.FixtureRequest, endpoint: str, api_key: str, clean_server: None
) -> str:
    """A non-admin user's key: a second user on the local server, or one given for a real one."""
    if request.getfixturevalue("pbserver") is not None:
        return str(request.getfixturevalue("other_api_key"))
    other = os.environ.get("PBSYNC_TEST_OTHER_API_KEY")
    for key in (other, api_key):
        if key:
            with Client(endpoint, key) as client:
                if not RemoteProject.caller_is_admin(client):
                    return key
    pytest.skip("no non-admin key (set PBSYNC_TEST_OTHER_API_KEY)")


def test_caller_is_admin_in_one_request(endpoint: str, admin_key: str, non_admin_key: str) -> None:
    for key, admin in ((admin_key, True), (non_admin_key, False)):
        with Client(endpoint, key) as client:
            before = client.stats.total
            assert RemoteProject.caller_is_admin(client) is admin
            assert client.stats.total - before == 1


def test_non_admin_prune_force_leaves_a_task_with_a_result(
    tmp_path: Path, endpoint: str, non_admin_key: str, short_name: str
) -> None:
    """Before: the plan deleted it, and PYBOSSA answered 403 half-way through the push."""
    folder = write_folder(tmp_path / "p", short_name, rows=3)
    with Client(endpoint, non_admin_key) as client:
        project_id = pbsync.push(folder, client).project_id
        assert project_id is not None
        answered = answer_one(client, project_id)
        assert [r["task_id"] for r in results_of(client, project_id)] == [answered]
        write_folder(folder, short_name, rows=0)
        plan = pbsync.plan(folder, client, prune=True, force=True)
        assert [b.item for b in plan.blocked] == [f"task {answered}"]
        assert "has a result" in plan.blocked[0].reason
        assert answered not in [a.task.id for a in plan.actions if isinstance(a, DeleteTask)]
        report = pbsync.push(folder, client, prune=True, force=True)
        assert report.deleted.get("task") == 2
        assert task_ids_of(client, project_id) == [answered]
        # without --force the push does not ask for it: --force could not delete it either
        assert pbsync.push(folder, client, prune=True).deleted.get("task", 0) == 0


def test_non_admin_prune_without_force_names_runs_then_result(
    tmp_path: Path, endpoint: str, non_admin_key: str, short_name: str
) -> None:
    folder = write_folder(tmp_path / "p", short_name, rows=2)
    with Client(endpoint, non_admin_key) as client:
        project_id = pbsync.push(folder, client).project_id
        assert project_id is not None
        answered = answer_one(client, project_id)
        write_folder(folder, short_name, rows=0)
        plan = pbsync.plan(folder, client, prune=True)
        reasons = {b.item: (b.reason, b.forceable) for b in plan.blocked}
        assert list(reasons) == [f"task {answered}"]
        assert "has a result" in reasons[f"task {answered}"][0]
        assert not reasons[f"task {answered}"][1]


def test_admin_prune_force_deletes_a_task_with_its_result(
    tmp_path: Path, endpoint: str, admin_key: str, short_name: str
) -> None:
    folder = write_folder(tmp_path / "p", short_name, rows=2)
    with Client(endpoint, admin_key) as client:
        project_id = pbsync.push(folder, client).project_id
        assert project_id is not None
        answered = answer_one(client, project_id)
        write_folder(folder, short_name, rows=0)
        with pytest.raises(UnsafeOperationError, match=f"task {answered}"):
            pbsync.push(folder, client, prune=True)
        plan = pbsync.plan(folder, client, prune=True, force=True)
        assert plan.blocked == ()
        assert any(f"task {answered} has a result" in n for n in plan.notes)
        pbsync.push(folder, client, prune=True, force=True)
        assert task_ids_of(client, project_id) == []
        assert results_of(client, project_id) == []
