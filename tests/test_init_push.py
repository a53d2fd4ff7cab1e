"""Each template, freshly scaffolded, pushes cleanly: project, tasks and helping files land."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

import pbsync
from pbclient.client import Client
from pbsync.folder.project import LocalProject
from pbsync.folder.scaffold import list_templates, scaffold

TEMPLATE_NAMES = [info.name for info in list_templates()]


@pytest.fixture
def client(endpoint: str, api_key: str, clean_server: None) -> Iterator[Client]:
    with Client(endpoint, api_key) as opened:
        yield opened


def rows(client: Client, resource: str, project_id: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    last_id = 0
    while True:
        params = {"project_id": project_id, "limit": 100, "last_id": last_id}
        page = client.request("GET", f"/api/{resource}", params=params)
        if not page:
            return found
        found += page
        last_id = page[-1]["id"]


@pytest.mark.parametrize("template", TEMPLATE_NAMES)
def test_scaffolded_template_pushes_to_the_server(
    template: str, client: Client, tmp_path: Path
) -> None:
    folder = scaffold(template, tmp_path / f"pbsynctest-{template}")
    local = LocalProject.load(folder).state

    pbsync.push(folder, client)

    found = client.request("GET", "/api/project", params={"short_name": local.project.short_name})
    assert len(found) == 1
    project = found[0]
    assert project["name"] == local.project.name
    assert project["description"] == local.project.description
    presenter = (folder / "presenter.html").read_text(encoding="utf-8")
    assert project["info"]["task_presenter"] == presenter
    assert project["info"]["tutorial"] == (folder / "tutorial.html").read_text(encoding="utf-8")

    tasks = rows(client, "task", project["id"])
    assert sorted(json.dumps(t["info"], sort_keys=True) for t in tasks) == sorted(
        json.dumps(dict(t.info), sort_keys=True) for t in local.tasks or ()
    )
    assert {t["n_answers"] for t in tasks} == {t.n_answers for t in local.tasks or ()}

    materials = rows(client, "helpingmaterial", project["id"])
    by_name = {m["info"]["name"]: m for m in materials}  # the identity; file_name: stored
    assert set(by_name) == {h.name for h in local.helping_materials}
    for material in local.helping_materials:
        served = requests.get(by_name[material.name]["media_url"], timeout=10)
        assert served.status_code == 200
        assert served.content == (folder / "helping" / material.name).read_bytes()
        assert by_name[material.name]["info"]["caption"] == material.info["caption"]

    assert pbsync.plan(folder, client).empty


@pytest.mark.parametrize("template", TEMPLATE_NAMES)
def test_pushed_template_pulls_back_in_sync(template: str, client: Client, tmp_path: Path) -> None:
    folder = scaffold(template, tmp_path / f"pbsynctest-{template}")
    pbsync.push(folder, client)

    copy = tmp_path / "copy"
    pbsync.pull(client, f"pbsynctest-{template}", copy)

    assert (copy / "presenter.html").read_bytes() == (folder / "presenter.html").read_bytes()
    for path in (folder / "helping").iterdir():
        assert (copy / "helping" / path.name).read_bytes() == path.read_bytes()
    assert pbsync.plan(copy, client).empty
