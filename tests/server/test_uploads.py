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


def test_multipart_put_replaces_the_file_and_ignores_the_other_fields(admin: Api) -> None:
    project = admin.project()
    hm = upload(admin, project["id"], "a.png").json()
    resp = admin.put(
        f"/api/helpingmaterial/{hm['id']}",
        data={"project_id": str(project["id"]), "info": json.dumps({"v": 2}), "priority": "0.5"},
        files={"file": ("b.png", b"new bytes")},
    )
    assert resp.status_code == 200, resp.text
    changed = resp.json()
    # PYBOSSA 4.0.2 (api_base.put -> _update_instance) copies only media_url, container and
    # file_name from a multipart PUT: the form's info and priority are not applied
    container = hm["info"]["container"]
    assert changed["info"] == {"kind": "example", "container": container, "file_name": "b.png"}
    assert changed["priority"] == 0.0
    assert admin.get(changed["media_url"]).content == b"new bytes"
    assert admin.get(hm["media_url"]).content == PNG  # the old file stays


def test_names_are_reported_as_sent_and_stored_as_secure_filename_makes_them(
    admin: Api, anon: Api
) -> None:
    project = admin.project()
    spaced = upload(admin, project["id"], "a b.png", b"spaced").json()
    assert spaced["info"]["file_name"] == "a b.png"
    assert spaced["media_url"].endswith("/a%20b.png")
    assert anon.get(spaced["media_url"]).status_code == 404  # stored as a_b.png
    served = anon.get(f"{admin.endpoint}/uploads/{spaced['info']['container']}/a_b.png")
    assert served.content == b"spaced"
    underscored = upload(admin, project["id"], "a_b.png", b"underscored").json()
    assert anon.get(underscored["media_url"]).content == b"underscored"
    cat = upload(admin, project["id"], "кот.png", b"cat").json()  # secure_filename keeps "png"
    assert cat["info"]["file_name"] == "кот.png"
    assert anon.get(cat["media_url"]).status_code == 404


def test_one_users_uploads_share_a_folder_across_projects(admin: Api, anon: Api) -> None:
    first, second = admin.project("pbsynctest_a"), admin.project("pbsynctest_b")
    one = upload(admin, first["id"], "example.png", b"first").json()
    two = upload(admin, second["id"], "example.png", b"second").json()
    assert one["media_url"] == two["media_url"]
    assert anon.get(one["media_url"]).content == b"second"  # the first project's file is gone


def test_delete_removes_the_file_its_info_names(admin: Api, anon: Api) -> None:
    project = admin.project()
    hm = upload(admin, project["id"], "gone.png").json()
    admin.ok("DELETE", f"/api/helpingmaterial/{hm['id']}")
    assert anon.get(hm["media_url"]).status_code == 404


@pytest.mark.local_only
def test_an_admins_upload_goes_to_the_owners_folder(
    local_server: LocalServer, admin_local: Api, owner: Api
) -> None:
    project = owner.project("pbsynctest_owned")
    hm = upload(admin_local, project["id"], "x.png").json()
    mine = upload(owner, project["id"], "y.png").json()
    assert hm["info"]["container"] == mine["info"]["container"] != "user_1"


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
    assert all(p.parent.parent == root for p in stored)  # directly in the user's folder
    # reported as the server read it (quoted-string escapes undone), unsanitised, as PYBOSSA does
    assert hm["info"]["file_name"] == name.replace("\\", "")
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


@pytest.mark.local_only(reason="PYBOSSA sets no cap; the local 16 MiB upload cap models a proxy's")
def test_upload_too_big(admin: Api) -> None:
    project = admin.project()
    resp = upload(admin, project["id"], "big.png", b"x" * (16 * 1024 * 1024 + 10))
    assert resp.status_code == 413


def test_upload_dir_next_to_file_db(tmp_path: Path) -> None:
    with LocalServer(tmp_path / "s.sqlite3") as server:
        assert server.uploads.root == tmp_path / "s-uploads"
