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
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pbsync.model import ProjectState
from pbsync.sync.compare import fingerprint, helping_fingerprint, project_values, task_fingerprint

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
FORMAT_VERSION = 1


@dataclass(frozen=True)
class SyncRecord:
    """Fingerprints of a project as last synced.

    Attributes:
        project: flattened project key (see `project_values`) -> fingerprint.
        helping: helping material name -> fingerprint (`helping_fingerprint`).
        tasks: task key -> fingerprint (`task_fingerprint`).
        files: helping material name -> sha256 of its file as synced (file-backed ones only). A
            material created outside pbsync (web UI, scripts) has no `info.sha256` on the server,
            so this is how the next plan knows the server's file without downloading it.
        project_id: the server's id of the project.
        synced_at: ISO timestamp (UTC) of the sync.
    """

    project: Mapping[str, str] = field(default_factory=dict)
    helping: Mapping[str, str] = field(default_factory=dict)
    tasks: Mapping[str, str] = field(default_factory=dict)
    files: Mapping[str, str] = field(default_factory=dict)
    project_id: int | None = None
    synced_at: str | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-serialisable dict."""
        return {
            "project_id": self.project_id,
            "synced_at": self.synced_at,
            "project": dict(self.project),
            "helping": dict(self.helping),
            "tasks": dict(self.tasks),
            "files": dict(self.files),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SyncRecord:
        """Read back what `to_json` wrote (unknown keys ignored)."""
        return cls(
            project=dict(data.get("project") or {}),
            helping=dict(data.get("helping") or {}),
            tasks=dict(data.get("tasks") or {}),
            files=dict(data.get("files") or {}),
            project_id=data.get("project_id"),
            synced_at=data.get("synced_at"),
        )


def record_of(state: ProjectState, *, project_id: int | None = None) -> SyncRecord:
    """Fingerprint a state both sides now agree on (the folder after a push, or a pulled one).

    Unmanaged project fields (None) are not recorded; tasks are recorded only when managed.
    """
    project = {k: fingerprint(v) for k, v in project_values(state.project).items()}
    helping = {m.name: helping_fingerprint(m) for m in state.helping_materials}
    tasks = {t.key: task_fingerprint(t) for t in state.tasks or ()}
    files = {m.name: m.sha256 for m in state.helping_materials if m.sha256 is not None}
    return SyncRecord(
        project=project,
        helping=helping,
        tasks=tasks,
        files=files,
        project_id=project_id if project_id is not None else state.project_id,
        synced_at=datetime.now(UTC).replace(microsecond=0).isoformat(),
    )


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
    targets = _read_all(Path(folder)).get("targets") or {}
    entry = targets.get(target_key(endpoint, short_name))
    return SyncRecord.from_json(entry) if isinstance(entry, dict) else None


def synced_names(folder: Path | str, endpoint: str) -> list[str]:
    """The short_names `folder` has records for on `endpoint` (sorted)."""
    prefix = target_key(endpoint, "")
    targets = _read_all(Path(folder)).get("targets") or {}
    return sorted(key[len(prefix) :] for key in targets if key.startswith(prefix))


def save_record(folder: Path | str, endpoint: str, short_name: str, snapshot: SyncRecord) -> Path:
    """Record `snapshot` for (endpoint, short_name), keeping other targets; written atomically.

    Returns:
        The path of the state file.
    """
    folder = Path(folder)
    data = _read_all(folder)
    targets = dict(data.get("targets") or {})
    targets[target_key(endpoint, short_name)] = snapshot.to_json()
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
