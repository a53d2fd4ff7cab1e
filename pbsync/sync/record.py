"""What the last push (or pull) recorded: `.pbsync/state.json`, used to detect drift.

The file holds, per target (endpoint + project short_name), short fingerprints of every managed
value as it was when the folder and the server last agreed. It never holds secrets: endpoints are
stored without user info or query strings, and the API key is not stored at all.

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

from pbsync.sync.compare import SyncRecord, record_of

__all__ = [
    "STATE_DIR",
    "SyncRecord",
    "load_record",
    "record_of",
    "save_record",
    "synced_names",
    "target_key",
]

log = logging.getLogger(__name__)

STATE_DIR = ".pbsync"
STATE_FILE = "state.json"
#: 2: numbers fingerprinted as ints when whole (1: as floats, which merged ints above 2**53)
FORMAT_VERSION = 2


def target_key(endpoint: str, short_name: str) -> str:
    """The record's key: the endpoint (no credentials, query or trailing slash) and short_name."""
    parts = urlsplit(endpoint)
    if parts.scheme and parts.netloc:
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
        endpoint = urlunsplit((parts.scheme, host, parts.path.rstrip("/"), "", ""))
    return f"{endpoint} {short_name}"


def _state_path(folder: Path) -> Path:
    return Path(folder) / STATE_DIR / STATE_FILE


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
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = json.dumps({"version": FORMAT_VERSION, "targets": targets}, indent=1, sort_keys=True)
    # write-then-rename: a crash leaves either the old file or the new one, never half of one
    fd, tmp = tempfile.mkstemp(prefix=".state-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(payload + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
