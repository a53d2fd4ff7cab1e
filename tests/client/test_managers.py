"""Every manager method against the local server: what was sent and what came back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pbclient.client import Client
from pbclient.errors import InvalidDataError, NotFoundError, RefusedError
from pbclient.resources import Category, HelpingMaterial, Project, Task

from .conftest import unique_short_name


def test_project_crud(client: Client, clean_server: object) -> None:
    name = unique_short_name()
    created = client.projects.create(name="P", short_name=name, description="d", info={"k": 1})
    assert isinstance(created, Project) and created.loaded and created.short_name == name
    assert client.projects.get(created.id) == client.projects.by_short_name(name)
    assert client.projects.by_short_name("pbsynctest-none") is None
    assert [p.id for p in client.projects.find(short_name=name)] == [created.id]
    client.projects.delete(created)
    with pytest.raises(NotFoundError):
        client.projects.get(created.id)


def test_update_sends_only_changes_and_the_whole_info(
    local_server: Any, client: Client, project: Project
) -> None:
    project.info["keep"] = "me"
    client.projects.update(project)
    fetched = client.projects.get(project.id)
    local_server.stats.reset()
    client.projects.update(fetched)  # nothing changed: nothing sent
    assert local_server.stats.total() == 0
    fetched.info["tutorial"] = "<p/>"
    client.projects.update(fetched)
    assert client.projects.get(project.id).info == {"keep": "me", "tutorial": "<p/>"}
    assert local_server.stats.snapshot()[("PUT", f"/api/project/{project.id}")] == 1


def test_update_of_a_hand_built_object_merges_into_the_server_info(
    client: Client, project: Project
) -> None:
    client.projects.update(project, info={"a": 1, "b": 2})
    client.projects.update(Project(id=project.id, info={"b": 3}))
    assert client.projects.get(project.id).info == {"a": 1, "b": 3}


def test_reserved_keys_fallback_retries_with_writable_keys_only(
    client: Client, project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the server reserves `secret_key`; pretend our read-only list fell behind it
    monkeypatch.setattr(Project, "read_only", frozenset({"id", "link", "links"}))
    project.secret_key = "guess"
    project.description = "after fallback"
    client.projects.update(project)
    assert client.projects.get(project.id).description == "after fallback"


def test_category_and_user_reads(client: Client, clean_server: object) -> None:
    categories = client.categories.find()
    listed = client.request("GET", "/api/category")
    assert [c.short_name for c in categories] == [row["short_name"] for row in listed]
    assert {"thinking", "sensing"} <= {c.short_name for c in categories}
    assert client.categories.get(categories[0].id) == categories[0]
    assert isinstance(categories[0], Category)
    created = client.categories.create(name="Birds", short_name="pbsynctestbirds", description="d")
    created.description = "updated"
    client.categories.update(created)
    assert client.categories.get(created.id).description == "updated"
    client.categories.delete(created.id)
    assert client.users.find()


def test_task_crud_and_iter_pages(local_server: Any, client: Client, project: Project) -> None:
    task = client.tasks.create(project_id=project, info={"n": 0}, n_answers=2)
    assert isinstance(task, Task) and task.n_answers == 2
    task.priority_0 = 0.5
    client.tasks.update(task)
    assert client.tasks.get(task.id).priority_0 == 0.5
    client.tasks.delete(task)
    created = client.tasks.create_many(project, [{"n": i} for i in range(250)])
    local_server.stats.reset()
    seen = [t.id for t in client.tasks.iter(project_id=project.id)]
    assert seen == sorted(t.id for t in created) and len(seen) == 250
    assert local_server.stats.snapshot() == {("GET", "/api/task"): 3}
    assert len(client.tasks.find(project_id=project.id, limit=7)) == 7
    with pytest.raises(ValueError, match="offset"):
        next(client.tasks.iter(project_id=project.id, offset=3))


def test_helping_material_upload_and_replace(
    client: Client, project: Project, tmp_path: Path
) -> None:
    image = tmp_path / "logo.png"
    image.write_bytes(b"\x89PNG first")
    hm = client.helping_materials.create(project, {"caption": "c"}, file_path=image)
    assert isinstance(hm, HelpingMaterial)
    assert hm.info["caption"] == "c" and hm.info["file_name"] == "logo.png"
    assert client.session.get(hm.media_url, timeout=5).content == b"\x89PNG first"
    image.write_bytes(b"\x89PNG second")
    client.helping_materials.update(hm, file_path=image)
    assert client.session.get(hm.media_url, timeout=5).content == b"\x89PNG second"
    linked = client.helping_materials.create(project, {"x": 1}, media_url="https://e.org/a.png")
    assert linked.media_url == "https://e.org/a.png"
    assert {h.id for h in client.helping_materials.find(project_id=project.id)} == {
        hm.id,
        linked.id,
    }


def test_upload_under_another_name_and_replace(
    client: Client, project: Project, tmp_path: Path
) -> None:
    image = tmp_path / "кот.png"
    image.write_bytes(b"\x89PNG cat")
    with pytest.raises(InvalidDataError, match="another name"):
        client.helping_materials.create(project, {}, file_path=image)  # would 404
    hm = client.helping_materials.create(
        project, {"name": "кот.png"}, file_path=image, upload_name="cat-1.png", priority=0.5
    )
    assert hm.info["file_name"] == "cat-1.png" and hm.media_url.endswith("/cat-1.png")
    assert client.session.get(hm.media_url, timeout=5).content == b"\x89PNG cat"
    image.write_bytes(b"\x89PNG cat 2")
    hm.info["v"] = 2
    client.helping_materials.update(hm, file_path=image, upload_name="cat-2.png", priority=0.7)
    again = client.helping_materials.get(hm.id)
    assert again.media_url.endswith("/cat-2.png")
    assert client.session.get(again.media_url, timeout=5).content == b"\x89PNG cat 2"
    # PYBOSSA's multipart PUT takes only the file: info and priority followed as JSON
    assert again.info == {"name": "кот.png", "v": 2, "container": hm.info["container"],
                          "file_name": "cat-2.png"}  # fmt: skip
    assert again.priority == 0.7


def test_upload_refuses_an_extension_the_server_would_not_store(
    local_server: Any, client: Client, project: Project, tmp_path: Path
) -> None:
    doc = tmp_path / "notes.pdf"
    doc.write_bytes(b"%PDF")
    local_server.stats.reset()
    with pytest.raises(InvalidDataError, match="does not store"):
        client.helping_materials.create(project, {}, file_path=doc)
    assert local_server.stats.total() == 0


def test_publish_refuses_over_task_runs_then_publishes_with_force(
    client: Client, project: Project
) -> None:
    client.projects.update(project, info={"task_presenter": "<div>hi</div>"})
    task = client.tasks.create(project_id=project.id, info={"q": 1})
    handed = client.request("GET", f"/api/project/{project.id}/newtask")
    assert handed["id"] == task.id
    client.taskruns.create(project_id=project.id, task_id=task.id, info={"answer": "yes"})
    with pytest.raises(RefusedError, match="task runs"):
        client.projects.publish(project)
    client.projects.publish(project, force=True)
    assert client.projects.get(project.id).published is True
    assert client.taskruns.find(project_id=project.id) == []
