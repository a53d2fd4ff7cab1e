"""pbs project folders (project.json, template.html ...) load and push as they are."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import pbsync
from pbclient.client import Client
from pbsync.errors import ValidationError
from pbsync.folder.project import LocalProject

SHORT = "pbsynctest_pbs"
PROJECT = {
    "name": "Flickr Person Finder",
    "short_name": SHORT,
    "description": "Image pattern recognition",
    "question": "Do you see a real human face in this photo?",  # pbs ignores it; so does pbsync
}


def make_pbs(folder: Path, **files: str) -> Path:
    """A pbs folder: project.json plus `files` (name -> text)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "project.json").write_text(json.dumps(PROJECT, indent=4), encoding="utf-8")
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


FULL = {
    "template.html": "<div>{{ question }}</div>",
    "long_description.md": "# Faces",
    "tutorial.html": "<p>how</p>",
    "results.html": "<p>results</p>",
    "tasks.csv": "url,n_answers\nhttp://x/1.jpg,3\nhttp://x/2.jpg,\n",
}


def test_a_pbs_folder_loads_without_project_toml(tmp_path: Path) -> None:
    local = LocalProject.load(make_pbs(tmp_path, **FULL))
    fields = local.state.project
    assert (fields.name, fields.short_name, fields.description) == (
        "Flickr Person Finder",
        SHORT,
        "Image pattern recognition",
    )
    assert fields.long_description == "# Faces"
    assert dict(fields.info) == {
        "task_presenter": "<div>{{ question }}</div>",
        "tutorial": "<p>how</p>",
        "results": "<p>results</p>",
    }
    assert fields.category is None and fields.published is None  # not managed
    assert [(t.info["url"], t.n_answers) for t in local.state.tasks or ()] == [
        ("http://x/1.jpg", 3),
        ("http://x/2.jpg", 30),
    ]
    assert set(local.files) == {"project.json", *FULL}


def test_only_project_json_is_required(tmp_path: Path) -> None:
    local = LocalProject.load(make_pbs(tmp_path))
    assert dict(local.state.project.info) == {} and local.state.project.long_description is None
    assert local.state.tasks is None


@pytest.mark.parametrize("bundles", [("bundle.min.js", "bundle.js"), ("bundle.js",)])
def test_the_bundle_is_appended_to_the_presenter_as_pbs_does(
    tmp_path: Path, bundles: tuple[str, ...]
) -> None:
    files = {name: f"var from_{name.replace('.', '_')} = 1;" for name in bundles}
    local = LocalProject.load(make_pbs(tmp_path, **{"template.html": "<p>t</p>"}, **files))
    first = files[bundles[0]]
    assert local.state.project.info["task_presenter"] == f"<p>t</p><script>\n{first}\n</script>"


def test_project_toml_wins_over_project_json(tmp_path: Path) -> None:
    folder = make_pbs(tmp_path, **{"template.html": "<p>pbs</p>"})
    toml = '[project]\nname = "N"\nshort_name = "pbsynctest_toml"\ndescription = "D"\n'
    (folder / "project.toml").write_text(toml, encoding="utf-8")
    local = LocalProject.load(folder)
    assert local.state.project.short_name == "pbsynctest_toml"
    assert "task_presenter" not in local.state.project.info  # template.html is pbs's name only


def test_an_environment_is_refused_naming_project_json(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as caught:
        LocalProject.load(make_pbs(tmp_path), env="staging")
    assert [str(p) for p in caught.value.problems] == [
        "project.json: env: unknown environment 'staging' (no [env.NAME] table is defined)"
    ]


@pytest.fixture
def client(endpoint: str, api_key: str, clean_server: None) -> Iterator[Client]:
    with Client(endpoint, api_key) as c:
        yield c


def test_a_pbs_folder_pushes_and_then_plans_nothing(tmp_path: Path, client: Client) -> None:
    folder = make_pbs(tmp_path, **FULL)
    pbsync.push(folder, client)
    project = client.projects.by_short_name(SHORT)
    assert project is not None and project.info["task_presenter"] == FULL["template.html"]
    assert len(client.tasks.find(project_id=project.id)) == 2
    assert pbsync.plan(folder, client).empty
