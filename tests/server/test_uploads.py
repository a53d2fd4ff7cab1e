"""Multipart uploads (helping materials, task runs) and serving them back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
from serverkit import Api, error_of

from pbsync.server import LocalServer

PNG = b"\x89PNG\r\n\x1a\n" + b"pixels" * 10


def upload(
    api: Api, project_id: int | None, name: str, data: bytes = PNG, **form: str
) -> requests.Response:
    fields = {"info": json.dumps({"kind": "example"}), **form}
    if project_id is not None:
        fields["project_id"] = str(project_id)
    return api.post("/api/helpingmaterial", data=fields, files={"file": (name, data)})


def test_upload_and_serve(admin: Api, anon: Api) -> None:
    project = admin.project()
    resp = upload(admin, project["id"], "cat.png")
    assert resp.status_code == 200, resp.text
    hm = resp.json()
    container = hm["info"]["container"]
    assert container.startswith("user_")
    assert hm["info"] == {"kind": "example", "container": container, "file_name": "cat.png"}
    assert hm["media_url"] == f"{admin.endpoint}/uploads/{container}/cat.png"
    assert hm["priority"] == 0.0
    served = anon.get(hm["media_url"])
    assert (served.status_code, served.content) == (200, PNG)


def test_disallowed_extension_answers_200_but_is_not_stored(admin: Api) -> None:
    project = admin.project()
    hm = upload(admin, project["id"], "notes.txt", b"text").json()
    assert hm["media_url"].endswith("/notes.txt")
    assert admin.get(hm["media_url"]).status_code == 404


def test_missing_file_and_missing_project_id(admin: Api) -> None:
    project = admin.project()
    resp = admin.post(
        "/api/helpingmaterial",
        data={"project_id": str(project["id"])},
        files={"other": ("a.png", PNG)},
    )
    assert error_of(resp)[0] == 415
    resp = upload(admin, None, "a.png")
    assert error_of(resp) == (500, "KeyError")
    assert "Traceback" not in resp.text


def test_bad_info_json_in_form(admin: Api) -> None:
    project = admin.project()
    resp = upload(admin, project["id"], "a.png", info="{not json")
    assert error_of(resp) == (415, "ValueError")


def test_multipart_put_replaces_the_file(admin: Api) -> None:
    project = admin.project()
    hm = upload(admin, project["id"], "a.png").json()
    resp = admin.put(
        f"/api/helpingmaterial/{hm['id']}",
        data={"info": json.dumps({"v": 2})},
        files={"file": ("b.png", b"new bytes")},
    )
    assert resp.status_code == 200, resp.text
    changed = resp.json()
    assert changed["info"]["file_name"] == "b.png"
    assert changed["info"]["v"] == 2
    assert admin.get(changed["media_url"]).content == b"new bytes"


def test_json_put_replaces_info_and_loses_container(admin: Api) -> None:
    project = admin.project()
    hm = upload(admin, project["id"], "a.png").json()
    changed = admin.ok("PUT", f"/api/helpingmaterial/{hm['id']}", json={"info": {"x": 1}})
    assert changed["info"] == {"x": 1}
    assert changed["media_url"] == hm["media_url"]


@pytest.mark.local_only
@pytest.mark.parametrize(
    "name", ["../../escape.png", "/etc/passwd.png", "..\\..\\win.png", "a/../../b.png", "....png"]
)
def test_file_names_never_escape_the_upload_dir(
    local_server: LocalServer, admin: Api, name: str
) -> None:
    project = admin.project()
    hm = upload(admin, project["id"], name).json()
    root = local_server.uploads.root.resolve()
    stored = [p for p in root.rglob("*") if p.is_file()]
    assert all(root in p.resolve().parents for p in stored)
    stored_name = hm["info"]["file_name"]
    assert Path(stored_name).name == stored_name and stored_name not in (".", "..")
    assert not (root.parent / "escape.png").exists()


def test_upload_urls_cannot_traverse(admin: Api) -> None:
    for path in ("/uploads/../store.py", "/uploads/user_1/..%2F..%2Fx", "/uploads/%2e%2e/x.png"):
        assert admin.get(path).status_code == 404, path


def test_taskrun_upload(admin: Api) -> None:
    project = admin.project()
    task = admin.task(project["id"])
    admin.ok("GET", f"/api/project/{project['id']}/newtask")
    resp = admin.post(
        "/api/taskrun",
        data={
            "project_id": str(project["id"]),
            "task_id": str(task["id"]),
            "info": json.dumps({"answer": "yes"}),
        },
        files={"file": ("drawing.png", PNG)},
    )
    assert resp.status_code == 200, resp.text
    run = resp.json()
    assert run["info"]["answer"] == "yes"
    assert admin.get(run["media_url"]).content == PNG


def test_upload_too_big(admin: Api) -> None:
    project = admin.project()
    resp = upload(admin, project["id"], "big.png", b"x" * (16 * 1024 * 1024 + 10))
    assert resp.status_code == 413


def test_upload_dir_next_to_file_db(tmp_path: Path) -> None:
    with LocalServer(tmp_path / "s.sqlite3") as server:
        assert server.uploads.root == tmp_path / "s-uploads"
