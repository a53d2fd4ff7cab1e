"""Bursts of 429, 5xx and dropped connections while push, pull and diff run (the local server's
fault switches, in the test process; the commands through the CLI).

Each command must either succeed or fail with one line (exit 1, no traceback); after the faults,
a re-run must succeed, and the server (or the pulled folder) must then hold exactly the folder
(or the server): each project, material and task once, nothing missing. Which requests are
retried is pbclient's business (idempotent ones on 502/503/504 and network errors, any on 429);
these tests hold only the outcome, so a burst may be absorbed or reported.

Bursts are short (2 or 3 faults; one over the retry budget) because the CLI sleeps its real
backoffs (0.5 s, 1 s, 2 s) and 429 waits (up to 1 s: the local server's window resets each
second).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from small_project import (
    FILES,
    PUBLISH,
    SHORT,
    expected,
    held,
    outcome,
    plan_of,
    run_cli,
    write_folder,
    writes,
)

from pbclient.client import Client
from pbsync.server import LocalServer

pytestmark = pytest.mark.faults

# (id, fault rules as for `faults.add`); "{...}" in a path is filled in from the server
Burst = tuple[str, list[dict[str, Any]]]


def _rule(count: int, path: str, method: str = "GET", **fault: Any) -> dict[str, Any]:
    return {"count": count, "path": path, "method": method, **fault}


def _storm(path: str, method: str, spread: int) -> list[dict[str, Any]]:
    """One of each kind of fault, scattered over the first `spread` such requests."""
    kinds: list[dict[str, Any]] = [
        {"status": 429},
        {"status": 502},
        {"status": 503},
        {"drop": True},
        {"status": 503},
        {"drop": True},
    ]
    step = spread // len(kinds)
    # each rule counts the requests that pass it, so `after` is the gap since the one before
    return [_rule(1, path, method, after=step - 1, **kind) for kind in kinds]


def _apply(server: LocalServer, rules: list[dict[str, Any]], **names: Any) -> None:
    for rule in rules:
        server.faults.add(**{**rule, "path": rule["path"].format(**names)})


# -- push -------------------------------------------------------------------------------------

FRESH_PUSH: list[Burst] = [
    ("429 task POST", [_rule(1, "/api/task", "POST", status=429)]),
    ("503x3 task POSTs", [_rule(3, "/api/task", "POST", status=503)]),
    ("drop x3 task POSTs", [_rule(3, "/api/task", "POST", drop=True)]),
    ("storm over task POSTs", _storm("/api/task", "POST", 36)),
    ("500 planning read", [_rule(1, "/api/project", status=500)]),
    ("503x4 planning read", [_rule(4, "/api/project", status=503)]),  # over the budget
    ("500 project POST", [_rule(1, "/api/project", "POST", status=500)]),
    ("drop project POST", [_rule(1, "/api/project", "POST", drop=True)]),
    ("503 helping upload", [_rule(1, "/api/helpingmaterial", "POST", status=503)]),
    ("drop helping upload", [_rule(1, "/api/helpingmaterial", "POST", drop=True)]),
    ("drop publish token read", [_rule(1, PUBLISH, drop=True)]),
    ("502 publish POST", [_rule(1, PUBLISH, "POST", status=502)]),
    ("drop publish POST", [_rule(1, PUBLISH, "POST", drop=True)]),
]


@pytest.mark.parametrize("rules", [b[1] for b in FRESH_PUSH], ids=[b[0] for b in FRESH_PUSH])
def test_a_first_push_under_faults_converges(
    local_server: LocalServer, tmp_path: Path, rules: list[dict[str, Any]]
) -> None:
    folder = write_folder(tmp_path / "p", published=True)
    _apply(local_server, rules)
    outcome(run_cli(local_server, tmp_path, "push", str(folder), "--yes"))
    local_server.faults.clear()
    assert outcome(run_cli(local_server, tmp_path, "push", str(folder), "--yes")) == "ok"
    assert held(local_server) == expected(published=True)
    assert run_cli(local_server, tmp_path, "diff", str(folder)).exit_code == 0


REPUSH: list[Burst] = [
    ("503x2 task pages", [_rule(2, "/api/task", status=503)]),
    ("drop task page", [_rule(1, "/api/task", drop=True)]),
    ("429 material list", [_rule(1, "/api/helpingmaterial", status=429)]),
    ("500 task page", [_rule(1, "/api/task", status=500)]),
    ("503 presenter PUT", [_rule(1, "/api/project/{project_id}", "PUT", status=503)]),
    ("500 presenter PUT", [_rule(1, "/api/project/{project_id}", "PUT", status=500)]),
    ("drop presenter PUT", [_rule(1, "/api/project/{project_id}", "PUT", drop=True)]),
    ("drop re-upload PUT", [_rule(1, "/api/helpingmaterial/{map_id}", "PUT", drop=True)]),
    ("storm over new task POSTs", _storm("/api/task", "POST", 18)),
]


@pytest.mark.parametrize("rules", [b[1] for b in REPUSH], ids=[b[0] for b in REPUSH])
def test_a_re_push_under_faults_converges(
    local_server: LocalServer, tmp_path: Path, rules: list[dict[str, Any]]
) -> None:
    """Half the tasks pushed; then a new presenter, a changed file, 20 more rows."""
    folder = write_folder(tmp_path / "p", rows=20)
    assert outcome(run_cli(local_server, tmp_path, "push", str(folder), "--yes")) == "ok"
    write_folder(folder, rows=40, presenter="<p>v2</p>\n")
    changed = FILES["map.png"] + b"v2"
    (folder / "helping" / "map.png").write_bytes(changed)
    _apply(local_server, rules, **_ids(local_server))
    outcome(run_cli(local_server, tmp_path, "push", str(folder), "--yes"))
    local_server.faults.clear()
    assert outcome(run_cli(local_server, tmp_path, "push", str(folder), "--yes")) == "ok"
    want = expected(presenter="<p>v2</p>\n")
    files = tuple(sorted((dict(want.files) | {"map.png": changed}).items()))
    assert held(local_server) == dataclasses.replace(want, files=files)
    assert run_cli(local_server, tmp_path, "diff", str(folder)).exit_code == 0


def _ids(server: LocalServer) -> dict[str, int]:
    with Client(server.url, server.api_key) as client:
        project = client.projects.by_short_name(SHORT)
        assert project is not None
        materials = client.helping_materials.find(project_id=project.id)
    by_name = {m.info.get("name"): m.id for m in materials}
    return {"project_id": int(project.id), "map_id": int(by_name["map.png"])}


# -- diff -------------------------------------------------------------------------------------

DIFF: list[Burst] = [
    ("429 project lookup", [_rule(1, "/api/project", status=429)]),
    ("503 task page", [_rule(1, "/api/task", status=503)]),
    (
        "502 then drop material list",
        [
            _rule(1, "/api/helpingmaterial", status=502),
            _rule(1, "/api/helpingmaterial", drop=True),
        ],
    ),
    ("500 task page", [_rule(1, "/api/task", status=500)]),
]


@pytest.mark.parametrize("rules", [b[1] for b in DIFF], ids=[b[0] for b in DIFF])
def test_diff_under_faults_shows_the_same_plan_or_one_line(
    local_server: LocalServer, tmp_path: Path, rules: list[dict[str, Any]]
) -> None:
    folder = write_folder(tmp_path / "p", rows=120)  # two task pages
    assert outcome(run_cli(local_server, tmp_path, "push", str(folder), "--yes")) == "ok"
    write_folder(folder, rows=125, presenter="<p>v2</p>\n")
    reference = run_cli(local_server, tmp_path, "diff", "--json", str(folder))
    assert reference.exit_code == 2
    local_server.stats.reset()
    _apply(local_server, rules)
    result = run_cli(local_server, tmp_path, "diff", "--json", str(folder))
    if outcome(result) == "ok":
        assert result.exit_code == 2 and plan_of(result) == plan_of(reference)
    local_server.faults.clear()
    again = run_cli(local_server, tmp_path, "diff", "--json", str(folder))
    assert again.exit_code == 2 and plan_of(again) == plan_of(reference)
    assert writes(local_server) == {}


# -- pull -------------------------------------------------------------------------------------

PULL: list[Burst] = [
    ("429 task page", [_rule(1, "/api/task", status=429)]),
    ("503 task page", [_rule(1, "/api/task", status=503)]),
    ("drop x2 material list", [_rule(2, "/api/helpingmaterial", drop=True)]),
    ("500 task page", [_rule(1, "/api/task", status=500)]),
    ("502 download", [_rule(1, "{upload}", status=502)]),
    ("drop x2 download", [_rule(2, "{upload}", drop=True)]),
    ("500 download", [_rule(1, "{upload}", status=500)]),
    ("503x4 download", [_rule(4, "{upload}", status=503)]),  # over the budget
]


@pytest.mark.parametrize("rules", [b[1] for b in PULL], ids=[b[0] for b in PULL])
def test_pull_under_faults_writes_the_whole_project_or_fails_in_one_line(
    local_server: LocalServer, tmp_path: Path, rules: list[dict[str, Any]]
) -> None:
    source = write_folder(tmp_path / "source")
    assert outcome(run_cli(local_server, tmp_path, "push", str(source), "--yes")) == "ok"
    local_server.stats.reset()
    _apply(local_server, rules, upload=_upload_path(local_server))
    copy = tmp_path / "copy"
    if outcome(run_cli(local_server, tmp_path, "pull", SHORT, str(copy))) != "ok":
        local_server.faults.clear()
        assert outcome(run_cli(local_server, tmp_path, "pull", SHORT, str(copy))) == "ok"
    local_server.faults.clear()
    assert writes(local_server) == {}
    for name, data in FILES.items():
        assert (copy / "helping" / name).read_bytes() == data
    tasks = (copy / "tasks.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(tasks) == 40
    assert run_cli(local_server, tmp_path, "diff", str(copy)).exit_code == 0
    assert held(local_server) == expected()


def _upload_path(server: LocalServer) -> str:
    """The path the first material's file is served at (the download a pull makes)."""
    with Client(server.url, server.api_key) as client:
        project = client.projects.by_short_name(SHORT)
        assert project is not None
        material = sorted(client.helping_materials.find(project_id=project.id), key=lambda m: m.id)
    url = str(material[0].media_url)
    return url[url.index("/uploads/") :]
