"""The check a push makes after creating: what it costs, and how duplicates read in the CLI."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import pbsync
from pbclient.client import Client
from pbsync.cli.output import describe_duplicate
from pbsync.server import LocalServer
from pbsync.sync.actions import Action, Duplicate
from pbsync.sync.report import Reporter

SHORT = "pbsynctest_settle"


def write_folder(folder: Path, rows: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    toml = f'[project]\nname = "Settle"\nshort_name = "{SHORT}"\ndescription = "d"\n'
    (folder / "project.toml").write_text(toml, encoding="utf-8")
    lines = ["url", *(f"u{i}" for i in range(rows))]
    (folder / "tasks.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@pytest.fixture
def client(endpoint: str, api_key: str, clean_server: None) -> Iterator[Client]:
    with Client(endpoint, api_key) as c:
        yield c


def task_reads(server: LocalServer) -> int:
    return server.stats.snapshot().get(("GET", "/api/task"), 0)


@pytest.mark.local_only
def test_the_check_costs_one_get_per_100_created_tasks_and_nothing_when_none_were(
    tmp_path: Path, client: Client, local_server: LocalServer
) -> None:
    folder = write_folder(tmp_path / "p", 250)
    report = pbsync.push(folder, client)
    assert report.created["task"] == 250 and report.duplicates == []
    # a new project: no task to fetch, no id to learn; the check reads 100 + 100 + 50
    assert task_reads(local_server) == 3
    local_server.stats.reset()
    assert pbsync.push(folder, client, refresh=True).writes == 0
    assert task_reads(local_server) == 3  # the fetch only: nothing created, nothing checked


class CopyMidway(Reporter):
    """Makes a copy of the folder's row `u5` (as another push would) once half the tasks exist,
    and a task of another project after each batch (other ids between this push's)."""

    def __init__(self, client: Client, project: int, total: int) -> None:
        self.client, self.other, self.total, self.copy = client, project, total, 0

    def action_done(self, action: Action) -> None:
        body = {"project_id": self.other, "info": {"elsewhere": 1}}
        self.client.request("POST", "/api/task", json=body)

    def task_created(self, remaining: int) -> None:
        if remaining == self.total // 2:
            (row,) = self.client.request("GET", "/api/project", params={"short_name": SHORT})
            body = {"project_id": row["id"], "info": {"url": "u5"}}
            self.copy = int(self.client.request("POST", "/api/task", json=body)["id"])


@pytest.mark.local_only
def test_the_check_reads_in_chunks_what_one_walk_reads_and_finds_a_copy_in_the_middle(
    tmp_path: Path, client: Client, local_server: LocalServer, endpoint: str, api_key: str
) -> None:
    other = {"name": "O", "short_name": SHORT + "_other", "description": "d"}
    other_id = int(client.request("POST", "/api/project", json=other)["id"])
    for i in range(30):  # ids below this push's: the first chunk reads from the floor anyway
        client.request("POST", "/api/task", json={"project_id": other_id, "info": i})
    folder = write_folder(tmp_path / "p", 1_050)
    with Client(endpoint, api_key) as other_client:
        copier = CopyMidway(other_client, other_id, 1_050)
        local_server.stats.reset()
        report = pbsync.push(folder, client, reporter=copier)
    assert report.created["task"] == 1_050 and report.deleted["duplicate task"] == 1
    (duplicate,) = report.duplicates
    assert duplicate.extra == (copier.copy,) and duplicate.deleting == (copier.copy,)
    # 1,051 tasks of this project (the copy among them): 10 full pages and a short one, read
    # in chunks whose pages are cut short where another project's ids come between
    assert 11 <= task_reads(local_server) <= 11 + 8
    pid = int(client.request("GET", "/api/project", params={"short_name": SHORT})[0]["id"])
    urls = [t["info"]["url"] for t in client.tasks.rows(project_id=pid)]
    assert sorted(urls) == sorted(f"u{i}" for i in range(1_050))


@pytest.mark.parametrize(
    ("duplicate", "done", "text"),
    [
        (
            Duplicate("task", "tasks.csv:3", 4, (9,)),
            False,
            "duplicate task tasks.csv:3: 2 copies on the server; #4 kept, push --dedupe deletes #9",
        ),
        (
            Duplicate("task", "tasks.csv:3", 4, (9, 12), deleting=(9,), answered=(12,)),
            True,
            "duplicate task tasks.csv:3: 3 copies on the server; #4 kept, #9 deleted, #12 kept: "
            "task runs (delete by hand if unwanted)",
        ),
        (
            Duplicate("helping material", "map.png", 1, (2,), deleting=(2,)),
            False,
            "duplicate helping material map.png: 2 copies on the server; #1 kept, #2 to delete",
        ),
        (
            Duplicate("task", "task 5", 5, (6,), uncounted=(6,)),
            False,
            "duplicate task task 5: 2 copies on the server; #5 kept, #6 kept: task runs not "
            "counted",
        ),
    ],
)
def test_describe_duplicate(duplicate: Duplicate, done: bool, text: str) -> None:
    assert describe_duplicate(duplicate, done=done) == text
