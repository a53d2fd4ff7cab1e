"""pull writes the pages where the folder keeps them (issue 12: pbs users move over).

A folder's `[files]` names (or, for a pbs folder with only project.json, pbs's names) say which
files hold the presenter, long description, tutorial and results; a `[files] bundle` (pbs's
bundle.min.js) is appended to the presenter by the loader and stripped again by pull. Each test
pushes a folder, changes the project from another copy (a plain pulled folder), and pulls back.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from pull_layout_kit import (
    BUNDLE_JS,
    SHORT,
    TASKS,
    Run,
    assert_in_sync,
    cli,
    files_of,
    pbs_folder,
    pull,
    push,
)

SCRIPT = f"<script>\n{BUNDLE_JS}\n</script>"


@pytest.fixture
def run(endpoint: str, api_key: str, clean_server: None, tmp_path: Path) -> Run:
    return cli(endpoint, api_key, tmp_path)


def change_from_another_copy(run: Run, tmp_path: Path, old: str, new: str) -> None:
    """Pull a plain copy, replace `old` by `new` in its presenter.html, push it."""
    other = tmp_path / "other"
    result = run("pull", SHORT, str(other))
    assert result.exit_code == 0, result.output
    presenter = other / "presenter.html"
    text = presenter.read_text(encoding="utf-8")
    assert old in text
    presenter.write_text(text.replace(old, new), encoding="utf-8")
    push(run, other)


def test_pull_writes_the_pages_under_the_files_names(run: Run, tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "project.toml").write_text(
        f'[project]\nname = "Pages"\nshort_name = "{SHORT}"\ndescription = "custom"\n\n'
        '[files]\npresenter = "task.html"\nlong_description = "about.md"\n'
        'results = "pages/res.html"\n',
        encoding="utf-8",
    )
    (folder / "task.html").write_text("<p>circle</p>\n", encoding="utf-8")
    (folder / "about.md").write_text("# About\n", encoding="utf-8")
    (folder / "pages").mkdir()
    (folder / "pages" / "res.html").write_text("<div id='r'></div>\n", encoding="utf-8")
    (folder / "tasks.csv").write_text(TASKS, encoding="utf-8")
    push(run, folder)
    before = files_of(folder)
    change_from_another_copy(run, tmp_path, "circle", "round shape")

    # an unsynced edit of the named file is protected like any other
    (folder / "task.html").write_text("<p>circle, mine</p>\n", encoding="utf-8")
    refused = pull(run, folder)
    assert refused.exit_code == 1
    assert "task.html" in refused.stderr, refused.output
    assert files_of(folder) == {**before, "task.html": b"<p>circle, mine</p>\n"}
    (folder / "task.html").write_bytes(before["task.html"])

    result = pull(run, folder)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["written"] == ["task.html"]
    after = files_of(folder)
    assert sorted(after) == sorted(before)  # no presenter.html beside task.html
    assert after["task.html"] == b"<p>round shape</p>\n"
    assert after["project.toml"] == before["project.toml"]
    assert_in_sync(run, folder)


def test_pull_into_a_converted_pbs_folder_strips_the_bundle(run: Run, tmp_path: Path) -> None:
    folder = pbs_folder(tmp_path / "app")
    converted = run("convert", str(folder))
    assert converted.exit_code == 0, converted.output
    push(run, folder)
    # the server's presenter is the template and the bundle: nothing to write
    result = pull(run, folder)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["written"] == []
    before = files_of(folder)

    change_from_another_copy(run, tmp_path, "<div id='q'>", "<div id='question'>")
    result = pull(run, folder)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["written"] == ["template.html"]
    after = files_of(folder)
    assert sorted(after) == sorted(before)  # no presenter.html
    assert after["template.html"] == b"<div id='question'></div>\n"  # without the bundle
    assert {k: v for k, v in after.items() if k != "template.html"} == {
        k: v for k, v in before.items() if k != "template.html"
    }
    assert_in_sync(run, folder)


@pytest.mark.parametrize("convert", [True, False], ids=["converted", "project.json"])
def test_a_presenter_edited_in_its_bundle_part_stops_the_pull(
    run: Run, tmp_path: Path, convert: bool
) -> None:
    folder = pbs_folder(tmp_path / "app")
    if convert:
        assert run("convert", str(folder)).exit_code == 0
    push(run, folder)
    before = files_of(folder)
    change_from_another_copy(run, tmp_path, "{run:1}", "{run:2}")

    refused = pull(run, folder)
    assert refused.exit_code == 1
    message = [line for line in refused.stderr.splitlines() if line.strip()]
    assert len(message) == 1 and not message[0].endswith("..."), refused.stderr
    for name in ("template.html", "bundle.min.js", "--force"):
        assert name in message[0], message
    assert files_of(folder) == before  # nothing written

    forced = pull(run, folder, "--force")
    assert forced.exit_code == 0, forced.output
    report = json.loads(forced.stdout)
    assert any("bundle.min.js is no longer appended" in w for w in report["warnings"]), report
    after = files_of(folder)
    assert sorted(after) == sorted({*before, "project.toml"})
    whole = "<div id='q'></div>\n" + SCRIPT.replace("{run:1}", "{run:2}")
    assert after["template.html"].decode("utf-8") == whole
    assert after["bundle.min.js"] == before["bundle.min.js"]
    files = tomllib.loads(after["project.toml"].decode("utf-8"))["files"]
    assert "bundle" not in files and files["presenter"] == "template.html"
    assert_in_sync(run, folder)


def test_pull_into_a_pbs_folder_with_only_project_json(run: Run, tmp_path: Path) -> None:
    folder = pbs_folder(tmp_path / "app")
    push(run, folder)
    before = files_of(folder)
    change_from_another_copy(run, tmp_path, "<div id='q'>", "<div id='question'>")

    result = pull(run, folder)
    assert result.exit_code == 0, result.output
    assert sorted(json.loads(result.stdout)["written"]) == ["project.toml", "template.html"]
    after = files_of(folder)
    assert sorted(after) == sorted([*before, "project.toml"])  # no presenter.html, longdesc.md
    assert after["template.html"] == b"<div id='question'></div>\n"
    for name in ("project.json", "long_description.md", "results.html", "bundle.min.js"):
        assert after[name] == before[name], name
    # the folder keeps reading pbs's files, and appending the bundle, as pbs does
    files = tomllib.loads(after["project.toml"].decode("utf-8"))["files"]
    assert files == {
        "presenter": "template.html",
        "long_description": "long_description.md",
        "results": "results.html",
        "bundle": "bundle.min.js",
    }
    assert_in_sync(run, folder)


def test_a_named_page_the_server_empties_goes_with_its_setting(run: Run, tmp_path: Path) -> None:
    folder = pbs_folder(tmp_path / "app")
    assert run("convert", str(folder)).exit_code == 0
    push(run, folder)
    other = tmp_path / "other"
    assert run("pull", SHORT, str(other)).exit_code == 0
    (other / "results.html").unlink()  # a removed file is unmanaged: say it is empty instead
    toml = other / "project.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + '\n[project.info]\nresults = ""\n')
    push(run, other)

    result = pull(run, folder)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["removed"] == ["results.html"]
    doc = tomllib.loads((folder / "project.toml").read_text(encoding="utf-8"))
    assert "results" not in doc["files"]  # the loader would require the named file
    assert doc["project"]["info"] == {"results": ""}
    assert_in_sync(run, folder)
