"""Resource objects: attribute access, change tracking, equality, pickling, reprs."""

from __future__ import annotations

import copy
import pickle

import pytest

from pbclient.resources import Category, Project, Task

LOADED = {
    "id": 7,
    "short_name": "birds",
    "name": "Birds",
    "secret_key": "s3cr3t-project-key",
    "info": {"task_presenter": "<div/>", "thumbnail": "x.png"},
    "link": "<link/>",
}


def test_attribute_access_reads_and_writes_the_live_data() -> None:
    project = Project.from_server(LOADED)
    assert project.short_name == "birds"
    project.name = "Birds 2"
    assert project.data["name"] == "Birds 2"
    with pytest.raises(AttributeError, match="no field 'nope'"):
        _ = project.nope
    with pytest.raises(AttributeError):
        project.data = {}  # type: ignore[misc]


def test_loaded_object_has_no_changes_until_edited() -> None:
    project = Project.from_server(copy.deepcopy(LOADED))
    assert project.changes() == {}
    project.info["tutorial"] = "<p/>"
    project.description = "new"
    # info goes whole, with the keys nobody touched; read-only keys never appear
    assert project.changes() == {
        "info": {"task_presenter": "<div/>", "thumbnail": "x.png", "tutorial": "<p/>"},
        "description": "new",
    }


def test_changing_a_read_only_key_sends_nothing() -> None:
    project = Project.from_server(copy.deepcopy(LOADED))
    project.secret_key = "other"
    project.published = True
    assert project.changes() == {}


def test_hand_built_object_counts_every_writable_field_as_changed() -> None:
    task = Task(id=3, info={"a": 1}, state="ongoing", n_answers=2)
    assert not task.loaded
    assert task.changes() == {"info": {"a": 1}, "n_answers": 2}


def test_equality_hash_copy_and_pickle() -> None:
    project = Project.from_server(copy.deepcopy(LOADED))
    same = Project(copy.deepcopy(LOADED))
    assert project == same and hash(project) == hash(same)
    assert project != Category(copy.deepcopy(LOADED))
    for twin in (copy.copy(project), copy.deepcopy(project), pickle.loads(pickle.dumps(project))):
        assert twin == project
        assert twin.loaded
        assert twin.changes() == {}
    clone = copy.deepcopy(project)
    clone.info["x"] = 1
    assert "x" not in project.info


def test_repr_shows_identity_not_secrets() -> None:
    project = Project.from_server(LOADED)
    assert repr(project) == "Project(id=7, short_name='birds')"
    assert "s3cr3t" not in repr(project)
    assert repr(Task()) == "Task(id=None, project_id=None)"
