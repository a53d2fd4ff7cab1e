"""LocalProject.load on valid folders: every format, overlays, helping materials, file records."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import openpyxl
import pytest

from pbsync.errors import ValidationError
from pbsync.folder.project import LocalProject
from pbsync.model import content_key

BASE = """\
[project]
name = "Is there a cat?"
short_name = "pbsynctest_cats"
description = "Spot cats."
"""


def make(folder: Path, toml: str = BASE, **files: str | bytes) -> Path:
    """Write project.toml and `files` into `folder` (a "__" in a name stands for "/")."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "project.toml").write_text(toml, encoding="utf-8")
    for name, content in files.items():
        path = folder / name.replace("__", "/")
        path.parent.mkdir(parents=True, exist_ok=True)
        data = content.encode("utf-8") if isinstance(content, str) else content
        path.write_bytes(data)
    return folder


def test_minimal_folder(tmp_path: Path) -> None:
    project = LocalProject.load(make(tmp_path))
    fields = project.state.project
    assert (fields.name, fields.short_name, fields.description) == (
        "Is there a cat?",
        "pbsynctest_cats",
        "Spot cats.",
    )
    # nothing else is managed
    assert fields.long_description is fields.category is fields.webhook is None
    assert fields.info == {}
    assert project.state.tasks is None
    assert project.state.helping_materials == ()
    assert project.folder == tmp_path.absolute()
    assert list(project.files) == ["project.toml"]


def test_snapshot_is_frozen(tmp_path: Path) -> None:
    project = LocalProject.load(make(tmp_path))
    with pytest.raises(dataclasses.FrozenInstanceError):
        project.folder = tmp_path  # type: ignore[misc]
    with pytest.raises(TypeError):
        project.files["x"] = "y"  # type: ignore[index]


def test_managed_fields_and_files(tmp_path: Path) -> None:
    toml = BASE + (
        'category = "sensing"\nwebhook = "https://example.org/h"\n'
        "allow_anonymous_contributors = false\nzip_download = true\npublished = false\n"
        '[project.info]\nsched = "breadth_first"\nthumbnail_url = "https://e.org/t.png"\n'
        "nested = { a = [1, 2.5, true] }\n"
    )
    folder = make(
        tmp_path,
        toml,
        **{"presenter.html": "<p>p</p>", "longdesc.md": "# Cats\n", "tutorial.html": "tut"},
    )
    fields = LocalProject.load(folder).state.project
    assert fields.category == "sensing"
    assert fields.webhook == "https://example.org/h"
    assert (fields.allow_anonymous_contributors, fields.zip_download, fields.published) == (
        False,
        True,
        False,
    )
    assert fields.long_description == "# Cats\n"
    assert fields.info == {
        "sched": "breadth_first",
        "thumbnail_url": "https://e.org/t.png",
        "nested": {"a": [1, 2.5, True]},
        "task_presenter": "<p>p</p>",
        "tutorial": "tut",
    }


def test_longdesc_html_fallback_and_custom_file_names(tmp_path: Path) -> None:
    folder = make(tmp_path, **{"longdesc.html": "<h1>x</h1>"})
    assert LocalProject.load(folder).state.project.long_description == "<h1>x</h1>"
    toml = BASE + '[files]\npresenter = "web/task.html"\nlong_description = "README.md"\n'
    other = make(tmp_path / "b", toml, **{"web__task.html": "T", "README.md": "R"})
    project = LocalProject.load(other)
    assert project.state.project.info == {"task_presenter": "T"}
    assert project.state.project.long_description == "R"
    assert project.config.files["presenter"] == "web/task.html"
    assert sorted(project.files) == ["README.md", "project.toml", "web/task.html"]


def test_files_record_sha256(tmp_path: Path) -> None:
    folder = make(tmp_path, **{"presenter.html": "abc"})
    files = LocalProject.load(folder).files
    assert files["presenter.html"] == hashlib.sha256(b"abc").hexdigest()


TASK_FORMATS = {
    "tasks.csv": "url,n_answers\nhttp://a,\nhttp://b,5\n",
    "tasks.json": '[{"url": "http://a"},\n {"url": "http://b", "n_answers": 5}]',
    "tasks.jsonl": '{"url": "http://a"}\n{"url": "http://b", "n_answers": 5}\n',
}


@pytest.mark.parametrize("name", sorted(TASK_FORMATS))
def test_tasks_in_each_text_format(tmp_path: Path, name: str) -> None:
    folder = make(tmp_path, BASE + "[tasks]\nn_answers = 3\n", **{name: TASK_FORMATS[name]})
    project = LocalProject.load(folder)
    tasks = project.state.tasks
    assert tasks is not None
    assert [(t.info, t.n_answers) for t in tasks] == [
        ({"url": "http://a"}, 3),
        ({"url": "http://b"}, 5),
    ]
    assert tasks[0].key == content_key({"url": "http://a"})
    assert tasks[1].source == f"{name}:{2 if name != 'tasks.csv' else 3}"
    assert project.config.task_files == (name,)
    assert project.config.task_defaults["n_answers"] == 3


def test_tasks_xlsx(tmp_path: Path) -> None:
    folder = make(tmp_path)
    book = openpyxl.Workbook()
    book.active.append(["url", "size"])
    book.active.append(["http://a", 3])
    book.save(folder / "tasks.xlsx")
    tasks = LocalProject.load(folder).state.tasks
    assert tasks is not None
    assert [(t.info, t.source) for t in tasks] == [({"url": "http://a", "size": 3}, "tasks.xlsx:2")]


def test_tasks_po(tmp_path: Path) -> None:
    folder = make(tmp_path, **{"tasks.po": 'msgid "Hi"\nmsgstr ""\n'})
    tasks = LocalProject.load(folder).state.tasks
    assert tasks is not None
    assert [t.info for t in tasks] == [{"msgid": "Hi"}]


def test_task_files_discovered_and_ignored(tmp_path: Path) -> None:
    folder = make(
        tmp_path,
        **{
            "tasks.csv": "a\n1\n",
            "tasks__more.jsonl": '{"a": "2"}\n',
            "tasks__draft.jsonl": '{"a": "3"}\n',
            "tasks__notes.txt": "not a task file",
            ".pbsyncignore": "tasks/draft.*\n",
        },
    )
    project = LocalProject.load(folder)
    assert project.config.task_files == ("tasks.csv", "tasks/more.jsonl")
    assert project.state.tasks is not None
    assert [t.info["a"] for t in project.state.tasks] == ["1", "2"]


def test_explicit_empty_task_list_manages_no_tasks(tmp_path: Path) -> None:
    folder = make(tmp_path, BASE + "[tasks]\nfiles = []\n", **{"tasks.csv": "a\n1\n"})
    assert LocalProject.load(folder).state.tasks == ()


def test_task_key_fields(tmp_path: Path) -> None:
    toml = BASE + '[tasks]\nkey = "url"\n'
    folder = make(tmp_path, toml, **{"tasks.csv": "url,caption\nhttp://a,x\n"})
    state = LocalProject.load(folder).state
    assert state.task_key_fields == ("url",)
    assert state.tasks is not None
    assert state.tasks[0].key == content_key({"url": "http://a"}, ("url",))


def test_helping_materials(tmp_path: Path) -> None:
    toml = BASE + (
        '[helping."map.png"]\npriority = 1\ninfo = { caption = "Map" }\n'
        '[helping.guide]\nmedia_url = "https://example.org/guide.pdf"\ninfo = { caption = "G" }\n'
    )
    folder = make(
        tmp_path,
        toml,
        **{
            "helping__map.png": b"\x89PNG",
            "helping__style.css": "body {}",
            "helping__style.css.info.toml": "priority = 0.5\n[info]\nkind = 'style'\n",
            "helping__.map.png.swp": b"swap",
        },
    )
    project = LocalProject.load(folder)
    by_name = {m.name: m for m in project.state.helping_materials}
    assert sorted(by_name) == ["guide", "map.png", "style.css"]
    png = by_name["map.png"]
    assert (png.info, png.priority, png.source) == ({"caption": "Map"}, 1.0, "helping/map.png")
    assert png.sha256 == hashlib.sha256(b"\x89PNG").hexdigest()
    assert png.file_path == str(folder.absolute() / "helping" / "map.png")
    assert png.media_url is None
    css = by_name["style.css"]
    assert (css.info, css.priority) == ({"kind": "style"}, 0.5)
    guide = by_name["guide"]
    assert (guide.sha256, guide.file_path, guide.media_url) == (
        None,
        None,
        "https://example.org/guide.pdf",
    )
    assert guide.info == {"caption": "G"}
    assert "helping/style.css.info.toml" in project.files


def test_env_overlay_is_deep_merged(tmp_path: Path) -> None:
    toml = BASE + (
        '[project.info]\nsched = "default"\nkeep = 1\n'
        '[env.staging.project]\nshort_name = "pbsynctest_cats_staging"\n'
        '[env.staging.project.info]\nsched = "breadth_first"\n'
        "[env.prod.tasks]\nn_answers = 5\n"
    )
    folder = make(tmp_path, toml)
    plain = LocalProject.load(folder)
    staged = LocalProject.load(folder, env="staging")
    assert plain.state.project.short_name == "pbsynctest_cats"
    assert staged.state.project.short_name == "pbsynctest_cats_staging"
    assert staged.state.project.info == {"sched": "breadth_first", "keep": 1}
    assert staged.state.project.name == plain.state.project.name
    assert staged.config.env == "staging"
    assert LocalProject.load(folder, env="prod").config.task_defaults["n_answers"] == 5


def test_unknown_env_lists_known_ones(tmp_path: Path) -> None:
    toml = BASE + "[env.staging.project]\nname = 'x'\n[env.prod.project]\nname = 'y'\n"
    with pytest.raises(
        ValidationError,
        match="unknown environment 'stage' \\(did you mean 'staging'\\? known: prod, staging\\)",
    ):
        LocalProject.load(make(tmp_path, toml), env="stage")


def test_all_problems_reported_at_once(tmp_path: Path) -> None:
    toml = '[project]\nname = "x"\nshort_name = "bad name"\ndescripton = "typo"\n'
    folder = make(
        tmp_path, toml, **{"tasks.csv": "a,n_answers\n1,0\n", "helping__doc.pdf": b"%PDF"}
    )
    with pytest.raises(ValidationError) as caught:
        LocalProject.load(folder)
    text = [str(p) for p in caught.value.problems]
    assert len(text) == 5, text
    joined = "\n".join(text)
    assert (
        "project.toml:4: project.descripton: unknown key 'descripton' (did you mean 'description'?)"
        in joined
    )
    assert "project.toml:1: project.description: required field is missing from [project]" in joined
    assert "project.toml:3: project.short_name" in joined
    assert "tasks.csv:2: n_answers: must be a positive integer, got 0" in joined
    assert "helping/doc.pdf: unsupported helping file type 'pdf'" in joined


def test_not_a_folder(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="no such folder"):
        LocalProject.load(tmp_path / "missing")
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(ValidationError, match="not a folder"):
        LocalProject.load(tmp_path / "file")
