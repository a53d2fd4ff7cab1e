"""Which files of a project folder pbsync ignores.

Two sources, in this order (later lines win, as in git): the built-in patterns below (VCS,
pbsync's own state, caches, editor temp/swap files) and the folder's `.pbsyncignore` (gitignore
syntax, so a `!pattern` there can re-include something a built-in pattern ignores, e.g. `!*.tmp`).
Paths are folder-relative POSIX strings. Like git, a file inside an ignored directory stays
ignored whatever later lines say.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

from pbsync.folder.paths import checked_path

__all__ = ["BUILTIN_PATTERNS", "IGNORE_FILE", "IgnoreRules"]

log = logging.getLogger(__name__)

#: the per-folder ignore file
IGNORE_FILE = ".pbsyncignore"

#: always ignored unless `.pbsyncignore` re-includes them
BUILTIN_PATTERNS: tuple[str, ...] = (
    ".git/",
    ".hg/",
    ".svn/",
    ".pbsync/",
    "__pycache__/",
    "*.pyc",
    ".DS_Store",
    "Thumbs.db",
    # editors: vim swap files and its write test file, emacs backups/locks/autosaves, generic temp
    "*.swp",
    "*.swo",
    "*.swx",
    "4913",
    "*~",
    ".#*",
    "\\#*#",  # emacs autosave (escaped: a leading # starts a comment)
    "*.tmp",
    # JetBrains' "safe write" temp and backup files
    "*___jb_tmp___",
    "*___jb_old___",
)


@dataclass(frozen=True)
class IgnoreRules:
    """Compiled ignore patterns; `matches(path)` says whether a folder-relative path is ignored."""

    patterns: tuple[str, ...] = ()
    _spec: pathspec.PathSpec = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        lines = [*BUILTIN_PATTERNS, *self.patterns]
        object.__setattr__(self, "_spec", pathspec.GitIgnoreSpec.from_lines(lines))

    @classmethod
    def from_lines(cls, lines: Iterable[str]) -> IgnoreRules:
        """Build rules from `.pbsyncignore` lines (comments and blank lines are dropped)."""
        kept = []
        for raw in lines:
            line = raw.rstrip("\r\n")
            if line.strip() and not line.lstrip().startswith("#"):
                kept.append(line)
        return cls(tuple(kept))

    @classmethod
    def load(cls, folder: Path) -> IgnoreRules:
        """Read `folder/.pbsyncignore` (absent: built-in rules only).

        Raises:
            UnicodeDecodeError: the file is not UTF-8 (folder/project.py turns this into a Problem).
            pbsync.errors.UnsafePathError: it is a symlink leading out of the folder, a FIFO...
        """
        path = checked_path(folder, IGNORE_FILE)
        if not path.is_file():
            return cls()
        # utf-8-sig: a BOM (some Windows editors write one) must not become part of a pattern
        return cls.from_lines(path.read_bytes().decode("utf-8-sig").splitlines())

    def matches(self, relpath: str, *, is_dir: bool = False) -> bool:
        """True when `relpath` (folder-relative, "/" separated) or a folder above it is ignored."""
        parts = [p for p in relpath.replace("\\", "/").split("/") if p and p != "."]
        if not parts:
            return False
        # an ignored parent directory hides everything below it (git cannot re-include those either)
        for depth in range(1, len(parts)):
            if self._spec.match_file("/".join(parts[:depth]) + "/"):
                return True
        leaf = "/".join(parts) + ("/" if is_dir else "")
        return bool(self._spec.match_file(leaf))
