"""apply / push over HTTP; against the local server, counting the requests it really received."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from filelock import FileLock

import pbsync
from pbclient.client import Client
from pbclient.errors import RefusedError, TransportError
from pbsync.errors import ConflictError, PbsyncError, UnsafeOperationError, ValidationError
from pbsync.server import LocalServer
from pbsync.sync.actions import (
    Plan,
)
from pbsync.sync.apply import Reporter

SHORT = "pbsynctest_apply"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def write_project(folder: Path, rows: int = 2, **extra: str) -> Path:
    """A small valid project folder: project.toml, presenter.html, tasks.csv with `rows` rows."""
    folder.mkdir(parents=True, exist_ok=True)
    toml = f'[project]\nname = "Apply test"\nshort_name = "{SHORT}"\ndescription = "d"\n'
    toml += "".join(f"{k} = {json.dumps(v)}\n" for k, v in extra.items())
    (folder / "project.toml").write_text(toml, encoding="utf-8")
    (folder / "presenter.html").write_text("<p>v1</p>\n", encoding="utf-8")
    lines = ["url"] + [f"https://example.org/{i}.png" for i in range(rows)]
    (folder / "tasks.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def writes(server: LocalServer) -> dict[tuple[str, str], int]:
    """Non-GET requests the server received."""
    return {k: n for k, n in server.stats.snapshot().items() if k[0] != "GET"}


@pytest.fixture
def client(endpoint: str, api_key: str, clean_server: None) -> Iterator[Client]:
    """The admin's client on a clean server (the local one, or an external PYBOSSA)."""
    with Client(endpoint, api_key) as c:
        yield c


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return write_project(tmp_path / "proj")


def server_tasks(client: Client, project_id: int) -> list[dict[str, Any]]:
    return list(client.request("GET", "/api/task", params={"project_id": project_id, "limit": 100}))


def test_first_push_creates_everything_then_nothing(
    folder: Path, client: Client, local_server: LocalServer
) -> None:
    report = pbsync.push(folder, client)
    assert report.created == {"project": 1, "task": 2}
    local_server.stats.reset()
    again = pbsync.push(folder, client)
    assert writes(local_server) == {} and again.writes == 0
    assert pbsync.plan(folder, client).empty


def test_one_presenter_change_is_exactly_one_put(
    folder: Path, client: Client, local_server: LocalServer
) -> None:
    report = pbsync.push(folder, client)
    client.request(
        "PUT",
        f"/api/project/{report.project_id}",
        json={"info": {"web": "kept", "sched": "x", "task_presenter": "<p>v1</p>\n"}},
    )
    (folder / "presenter.html").write_text("<p>v2</p>\n", encoding="utf-8")
    local_server.stats.reset()
    pbsync.push(folder, client)
    assert writes(local_server) == {("PUT", f"/api/project/{report.project_id}"): 1}
    info = client.request("GET", f"/api/project/{report.project_id}")["info"]
    assert info["task_presenter"] == "<p>v2</p>\n" and info["web"] == "kept"


def test_three_new_rows_are_exactly_three_posts(
    folder: Path, client: Client, local_server: LocalServer
) -> None:
    pbsync.push(folder, client)
    write_project(folder, rows=5)
    local_server.stats.reset()
    report = pbsync.push(folder, client)
    assert writes(local_server) == {("POST", "/api/task"): 3}
    assert report.created == {"task": 3}


class StopAfter(Reporter):
    """Fails after `n` tasks, like a crash or Ctrl-C half-way."""

    def __init__(self, n: int, action: Any = None) -> None:
        self.n, self.action, self.seen = n, action, 0

    def task_created(self, remaining: int) -> None:
        self.seen += 1
        if self.seen == self.n:
            if self.action is None:
                raise KeyboardInterrupt
            self.action()


def test_interrupted_push_then_rerun_has_no_duplicates(tmp_path: Path, client: Client) -> None:
    folder = write_project(tmp_path / "p", rows=30)
    with pytest.raises(KeyboardInterrupt):
        pbsync.push(folder, client, reporter=StopAfter(10))
    project_id = client.request("GET", "/api/project", params={"short_name": SHORT})[0]["id"]
    assert 10 <= len(server_tasks(client, project_id)) < 30
    pbsync.push(folder, client)
    infos = [t["info"]["url"] for t in server_tasks(client, project_id)]
    assert sorted(infos) == sorted(set(infos)) and len(infos) == 30


@pytest.mark.faults
def test_connection_lost_half_way_then_rerun_has_no_duplicates(
    tmp_path: Path, client: Client, local_server: LocalServer
) -> None:
    folder = write_project(tmp_path / "p", rows=30)

    def cut() -> None:
        local_server.faults.add(1000, drop=True, path="/api/task", method="POST")

    with pytest.raises(TransportError):
        pbsync.push(folder, client, reporter=StopAfter(8, cut))
    local_server.faults.clear()
    report = pbsync.push(folder, client)
    assert report.created["task"] < 30
    project_id = report.project_id
    assert project_id is not None
    infos = [t["info"]["url"] for t in server_tasks(client, project_id)]
    assert len(infos) == 30 == len(set(infos))


def test_state_is_recorded_without_secrets(folder: Path, client: Client, api_key: str) -> None:
    pbsync.push(folder, client)
    text = (folder / ".pbsync" / "state.json").read_text(encoding="utf-8")
    assert api_key not in text
    assert f"{client.endpoint} {SHORT}" in json.loads(text)["targets"]


def test_conflict_refuses_then_force_wins(
    folder: Path, client: Client, local_server: LocalServer
) -> None:
    report = pbsync.push(folder, client)
    client.request("PUT", f"/api/project/{report.project_id}", json={"description": "web edit"})
    (folder / "project.toml").write_text(
        (folder / "project.toml").read_text().replace('"d"', '"local edit"'), encoding="utf-8"
    )
    local_server.stats.reset()
    with pytest.raises(ConflictError) as caught:
        pbsync.push(folder, client)
    assert caught.value.fields == ["project: description"] and writes(local_server) == {}
    diff = pbsync.plan(folder, client)
    assert [(c.local, c.remote) for c in diff.conflicts] == [("local edit", "web edit")]
    pbsync.push(folder, client, force=True)
    assert client.request("GET", f"/api/project/{report.project_id}")["description"] == "local edit"


def test_server_only_change_is_drift(folder: Path, client: Client) -> None:
    report = pbsync.push(folder, client)
    client.request("PUT", f"/api/project/{report.project_id}", json={"description": "web edit"})
    (change,) = pbsync.plan(folder, client).actions[0].changes  # type: ignore[attr-defined]
    assert change.drift and change.old == "web edit"


def _answer(client: Client, project_id: int) -> int:
    task = client.request("GET", f"/api/project/{project_id}/newtask")
    client.request(
        "POST",
        "/api/taskrun",
        json={"project_id": project_id, "task_id": task["id"], "info": {"answer": "yes"}},
    )
    return int(task["id"])


def test_prune_deletes_unanswered_and_guards_answered_tasks(
    tmp_path: Path, client: Client, local_server: LocalServer
) -> None:
    folder = write_project(tmp_path / "p", rows=3)
    report = pbsync.push(folder, client)
    assert report.project_id is not None
    answered = _answer(client, report.project_id)
    write_project(folder, rows=0)
    assert len(pbsync.plan(folder, client).remote_only) == 3
    local_server.stats.reset()
    with pytest.raises(UnsafeOperationError, match=f"task {answered}"):
        pbsync.push(folder, client, prune=True)
    assert writes(local_server) == {}
    pbsync.push(folder, client, prune=True, force=True)
    assert server_tasks(client, report.project_id) == []


def test_helping_materials_upload_once_and_reupload_on_change(
    folder: Path, client: Client, local_server: LocalServer
) -> None:
    (folder / "helping").mkdir()
    (folder / "helping" / "map.png").write_bytes(PNG)
    report = pbsync.push(folder, client)
    assert report.created["helping material"] == 1
    local_server.stats.reset()
    pbsync.push(folder, client)
    assert writes(local_server) == {}
    (folder / "helping" / "map.png").write_bytes(PNG + b"changed")
    pbsync.push(folder, client)
    # the multipart PUT replaces the file only (PYBOSSA ignores its info): info.sha256 follows
    sent = writes(local_server)
    assert sum(sent.values()) == 2 and {m for m, _ in sent} == {"PUT"}
    assert pbsync.plan(folder, client).empty


def test_publish_through_the_web_endpoint(tmp_path: Path, client: Client) -> None:
    folder = write_project(tmp_path / "p", rows=1, published=True)  # type: ignore[arg-type]
    report = pbsync.push(folder, client)
    assert report.published
    assert client.request("GET", f"/api/project/{report.project_id}")["published"] is True
    assert pbsync.plan(folder, client).empty


def test_dry_run_sends_no_write(folder: Path, client: Client, local_server: LocalServer) -> None:
    report = pbsync.push(folder, client, dry_run=True)
    assert report.created == {"project": 1, "task": 2}
    assert writes(local_server) == {}
    assert not (folder / ".pbsync" / "state.json").exists()


def test_cancelled_by_confirm(folder: Path, client: Client, local_server: LocalServer) -> None:
    def no(plan: Plan) -> bool:
        return False

    assert pbsync.push(folder, client, confirm=no).cancelled
    assert writes(local_server) == {}


def test_one_push_at_a_time(folder: Path, client: Client) -> None:
    (folder / ".pbsync").mkdir()
    with (
        FileLock(str(folder / ".pbsync" / "push.lock")),
        pytest.raises(PbsyncError, match="another push"),
    ):
        pbsync.push(folder, client)


def test_diff_request_budget(tmp_path: Path, client: Client, local_server: LocalServer) -> None:
    folder = write_project(tmp_path / "p", rows=250)
    pbsync.push(folder, client)
    local_server.stats.reset()
    assert pbsync.plan(folder, client).empty
    assert local_server.stats.total() <= 3 + 5  # ceil(250 / 100) + 5


def test_publish_refused_over_task_runs_unless_forced(
    tmp_path: Path, client: Client, local_server: LocalServer
) -> None:
    folder = write_project(tmp_path / "p", rows=2)
    report = pbsync.push(folder, client)
    assert report.project_id is not None
    _answer(client, report.project_id)
    write_project(folder, rows=2, published=True)  # type: ignore[arg-type]
    local_server.stats.reset()
    with pytest.raises(UnsafeOperationError, match="task runs"):
        pbsync.push(folder, client)
    assert writes(local_server) == {}
    assert pbsync.push(folder, client, force=True).published


def test_category_by_short_name_and_unknown_category(
    tmp_path: Path, client: Client, local_server: LocalServer
) -> None:
    folder = write_project(tmp_path / "p", rows=1, category="sensing")
    report = pbsync.push(folder, client)
    assert client.request("GET", f"/api/project/{report.project_id}")["category_id"] == 2
    write_project(folder, rows=1, category="thinking")
    pbsync.push(folder, client)
    assert client.request("GET", f"/api/project/{report.project_id}")["category_id"] == 1
    write_project(folder, rows=1, category="nope")
    local_server.stats.reset()
    with pytest.raises(ValidationError, match="unknown category 'nope'"):
        pbsync.push(folder, client)
    assert writes(local_server) == {}


def test_spaced_helping_names_converge(
    folder: Path, client: Client, local_server: LocalServer
) -> None:
    (folder / "helping").mkdir()
    (folder / "helping" / "área one.png").write_bytes(PNG)
    (folder / "helping" / "b.png").write_bytes(PNG + b"2")
    assert pbsync.push(folder, client).created["helping material"] == 2
    local_server.stats.reset()
    assert pbsync.plan(folder, client).empty
    pbsync.push(folder, client)
    assert writes(local_server) == {}


def test_changed_short_name_creates_a_new_project_and_says_so(folder: Path, client: Client) -> None:
    pbsync.push(folder, client)
    toml = (folder / "project.toml").read_text(encoding="utf-8")
    (folder / "project.toml").write_text(
        toml.replace(SHORT, f"{SHORT}_2").replace("Apply test", "Two"), encoding="utf-8"
    )
    plan = pbsync.plan(folder, client)
    assert plan.actions[0].kind == "CreateProject"
    assert any(f"synced with {SHORT} on this server" in note for note in plan.notes)
    pbsync.push(folder, client)
    assert not pbsync.plan(folder, client).notes


def test_helping_update_keeps_info_keys_set_on_the_server(
    folder: Path, client: Client, local_server: LocalServer
) -> None:
    # PUT replaces info whole: a priority change must not drop a caption added in the web UI
    (folder / "helping").mkdir()
    (folder / "helping" / "map.png").write_bytes(PNG)
    report = pbsync.push(folder, client)
    rows = client.request("GET", "/api/helpingmaterial", params={"project_id": report.project_id})
    (row,) = rows
    path = f"/api/helpingmaterial/{row['id']}"
    client.request("PUT", path, json={"info": {**row["info"], "caption": "from the web"}})
    toml = (folder / "project.toml").read_text(encoding="utf-8")
    (folder / "project.toml").write_text(toml + '[helping."map.png"]\npriority = 0.5\n')
    pbsync.push(folder, client)
    after = client.request("GET", path)
    assert after["priority"] == 0.5
    assert after["info"]["caption"] == "from the web"
    assert after["info"]["file_name"] == row["info"]["file_name"]
    (folder / "helping" / "map.png").write_bytes(PNG + b"changed")
    pbsync.push(folder, client)
    assert client.request("GET", path)["info"]["caption"] == "from the web"


def test_admin_push_to_another_users_project_sees_its_tasks_and_runs(
    tmp_path: Path, endpoint: str, client: Client, other_api_key: str
) -> None:
    # authenticated lists show only the caller's own projects' rows, admins included (all=1
    # lifts that): without it the admin would re-create every task and prune answered ones
    folder = write_project(tmp_path / "p", rows=2)
    (folder / "helping").mkdir()
    (folder / "helping" / "map.png").write_bytes(PNG)
    with Client(endpoint, other_api_key) as owner:
        report = pbsync.push(folder, owner)
        assert report.project_id is not None
        answered = _answer(owner, report.project_id)
    assert pbsync.plan(folder, client).empty
    write_project(folder, rows=0)
    with pytest.raises(UnsafeOperationError, match=f"task {answered}"):
        pbsync.push(folder, client, prune=True)
    params = {"project_id": report.project_id, "all": 1}
    assert len(client.request("GET", "/api/task", params=params)) == 2


def test_admin_publish_of_another_users_project_is_refused_over_task_runs(
    tmp_path: Path, endpoint: str, client: Client, other_api_key: str
) -> None:
    folder = write_project(tmp_path / "p", rows=1)
    with Client(endpoint, other_api_key) as owner:
        report = pbsync.push(folder, owner)
        assert report.project_id is not None
        _answer(owner, report.project_id)
    write_project(folder, rows=1, published=True)  # type: ignore[arg-type]
    with pytest.raises(UnsafeOperationError, match="task runs"):
        pbsync.push(folder, client)
    with pytest.raises(RefusedError, match="task runs"):
        client.projects.publish(client.projects.get(report.project_id))
    params = {"project_id": report.project_id, "all": 1}
    assert len(client.request("GET", "/api/taskrun", params=params)) == 1


class Finished(Reporter):
    def __init__(self) -> None:
        self.seen: Any = None

    def finish(self, report: Any) -> None:
        self.seen = (report.requests, report.seconds)


def test_the_reporter_is_given_the_reports_whole_counts(
    folder: Path, client: Client, local_server: LocalServer
) -> None:
    pbsync.push(folder, client)
    (folder / "presenter.html").write_text("<p>v2</p>\n", encoding="utf-8")
    local_server.stats.reset()
    reporter = Finished()
    report = pbsync.push(folder, client, reporter=reporter)
    assert reporter.seen == (report.requests, report.seconds)
    assert report.requests == local_server.stats.total(prefix="/") > 1  # planning reads too
