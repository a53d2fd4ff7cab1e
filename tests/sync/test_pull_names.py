"""Helping materials whose names cannot be file names survive pull -> diff -> push -> pull.

Pull writes a safe file name and keeps the material's name (its identity on the server) as
`name` in `[helping."FILE"]`; the loader reads it back, so the folder still means the same
materials.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

import pbsync
from pbclient.client import Client
from pbsync.folder.project import LocalProject

SHORT = "pbsynctest_pull_names"
#: names a Linux folder can push, and the file names pull writes for them
ODD = {
    " lead.png": "lead.png",  # a leading space
    "a:b.png": "b.png",  # a drive-letter look-alike
    "what?.png": "what_.png",  # a character Windows forbids
    "Map.png": "Map.png",
    "map.png": "map-2.png",  # one file with the one above on macOS and Windows
    "CON.png": "_CON.png",  # a Windows device name
}


@pytest.fixture
def client(endpoint: str, api_key: str, clean_server: None) -> Iterator[Client]:
    with Client(endpoint, api_key) as c:
        yield c


@pytest.fixture
def pushed(tmp_path: Path, client: Client) -> Path:
    folder = tmp_path / "source"
    (folder / "helping").mkdir(parents=True)
    toml = f'[project]\nname = "Names"\nshort_name = "{SHORT}"\ndescription = "d"\n'
    toml += '[helping." lead.png"]\npriority = 0.5\ninfo = { caption = "lead" }\n'
    (folder / "project.toml").write_text(toml, encoding="utf-8")
    for number, name in enumerate(ODD):
        (folder / "helping" / name).write_bytes(f"\x89PNG {number}".encode())
    pbsync.push(folder, client)
    return folder


def test_odd_names_round_trip(tmp_path: Path, client: Client, pushed: Path) -> None:
    copy = tmp_path / "copy"
    pbsync.pull(client, SHORT, copy)
    files = sorted(p.name for p in (copy / "helping").iterdir())
    assert files == sorted(ODD.values())
    assert len({f.casefold() for f in files}) == len(files)
    for name, file in ODD.items():
        assert (copy / "helping" / file).read_bytes() == (pushed / "helping" / name).read_bytes()
    doc = tomllib.loads((copy / "project.toml").read_text(encoding="utf-8"))
    assert doc["helping"]["lead.png"] == {
        "name": " lead.png", "priority": 0.5, "info": {"caption": "lead"}
    }  # fmt: skip
    local = LocalProject.load(copy).state
    assert {m.name for m in local.helping_materials} == set(ODD)
    assert pbsync.plan(copy, client).empty


def test_a_renamed_file_keeps_its_material(tmp_path: Path, client: Client, pushed: Path) -> None:
    copy = tmp_path / "copy"
    pbsync.pull(client, SHORT, copy)
    (copy / "helping" / "lead.png").write_bytes(b"\x89PNG new lead")
    plan = pbsync.plan(copy, client)
    assert [(a.kind, a.material.name) for a in plan.actions] == [  # type: ignore[attr-defined]
        ("UpdateHelpingMaterial", " lead.png")
    ]
    pbsync.push(copy, client)
    assert pbsync.plan(copy, client).empty
    assert pbsync.pull(client, SHORT, copy).written == ()
    # the folder that pushed " lead.png" pulls the change without blaming its own files (it
    # gets pull's file names: the materials stay the same)
    pbsync.pull(client, SHORT, pushed)
    assert (pushed / "helping" / "lead.png").read_bytes() == b"\x89PNG new lead"
    assert not (pushed / "helping" / " lead.png").exists()
    assert pbsync.plan(pushed, client).empty
