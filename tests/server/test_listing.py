"""GET lists: limit, offset, keyset, ordering, filters, owner scoping, stats and related."""

from __future__ import annotations

import pytest
from serverkit import Api, error_of


@pytest.fixture
def tasks(admin: Api) -> list[dict]:
    project = admin.project()
    return [admin.task(project["id"], info={"i": i, "even": i % 2 == 0}) for i in range(25)]


def ids(rows: list[dict]) -> list[int]:
    return [r["id"] for r in rows]


def test_limit_default_cap_zero_and_non_integer(admin: Api, tasks: list[dict]) -> None:
    assert len(admin.ok("GET", "/api/task")) == 20
    assert len(admin.ok("GET", "/api/task", params={"limit": 1000})) == 25
    assert admin.ok("GET", "/api/task", params={"limit": 0}) == []
    assert len(admin.ok("GET", "/api/task", params={"limit": "abc"})) == 20
    assert error_of(admin.get("/api/task", params={"limit": -1})) == (415, "DataError")


def test_limit_is_capped_at_100(admin: Api) -> None:
    existing = len(admin.ok("GET", "/api/category", params={"limit": 100}))
    for i in range(max(0, 101 - existing)):
        body = {"name": f"pbsynctest_c{i}", "short_name": f"pbsynctest_c{i}", "description": "d"}
        admin.ok("POST", "/api/category", json=body)
    assert len(admin.ok("GET", "/api/category", params={"limit": 500})) == 100


def test_offset(admin: Api, tasks: list[dict]) -> None:
    page = admin.ok("GET", "/api/task", params={"limit": 5, "offset": 10})
    assert ids(page) == ids(tasks)[10:15]
    assert admin.ok("GET", "/api/task", params={"offset": 100}) == []


def test_keyset_ascending_and_desc_ignored(admin: Api, tasks: list[dict]) -> None:
    cursor = tasks[4]["id"]
    page = admin.ok("GET", "/api/task", params={"last_id": cursor, "limit": 3, "desc": "true"})
    assert ids(page) == ids(tasks)[5:8]
    seen, last = [], 0
    while rows := admin.ok("GET", "/api/task", params={"last_id": last, "limit": 7}):
        seen += ids(rows)
        last = rows[-1]["id"]
    assert seen == ids(tasks)


def test_orderby_and_desc(admin: Api, tasks: list[dict]) -> None:
    page = admin.ok("GET", "/api/task", params={"desc": "true", "limit": 3})
    assert ids(page) == ids(tasks)[::-1][:3]
    by_created = admin.ok("GET", "/api/task", params={"orderby": "created", "limit": 100})
    assert ids(by_created) == ids(tasks)
    assert error_of(admin.get("/api/task", params={"orderby": "nope"})) == (415, "AttributeError")


def test_equality_and_info_filters(admin: Api, tasks: list[dict]) -> None:
    assert ids(admin.ok("GET", "/api/task", params={"id": tasks[3]["id"]})) == [tasks[3]["id"]]
    assert admin.ok("GET", "/api/task", params={"state": "completed"}) == []
    assert admin.ok("GET", "/api/task", params={"project_id": 999}) == []
    found = admin.ok("GET", "/api/task", params={"info": "i::7"})
    assert ids(found) == [tasks[7]["id"]]
    evens = admin.ok("GET", "/api/task", params={"info": "even::true", "limit": 100})
    assert len(evens) == 13
    both = admin.ok("GET", "/api/task", params={"info": "even::true|i::4"})
    assert ids(both) == [tasks[4]["id"]]


def test_unknown_argument_and_bad_filter_value(admin: Api) -> None:
    resp = admin.get("/api/project", params={"foo": 1})
    assert error_of(resp) == (415, "AttributeError")
    assert resp.json()["exception_msg"] == "type object 'Project' has no attribute 'foo'"
    assert error_of(admin.get("/api/task", params={"n_answers": "x"})) == (415, "DataError")


def test_authenticated_lists_only_own_projects_unless_all(
    admin: Api, other: Api, anon: Api
) -> None:
    mine = admin.project("pbsynctest_mine", info={"task_presenter": "<p>"})
    admin.task(mine["id"])
    theirs = other.project("pbsynctest_theirs")
    other.task(theirs["id"])
    assert ids(other.ok("GET", "/api/project")) == [theirs["id"]]
    assert len(other.ok("GET", "/api/task")) == 1
    assert ids(admin.ok("GET", "/api/project")) == [mine["id"]]
    assert len(admin.ok("GET", "/api/project", params={"all": 1})) == 2
    assert len(admin.ok("GET", "/api/task", params={"all": 1})) == 2
    # anonymous lists hide unpublished projects
    assert anon.ok("GET", "/api/project") == []
    # non-owners with all=1 see others' published projects only, in the public view
    assert ids(other.ok("GET", "/api/project", params={"all": 1})) == [theirs["id"]]


@pytest.mark.local_only(reason="live stats; PYBOSSA computes them in background jobs (stale)")
def test_stats_and_related(admin: Api) -> None:
    project = admin.project()
    task = admin.task(project["id"], n_answers=1)
    admin.task(project["id"])
    admin.ok("GET", f"/api/project/{project['id']}/newtask")
    admin.ok("POST", "/api/taskrun", json={"project_id": project["id"], "task_id": task["id"]})
    [with_stats] = admin.ok("GET", "/api/project", params={"stats": 1})
    stats = with_stats["stats"]
    assert (stats["n_tasks"], stats["n_task_runs"], stats["n_results"]) == (2, 1, 1)
    assert (stats["n_completed_tasks"], stats["overall_progress"]) == (1, 50)
    related = admin.ok("GET", "/api/task", params={"related": 1, "id": task["id"]})[0]
    assert len(related["task_runs"]) == 1
    assert related["result"]["task_run_ids"] == [related["task_runs"][0]["id"]]


@pytest.mark.local_only(reason="live stats; PYBOSSA computes them in background jobs (stale)")
def test_projectstats_and_unmanaged_resources(admin: Api) -> None:
    project = admin.project()
    admin.task(project["id"])
    [stats] = admin.ok("GET", "/api/projectstats", params={"project_id": project["id"]})
    assert (stats["project_id"], stats["n_tasks"]) == (project["id"], 1)
    assert admin.ok("GET", f"/api/projectstats/{project['id']}")["n_tasks"] == 1
    assert [s["project_id"] for s in admin.ok("GET", "/api/projectstats")] == [project["id"]]
    assert error_of(admin.get("/api/projectstats/999")) == (404, "NotFound")
    assert admin.get("/api/projectstats", params={"limit": "x"}).status_code == 200
    for name in ("announcement", "blogpost", "page", "favorites"):
        assert admin.ok("GET", f"/api/{name}") == []
        assert error_of(admin.get(f"/api/{name}/1")) == (404, "NotFound")


def test_globalstats_shape(admin: Api) -> None:
    stats = admin.ok("GET", "/api/globalstats")
    assert list(stats) == [
        "n_projects",
        "n_users",
        "n_tasks",
        "n_task_runs",
        "n_pending_tasks",
        "n_results",
        "categories",
    ]
    assert [list(c) for c in stats["categories"][-2:]] == [["featured"], ["draft"]]


@pytest.mark.local_only(reason="live counts; PYBOSSA's come from caches (stale)")
def test_globalstats_counts(admin: Api) -> None:
    admin.project()
    stats = admin.ok("GET", "/api/globalstats")
    assert stats["n_projects"] == 1
    # per category only published projects count; drafts have their own entry
    assert stats["categories"] == [{"featured": 0}, {"draft": 1}]
