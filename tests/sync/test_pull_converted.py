"""pull keeps a converted pbs folder's layout (issue 12: pbs users move over).

A pbs helping-materials file becomes `[helping."NAME"] file = "PATH"` (the file stays where pbs
had it) and `file = false` (info only); `[files] helping` names the helping folder; a pbs folder
keeps pbs's page names. Each test pushes a folder, changes the project from a copy of it (another
clone of the same repository), and pulls back.
"""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from frompbs.corpus import PNG, write_helping
from pull_layout_kit import SHORT, TASKS, Run, assert_in_sync, cli, files_of, pbs_folder, pull, push

import pbsync
from pbclient.client import Client
from pbsync.errors import PullError
from pbsync.server import LocalServer


@pytest.fixture
def run(endpoint: str, api_key: str, clean_server: None, tmp_path: Path) -> Run:
    return cli(endpoint, api_key, tmp_path)


def another_clone(folder: Path) -> Path:
    """A copy of `folder`, pbsync's record of the last sync included (as a second clone has)."""
    return Path(shutil.copytree(folder, folder.with_name(folder.name + "-clone")))


def toml_of(folder: Path) -> dict[str, object]:
    return tomllib.loads((folder / "project.toml").read_text(encoding="utf-8"))


def converted(run: Run, tmp_path: Path) -> Path:
    """A pbs folder with a helping-materials file, converted and pushed."""
    folder = pbs_folder(tmp_path / "app")
    write_helping(folder)
    result = run("convert", str(folder), "--helping-materials-file", "helping.json")
    assert result.exit_code == 0, result.output
    helping = toml_of(folder)["helping"]
    assert helping == {
        "map.png": {"name": "map", "file": "img/map.png", "info": {"caption": "Where"}},
        "helping-2": {"file": False, "info": {"text": "Count every cat.", "step": 2}},
    }
    push(run, folder)
    return folder


def change_the_materials_on_a_clone(run: Run, folder: Path) -> bytes:
    """Push a new img/map.png and new info of helping-2 from a clone; return the new file."""
    clone = another_clone(folder)
    new_png = PNG + b"new map"
    (clone / "img" / "map.png").write_bytes(new_png)
    text = (clone / "project.toml").read_text(encoding="utf-8")
    (clone / "project.toml").write_text(text.replace("Count every cat.", "Count the dogs."))
    push(run, clone)
    return new_png


def test_pull_writes_a_material_kept_elsewhere_to_its_file(run: Run, tmp_path: Path) -> None:
    folder = converted(run, tmp_path)
    with (folder / "project.toml").open("a", encoding="utf-8") as toml:
        toml.write("# kept by hand\n")  # a comment pull must keep: the text is edited in place
    push(run, folder)
    assert json.loads(pull(run, folder).stdout)["written"] == []
    before = files_of(folder)

    new_png = change_the_materials_on_a_clone(run, folder)

    # an unsynced edit of the material's file is protected like any other
    (folder / "img" / "map.png").write_bytes(PNG + b"mine")
    refused = pull(run, folder)
    assert refused.exit_code == 1
    assert "img/map.png" in refused.stderr, refused.output
    (folder / "img" / "map.png").write_bytes(before["img/map.png"])
    assert files_of(folder) == before

    result = pull(run, folder)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert sorted(report["written"]) == ["img/map.png", "project.toml"]
    assert report["downloads"] == 1 and report["removed"] == []
    after = files_of(folder)
    assert sorted(after) == sorted(before)  # no helping/map beside img/map.png
    assert after["img/map.png"] == new_png
    toml = after["project.toml"].decode("utf-8")
    assert toml == before["project.toml"].decode("utf-8").replace("every cat", "the dogs")
    assert_in_sync(run, folder)
    again = json.loads(pull(run, folder).stdout)
    assert again["downloads"] == 0  # the same sha256: not fetched again


def test_a_failed_download_of_a_material_kept_elsewhere_changes_nothing(
    run: Run, tmp_path: Path, endpoint: str, api_key: str, local_server: LocalServer
) -> None:
    folder = converted(run, tmp_path)
    new_png = change_the_materials_on_a_clone(run, folder)
    before = files_of(folder)
    # a client whose backoffs are not slept (the retries still happen)
    with Client(endpoint, api_key, sleep=lambda seconds: None) as client:
        project = client.projects.by_short_name(SHORT)
        assert project is not None
        [url] = [
            row["media_url"]
            for row in client.helping_materials.rows(project_id=project.id)
            if row["info"]["name"] == "map"
        ]
        local_server.faults.add(50, status=503, path=urlsplit(url).path, method="GET")
        with pytest.raises(PullError, match=r"nothing in .* was changed: helping map"):
            pbsync.pull(client, SHORT, folder)
        assert files_of(folder) == before
        local_server.faults.clear()
        report = pbsync.pull(client, SHORT, folder)
    assert sorted(report.written) == ["img/map.png", "project.toml"]
    assert (folder / "img" / "map.png").read_bytes() == new_png
    assert_in_sync(run, folder)


def test_a_material_with_info_only_is_pulled_as_one(run: Run, tmp_path: Path) -> None:
    folder = converted(run, tmp_path)
    fresh = tmp_path / "fresh"
    result = pull(run, fresh)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert not [w for w in report["warnings"] if "helping-2" in w], report["warnings"]
    entry = toml_of(fresh)["helping"]["helping-2"]  # type: ignore[index]
    assert entry == toml_of(folder)["helping"]["helping-2"]  # type: ignore[index]
    assert_in_sync(run, fresh)


def test_pull_honours_the_helping_folder_named_in_files(run: Run, tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    (folder / "media").mkdir(parents=True)
    (folder / "project.toml").write_text(
        f'[project]\nname = "Media"\nshort_name = "{SHORT}"\ndescription = "media"\n\n'
        '[files]\nhelping = "media"\n',
        encoding="utf-8",
    )
    (folder / "presenter.html").write_text("<p>look</p>\n", encoding="utf-8")
    (folder / "tasks.csv").write_text(TASKS, encoding="utf-8")
    for name in ("a.png", "b.png"):
        (folder / "media" / name).write_bytes(PNG + name.encode())
    push(run, folder)
    before = files_of(folder)

    clone = another_clone(folder)
    (clone / "media" / "a.png").write_bytes(PNG + b"a, again")
    (clone / "media" / "b.png").unlink()
    (clone / "media" / "c.png").write_bytes(PNG + b"c")
    pushed = run("push", str(clone), "--prune", "--yes")
    assert pushed.exit_code == 0, pushed.output

    result = pull(run, folder)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert sorted(report["written"]) == ["media/a.png", "media/c.png"]
    assert report["removed"] == ["media/b.png"]
    after = files_of(folder)
    assert not (folder / "helping").exists()
    assert sorted(after) == sorted({*before, "media/c.png"} - {"media/b.png"})
    assert after["media/a.png"] == PNG + b"a, again"
    assert after["project.toml"] == before["project.toml"]
    assert_in_sync(run, folder)


@pytest.mark.parametrize(
    ("helping", "why"),
    [
        (".", "the project folder itself"),
        ("./", "the project folder itself"),
        (".pbsync/helping", "pbsync's own folder"),
        ("pages", "holds pages/res.html (files.results)"),
        ("tasks", "holds tasks/* (the default search for task files)"),
    ],
)
def test_a_helping_folder_holding_other_files_is_refused(
    run: Run, tmp_path: Path, local_server: LocalServer, helping: str, why: str
) -> None:
    folder = tmp_path / "mine"
    (folder / "pages").mkdir(parents=True)
    toml = (
        f'[project]\nname = "Media"\nshort_name = "{SHORT}"\ndescription = "media"\n\n'
        '[files]\nresults = "pages/res.html"\n'
    )
    (folder / "project.toml").write_text(toml, encoding="utf-8")
    (folder / "pages" / "res.html").write_text("<div id='r'></div>\n", encoding="utf-8")
    (folder / "tasks").mkdir()
    (folder / "tasks" / "cities.csv").write_text(TASKS, encoding="utf-8")
    push(run, folder)
    # pull would remove what it finds in the helping folder and the server does not have
    (folder / "project.toml").write_text(toml + f'helping = "{helping}"\n', encoding="utf-8")
    before = files_of(folder)

    for command in (("validate", str(folder)), ("pull", SHORT, str(folder))):
        local_server.stats.reset()
        result = run(*command)
        assert result.exit_code == 1, result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert "project.toml:8: files.helping:" in lines[0] and why in lines[0], lines
        assert local_server.stats.total() == 0  # refused before any request
        assert files_of(folder) == before


def test_a_new_page_of_a_converted_pbs_folder_goes_under_pbs_name(run: Run, tmp_path: Path) -> None:
    folder = pbs_folder(tmp_path / "app")
    (folder / "long_description.md").unlink()  # no long description yet
    assert run("convert", str(folder)).exit_code == 0
    assert "long_description" not in toml_of(folder)["files"]  # type: ignore[operator]
    push(run, folder)
    before = files_of(folder)

    clone = another_clone(folder)
    (clone / "longdesc.md").write_text("# About us\n", encoding="utf-8")  # pbsync's default
    push(run, clone)

    result = pull(run, folder)
    assert result.exit_code == 0, result.output
    assert sorted(json.loads(result.stdout)["written"]) == ["long_description.md", "project.toml"]
    after = files_of(folder)
    assert sorted(after) == sorted({*before, "long_description.md"})  # pbs reads it there
    assert after["long_description.md"] == b"# About us\n"
    files = toml_of(folder)["files"]
    assert files["long_description"] == "long_description.md"  # type: ignore[index]
    assert_in_sync(run, folder)


def test_a_material_named_without_its_extension_is_pulled_as_a_file(
    run: Run, tmp_path: Path
) -> None:
    # pbs's helping file named the material "map" for img/map.png: a pull into a new folder
    # keeps the file (under its stored extension) and the name, not a link with a warning
    folder = converted(run, tmp_path)
    fresh = tmp_path / "fresh"
    result = run("pull", SHORT, str(fresh), "--json")
    assert result.exit_code == 0, result.output
    assert not [w for w in json.loads(result.stdout)["warnings"] if "link" in w]
    assert (fresh / "helping" / "map.png").read_bytes() == (folder / "img" / "map.png").read_bytes()
    assert toml_of(fresh)["helping"]["map.png"]["name"] == "map"
    assert_in_sync(run, fresh)
