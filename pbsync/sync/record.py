"""What the last push (or pull) recorded: `.pbsync/state.json`, used to detect drift.

The file holds, per target (endpoint + project short_name), short fingerprints of every managed
value as it was when the folder and the server last agreed. It never holds secrets: endpoints are
stored without user info or query strings, and the API key is not stored at all.

`.pbsync/` and its files are pbsync's own: they are read and written only through
`pbsync.folder.paths.checked_path` with the rules of a write (no symlink on the way, regular files),
so a `.pbsync` symlinked out of the folder is refused before anything is written, by push, pull and
watch alike (`check_state_files`, `lock_path`).

A push writes the record only after every action succeeded. A push interrupted half-way therefore
leaves the older record, which is safe: values the interrupted push already sent are equal on both
sides, and equal values are never a conflict.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pbsync.folder.paths import checked_path
from pbsync.sync.compare import SyncRecord, record_of

__all__ = [
    "STATE_DIR",
    "SyncRecord",
    "check_state_files",
    "load_record",
    "lock_path",
    "record_of",
    "save_record",
    "synced_names",
    "target_key",
    "write_json",
]

log = logging.getLogger(__name__)

STATE_DIR = ".pbsync"
STATE_FILE = "state.json"
LOCK_FILE = "push.lock"
#: 2: numbers fingerprinted as ints when whole (1: as floats, which merged ints above 2**53);
#: 3: the tasks' fingerprints packed in one string (`PackedFingerprints`), read only when used
FORMAT_VERSION = 3


def target_key(endpoint: str, short_name: str) -> str:
    """The record's key: the endpoint (no credentials, query or trailing slash) and short_name."""
    parts = urlsplit(endpoint)
    if parts.scheme and parts.netloc:
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
        endpoint = urlunsplit((parts.scheme, host, parts.path.rstrip("/"), "", ""))
    return f"{endpoint} {short_name}"


def _checked(folder: Path, name: str) -> Path:
    """`folder/.pbsync/name` when pbsync may read and write it there.

    The state file is replaced by a rename (a symlink in its place is replaced, not followed);
    the lock file is opened, so it may not be a symlink at all.

    Raises:
        pbsync.errors.UnsafePathError: `.pbsync` or the file is a symlink, or not a folder/file.
    """
    checked_path(folder, STATE_DIR, kind="dir", write=True)
    rel = f"{STATE_DIR}/{name}"
    return checked_path(folder, rel, write=True, replace=name == STATE_FILE)


def check_state_files(folder: Path | str) -> None:
    """Refuse, before a command's first write, a `.pbsync/` it could not use safely.

    Raises:
        pbsync.errors.UnsafePathError: `.pbsync` is a symlink (leading out of the folder or not),
            or it, state.json or push.lock is not what it should be (a FIFO, a folder...).
    """
    for name in (STATE_FILE, LOCK_FILE):
        _checked(Path(folder), name)


def lock_path(folder: Path | str) -> Path:
    """`.pbsync/push.lock` for a push or a watch's sync, its folder created when missing.

    Raises:
        pbsync.errors.UnsafePathError: as for `check_state_files`.
    """
    folder = Path(folder)
    _checked(folder, LOCK_FILE)
    (folder / STATE_DIR).mkdir(exist_ok=True)
    return _checked(folder, LOCK_FILE)  # again: the folder made is the one checked


def _state_path(folder: Path) -> Path:
    return _checked(Path(folder), STATE_FILE)


def _read_all(folder: Path) -> dict[str, Any]:
    path = _state_path(folder)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        # a damaged record only costs drift detection; never block a push on it
        log.warning("ignoring unreadable %s: %s", path, exc)
        return {}
    return data if isinstance(data, dict) else {}


def load_record(folder: Path | str, endpoint: str, short_name: str) -> SyncRecord | None:
    """The record of the last sync of `short_name` on `endpoint` from `folder`, or None."""
    data = _read_all(Path(folder))
    if data.get("version") != FORMAT_VERSION:
        # fingerprints of another format cannot be compared: no record (drift is not detected
        # until the next sync writes one; nothing else changes)
        return None
    entry = (data.get("targets") or {}).get(target_key(endpoint, short_name))
    return SyncRecord.from_json(entry) if isinstance(entry, dict) else None


def synced_names(folder: Path | str, endpoint: str) -> list[str]:
    """The short_names `folder` has records for on `endpoint` (sorted)."""
    prefix = target_key(endpoint, "")
    targets = _read_all(Path(folder)).get("targets") or {}
    return sorted(key[len(prefix) :] for key in targets if key.startswith(prefix))


def save_record(folder: Path | str, endpoint: str, short_name: str, record: SyncRecord) -> Path:
    """Save `record` for (endpoint, short_name), keeping other targets; written atomically.

    Returns:
        The path of the state file.
    """
    folder = Path(folder)
    data = _read_all(folder)
    # entries of an older format are dropped: they would be read as this one's
    targets = dict(data.get("targets") or {}) if data.get("version") == FORMAT_VERSION else {}
    targets[target_key(endpoint, short_name)] = record.to_json()
    path = _state_path(folder)
    path.parent.mkdir(exist_ok=True)
    _state_path(folder)  # again, now that the folder exists
    write_json(path, {"version": FORMAT_VERSION, "targets": targets}, prefix=".state-")
    return path


def write_json(path: Path, document: Any, *, prefix: str) -> None:
    """Write `document` to `path` as JSON, atomically (a temp file beside it, then a rename).

    A crash or a kill leaves either the old file or the new one, never half of one.
    """
    payload = json.dumps(document, indent=1, sort_keys=True)
    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(payload + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
