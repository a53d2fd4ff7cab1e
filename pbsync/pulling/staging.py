"""Pull's staging area: files are gathered in `.pbsync/pull/` and moved into place all at once.

A pull first puts every file it will write (downloads included) under `.pbsync/pull/files/`,
inside the folder, so on the same filesystem: a failed or killed pull leaves the folder itself
as it was. Once everything has arrived, `commit` writes `.pbsync/pull/commit.json` (the list of
moves and removals, and what each target held before) and carries it out with `os.replace`; the
caller then records the sync and `close`s the area. A pull killed during that short phase leaves
the commit file behind, and the next pull `resume`s it first: a target still holding what it held
before is moved over, one changed since (the user's edit) is left alone.

Staged files of a pull that never committed are kept: the next pull reuses those whose sha256 is
the one the server records (`reuse`), so a re-run after a failure downloads only what is missing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pbsync.errors import PullError
from pbsync.pulling.write import check_target

__all__ = ["STAGING", "Commit", "Staging"]

log = logging.getLogger(__name__)

#: the staging area, relative to the project folder (pbsync's own folder: never loaded)
STAGING = ".pbsync/pull"
_COMMIT = "commit.json"
_FORMAT = 1


@dataclass
class Commit:
    """What a commit did, or what a resumed one found: `skipped` targets held other content."""

    meta: dict[str, Any]
    skipped: list[str] = field(default_factory=list)


class Staging:
    """The staging area of one folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.root = folder / STAGING
        self.files = self.root / "files"

    def open(self) -> None:
        """Create the area, refusing one reached through a symlink (it would be elsewhere)."""
        check_target(self.folder, f"{STAGING}/files/x")
        self.files.mkdir(parents=True, exist_ok=True)
        check_target(self.folder, f"{STAGING}/files/x")  # again, now that it exists

    def pending(self) -> bool:
        """Whether an interrupted commit waits to be finished."""
        return (self.root / _COMMIT).is_file()

    def put(self, rel: str, data: bytes) -> None:
        """Stage the content of the folder-relative file `rel`."""
        target = self._staged(rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".pbsync-", suffix=".tmp", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.chmod(tmp, 0o644)  # mkstemp makes 0600 files; a pulled file gets the usual mode
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def read(self, rel: str) -> bytes:
        """The staged content of `rel`."""
        return self._staged(rel).read_bytes()

    def reuse(self, rel: str, sha256: str | None) -> bool:
        """Whether `rel` is already staged with this sha256 (from an earlier, failed pull)."""
        path = self._staged(rel)
        if sha256 is None or not path.is_file() or path.is_symlink():
            return False
        return _sha(path) == sha256

    def commit(self, writes: Iterable[str], removes: Iterable[str], meta: dict[str, Any]) -> Commit:
        """Move the staged `writes` into place and delete `removes`; `project.toml` goes last.

        The plan is written first (`commit.json`), so a commit cut short is finished by the
        next pull (`resume`). `meta` travels with it for the caller's record of the sync.
        """
        ordered = sorted(writes, key=lambda rel: (rel == "project.toml", rel))
        for rel in ordered:
            if not self._staged(rel).is_file():
                raise PullError(f"internal error: {rel} was not staged")
            check_target(self.folder, rel)
        plan = {
            "format": _FORMAT,
            "writes": [[rel, _held(self.folder / rel)] for rel in ordered],
            "removes": [[rel, _held(self.folder / rel)] for rel in removes],
            "meta": meta,
        }
        _write_json(self.root / _COMMIT, plan)
        return self._carry_out(plan)

    def resume(self) -> Commit | None:
        """Finish an interrupted commit (None when there is none)."""
        check_target(self.folder, f"{STAGING}/files/x")  # what it moves in must be ours
        try:
            plan = json.loads((self.root / _COMMIT).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise PullError(f"{self.root / _COMMIT} is unreadable ({exc}): remove it") from exc
        if not isinstance(plan, dict) or plan.get("format") != _FORMAT:
            raise PullError(f"{self.root / _COMMIT} is not a pull this pbsync can finish")
        return self._carry_out(plan)

    def close(self) -> None:
        """Remove the area (after a commit was recorded, or to start afresh)."""
        (self.root / _COMMIT).unlink(missing_ok=True)
        shutil.rmtree(self.root, ignore_errors=True)

    # -- internals ------------------------------------------------------------------------------

    def _staged(self, rel: str) -> Path:
        return self.files / rel

    def _carry_out(self, plan: dict[str, Any]) -> Commit:
        done = Commit(dict(plan.get("meta") or {}))
        writes, removes = plan.get("writes", []), plan.get("removes", [])
        for rel, before in [w for w in writes if w[0] != "project.toml"]:
            self._move(rel, before, done)
        for rel, before in removes:
            target = check_target(self.folder, rel)
            if _held(target) == before:
                target.unlink(missing_ok=True)
            elif before is not None and (target.exists() or target.is_symlink()):
                done.skipped.append(rel)
        for rel, before in [w for w in writes if w[0] == "project.toml"]:
            self._move(rel, before, done)
        return done

    def _move(self, rel: str, before: str | None, done: Commit) -> None:
        staged, target = self._staged(rel), check_target(self.folder, rel)
        if not staged.is_file():
            return  # moved before the interruption
        if _held(target) != before:
            done.skipped.append(rel)  # changed since the pull looked: the user's, left alone
            staged.unlink()
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        check_target(self.folder, rel)  # again, now that the parents exist
        if target.is_symlink():
            target.unlink()  # replace the link itself, never the file it points to
        elif target.is_file():
            with contextlib.suppress(OSError):
                os.chmod(staged, target.stat().st_mode & 0o777)  # keep the file's mode
        os.replace(staged, target)


def _held(path: Path) -> str | None:
    """What a target holds, comparably: its sha256, "symlink", "other" or None (nothing)."""
    if path.is_symlink():
        return "symlink"
    if path.is_file():
        return _sha(path)
    return "other" if path.exists() else None


def _sha(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_json(path: Path, document: Any) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".pbsync-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(document, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
