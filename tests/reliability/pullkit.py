"""Helpers of the pull reliability tests: a pulled copy the server has moved on from."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pbsync
from pbclient.client import Client

SHORT = "pbsynctest_pull_faults"
TOML = f'[project]\nname = "Faults"\nshort_name = "{SHORT}"\ndescription = "d"\n'


def write(folder: Path, files: dict[str, bytes | str]) -> Path:
    for rel, data in {"project.toml": TOML, **files}.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)
    return folder


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file of the folder, `.pbsync/state.json` included, staging left out."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.relative_to(folder).as_posix().startswith(".pbsync/pull/")
    }


def media_path(client: Client, name: str) -> str:
    """The path of the URL the server serves the material `name` at."""
    project = client.projects.by_short_name(SHORT)
    assert project is not None
    for row in client.helping_materials.rows(project_id=project.id):
        if row["info"]["name"] == name:
            return urlsplit(row["media_url"]).path
    raise AssertionError(name)


def make_behind(tmp_path: Path, client: Client) -> Path:
    """A pulled copy the server has moved on from: a changed presenter and file (b), two new
    files (d, e), a file deleted on the server (c). Catching up downloads b, d, e in that order."""
    source = write(tmp_path / "source", {
        "presenter.html": "<p>v1</p>",
        "helping/a.png": b"\x89PNG a1", "helping/b.png": b"\x89PNG b1", "helping/c.png": b"c",
    })  # fmt: skip
    pbsync.push(source, client)
    copy = tmp_path / "copy"
    pbsync.pull(client, SHORT, copy)
    (source / "helping" / "c.png").unlink()
    write(source, {"presenter.html": "<p>v2</p>", "helping/b.png": b"\x89PNG b2"})
    write(source, {"helping/d.png": b"\x89PNG d", "helping/e.png": b"\x89PNG e"})
    pbsync.push(source, client, prune=True)
    return copy


def assert_caught_up(client: Client, copy: Path) -> None:
    """The copy holds what the server has, and diff says so."""
    assert (copy / "presenter.html").read_text(encoding="utf-8") == "<p>v2</p>"
    helping = {p.name: p.read_bytes() for p in (copy / "helping").iterdir()}
    assert helping == {
        "a.png": b"\x89PNG a1", "b.png": b"\x89PNG b2", "d.png": b"\x89PNG d",
        "e.png": b"\x89PNG e",
    }  # fmt: skip
    assert pbsync.plan(copy, client).empty
