"""The real `pbs` 3.0.0 CLI (pybossa-pbs) driving our `pbclient` against the test server.

pbs imports `pbclient` and uses only its legacy module API, so these runs prove the drop-in claim
end to end: `create-project`, `update-project`, `add-tasks` and `add-helpingmaterials` from a
project folder in `tmp_path`, then the server's state is compared with what pbs meant to create.
pbs is installed beside pbsync with `--no-deps` (it pins pybossa-client, which we replace); the
test skips when it or its runtime dependencies are missing.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from pbclient import Client

PBS_MODULES = ("pbs", "helpers", "pbsexceptions", "simplejson", "jsonschema", "click", "polib")
MISSING = [name for name in PBS_MODULES if importlib.util.find_spec(name) is None]

pytestmark = pytest.mark.skipif(
    bool(MISSING), reason=f"pybossa-pbs 3.0.0 or its dependencies not installed: {MISSING}"
)

SHORT_NAME = "pbsynctestpbs"
PROJECT = {"name": "pbsync test (pbs)", "short_name": SHORT_NAME, "description": "Made by pbs"}
TASK_ROWS = [
    {"image": "https://example.org/1.jpg", "question": "Is there a cat?"},
    {"image": "https://example.org/2.jpg", "question": "Is there a dog?"},
    {"image": "https://example.org/3.jpg", "question": "Is there a bird?"},
]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
PAGES = {
    "template.html": "<div id='presenter'>{{ task.info.image }}</div>",
    "results.html": "<div id='results'></div>",
    "tutorial.html": "<div id='tutorial'>Look closely.</div>",
    "long_description.md": "# About\n\nA project made with pbs.",
}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A pbs project folder: project.json, the HTML/Markdown pages, tasks and helping materials."""
    (tmp_path / "project.json").write_text(json.dumps(PROJECT))
    for name, text in PAGES.items():
        (tmp_path / name).write_text(text)
    with open(tmp_path / "tasks.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["image", "question"])
        writer.writeheader()
        writer.writerows(TASK_ROWS)
    (tmp_path / "map.png").write_bytes(PNG)
    helping = [
        {"info": {"name": "map", "file_path": str(tmp_path / "map.png")}},
        {"info": {"name": "guide", "link": "https://example.org/guide"}},
    ]
    (tmp_path / "helping.json").write_text(json.dumps(helping))
    return tmp_path


@pytest.fixture
def reader(endpoint: str, api_key: str) -> Iterator[Client]:
    """A modern client to read back what pbs created."""
    with Client(endpoint, api_key) as client:
        yield client


def run_pbs(folder: Path, endpoint: str, api_key: str, *args: str) -> str:
    """Run the installed pbs CLI in `folder` (its own process, HOME without a .pybossa.cfg)."""
    argv = [sys.executable, "-c", "from pbs import cli; cli()"]
    argv += ["--server", endpoint, "--api-key", api_key, "--project", "project.json", *args]
    env = {**os.environ, "HOME": str(folder)}
    done = subprocess.run(
        argv, cwd=folder, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, f"pbs {args[0]} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def project_on_server(reader: Client) -> dict[str, Any]:
    found = reader.request("GET", "/api/project", params={"short_name": SHORT_NAME, "all": 1})
    assert len(found) == 1, found
    return dict(found[0])


def test_pbs_creates_and_updates_a_project(
    folder: Path, endpoint: str, api_key: str, clean_server: object, reader: Client
) -> None:
    out = run_pbs(folder, endpoint, api_key, "create-project")
    assert f"Project: {SHORT_NAME} created!" in out
    project = project_on_server(reader)
    assert {k: project[k] for k in PROJECT} == PROJECT

    out = run_pbs(folder, endpoint, api_key, "update-project")
    assert f"Project {SHORT_NAME} updated!" in out
    project = project_on_server(reader)
    assert {k: project[k] for k in PROJECT} == PROJECT
    assert project["long_description"] == PAGES["long_description.md"]
    assert project["info"]["task_presenter"] == PAGES["template.html"]
    assert project["info"]["results"] == PAGES["results.html"]
    assert project["info"]["tutorial"] == PAGES["tutorial.html"]


def test_pbs_adds_tasks_and_helping_materials(
    folder: Path, endpoint: str, api_key: str, clean_server: object, reader: Client
) -> None:
    run_pbs(folder, endpoint, api_key, "create-project")
    project_id = project_on_server(reader)["id"]

    out = run_pbs(folder, endpoint, api_key, "add-tasks", "--tasks-file", "tasks.csv",
                  "--redundancy", "3")  # fmt: skip
    assert f"3 tasks added to project: {SHORT_NAME}" in out
    tasks = reader.request("GET", "/api/task", params={"project_id": project_id, "limit": 100})
    assert [t["info"] for t in tasks] == TASK_ROWS
    assert {(t["n_answers"], t["priority_0"], t["quorum"], t["calibration"]) for t in tasks} == {
        (3, 0.0, 0, 0)
    }

    out = run_pbs(folder, endpoint, api_key, "add-helpingmaterials",
                  "--helping-materials-file", "helping.json")  # fmt: skip
    assert f"2 helping materials added to project: {SHORT_NAME}" in out
    materials = reader.request(
        "GET", "/api/helpingmaterial", params={"project_id": project_id, "limit": 100}
    )
    assert len(materials) == 2, materials
    uploaded, link = materials
    assert uploaded["info"]["name"] == "map"
    assert uploaded["info"]["file_name"] == "map.png"
    assert "file_path" not in uploaded["info"]
    assert requests.get(uploaded["media_url"], timeout=10).content == PNG
    assert link["info"] == {"name": "guide", "link": "https://example.org/guide"}
    assert link["media_url"] is None
