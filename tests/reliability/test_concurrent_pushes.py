"""Two copies of one folder pushed at once converge on one task per row, and both succeed.

PYBOSSA has no lock and no unique key for a task, so both pushes create every task they did not
see; each then looks above the ids its fetch saw and deletes the copies whose lower twin exists
(`pbsync.sync.settle`). Both apply the same rule, so what survives is the same whichever checks
first.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests
from dupes_kit import PNG, project_id, rows, task_urls, write_project

import pbsync
from pbclient.client import Client
from pbsync.sync.apply import Report

SHORT = "pbsynctest_concurrent"
ROWS = 300
EXPECTED = sorted(f"u{i}" for i in range(ROWS))


def two_copies(tmp_path: Path) -> tuple[Path, Path]:
    first = write_project(tmp_path / "a", SHORT, ROWS, helping=True)
    second = tmp_path / "b"
    shutil.copytree(first, second)
    return first, second


def assert_one_of_each(endpoint: str, api_key: str) -> None:
    pid = project_id(endpoint, api_key, SHORT)
    assert task_urls(endpoint, api_key, pid) == EXPECTED
    (material,) = rows(endpoint, api_key, "helpingmaterial", pid)
    assert requests.get(str(material["media_url"]), timeout=30).content == PNG


@pytest.mark.slow
def test_two_pushes_at_once_into_an_existing_project_leave_one_task_per_row(
    tmp_path: Path, endpoint: str, api_key: str, clean_server: None
) -> None:
    first, second = two_copies(tmp_path)
    empty = write_project(tmp_path / "empty", SHORT, 0)
    (empty / "tasks.csv").unlink()  # the project exists, with no task yet
    with Client(endpoint, api_key) as client:
        pbsync.push(empty, client)

    start = threading.Barrier(2)
    reports: dict[Path, Report | BaseException] = {}

    def push(folder: Path) -> None:
        with Client(endpoint, api_key) as client:
            start.wait(timeout=30)
            try:
                reports[folder] = pbsync.push(folder, client)
            except BaseException as exc:  # reported below, with the other push's outcome
                reports[folder] = exc

    threads = [threading.Thread(target=push, args=(f,)) for f in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=240)
    assert all(isinstance(r, Report) for r in reports.values()), reports
    assert_one_of_each(endpoint, api_key)
    done = [r for r in reports.values() if isinstance(r, Report)]
    deleted = sum(r.deleted["duplicate task"] for r in done)
    created = sum(r.created["task"] for r in done)
    # each push created what it did not see; every extra copy was deleted by one push at least
    # (two DELETEs of one task racing may both answer 204)
    assert deleted >= created - ROWS
    with Client(endpoint, api_key) as client:
        assert pbsync.plan(first, client).in_sync and pbsync.plan(second, client).in_sync


@pytest.mark.slow
def test_two_cli_pushes_at_once_of_a_new_project_both_exit_0_with_one_task_per_row(
    tmp_path: Path, endpoint: str, api_key: str, clean_server: None
) -> None:
    first, second = two_copies(tmp_path)
    env = {
        **os.environ,
        "HOME": str(tmp_path),
        "PYBOSSA_ENDPOINT": endpoint,
        "PYBOSSA_API_KEY": api_key,
        "NO_COLOR": "1",
    }
    command = [sys.executable, "-m", "pbsync", "push", "--yes"]
    processes = [
        subprocess.Popen(
            [*command, str(folder)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for folder in (first, second)
    ]
    outcomes = [(p.wait(timeout=240), *p.communicate()) for p in processes]
    assert [code for code, _out, _err in outcomes] == [0, 0], outcomes
    assert_one_of_each(endpoint, api_key)
