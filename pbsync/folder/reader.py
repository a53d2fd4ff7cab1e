"""`FolderReader`: reading files of a project folder while collecting problems.

The loader (project.py) and the helping-material reader (helping.py) share one reader per load: it
records the sha256 of every file read, turns bad UTF-8 and unsafe paths into `Problem`s instead of
raising, and knows the line of a project.toml key for messages. Every path it reads is checked by
`pbsync.folder.paths.checked_path` (inside the folder, no symlink out of it, a regular file), and
files are opened without blocking, so a FIFO swapped in after the check cannot hang a load.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pbsync.errors import Problem, UnsafePathError
from pbsync.folder.ignore import IgnoreRules
from pbsync.folder.manifest import PROJECT_TOML, TomlLines, close_match, syntax_problem
from pbsync.folder.paths import Kind, checked_path, describe
from pbsync.folder.storable import MAX_DEPTH, TOO_DEEP, deep_line, parse_float, too_deep
from pbsync.folder.taskfiles import decode_utf8

__all__ = ["FolderReader"]

log = logging.getLogger(__name__)

_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass
class FolderReader:
    """One load's reading context: the folder, the problems found, the hashes of files read.

    `lines` locates keys of the manifest (project.toml, or project.json for a pbs folder) named
    `manifest`; `explicit_files` are the `[files]` settings the manifest gives (so they must exist).
    """

    folder: Path
    problems: list[Problem] = field(default_factory=list)
    hashes: dict[str, str] = field(default_factory=dict)
    lines: TomlLines | None = None
    manifest: str = PROJECT_TOML
    explicit_files: frozenset[str] = frozenset()

    def problem(
        self, file: str, message: str, line: int | None = None, fld: str | None = None
    ) -> None:
        """Record a problem."""
        self.problems.append(Problem(file, message, line, fld))

    def manifest_problem(self, message: str, fld: str) -> None:
        """Record a problem with the manifest's field `fld`, on the line that sets it."""
        self.problem(self.manifest, message, self.line(fld), fld)

    def line(self, dotted: str) -> int | None:
        """The manifest line of a dotted key (None when unknown)."""
        return self.lines.line(dotted) if self.lines else None

    def check(self, relname: str, kind: Kind = "file", *, note: str = "") -> Path | None:
        """`folder/relname` when `checked_path` finds it safe to read; None and a problem if not.

        The path may be absent. `note` is added to the problem's message (" (files.presenter)").
        """
        try:
            return checked_path(self.folder, relname, kind=kind)
        except UnsafePathError as exc:
            self.problem(exc.path, exc.reason + note)
            return None

    def read_bytes(self, relname: str) -> bytes | None:
        """The bytes of a folder-relative file, recording their sha256; None (and a problem)
        when the path is unsafe or the file cannot be read."""
        path = self.check(relname)
        if path is None:
            return None
        try:
            data = _read_regular(path)
        except OSError as exc:
            self.problem(relname, f"cannot be read: {exc.strerror or exc}")
            return None
        self.hashes[relname] = hashlib.sha256(data).hexdigest()
        return data

    def hash_file(self, relname: str) -> str | None:
        """The sha256 of a folder-relative file (recorded as read); None when unreadable."""
        return None if self.read_bytes(relname) is None else self.hashes[relname]

    def read_text(self, relname: str) -> str | None:
        """The UTF-8 text of a folder-relative file; None (and a problem) when it is not UTF-8."""
        data = self.read_bytes(relname)
        if data is None:
            return None
        text, problem = decode_utf8(data, relname)
        if problem:
            self.problems.append(problem)
        return text

    def read_toml(
        self, relname: str, env: str | None = None
    ) -> tuple[dict[str, Any], TomlLines] | None:
        """Parse a TOML file; None (and a problem with the line) when it cannot be read.

        `env` names the `[env.NAME]` overlay whose lines `TomlLines` should prefer.
        """
        text = self.read_text(relname)
        if text is None:
            return None
        try:
            doc = tomllib.loads(text, parse_float=parse_float)
        except tomllib.TOMLDecodeError as exc:
            self.problems.append(syntax_problem(exc, relname))
            return None
        except RecursionError:  # tomllib gives up at about 300 levels, with no message
            self.problem(relname, TOO_DEEP, deep_line(text, MAX_DEPTH))
            return None
        lines = TomlLines(text, env)
        deep = too_deep(doc)  # `[a.b.c....]` headers nest without recursing in tomllib
        if deep is not None:
            self.problem(relname, TOO_DEEP, lines.first_under(deep.rstrip("…")), deep)
            return None
        return doc, lines

    def read_ignore(self) -> IgnoreRules:
        """The folder's ignore rules (built-in ones only when .pbsyncignore is unusable)."""
        try:
            return IgnoreRules.load(self.folder)
        except UnsafePathError as exc:
            self.problem(exc.path, exc.reason)
        except UnicodeDecodeError:
            self.read_text(".pbsyncignore")  # records the problem with its byte offset
        return IgnoreRules()

    def safe(self, relname: str, fld: str, *, must_exist: bool, kind: Kind = "file") -> Path | None:
        """The path for a folder-relative name the manifest's `fld` gives, or None.

        None (and a problem) when the name is absolute, climbs out with `..`, fails
        `checked_path` (a symlink leading out of the folder, not of the `kind` expected), or is
        missing while `must_exist`; the path of an absent file when merely absent.
        `must_exist` means the manifest names the file; a default name that is unsafe is reported
        against the file itself, since the manifest does not mention it.
        """
        posix = relname.replace("\\", "/")
        if posix.startswith("/") or _DRIVE.match(posix) or os.path.isabs(relname):
            self.manifest_problem(f"{relname!r}: absolute paths are not allowed", fld)
            return None
        if ".." in posix.split("/"):
            self.manifest_problem(f"{relname!r}: '..' would leave the project folder", fld)
            return None
        try:
            path = checked_path(self.folder, posix, kind=kind)
        except UnsafePathError as exc:
            if must_exist:
                part = "" if exc.path == posix else f"{exc.path} is "
                self.manifest_problem(f"{relname!r}: {part}{exc.reason}", fld)
            else:
                self.problem(exc.path, f"{exc.reason} ({fld})")
            return None
        if not os.path.lexists(path) and must_exist:
            self.manifest_problem(f"{relname!r} does not exist{self._nearby(posix)}", fld)
            return None
        return path

    def _nearby(self, posix: str) -> str:
        """ " (did you mean 'x'?)" naming a file beside a missing one with a close name."""
        parent = (self.folder / posix).parent
        if not parent.is_dir() or not self.inside(parent):
            return ""
        names = [p.relative_to(self.folder).as_posix() for p in parent.iterdir()]
        close = close_match(posix, names)
        return f" (did you mean {close!r}?)" if close else ""

    def inside(self, path: Path) -> bool:
        """Whether `path`, symlinks followed, stays inside the folder."""
        return path.resolve().is_relative_to(self.folder.resolve())

    def relative(self, path: Path) -> str:
        """`path` as a folder-relative POSIX string."""
        return path.relative_to(self.folder).as_posix()


def _read_regular(path: Path) -> bytes:
    """The bytes of a regular file, opened without blocking (a FIFO put there since the check
    would otherwise wait for a writer forever).

    Raises:
        OSError: unreadable, or not a regular file (any more).
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    with os.fdopen(fd, "rb") as handle:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise OSError(0, f"{describe(mode)}, not a regular file")
        return handle.read()
