"""What a push reads (`pbsync.sync.scope`): only the parts the folder changed since the last sync.

Counted on the local server's side: every request it received, by method and path.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import pbsync
from pbclient.client import Client
from pbsync.errors import ConflictError
from pbsync.server import LocalServer
from pbsync.sync.actions import Unfinished, UpdateProject
from pbsync.sync.marker import load_unfinished, mark_unfinished
from pbsync.sync.record import load_record

pytestmark = pytest.mark.local_only(reason="counts requests with the local server's stats")

SHORT = "pbsynctest_scope"
ROWS = 250  # three task pages
TASK_PAGES = 3
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def write_folder(folder: Path, *, rows: int = ROWS, toml_extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "project.toml").write_text(
        f'[project]\nname = "Scope"\nshort_name = "{SHORT}"\ndescription = "d"\n{toml_extra}',
        encoding="utf-8",
    )
    (folder / "presenter.html").write_text("<p>v1</p>\n", encoding="utf-8")
    lines = ["url", *(f"https://example.org/{i}.png" for i in range(rows))]
    (folder / "tasks.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "helping").mkdir(exist_ok=True)
    (folder / "helping" / "map.png").write_bytes(PNG)
    return folder


@pytest.fixture
def client(endpoint: str, api_key: str, clean_server: None) -> Iterator[Client]:
    with Client(endpoint, api_key) as c:
        yield c


@pytest.fixture
def pushed(tmp_path: Path, client: Client, local_server: LocalServer) -> Path:
    """A folder pushed once (the record written), the server's counters then reset."""
    folder = write_folder(tmp_path / "p")
    pbsync.push(folder, client)
    local_server.stats.reset()
    return folder


def reads(server: LocalServer, path: str) -> int:
    return server.stats.snapshot().get(("GET", path), 0)


def writes(server: LocalServer) -> dict[tuple[str, str], int]:
    return {k: n for k, n in server.stats.snapshot().items() if k[0] != "GET"}


def recorded_id(folder: Path, client: Client) -> int:
    record = load_record(folder, client.endpoint, SHORT)
    assert record is not None and record.project_id is not None
    return record.project_id


def edit_presenter(folder: Path, text: str = "<p>v2</p>\n") -> None:
    (folder / "presenter.html").write_text(text, encoding="utf-8")


def test_a_presenter_edit_reads_the_project_and_puts_once(
    pushed: Path, client: Client, local_server: LocalServer
) -> None:
    before = load_record(pushed, client.endpoint, SHORT)
    edit_presenter(pushed)
    report = pbsync.push(pushed, client)
    assert report.updated["project"] == 1
    assert reads(local_server, "/api/task") == reads(local_server, "/api/helpingmaterial") == 0
    assert list(writes(local_server).values()) == [1]  # the project's PUT
    assert report.requests == local_server.stats.total(prefix="/") <= 5
    after = load_record(pushed, client.endpoint, SHORT)
    assert before is not None and after is not None
    assert after.tasks == before.tasks and after.helping == before.helping
    assert after.project != before.project


def test_the_plan_names_what_it_did_not_read(
    pushed: Path, client: Client, local_server: LocalServer
) -> None:
    with pbsync.start_push(pushed, client) as job:
        assert job.plan.unread == ("helping materials", "tasks") and job.plan.in_sync
        job.cancel()
    assert pbsync.plan(pushed, client).unread == ()  # diff: everything
    assert reads(local_server, "/api/task") == TASK_PAGES


def test_a_helping_file_change_reads_the_materials_not_the_tasks(
    pushed: Path, client: Client, local_server: LocalServer
) -> None:
    (pushed / "helping" / "map.png").write_bytes(PNG + b"v2")
    report = pbsync.push(pushed, client)
    assert report.updated["helping material"] == 1
    assert reads(local_server, "/api/helpingmaterial") >= 1
    assert reads(local_server, "/api/task") == 0
    local_server.stats.reset()
    # recorded: the next push of the same folder reads neither
    assert pbsync.push(pushed, client).writes == 0
    assert reads(local_server, "/api/helpingmaterial") == reads(local_server, "/api/task") == 0


#: task edits that must make a push read the task pages: rows, and the [tasks] defaults
TASK_EDITS = {
    "a row added": {"rows": ROWS + 1},
    "defaults": {"toml_extra": "[tasks]\nn_answers = 3\n"},
}


@pytest.mark.parametrize("edit", TASK_EDITS.values(), ids=TASK_EDITS.keys())
def test_a_task_change_reads_every_task_page(
    pushed: Path, client: Client, local_server: LocalServer, edit: dict[str, Any]
) -> None:
    write_folder(pushed, **edit)
    edit_presenter(pushed)
    pbsync.push(pushed, client)
    # every page (and, after creating, the check for copies of the new task)
    assert reads(local_server, "/api/task") >= TASK_PAGES
    assert reads(local_server, "/api/helpingmaterial") == 0  # no helping file changed


def test_refresh_reads_everything(pushed: Path, client: Client, local_server: LocalServer) -> None:
    edit_presenter(pushed)
    report = pbsync.push(pushed, client, refresh=True)
    assert report.updated["project"] == 1
    assert reads(local_server, "/api/task") == TASK_PAGES


def test_a_server_edit_of_a_field_the_push_writes_is_still_a_conflict(
    pushed: Path, client: Client, local_server: LocalServer
) -> None:
    project_id = recorded_id(pushed, client)
    info = client.request("GET", f"/api/project/{project_id}")["info"]
    client.request(
        "PUT",
        f"/api/project/{project_id}",
        json={"info": {**info, "task_presenter": "<p>web</p>"}, "description": "web"},
    )
    local_server.stats.reset()
    edit_presenter(pushed)
    with pytest.raises(ConflictError):
        pbsync.push(pushed, client)
    assert writes(local_server) == {} and reads(local_server, "/api/task") == 0
    edit_presenter(pushed, "<p>web</p>")  # the folder takes the server's presenter
    with pbsync.start_push(pushed, client) as job:
        (update,) = job.plan.actions
        assert isinstance(update, UpdateProject)
        assert [(c.field, c.drift) for c in update.changes] == [("description", True)]
        job.cancel()


def test_an_unfinished_push_reads_everything_and_a_scoped_one_marks_no_task_floor(
    pushed: Path, client: Client, local_server: LocalServer
) -> None:
    project_id = recorded_id(pushed, client)
    mark_unfinished(pushed, client.endpoint, SHORT, Unfinished(project_id, 10**9, 10**9))
    edit_presenter(pushed)
    pbsync.push(pushed, client)
    assert reads(local_server, "/api/task") == TASK_PAGES
    assert load_unfinished(pushed, client.endpoint, SHORT) is None
    # a scoped push that stops half way marks no task floor: it created none
    edit_presenter(pushed, "<p>v3</p>\n")
    local_server.faults.add(1, status=500, method="PUT")
    with pytest.raises(Exception, match="500"):
        pbsync.push(pushed, client)
    marker = json.loads((pushed / ".pbsync" / "push-in-progress.json").read_text())
    (entry,) = marker["pushes"].values()
    assert entry["last_task_id"] is None and entry["last_helping_id"] is None


def test_tasks_added_on_the_server_are_not_claimed_in_sync(
    pushed: Path, client: Client, local_server: LocalServer
) -> None:
    before = load_record(pushed, client.endpoint, SHORT)
    assert before is not None
    client.request("POST", "/api/task", json={"project_id": before.project_id, "info": {"x": 1}})
    edit_presenter(pushed)
    pbsync.push(pushed, client)
    after = load_record(pushed, client.endpoint, SHORT)
    assert after is not None and after.tasks == before.tasks
    # diff compares everything and sees the server's task
    assert [r.kind for r in pbsync.plan(pushed, client).remote_only] == ["task"]


def test_a_project_made_again_under_the_same_name_is_read_whole(
    pushed: Path, client: Client, local_server: LocalServer
) -> None:
    project_id = recorded_id(pushed, client)
    client.request("DELETE", f"/api/project/{project_id}")
    project = {"name": "Scope", "short_name": SHORT, "description": "d"}
    client.request("POST", "/api/project", json=project)
    local_server.stats.reset()
    report = pbsync.push(pushed, client)
    assert report.created["task"] == ROWS and report.created["helping material"] == 1


def test_another_target_reads_everything(
    pushed: Path, client: Client, local_server: LocalServer
) -> None:
    edit_presenter(pushed)
    pbsync.push(pushed, client, target="https://elsewhere.example.org")
    assert reads(local_server, "/api/task") == TASK_PAGES


def test_a_project_deleted_on_the_server_is_made_again_whole(
    pushed: Path, client: Client, local_server: LocalServer
) -> None:
    client.request("DELETE", f"/api/project/{recorded_id(pushed, client)}")
    edit_presenter(pushed)
    report = pbsync.push(pushed, client)
    assert report.created["project"] == 1
    assert report.created["task"] == ROWS and report.created["helping material"] == 1
