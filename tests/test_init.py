"""`pbsync init` and `pbsync.folder.scaffold`: templates copied, names set, paths kept safe."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from pbsync.cli import main
from pbsync.folder.project import LocalProject
from pbsync.folder.scaffold import (
    DEFAULT_TEMPLATE,
    ScaffoldError,
    TemplateNotFoundError,
    derive_name,
    derive_short_name,
    find_template,
    list_templates,
    scaffold,
)

TEMPLATE_NAMES = [info.name for info in list_templates()]


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["init", *args])


def project_table(folder: Path) -> dict[str, object]:
    return tomllib.loads((folder / "project.toml").read_text(encoding="utf-8"))["project"]


def relative_files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def assert_one_error_line(result: Result, *fragments: str) -> None:
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in lines[0]


# ---- the command -------------------------------------------------------------------------------


def test_list_shows_every_template() -> None:
    result = run("--list")
    assert result.exit_code == 0, result.output
    for info in list_templates():
        assert info.name in result.output
        assert info.title in result.output


@pytest.mark.parametrize("template", TEMPLATE_NAMES)
def test_init_creates_a_loadable_project(template: str, tmp_path: Path) -> None:
    dest = tmp_path / "pbsynctest-demo"
    result = run(str(dest), "--template", template)
    assert result.exit_code == 0, result.output
    assert "pbsync push" in result.output

    info = find_template(template)
    assert relative_files(dest) == relative_files(info.path) - {"template.toml"}
    state = LocalProject.load(dest).state
    assert state.project.short_name == "pbsynctest-demo"
    assert state.project.name == "Pbsynctest demo"
    template_state = LocalProject.load(info.path).state
    assert len(state.tasks or ()) == len(template_state.tasks or ())
    assert [h.name for h in state.helping_materials] == [
        h.name for h in template_state.helping_materials
    ]
    presenter = state.project.info["task_presenter"]
    assert "pbsynctest-demo" not in presenter  # it learns the short_name from its address
    for path in dest.rglob("*.*"):
        if path.suffix in {".html", ".md", ".toml"}:
            assert "{{" not in path.read_text(encoding="utf-8"), path


def test_default_template_is_image_classification(tmp_path: Path) -> None:
    assert DEFAULT_TEMPLATE == "image-classification"
    result = run(str(tmp_path / "cats"))
    assert result.exit_code == 0, result.output
    expected = find_template("image-classification").path
    assert relative_files(tmp_path / "cats") == relative_files(expected) - {"template.toml"}


def test_init_without_a_directory_uses_the_current_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "Bird Count"
    folder.mkdir()
    monkeypatch.chdir(folder)
    result = run("--template", "transcription")
    assert result.exit_code == 0, result.output
    assert project_table(folder)["short_name"] == "bird-count"
    assert (folder / "tasks.json").is_file()


def test_name_and_short_name_options(tmp_path: Path) -> None:
    dest = tmp_path / "whatever"
    result = run(
        str(dest), "-t", "geo-pinning", "--name", "Où est Charlie ?", "--short-name", "wally"
    )
    assert result.exit_code == 0, result.output
    assert project_table(dest)["name"] == "Où est Charlie ?"
    assert project_table(dest)["short_name"] == "wally"
    assert "Où est Charlie ?" in (dest / "tutorial.html").read_text(encoding="utf-8")


def test_unknown_template_is_one_error_line(tmp_path: Path) -> None:
    result = run(str(tmp_path / "x"), "--template", "nope")
    assert_one_error_line(result, "nope", "image-classification")
    assert not (tmp_path / "x").exists()


def test_non_empty_destination_is_refused_without_force(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    result = run(str(tmp_path))
    assert_one_error_line(result, "not empty", "--force")
    assert relative_files(tmp_path) == {"notes.txt"}


def test_force_writes_the_template_and_keeps_other_files(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    (tmp_path / "presenter.html").write_text("old", encoding="utf-8")
    result = run(str(tmp_path), "--force", "--short-name", "pbsynctest-force")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert "pybossa.run(shortName)" in (tmp_path / "presenter.html").read_text(encoding="utf-8")


def test_destination_that_is_a_file_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x", encoding="utf-8")
    assert_one_error_line(run(str(target)), "not a folder")


def test_invalid_short_name_is_refused(tmp_path: Path) -> None:
    assert_one_error_line(run(str(tmp_path / "a"), "--short-name", "no spaces"), "short name")
    assert not (tmp_path / "a").exists()


def test_underivable_short_name_asks_for_one(tmp_path: Path) -> None:
    assert_one_error_line(run(str(tmp_path / "???")), "--short-name")


# ---- names -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("folder", "short_name"),
    [
        ("demo", "demo"),
        ("My Demo!", "my-demo"),
        ("Cats_2024", "cats_2024"),
        ("été 2024", "ete-2024"),
        ("--x--", "x"),
        ("a  -  b", "a-b"),
        ("UPPER.case", "upper-case"),
    ],
)
def test_derive_short_name(folder: str, short_name: str) -> None:
    assert derive_short_name(folder) == short_name


@pytest.mark.parametrize("folder", ["", "!!!", "日本", "-_-"])
def test_derive_short_name_refuses_empty_results(folder: str) -> None:
    with pytest.raises(ScaffoldError):
        derive_short_name(folder)


@pytest.mark.parametrize(
    ("short_name", "name"), [("demo", "Demo"), ("cat-spotting", "Cat spotting"), ("a_b-c", "A b c")]
)
def test_derive_name(short_name: str, name: str) -> None:
    assert derive_name(short_name) == name


def test_untrusted_name_is_escaped_for_each_file(tmp_path: Path) -> None:
    name = '</script><script>alert("x")</script> \\ "quoted"'
    dest = scaffold("image-classification", tmp_path / "p", name=name)
    assert project_table(dest)["name"] == name  # valid TOML, value intact
    for page in ("presenter.html", "tutorial.html", "results.html", "longdesc.md"):
        text = (dest / page).read_text(encoding="utf-8")
        assert "<script>alert" not in text, page
    assert "&lt;/script&gt;" in (dest / "tutorial.html").read_text(encoding="utf-8")


# ---- path safety -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "template", ["../templates/image-classification", "image-classification/..", "/etc", ".", ""]
)
def test_template_names_cannot_reach_other_folders(template: str, tmp_path: Path) -> None:
    with pytest.raises(TemplateNotFoundError):
        scaffold(template, tmp_path / "p")
    assert not (tmp_path / "p").exists()


def test_force_does_not_write_through_a_linked_folder(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "helping").symlink_to(outside, target_is_directory=True)
    with pytest.raises(ScaffoldError, match="a symlink leading out of the project folder"):
        scaffold("image-classification", dest, force=True)
    assert list(outside.iterdir()) == []


def test_force_replaces_a_linked_file_instead_of_writing_through_it(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me", encoding="utf-8")
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "presenter.html").symlink_to(victim)
    scaffold("image-classification", dest, force=True)
    assert victim.read_text(encoding="utf-8") == "keep me"
    assert not (dest / "presenter.html").is_symlink()


def test_every_write_stays_inside_the_destination(tmp_path: Path) -> None:
    before = set(os.listdir(tmp_path))
    for template in TEMPLATE_NAMES:
        scaffold(template, tmp_path / "inside" / template)
    assert set(os.listdir(tmp_path)) == before | {"inside"}
