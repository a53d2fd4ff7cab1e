"""The one check on every path pbsync reads or writes in a project folder: `checked_path`.

A project folder often comes from a cloned repository, so its symlinks and odd files are not
trusted. Every reader and writer asks `checked_path` before touching a path, and it applies one
set of rules:

- the path is folder-relative: not absolute, no `..` part, no NUL;
- a read may follow a symlink only when it leads back into the folder, whatever part of the path
  it is (`tasks.csv -> ~/.pybossa.cfg` and `tasks -> ~` alike);
- a write follows no symlink at all: a symlinked folder on the way is refused (`.pbsync -> /tmp`
  would put the state and the lock elsewhere), and so is a symlinked file, unless the writer
  `replace`s it (an atomic rename replaces the link itself, never what it points to);
- what is there is what the caller expects: a regular file (a FIFO would block its reader forever,
  a folder cannot be read as a file) or a folder. This is found with `stat`, never by opening.

Callers: the loader (`FolderReader` turns the error into a `Problem`), `.pbsyncignore`
(`IgnoreRules.load`), the sync record and the push lock (`pbsync.sync.record`), pull's writes
(`pbsync.pulling.write.check_target`) and `pbsync init` (`pbsync.folder.scaffold`).

What it cannot promise: a path swapped between the check and the use (the reader therefore opens
files without blocking and checks again what it opened); hard links, which are not symlinks and
cannot be told from a file of the folder.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Literal

from pbsync.errors import UnsafePathError

__all__ = ["Kind", "checked_path", "describe", "helping_dir_problem"]

log = logging.getLogger(__name__)

#: what the caller expects at the path: a regular file, a folder, or anything (None)
Kind = Literal["file", "dir"] | None

_OUT = "a symlink leading out of the project folder"


def checked_path(
    folder: Path,
    rel: str,
    *,
    kind: Kind = "file",
    write: bool = False,
    replace: bool = False,
) -> Path:
    """`folder/rel` once it is known to be safe to read (or, with `write`, to write).

    The path may be absent (callers decide whether that is an error); when it exists, it is of
    the `kind` expected.

    Args:
        folder: the project folder (it may itself be reached through a symlink).
        rel: a folder-relative, "/"-separated path.
        kind: "file" (a regular file), "dir" (a folder), or None (not checked).
        write: the caller will write there: no symlink anywhere on the path.
        replace: with `write`, the caller replaces the file by a rename, so a symlink in its
            place is replaced as a link and is allowed.

    Raises:
        UnsafePathError: `rel` is absolute or climbs out, a part of it is a symlink it may not
            follow, or what is there is not of the `kind` expected. Its `path` names the part.
    """
    parts = PurePosixPath(rel).parts
    if not parts or os.path.isabs(rel) or rel.startswith("/"):
        raise UnsafePathError(rel, "not a path inside the project folder")
    if ".." in parts or "\x00" in rel:
        raise UnsafePathError(rel, "'..' or NUL would leave the project folder")
    path = Path(folder)
    for depth, part in enumerate(parts, 1):
        path = path / part
        try:
            mode = os.lstat(path).st_mode
        except FileNotFoundError:
            return Path(folder, *parts)  # absent: nothing further down exists either
        except NotADirectoryError:
            raise UnsafePathError("/".join(parts[: depth - 1]), "not a folder") from None
        replaced = write and replace and depth == len(parts)  # a rename replaces the link itself
        if stat.S_ISLNK(mode) and not replaced:
            _check_link(folder, path, "/".join(parts[:depth]), write)
    return _check_kind(path, rel, kind, write and replace)


def _check_link(folder: Path, path: Path, shown: str, writing: bool) -> None:
    try:
        inside = path.resolve().is_relative_to(Path(folder).resolve())
    except (OSError, RuntimeError):  # a loop of links
        raise UnsafePathError(shown, "a symlink that leads nowhere (a loop)") from None
    if not inside:
        raise UnsafePathError(shown, _OUT)
    if writing:
        raise UnsafePathError(shown, "a symlink: pbsync writes through none")


def _check_kind(path: Path, rel: str, kind: Kind, link_replaced: bool) -> Path:
    try:
        mode = (os.lstat if link_replaced else os.stat)(path).st_mode
    except FileNotFoundError:
        return path  # a symlink to nothing (inside the folder): as absent
    if kind == "file" and not stat.S_ISREG(mode) and not stat.S_ISLNK(mode):
        raise UnsafePathError(rel, f"{describe(mode)}, not a regular file")
    if kind == "dir" and not stat.S_ISDIR(mode):
        raise UnsafePathError(rel, f"{describe(mode)}, not a folder")
    return path


def describe(mode: int) -> str:
    """What a file of this `st_mode` is, for messages ("a FIFO", "a folder", ...)."""
    kinds = (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISREG, "a file"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISLNK, "a symlink"),
    )
    return next((name for test, name in kinds if test(mode)), "a special file")


def helping_dir_problem(rel: str, others: Mapping[str, str]) -> str | None:
    """Why `rel` cannot be the helping folder (`[files] helping`), or None when it can.

    Pull removes the files of the helping folder the server does not have, so the folder must
    hold nothing else pbsync reads or keeps: it is a subfolder of the project folder, neither
    `.pbsync` nor inside it, and none of `others` (field -> folder-relative file the folder
    reads: its pages, bundle and task files) lies inside it.
    """
    posix = rel.replace("\\", "/")
    parts = PurePosixPath(posix).parts
    if posix.startswith("/") or os.path.isabs(rel) or ".." in parts or "\x00" in rel:
        return f"{rel!r}: not a folder inside the project folder"
    if not parts:
        return (
            f"{rel!r} is the project folder itself: name a subfolder (pull removes the files of"
            " the helping folder that the server does not have)"
        )
    if parts[0].casefold() == ".pbsync":
        return f"{rel!r}: .pbsync is pbsync's own folder, it cannot hold helping files"
    inside = [part.casefold() for part in parts]
    for fld, other in others.items():
        other_parts = [p.casefold() for p in PurePosixPath(other.replace("\\", "/")).parts]
        if other_parts[: len(inside)] == inside and len(other_parts) > len(inside):
            return f"{rel!r} holds {other} ({fld}): a helping folder holds helping files only"
    return None
