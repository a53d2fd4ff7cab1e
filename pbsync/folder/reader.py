"""`FolderReader`: reading files of a project folder while collecting problems.

The loader (project.py) and the helping-material reader (helping.py) share one reader per load: it
records the sha256 of every file read, turns bad UTF-8 and unsafe paths into `Problem`s instead of
raising, and knows the line of a project.toml key for messages.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pbsync.errors import Problem
from pbsync.folder.ignore import IgnoreRules
from pbsync.folder.manifest import PROJECT_TOML, TomlLines, close_match, syntax_problem
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

    def read_bytes(self, relname: str) -> bytes:
        """The bytes of a folder-relative file, recording their sha256."""
        data = (self.folder / relname).read_bytes()
        self.hashes[relname] = hashlib.sha256(data).hexdigest()
        return data

    def hash_file(self, relname: str) -> str:
        """The sha256 of a folder-relative file (recorded as read)."""
        self.read_bytes(relname)
        return self.hashes[relname]

    def read_text(self, relname: str) -> str | None:
        """The UTF-8 text of a folder-relative file; None (and a problem) when it is not UTF-8."""
        text, problem = decode_utf8(self.read_bytes(relname), relname)
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
            doc = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            self.problems.append(syntax_problem(exc, relname))
            return None
        return doc, TomlLines(text, env)

    def read_ignore(self) -> IgnoreRules:
        """The folder's ignore rules (built-in ones only when .pbsyncignore is not UTF-8)."""
        try:
            return IgnoreRules.load(self.folder)
        except UnicodeDecodeError:
            self.read_text(".pbsyncignore")  # records the problem with its byte offset
            return IgnoreRules()

    def safe(self, relname: str, fld: str, *, must_exist: bool) -> Path | None:
        """The path for a folder-relative name the manifest's `fld` gives, or None.

        None (and a problem) when the name is absolute, climbs out with `..`, is a symlink leading
        out of the folder, or is missing while `must_exist`; None alone when merely absent.
        `must_exist` means the manifest names the file; a default name that is a symlink leading
        out is reported against the file itself, since the manifest does not mention it.
        """
        posix = relname.replace("\\", "/")
        if posix.startswith("/") or _DRIVE.match(posix) or os.path.isabs(relname):
            self.manifest_problem(f"{relname!r}: absolute paths are not allowed", fld)
            return None
        if ".." in posix.split("/"):
            self.manifest_problem(f"{relname!r}: '..' would leave the project folder", fld)
            return None
        path = self.folder / posix
        if path.is_symlink() or path.exists():
            if not self.inside(path):
                if must_exist:
                    self.manifest_problem(f"{relname!r}: a symlink leading out of the folder", fld)
                else:
                    self.problem(posix, f"a symlink leading out of the project folder ({fld})")
                return None
        elif must_exist:
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
