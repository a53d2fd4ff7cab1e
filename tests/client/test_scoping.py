"""Owner scoping: with a key, every manager list shows another user's project's rows too.

PYBOSSA filters authenticated lists down to the caller's own projects, admins included; the
managers send `all=1` so that a project found by `by_short_name` is never seen empty.
"""

from __future__ import annotations

from typing import Any

import pytest

from pbclient.client import Client
from pbclient.errors import InvalidDataError, NotFoundError


def _someone_elses_project(endpoint: str, other_api_key: str) -> tuple[int, int]:
    """A published-or-not project of another user, with one task and one link material."""
    with Client(endpoint, other_api_key) as owner:
        project = owner.projects.create(
            name="Theirs", short_name="pbsynctest_scoped", description="d"
        )
        task = owner.tasks.create(project_id=project.id, info={"n": 1})
        owner.helping_materials.create(project.id, {"name": "guide"}, media_url="https://e/g")
    return int(project.id), int(task.id)


def test_an_admin_lists_another_users_rows(
    local_server: Any, client: Client, endpoint: str, other_api_key: str
) -> None:
    project_id, task_id = _someone_elses_project(endpoint, other_api_key)
    found = client.projects.by_short_name("pbsynctest_scoped")
    assert found is not None and found.id == project_id
    assert [t.id for t in client.tasks.iter(project_id=project_id)] == [task_id]
    assert [r["id"] for r in client.tasks.rows(project_id=project_id)] == [task_id]
    assert len(client.helping_materials.find(project_id=project_id)) == 1
    # the owner-filtered view is still there for whoever asks for it
    assert client.tasks.find(project_id=project_id, all=0) == []


def spy_on_params(client: Client) -> list[dict[str, Any]]:
    """The query parameters of every request `client` sends from now on."""
    sent: list[dict[str, Any]] = []
    original = client.request

    def spy(method: str, url: str, **kwargs: Any) -> Any:
        sent.append(dict(kwargs.get("params") or {}))
        return original(method, url, **kwargs)

    client.request = spy  # type: ignore[method-assign]
    return sent


def test_every_list_a_manager_sends_carries_all(
    local_server: Any, client: Client, endpoint: str, other_api_key: str
) -> None:
    project_id, _ = _someone_elses_project(endpoint, other_api_key)
    sent = spy_on_params(client)
    client.projects.by_short_name("pbsynctest_scoped")
    list(client.tasks.iter(project_id=project_id))
    client.taskruns.find(project_id=project_id)
    client.projects.has_task_runs(project_id)
    list(client.categories.rows())
    assert sent and all(params.get("all") == 1 for params in sent), sent


def test_anonymous_lists_carry_no_all(local_server: Any, endpoint: str) -> None:
    with Client(endpoint) as anonymous:
        sent = spy_on_params(anonymous)
        anonymous.projects.find(limit=1)
    assert sent == [{"limit": 1}]


def test_download_keeps_the_key_at_home(
    local_server: Any, client: Client, endpoint: str, tmp_path: Any
) -> None:
    project = client.projects.create(name="Dl", short_name="pbsynctest_dl", description="d")
    path = tmp_path / "a.png"
    path.write_bytes(b"\x89PNG fake")
    material = client.helping_materials.create(project.id, {"name": "a.png"}, file_path=path)
    assert client.helping_materials.download(material.media_url) == b"\x89PNG fake"
    for bad in ("file:///etc/passwd", "/uploads/a.png", "ftp://example.org/a.png"):
        with pytest.raises(InvalidDataError):
            client.helping_materials.download(bad)
    with pytest.raises(NotFoundError):
        client.helping_materials.download(material.media_url + "-missing")
