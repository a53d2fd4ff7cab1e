"""Lost answers leave no silent duplicates: diff flags copies, a re-run or --dedupe deletes them.

A POST whose answer never comes back (a client timeout while the server is still working, a kill
while writes are in flight) may create its object after the client looked for it. These tests
stage exactly that with `HoldingProxy`: the request is held, the client times out, and the test
lets the server carry the request out later. The pushes through the proxy name the server's own
endpoint as their target, as a re-run from the command line would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner, Result
from dupes_kit import (
    PNG,
    Hold,
    holding_proxy,
    project_id,
    rows,
    task_urls,
    write_project,
)

import pbsync
from pbclient.client import Client
from pbclient.errors import TransportError
from pbclient.retry import RetryPolicy
from pbsync.cli import main

SHORT = "pbsynctest_lost"
ROWS = 20
EXPECTED = sorted(f"u{i}" for i in range(ROWS))
#: short enough that a held request times out fast, long enough for the local server's answers
TIMEOUT = 1.0
#: the unfinished push's marker (pbsync.sync.marker.MARKER_FILE)
MARKER_FILE = "push-in-progress.json"

Run = Callable[..., Result]


@pytest.fixture
def run(endpoint: str, api_key: str, clean_server: None, tmp_path: Path) -> Run:
    """`pbsync --endpoint E --api-key K ARGS...` through click's runner."""
    runner = CliRunner()
    env = {"HOME": str(tmp_path), "PYBOSSA_ENDPOINT": None, "PYBOSSA_API_KEY": None}

    def invoke(*args: str) -> Result:
        return runner.invoke(main, ["--endpoint", endpoint, "--api-key", api_key, *args], env=env)

    return invoke


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return write_project(tmp_path / "proj", SHORT, ROWS, helping=True)


def slow_client(url: str, api_key: str) -> Client:
    """A client that gives up on an answer after TIMEOUT and posts again once at most."""
    return Client(url, api_key, timeout=TIMEOUT, retry=RetryPolicy(retries=1))


def materials(endpoint: str, api_key: str) -> list[dict[str, object]]:
    return rows(endpoint, api_key, "helpingmaterial", project_id(endpoint, api_key, SHORT))


def served(url: object) -> bytes | None:
    answer = requests.get(str(url), timeout=30)
    return answer.content if answer.status_code == 200 else None


def test_a_task_landing_after_its_lost_answer_is_flagged_by_diff_and_removed_by_dedupe(
    run: Run, folder: Path, endpoint: str, api_key: str
) -> None:
    hold = Hold("POST", "/api/task", b'"u3"', count=1)
    with holding_proxy(endpoint, hold) as proxy:
        with slow_client(proxy.url, api_key) as client:
            report = pbsync.push(
                folder, client, target=endpoint
            )  # u3 timed out, was looked for, posted again
        assert report.created["task"] == ROWS
        proxy.release()  # and only now does the server carry out the first POST
    pid = project_id(endpoint, api_key, SHORT)
    assert task_urls(endpoint, api_key, pid) == sorted([*EXPECTED, "u3"])

    result = run("diff", str(folder), "--json")
    assert result.exit_code == 2, result.output  # a row twice on the server is not "in sync"
    document = json.loads(result.stdout)
    assert not document["in_sync"] and document["summary"]["duplicates"] == 1
    (duplicate,) = document["duplicates"]
    assert duplicate["kind"] == "task" and duplicate["name"] == "tasks.csv:5"
    assert duplicate["keep"] < duplicate["extra"][0] and duplicate["deleted"] == []
    assert "push --dedupe deletes" in run("diff", str(folder)).stdout

    result = run("push", str(folder), "--dedupe", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["report"]["deleted"] == {"duplicate task": 1}
    assert document["plan"]["duplicates"][0]["deleted"] == duplicate["extra"]
    ids = {t["id"] for t in rows(endpoint, api_key, "task", pid)}
    assert duplicate["keep"] in ids and duplicate["extra"][0] not in ids  # the lowest id stays
    assert task_urls(endpoint, api_key, pid) == EXPECTED
    assert run("diff", str(folder)).exit_code == 0


def test_the_push_after_an_unfinished_one_deletes_the_copies_its_lost_answers_made(
    folder: Path, endpoint: str, api_key: str, clean_server: None
) -> None:
    marker = folder / ".pbsync" / MARKER_FILE
    with holding_proxy(endpoint, Hold("POST", "/api/task", b'"u3"')) as proxy:
        with slow_client(proxy.url, api_key) as client, pytest.raises(TransportError):
            pbsync.push(
                folder, client, target=endpoint
            )  # every POST of u3 goes unanswered: the push fails
        marked = marker.exists()  # the push left its marker (checked below)
        posted = len(proxy.held)
        proxy.release()  # the server creates u3 once per POST, after the push gave up
    pid = project_id(endpoint, api_key, SHORT)
    assert posted >= 2 and task_urls(endpoint, api_key, pid).count("u3") == posted

    with Client(endpoint, api_key) as client:
        report = pbsync.push(folder, client)  # the re-run the error message advises
    assert task_urls(endpoint, api_key, pid) == EXPECTED
    assert report.deleted["duplicate task"] == posted - 1
    assert marked and not marker.exists()
    with Client(endpoint, api_key) as client:
        assert pbsync.plan(folder, client).in_sync


def test_a_helping_upload_landing_after_its_lost_answer_is_flagged_and_deduped_keeping_the_file(
    run: Run, folder: Path, endpoint: str, api_key: str
) -> None:
    with holding_proxy(endpoint, Hold("POST", "/api/helpingmaterial", count=1)) as proxy:
        with slow_client(proxy.url, api_key) as client:
            pbsync.push(
                folder, client, target=endpoint
            )  # looked for after the timeout, then uploaded again
        proxy.release()
    assert len(materials(endpoint, api_key)) == 2

    result = run("diff", str(folder), "--json")
    assert result.exit_code == 2, result.output
    (duplicate,) = json.loads(result.stdout)["duplicates"]
    assert (duplicate["kind"], duplicate["name"]) == ("helping material", "map.png")

    assert run("push", str(folder), "--dedupe").exit_code == 0
    (kept,) = materials(endpoint, api_key)
    assert kept["id"] == duplicate["keep"]
    # PYBOSSA deletes a material's file with it, and both copies named the same stored file
    assert served(kept["media_url"]) == PNG
    assert run("diff", str(folder)).exit_code == 0


def test_the_push_after_an_unfinished_upload_keeps_one_material_and_its_file(
    folder: Path, endpoint: str, api_key: str, clean_server: None
) -> None:
    with holding_proxy(endpoint, Hold("POST", "/api/helpingmaterial")) as proxy:
        with slow_client(proxy.url, api_key) as client, pytest.raises(TransportError):
            pbsync.push(folder, client, target=endpoint)
        posted = len(proxy.held)
        proxy.release()
    assert posted >= 2 and len(materials(endpoint, api_key)) == posted

    with Client(endpoint, api_key) as client:
        report = pbsync.push(folder, client)
    assert report.deleted["duplicate helping material"] == posted - 1
    (kept,) = materials(endpoint, api_key)
    assert served(kept["media_url"]) == PNG


@pytest.mark.parametrize("path", ["/api/project", "/api/helpingmaterial"])
def test_a_create_whose_answer_is_lost_after_the_server_acted_is_adopted_not_repeated(
    path: str, folder: Path, endpoint: str, api_key: str, clean_server: None
) -> None:
    with holding_proxy(endpoint, Hold("POST", path, count=1, forward_first=True)) as proxy:
        with slow_client(proxy.url, api_key) as client:
            report = pbsync.push(
                folder, client, target=endpoint
            )  # one push, no error: found, not posted again
        assert len(proxy.acted) == 1
    assert report.created["project"] == 1 and report.created["task"] == ROWS
    assert len(materials(endpoint, api_key)) == 1
    pid = project_id(endpoint, api_key, SHORT)
    assert task_urls(endpoint, api_key, pid) == EXPECTED


def test_a_push_killed_with_a_post_in_flight_then_rerun_converges_once_the_post_lands(
    run: Run, folder: Path, endpoint: str, api_key: str, tmp_path: Path
) -> None:
    marker = folder / ".pbsync" / MARKER_FILE
    with holding_proxy(endpoint, Hold("POST", "/api/task", b'"u3"', count=1)) as proxy:
        env = {**os.environ, "HOME": str(tmp_path), "PYBOSSA_ENDPOINT": proxy.url}
        env["PYBOSSA_API_KEY"] = api_key
        command = [sys.executable, "-m", "pbsync", "push", "--yes", str(folder)]
        output = subprocess.DEVNULL
        push = subprocess.Popen(command, env=env, stdout=output, stderr=output)
        try:
            proxy.wait_held(1, timeout=60)  # u3's POST is on its way to the server ...
        finally:
            push.kill()  # ... when the push is killed (SIGKILL)
            push.wait(timeout=30)
        marked = marker.exists()  # it began writing and never finished (checked below)
        with Client(proxy.url, api_key) as client:
            # the re-run, while the server has not carried out u3's POST yet
            pbsync.push(folder, client, target=proxy.url)
        proxy.release()  # and now it does
    pid = project_id(endpoint, api_key, SHORT)
    assert task_urls(endpoint, api_key, pid) == sorted([*EXPECTED, "u3"])
    assert run("diff", str(folder)).exit_code == 2  # flagged, not silent
    assert run("push", str(folder), "--dedupe").exit_code == 0
    assert task_urls(endpoint, api_key, pid) == EXPECTED
    assert marked and not marker.exists()
