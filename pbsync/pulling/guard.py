"""Pull's protection of local edits: which files pull would touch, and which hold unsynced work.

A file pull would change or remove is overwritten only when it holds what the last push or pull
recorded in `.pbsync/state.json`; otherwise `refuse_local_edits` raises `PullError` listing the
files, before anything is written.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath

from pbsync.errors import PullError, ValidationError
from pbsync.folder.ignore import IgnoreRules
from pbsync.folder.manifest import FILE_INFO_KEYS, PROJECT_TOML, SIDECAR_SUFFIX
from pbsync.folder.project import LocalProject
from pbsync.model import HelpingMaterialState
from pbsync.pulling.layout import Layout
from pbsync.sync.record import load_record, record_of

__all__ = ["changed_files", "refuse_local_edits", "stale_files"]

log = logging.getLogger(__name__)


def stale_files(
    folder: Path,
    layout: Layout,
    ignore: IgnoreRules,
    pages: Iterable[str],
    helping: str,
) -> list[str]:
    """Existing files the folder would read but pull does not write: removed on pull.

    `pages` are the folder's page files (`Pages.candidates`); the helping folder `helping`
    (`Pages.helping`, which the loader makes sure holds nothing else) is looked through.
    """
    candidates = list(pages)
    root = folder / helping
    if root.is_dir() and not root.is_symlink():
        for path in sorted(root.rglob("*")):
            rel = path.relative_to(folder).as_posix()
            if _is_file(path) and not ignore.matches(rel):
                candidates.append(rel)
    return [
        rel
        for rel in candidates
        if _is_file(folder / rel) and rel not in layout.files and rel not in layout.downloads
    ]


def changed_files(
    folder: Path, files: Mapping[str, bytes], downloads: Mapping[str, HelpingMaterialState]
) -> list[str]:
    """The files to write: content that differs from the folder's (downloads by sha256)."""
    changed = [rel for rel, data in files.items() if _content(folder / rel) != data]
    for rel, hm in downloads.items():
        data = _content(folder / rel)
        if data is None or hm.sha256 is None or hashlib.sha256(data).hexdigest() != hm.sha256:
            changed.append(rel)
    return changed


def refuse_local_edits(
    folder: Path, target: str, short_name: str, env: str | None, touched: list[str]
) -> None:
    """Raise `PullError` when a file in `touched` holds edits the last sync did not record."""
    existing = [r for r in touched if (folder / r).exists() or (folder / r).is_symlink()]
    if not existing:
        return
    clean = _clean_files(folder, target, short_name, env)
    edited = sorted(r for r in existing if r not in clean)
    if edited:
        listing = ", ".join(edited)
        raise PullError(
            f"pull would overwrite or remove local changes in: {listing} "
            "(push them first, or run `pbsync pull --force` to discard them)"
        )


def _is_file(path: Path) -> bool:
    return path.is_file() or path.is_symlink()


def _content(path: Path) -> bytes | None:
    """A regular file's bytes; None for a missing file or a symlink (always rewritten)."""
    if not path.is_file() or path.is_symlink():
        return None
    return path.read_bytes()


def _clean_files(folder: Path, target: str, short_name: str, env: str | None) -> set[str]:
    """Files holding exactly what the last sync recorded (safe to overwrite)."""
    record = load_record(folder, target, short_name)
    if record is None:
        return set()
    try:
        local = LocalProject.load(folder, env=env)
    except ValidationError:
        return set()
    now = record_of(local.state)
    clean = set(local.files)
    names = local.config.files
    by_key = {"long_description": names["long_description"]}
    by_key.update({f"info.{k}": names[s] for s, k in FILE_INFO_KEYS.items()})
    for key in set(now.project) | set(record.project):
        if now.project.get(key) != record.project.get(key):
            clean -= {PROJECT_TOML, by_key.get(key, PROJECT_TOML)}
    # a material's file is not always named as the material (see `name` in [helping."FILE"])
    files = {m.name: m.source for m in local.state.helping_materials if m.file_path is not None}
    for name in set(now.helping) | set(record.helping):
        if now.helping.get(name) != record.helping.get(name):
            helping = PurePosixPath(names["helping"].replace("\\", "/")).as_posix()
            rel = files.get(name) or f"{helping}/{name}"
            clean -= {PROJECT_TOML, rel, rel + SIDECAR_SUFFIX}
    if dict(now.tasks) != dict(record.tasks):
        clean -= set(local.config.task_files)
    return clean
