"""Table tests for the ignore rules (pure: no files)."""

from __future__ import annotations

import pytest

from pbsync.folder.ignore import IgnoreRules

BUILTIN_CASES = [
    (".git/HEAD", True),
    ("sub/.git/config", True),
    (".pbsync/state.json", True),
    ("helping/__pycache__/x.pyc", True),
    ("presenter.html.swp", True),
    (".presenter.html.swp", True),
    ("helping/.map.png.swo", True),
    ("presenter.html~", True),
    (".#presenter.html", True),
    ("#presenter.html#", True),
    ("4913", True),
    ("helping/4913", True),
    (".DS_Store", True),
    ("helping/.DS_Store", True),
    ("presenter.html", False),
    ("helping/map.png", False),
    ("tasks.csv", False),
    ("git/HEAD", False),
    ("49130", False),
    ("project.toml", False),
    (".pbsyncignore", False),
]


@pytest.mark.parametrize(("path", "ignored"), BUILTIN_CASES)
def test_builtin_rules(path: str, ignored: bool) -> None:
    assert IgnoreRules().matches(path) is ignored


USER_CASES = [
    (["*.psd"], "helping/art.psd", True),
    (["*.psd"], "helping/art.png", False),
    (["drafts/"], "drafts/a.html", True),
    (["drafts/"], "helping/drafts/a.png", True),
    (["drafts/"], "drafts", False),
    (["/notes.txt"], "notes.txt", True),
    (["/notes.txt"], "sub/notes.txt", False),
    (["helping/raw/**"], "helping/raw/a/b.png", True),
    (["*.tmp", "!keep.tmp"], "keep.tmp", False),
    (["!*.swp"], "presenter.html.swp", False),  # the user's file may re-include a built-in
    (["build/", "!build/x.png"], "build/x.png", True),  # git: no re-include inside ignored dir
    (["# a comment", "", "   "], "# a comment", False),
    (["\\#literal"], "#literal", True),
]


@pytest.mark.parametrize(("lines", "path", "ignored"), USER_CASES)
def test_user_rules(lines: list[str], path: str, ignored: bool) -> None:
    assert IgnoreRules.from_lines(lines).matches(path) is ignored


@pytest.mark.parametrize(
    ("path", "is_dir", "ignored"),
    [
        ("drafts", True, True),
        ("drafts", False, False),
        ("./drafts/x", False, True),
        ("", False, False),
    ],
)
def test_directory_flag(path: str, is_dir: bool, ignored: bool) -> None:
    assert IgnoreRules.from_lines(["drafts/"]).matches(path, is_dir=is_dir) is ignored


def test_windows_separators_are_normalised() -> None:
    assert IgnoreRules.from_lines(["drafts/"]).matches("drafts\\a.html")


def test_load_reads_the_folder_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert not IgnoreRules.load(tmp_path).matches("a.psd")
    (tmp_path / ".pbsyncignore").write_text("# art\n*.psd\r\n", encoding="utf-8")
    rules = IgnoreRules.load(tmp_path)
    assert rules.patterns == ("*.psd",)
    assert rules.matches("a.psd")


def test_a_byte_order_mark_is_not_part_of_the_first_pattern(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / ".pbsyncignore").write_bytes(b"\xef\xbb\xbf*.psd\n")
    assert IgnoreRules.load(tmp_path).matches("a.psd")
