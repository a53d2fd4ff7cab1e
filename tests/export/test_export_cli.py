"""`pbsync export` over HTTP against the local server: every row, the request count, CSV, --since.

The project (500 tasks, 1,200 task runs, 200 results) is seeded straight into the local store
(`export_kit`); everything the tests check is read back over HTTP.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner, Result
from export_kit import Seeded, seed

from pbclient.client import Client
from pbsync.cli import main
from pbsync.server import LocalServer

pytestmark = pytest.mark.local_only(reason="the project is seeded into the local server's store")

SHORT = "pbsynctest_export"
KINDS = {"tasks": "task", "taskruns": "taskrun", "results": "result"}


def server_rows(endpoint: str, resource: str, project_id: int, key: str) -> list[dict[str, Any]]:
    """The project's rows as the API lists them (plain requests, not the code under test)."""
    rows: list[dict[str, Any]] = []
    with requests.Session() as session:
        session.headers["Authorization"] = key
        while True:
            params = {"project_id": project_id, "limit": 100, "all": 1}
            if rows:
                params["last_id"] = rows[-1]["id"]
            page = session.get(f"{endpoint}/api/{resource}", params=params, timeout=30).json()
            if not page:
                return [{k: v for k, v in r.items() if k not in ("link", "links")} for r in rows]
            rows += page


def jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def project(local_server: LocalServer) -> tuple[int, Seeded]:
    with Client(local_server.url, local_server.api_key) as client:
        made = client.projects.create(name="Exported project", short_name=SHORT, description="d")
    seeded = seed(local_server.store, made.id, 500, 1200)
    local_server.stats.reset()
    return made.id, seeded


def run(server: LocalServer, tmp_path: Path, *args: str) -> Result:
    env = {"HOME": str(tmp_path), "PYBOSSA_ENDPOINT": None, "PYBOSSA_API_KEY": None}
    target = ["--endpoint", server.url, "--api-key", server.api_key]
    return CliRunner().invoke(main, ["export", SHORT, *target, *args], env=env)


def exported(server: LocalServer, tmp_path: Path, *args: str) -> Path:
    """Export into `tmp_path/out` (which it returns), successfully."""
    out = tmp_path / "out"
    result = run(server, tmp_path, "--out", str(out), *args)
    assert result.exit_code == 0, result.output
    return out


def test_every_row_of_each_kind_in_n_over_100_plus_one_requests(
    local_server: LocalServer, project: tuple[int, Seeded], tmp_path: Path
) -> None:
    project_id, seeded = project
    out = tmp_path / "out"
    result = run(local_server, tmp_path, "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    counts = local_server.stats.snapshot()
    report = json.loads(result.stdout)
    # one lookup, then a request per 100 rows and one more to see the end of a full last page
    expected = {("GET", "/api/project"): 1}
    for kind, resource in KINDS.items():
        n = getattr(seeded, kind)
        expected[("GET", f"/api/{resource}")] = -(-n // 100) + (n % 100 == 0)
    assert counts == expected
    assert report["requests"] == sum(expected.values())
    for kind, resource in KINDS.items():
        path = out / f"{SHORT}_{kind}.jsonl"
        rows = jsonl(path)
        assert rows == server_rows(local_server.url, resource, project_id, local_server.api_key)
        assert len(rows) == getattr(seeded, kind)
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{SHORT}_{k}.jsonl" for k in KINDS)


def test_csv_has_every_column_in_the_stated_order_whatever_row_brings_it(
    local_server: LocalServer, project: tuple[int, Seeded], tmp_path: Path
) -> None:
    out = exported(local_server, tmp_path, "--format", "csv", "--what", "tasks")
    rows = jsonl(out / f"{SHORT}_tasks.jsonl")
    with open(out / f"{SHORT}_tasks.csv", encoding="utf-8", newline="") as handle:
        table = list(csv.reader(handle))
    top = sorted({k for r in rows for k in r} - {"id", "info"})
    info = sorted({k for r in rows for k in r["info"]})
    assert table[0] == ["id", *top, *[f"info.{k}" for k in info]]
    assert "info.note" in table[0]  # a key only the last tenth of the tasks carry
    note = table[0].index("info.note")
    assert table[1][note] == "" and table[-1][note] == rows[-1]["info"]["note"]
    assert [int(line[0]) for line in table[1:]] == [r["id"] for r in rows]
    # the counts in the lookup cost nothing more: the CSV is made from the local file
    assert local_server.stats.count("GET", "/api/task") == 500 // 100 + 1


def test_json_is_the_array_of_the_rows(
    local_server: LocalServer, project: tuple[int, Seeded], tmp_path: Path
) -> None:
    out = exported(local_server, tmp_path, "--format", "json", "--what", "results")
    document = json.loads((out / f"{SHORT}_results.json").read_text(encoding="utf-8"))
    assert document == jsonl(out / f"{SHORT}_results.jsonl")
    assert len(document) == project[1].results


def test_since_exports_only_the_rows_above_it(
    local_server: LocalServer, project: tuple[int, Seeded], tmp_path: Path
) -> None:
    project_id, _ = project
    tasks = server_rows(local_server.url, "task", project_id, local_server.api_key)
    since = tasks[349]["id"]
    local_server.stats.reset()
    out = exported(local_server, tmp_path, "--what", "tasks", "--since", str(since))
    assert jsonl(out / f"{SHORT}_tasks.jsonl") == tasks[350:]
    assert local_server.stats.count("GET", "/api/task") == 2  # 150 rows: a full and a short page


def test_a_second_run_adds_only_the_rows_created_since(
    local_server: LocalServer, project: tuple[int, Seeded], tmp_path: Path
) -> None:
    project_id, _ = project
    out = tmp_path / "out"
    assert run(local_server, tmp_path, "--out", str(out)).exit_code == 0
    before = {kind: (out / f"{SHORT}_{kind}.jsonl").read_bytes() for kind in KINDS}
    with Client(local_server.url, local_server.api_key) as client:
        for n in range(3):
            client.tasks.create(project_id=project_id, info={"added": n})
    local_server.stats.reset()
    result = run(local_server, tmp_path, "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    after = {kind: (out / f"{SHORT}_{kind}.jsonl").read_bytes() for kind in KINDS}
    assert after["taskruns"] == before["taskruns"] and after["results"] == before["results"]
    assert after["tasks"].startswith(before["tasks"])
    added = [json.loads(line) for line in after["tasks"][len(before["tasks"]) :].splitlines()]
    assert [row["info"] for row in added] == [{"added": 0}, {"added": 1}, {"added": 2}]
    # the lookup and one short page per kind
    assert local_server.stats.total() == 4
    assert [f["added"] for f in json.loads(result.stdout)["files"]] == [3, 0, 0]


def test_an_unknown_kind_is_refused_before_anything_is_sent(
    local_server: LocalServer, tmp_path: Path
) -> None:
    result = run(local_server, tmp_path, "--what", "tasks,answers")
    assert result.exit_code == 1
    assert "cannot export answers" in result.stderr
    assert local_server.stats.total() == 0
