"""The check a push makes after creating: what it costs, and how duplicates read in the CLI."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import pbsync
from pbclient.client import Client
from pbsync.cli.output import describe_duplicate
from pbsync.server import LocalServer
from pbsync.sync.actions import Duplicate

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
