"""The shipped templates: complete, valid project folders with safe, offline-ready presenters."""

from __future__ import annotations

import csv
import json
import re
import shutil
import struct
import subprocess
import tomllib
import zlib
from pathlib import Path

import pytest

from pbsync.folder.links import find_names, name_warnings
from pbsync.folder.project import LocalProject
from pbsync.folder.scaffold import list_templates, scaffold, templates_dir

TEMPLATES = {info.name: info.path for info in list_templates()}
REQUIRED_FILES = ("project.toml", "presenter.html", "tutorial.html", "longdesc.md", "results.html")
# what PYBOSSA stores by default (see docs/project-format.md)
UPLOADABLE = {".js", ".css", ".png", ".jpg", ".jpeg", ".gif", ".zip"}
# how a page learns its project's short_name: from its address, /project/<short_name>/...
FROM_ADDRESS = "var shortName = (location.pathname.match(/\\/project\\/([^\\/]+)\\//) || [])[1];"
PAGES = ("presenter.html", "tutorial.html", "results.html")
# ways of putting a string into the page as markup, which task data must never take
UNSAFE_JS = re.compile(r"\.html\(|innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(")


def scripts(path: Path) -> list[str]:
    return re.findall(r"<script>(.*?)</script>", path.read_text(encoding="utf-8"), re.S)


def task_infos(folder: Path) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for path in sorted(folder.glob("tasks.*")):
        if path.suffix == ".csv":
            with path.open(newline="", encoding="utf-8") as handle:
                rows.extend(csv.DictReader(handle))
        elif path.suffix == ".json":
            rows.extend(json.loads(path.read_text(encoding="utf-8")))
    return rows


def png_size(data: bytes) -> tuple[int, int]:
    """Check a PNG's signature, chunk CRCs and pixel data; return (width, height)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, {}
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert zlib.crc32(kind + body) & 0xFFFFFFFF == crc, kind
        chunks[kind] = chunks.get(kind, b"") + body
        pos += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    channels = {0: 1, 2: 3, 6: 4}[colour]
    assert depth == 8
    assert len(zlib.decompress(chunks[b"IDAT"])) == height * (1 + width * channels)
    assert b"IEND" in chunks
    return width, height


def test_the_promised_templates_ship() -> None:
    assert {"image-classification", "transcription", "geo-pinning"} <= set(TEMPLATES)


def test_shipped_templates_match_the_repository() -> None:
    # scaffold reads the package's copy (pbsync/_templates); it must hold what templates/ holds
    repo = Path(__file__).resolve().parent.parent / "templates"
    shipped = templates_dir()

    def files(root: Path) -> dict[str, bytes]:
        return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}

    assert files(shipped) == files(repo)


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_template_has_every_part(name: str) -> None:
    folder = TEMPLATES[name]
    for file in REQUIRED_FILES:
        assert (folder / file).is_file(), file
    meta = tomllib.loads((folder / "template.toml").read_text(encoding="utf-8"))
    assert meta["title"].strip()
    assert 0 < len(meta["description"]) <= 120
    assert task_infos(folder), "no sample tasks"
    assert list((folder / "helping").iterdir()), "no helping file"


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_template_folder_is_a_valid_project(name: str) -> None:
    state = LocalProject.load(TEMPLATES[name]).state
    assert state.project.short_name == name
    assert len(state.tasks or ()) == len(task_infos(TEMPLATES[name]))
    assert {"task_presenter", "tutorial", "results"} <= set(state.project.info)
    assert len(state.project.description) <= 255


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_helping_files_are_uploadable_and_valid(name: str) -> None:
    for path in (TEMPLATES[name] / "helping").rglob("*"):
        assert path.suffix.lower() in UPLOADABLE, path
        assert path.stat().st_size < 20_000, f"{path} is not small"
        if path.suffix == ".png":
            width, height = png_size(path.read_bytes())
            assert 0 < width <= 512 and 0 < height <= 512


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_sample_tasks_need_no_network(name: str) -> None:
    for info in task_infos(TEMPLATES[name]):
        for key, value in info.items():
            if isinstance(value, str) and key in {"url", "link", "image"}:
                assert value.startswith("data:image/"), (key, value[:40])


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_presenter_uses_pybossa_js(name: str) -> None:
    text = (TEMPLATES[name] / "presenter.html").read_text(encoding="utf-8")
    for call in ("pybossa.taskLoaded(", "pybossa.presentTask(", "pybossa.saveTask("):
        assert call in text, call
    assert "pybossa.userProgress(shortName)" in text
    assert FROM_ADDRESS in text
    assert "pybossa.run(shortName);" in text
    # the "no more tasks" case: pybossa.js presents an empty object
    assert "$.isEmptyObject(task)" in text
    assert 'id="pbs-finished"' in text


@pytest.mark.parametrize("name", sorted(TEMPLATES))
@pytest.mark.parametrize("page", PAGES)
def test_pages_never_write_a_short_name(name: str, page: str) -> None:
    # an [env] overlay pushes the same page under another short_name: the page must not name one
    text = (TEMPLATES[name] / page).read_text(encoding="utf-8")
    assert "{{short_name}}" not in text
    assert not find_names(text), find_names(text)


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_results_page_reads_the_short_name_from_its_address(name: str) -> None:
    text = (TEMPLATES[name] / "results.html").read_text(encoding="utf-8")
    assert FROM_ADDRESS in text
    assert "{short_name: shortName, all: 1}" in text


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_tutorial_links_to_the_tasks_of_its_own_project(name: str) -> None:
    # relative: the tutorial is shown at /project/<short_name>/tutorial
    text = (TEMPLATES[name] / "tutorial.html").read_text(encoding="utf-8")
    assert re.findall(r'href="([^"]*)"', text) == ["newtask"]


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_template_pages_give_no_warning_under_any_short_name(name: str, tmp_path: Path) -> None:
    folder = scaffold(name, tmp_path / "p", short_name="pbsynctest-prod")
    with (folder / "project.toml").open("a", encoding="utf-8") as toml:
        toml.write('\n[env.staging.project]\nshort_name = "pbsynctest-staging"\n')
    for page in PAGES:
        assert "pbsynctest-prod" not in (folder / page).read_text(encoding="utf-8")
    for env in (None, "staging"):
        local = LocalProject.load(folder, env=env)
        assert {"task_presenter", "tutorial", "results"} <= set(local.state.project.info)
        assert name_warnings(local) == []


@pytest.mark.parametrize("name", sorted(TEMPLATES))
@pytest.mark.parametrize("page", ["presenter.html", "results.html"])
def test_pages_never_inject_markup(name: str, page: str) -> None:
    for script in scripts(TEMPLATES[name] / page):
        assert not UNSAFE_JS.search(script), UNSAFE_JS.search(script)


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_presenter_is_keyboard_friendly(name: str) -> None:
    text = (TEMPLATES[name] / "presenter.html").read_text(encoding="utf-8")
    assert "keydown" in text or 'type="submit"' in text
    assert 'aria-live="polite"' in text
    assert '.trigger("focus")' in text or ".focus()" in text
    assert "onclick=" not in text  # handlers live in the script, on real buttons


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
@pytest.mark.parametrize("name", sorted(TEMPLATES))
@pytest.mark.parametrize("page", ["presenter.html", "results.html"])
def test_scripts_parse(name: str, page: str, tmp_path: Path) -> None:
    for index, script in enumerate(scripts(TEMPLATES[name] / page)):
        path = tmp_path / f"{index}.js"
        path.write_text(script, encoding="utf-8")
        result = subprocess.run(
            ["node", "--check", str(path)], capture_output=True, text=True, timeout=30
        )
        assert result.returncode == 0, result.stderr
