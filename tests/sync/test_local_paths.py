"""`pbsync.folder.paths.checked_path`, the one check on every path pbsync reads and writes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pbsync.errors import Problem, UnsafePathError
from pbsync.folder.paths import Kind, checked_path

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="symlinks and FIFOs (POSIX)")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """proj/ with a file, a folder, links inside and out, a FIFO; outside/ beside it."""
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret").write_text("key", encoding="utf-8")
    root = tmp_path / "proj"
    (root / "sub").mkdir(parents=True)
    (root / "a.csv").write_text("x", encoding="utf-8")
    (root / "sub" / "b.csv").write_text("x", encoding="utf-8")
    (root / "in.csv").symlink_to("a.csv")
    (root / "insub").symlink_to("sub", target_is_directory=True)
    (root / "out.csv").symlink_to(tmp_path / "outside" / "secret")
    (root / "outdir").symlink_to(tmp_path / "outside", target_is_directory=True)
    (root / "loop").symlink_to("loop")
    (root / "dangling").symlink_to("nothing-here")
    os.mkfifo(root / "pipe.csv")
    return root


OUT = "a symlink leading out of the project folder"
NOT_INSIDE = "not a path inside the project folder"
CLIMBS = "'..' or NUL would leave the project folder"


@pytest.mark.parametrize(
    ("rel", "kind", "write", "replace", "error"),
    [
        ("a.csv", "file", False, False, None),
        ("sub/b.csv", "file", False, False, None),
        ("missing.csv", "file", False, False, None),  # absent is for the caller to judge
        ("missing/deeper.csv", "file", True, False, None),
        ("in.csv", "file", False, False, None),  # a link that stays inside may be read
        ("insub/b.csv", "file", False, False, None),
        ("dangling", "file", False, False, None),  # inside, to nothing: as absent
        ("sub", "dir", False, False, None),
        ("pipe.csv", None, False, False, None),
        ("out.csv", "file", False, False, ("out.csv", OUT)),
        ("outdir/secret", "file", False, False, ("outdir", OUT)),
        ("outdir", "dir", False, False, ("outdir", OUT)),
        ("loop", "file", False, False, ("loop", "a symlink that leads nowhere (a loop)")),
        ("pipe.csv", "file", False, False, ("pipe.csv", "a FIFO (named pipe), not a regular file")),
        ("sub", "file", False, False, ("sub", "a folder, not a regular file")),
        ("a.csv", "dir", False, False, ("a.csv", "a file, not a folder")),
        ("a.csv/x", "file", False, False, ("a.csv", "not a folder")),
        (
            "/etc/passwd",
            "file",
            False,
            False,
            ("/etc/passwd", NOT_INSIDE),
        ),
        (
            "sub/../../x",
            "file",
            False,
            False,
            ("sub/../../x", CLIMBS),
        ),
        ("a\x00b", "file", False, False, ("a\x00b", CLIMBS)),
        # writing: no symlink at all, unless a rename replaces the file's own link
        ("insub/b.csv", "file", True, False, ("insub", "a symlink: pbsync writes through none")),
        ("in.csv", "file", True, False, ("in.csv", "a symlink: pbsync writes through none")),
        ("in.csv", "file", True, True, None),
        ("out.csv", "file", True, True, None),
        ("outdir/new", "file", True, True, ("outdir", OUT)),
        ("pipe.csv", "file", True, True, ("pipe.csv", "a FIFO (named pipe), not a regular file")),
    ],
)
def test_checked_path(
    folder: Path,
    rel: str,
    kind: Kind,
    write: bool,
    replace: bool,
    error: tuple[str, str] | None,
) -> None:
    if error is None:
        assert checked_path(folder, rel, kind=kind, write=write, replace=replace) == folder / rel
        return
    with pytest.raises(UnsafePathError) as caught:
        checked_path(folder, rel, kind=kind, write=write, replace=replace)
    assert (caught.value.path, caught.value.reason) == error


def test_the_folder_itself_may_be_reached_through_a_symlink(folder: Path, tmp_path: Path) -> None:
    (tmp_path / "link").symlink_to(folder, target_is_directory=True)
    assert checked_path(tmp_path / "link", "in.csv") == tmp_path / "link" / "in.csv"
    with pytest.raises(UnsafePathError):
        checked_path(tmp_path / "link", "out.csv")


@pytest.mark.parametrize(
    ("problem", "text"),
    [
        (Problem("helping/a\nb.png", "bad"), "helping/a\\nb.png: bad"),
        (Problem("t.csv", "x\r\ny", 3, "f\t"), "t.csv:3: f\\t: x\\r\\ny"),
        (Problem("helping/\udcff.png", "bad"), "helping/\\udcff.png: bad"),
        (Problem("tasks.csv", "caf\u00e9 \u2028"), "tasks.csv: caf\u00e9 \\u2028"),
    ],
)
def test_a_problem_is_one_line_whatever_the_names_hold(problem: Problem, text: str) -> None:
    assert str(problem) == text
