"""Helping files keep their own bytes on the server whatever they are called.

PYBOSSA stores an upload in one folder per user under werkzeug's `secure_filename` of the name
sent (see `pbsync.sync.stored`): without care, same-named files of two projects, or two names that
sanitise alike, share one stored file, and a name with no ASCII left in its stem is stored nowhere.
Each test checks the bytes the server really serves at every `media_url`, then the pull -> diff
round trip.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

import pbsync
from pbclient.client import Client
from pbsync.folder.project import LocalProject

PREFIX = "pbsynctest_names"


def project_folder(root: Path, short_name: str, files: dict[str, bytes]) -> Path:
    folder = root / short_name
    (folder / "helping").mkdir(parents=True)
    toml = f'[project]\nname = "{short_name}"\nshort_name = "{short_name}"\ndescription = "d"\n'
    (folder / "project.toml").write_text(toml, encoding="utf-8")
    for name, data in files.items():
        (folder / "helping" / name).write_bytes(data)
    return folder


def served(client: Client, short_name: str) -> dict[str, bytes]:
    """What the server serves for each of the project's materials, by material name."""
    project = client.projects.by_short_name(short_name)
    assert project is not None
    out = {}
    for row in client.helping_materials.rows(project_id=project.id):
        response = requests.get(row["media_url"], timeout=30)
        assert response.status_code == 200, (row["info"]["name"], row["media_url"])
        out[row["info"]["name"]] = response.content
    return out


@pytest.fixture
def client(endpoint: str, api_key: str, clean_server: None) -> Iterator[Client]:
    with Client(endpoint, api_key) as c:
        yield c


def test_two_projects_of_one_user_keep_their_own_example_files(
    tmp_path: Path, client: Client
) -> None:
    # every project made from one template has helping/example-yes.png
    first = project_folder(tmp_path, f"{PREFIX}_a", {"example-yes.png": b"\x89PNG first"})
    second = project_folder(tmp_path, f"{PREFIX}_b", {"example-yes.png": b"\x89PNG second"})
    pbsync.push(first, client)
    pbsync.push(second, client)
    assert served(client, f"{PREFIX}_a") == {"example-yes.png": b"\x89PNG first"}
    assert served(client, f"{PREFIX}_b") == {"example-yes.png": b"\x89PNG second"}
    copy = tmp_path / "copy"
    report = pbsync.pull(client, f"{PREFIX}_a", copy)
    assert report.warnings == ()
    assert (copy / "helping" / "example-yes.png").read_bytes() == b"\x89PNG first"
    assert pbsync.plan(first, client).empty and pbsync.plan(copy, client).empty


def test_names_that_sanitise_alike_keep_their_own_bytes(tmp_path: Path, client: Client) -> None:
    files = {"a b.png": b"\x89PNG spaced", "a_b.png": b"\x89PNG underscored", "a  b.png": b"two"}
    folder = project_folder(tmp_path, PREFIX, files)
    pbsync.push(folder, client)
    assert served(client, PREFIX) == files
    copy = tmp_path / "copy"
    pbsync.pull(client, PREFIX, copy)
    assert {p.name: p.read_bytes() for p in (copy / "helping").iterdir()} == files
    assert pbsync.plan(copy, client).empty


def test_names_with_no_ascii_stem_are_stored_and_served(tmp_path: Path, client: Client) -> None:
    files = {"кот.png": b"\x89PNG cat", "日本.jpg": b"\xff\xd8 japan", "ü.GIF": b"GIF89a"}
    folder = project_folder(tmp_path, PREFIX, files)
    pbsync.push(folder, client)
    assert served(client, PREFIX) == files
    project = client.projects.by_short_name(PREFIX)
    assert project is not None
    for row in client.helping_materials.rows(project_id=project.id):
        stored = row["info"]["file_name"]
        assert stored.isascii() and stored.endswith(row["info"]["name"].rsplit(".")[-1].lower())
    copy = tmp_path / "copy"
    pbsync.pull(client, PREFIX, copy)
    assert {p.name: p.read_bytes() for p in (copy / "helping").iterdir()} == files
    assert pbsync.plan(copy, client).empty


def test_a_file_an_older_upload_stored_under_its_own_name_is_uploaded_again(
    tmp_path: Path, client: Client
) -> None:
    # as pbsync stored files before: under the folder's name, info.name and info.sha256 set
    data = b"\x89PNG mine"
    folder = project_folder(tmp_path, PREFIX, {"example.png": data})
    project = client.projects.create(name=PREFIX, short_name=PREFIX, description="d")
    info = {"name": "example.png", "sha256": hashlib.sha256(data).hexdigest()}
    client.helping_materials.create(project.id, info, file_path=folder / "helping/example.png")
    # ... then another project of the same user uploads its own example.png over it
    other = client.projects.create(name="other", short_name=f"{PREFIX}_o", description="d")
    theirs = tmp_path / "theirs" / "example.png"
    theirs.parent.mkdir()
    theirs.write_bytes(b"\x89PNG theirs")
    client.helping_materials.create(other.id, {"name": "example.png"}, file_path=theirs)
    assert served(client, PREFIX) == {"example.png": b"\x89PNG theirs"}
    plan = pbsync.plan(folder, client)
    (action,) = plan.actions  # info.sha256 no longer vouches for a file stored under that name
    assert action.kind == "UpdateHelpingMaterial" and action.reupload  # type: ignore[attr-defined]
    pbsync.push(folder, client)
    assert served(client, PREFIX) == {"example.png": data}
    assert pbsync.plan(folder, client).empty


def test_deleting_one_of_two_identical_files_keeps_the_other(
    tmp_path: Path, client: Client
) -> None:
    # PYBOSSA's DELETE removes the stored file the material's info names
    folder = project_folder(tmp_path, PREFIX, {"a.png": b"same", "b.png": b"same"})
    pbsync.push(folder, client)
    (folder / "helping" / "b.png").unlink()
    pbsync.push(folder, client, prune=True)
    assert served(client, PREFIX) == {"a.png": b"same"}


def test_the_folder_loads_the_identity_not_the_stored_name(tmp_path: Path, client: Client) -> None:
    folder = project_folder(tmp_path, PREFIX, {"map.png": b"\x89PNG map"})
    pbsync.push(folder, client)
    copy = tmp_path / "copy"
    pbsync.pull(client, PREFIX, copy)
    (material,) = LocalProject.load(copy).state.helping_materials
    assert material.name == "map.png" and (copy / "helping" / "map.png").is_file()
    assert not (copy / "project.toml").read_text(encoding="utf-8").count("pbsync-")


def test_a_name_a_multipart_header_cannot_carry_travels_in_info(
    tmp_path: Path, client: Client
) -> None:
    # the folder's name never goes in the multipart header: only the upload name does (control
    # characters are refused by the loader, see tests/bad_input/helping_name_*)
    files = {'a "quoted"; b\\c.png': b"\x89PNG quote, semicolon, backslash"}
    folder = project_folder(tmp_path, PREFIX, files)
    pbsync.push(folder, client)
    assert served(client, PREFIX) == files
    copy = tmp_path / "copy"
    pbsync.pull(client, PREFIX, copy)
    assert pbsync.plan(copy, client).empty and pbsync.plan(folder, client).empty
