"""A file database keeps everything (and the admin key) across restarts."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from serverkit import Api

from pbsync.server import LocalServer, default_db_path

pytestmark = pytest.mark.local_only


def test_data_and_key_survive_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "server.sqlite3"
    with LocalServer(db) as first:
        key, first_url = first.api_key, first.url
        api = Api(first.url, key)
        project = api.project()
        api.task(project["id"])
        hm = api.post(
            "/api/helpingmaterial",
            data={"project_id": str(project["id"])},
            files={"file": ("a.png", b"png")},
        ).json()
    with LocalServer(db) as second:
        assert second.api_key == key
        api = Api(second.url, key)
        assert [p["short_name"] for p in api.ok("GET", "/api/project")] == ["pbsynctest"]
        assert len(api.ok("GET", "/api/task")) == 1
        assert len(api.ok("GET", "/api/category")) == 2
        # the restarted server has another port (port 0 may, rarely, hand out the same one):
        # media URLs follow the address the caller used
        (again,) = api.ok("GET", "/api/helpingmaterial")
        assert again["media_url"] == hm["media_url"].replace(first_url, second.url)
        assert api.get(again["media_url"]).content == b"png"


def test_api_key_option_fixes_the_key(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite3"
    with LocalServer(db, api_key="fixed-key") as server:
        assert server.api_key == "fixed-key"
        assert Api(server.url, "fixed-key").post("/api/project", json={}).status_code == 415
    with LocalServer(db) as server:
        assert server.api_key == "fixed-key"
    with LocalServer(db, api_key="new-key") as server:
        assert server.api_key == "new-key"
        assert Api(server.url, "fixed-key").post("/api/project", json={}).status_code == 401


def test_file_database_uses_wal(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite3"
    LocalServer(db).stop()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_memory_database_uploads_are_temporary() -> None:
    server = LocalServer()
    root = server.uploads.root
    assert root.is_dir()
    server.stop()
    assert not root.exists()


def test_reset_keeps_admin_and_default_categories(local_server: LocalServer) -> None:
    api = Api(local_server.url, local_server.api_key)
    api.project()
    other = local_server.create_user("someone")
    local_server.reset()
    assert api.ok("GET", "/api/project", params={"all": 1}) == []
    assert [c["id"] for c in api.ok("GET", "/api/category")] == [1, 2]
    # the other user is gone: its key is anonymous now
    assert Api(local_server.url, other).post("/api/project", json={}).status_code == 401
    assert api.project()["id"] == 1


def test_default_db_path_is_in_the_user_data_dir() -> None:
    path = default_db_path()
    assert path.name == "server.sqlite3"
    assert "pbsync" in path.parts


def test_restart_on_the_same_port_object() -> None:
    server = LocalServer()
    with server:
        url = server.url
    with pytest.raises(RuntimeError):
        _ = server.url
    assert url.startswith("http://127.0.0.1:")
