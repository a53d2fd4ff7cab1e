"""What the last push (or pull) recorded: `.pbsync/state.json`, used to detect drift.

The file holds, per target (endpoint + project short_name), short fingerprints of every managed
value as it was when the folder and the server last agreed. It never holds secrets: endpoints are
stored without user info or query strings, and the API key is not stored at all.

A push writes the record only after every action succeeded. A push interrupted half-way therefore
leaves the older record, which is safe: values the interrupted push already sent are equal on both
sides, and equal values are never a conflict.
"""

from __future__ import annotations

import hashlib
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

from pbsync.model import (
    PROJECT_FIELDS,
    TASK_DEFAULTS,
    HelpingMaterialState,
    ProjectFields,
    ProjectState,
    TaskState,
    canonical_json,
)

__all__ = [
    "STATE_DIR",
    "Snapshot",
    "fingerprint",
    "helping_fingerprint",
    "load_snapshot",
    "project_values",
    "save_snapshot",
    "snapshot_of",
    "synced_names",
    "target_key",
    "task_fingerprint",
]

log = logging.getLogger(__name__)

STATE_DIR = ".pbsync"
STATE_FILE = "state.json"
FORMAT_VERSION = 1


def fingerprint(value: Any) -> str:
    """A short, stable hash of a JSON value (numbers normalised so 1 and 1.0 agree)."""
    return hashlib.sha256(canonical_json(_normalise(value)).encode("utf-8")).hexdigest()[:16]


def _normalise(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, Mapping):
        return {str(k): _normalise(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normalise(v) for v in value]
    return value


def project_values(fields: ProjectFields, keys: list[str] | None = None) -> dict[str, Any]:
    """Flatten a project's fields into `{"description": ..., "info.task_presenter": ...}`.

    Args:
        fields: the project's fields.
        keys: when given, exactly these flattened keys (missing ones as None); otherwise every field
            that is set (not None) and every info key.
    """
    flat: dict[str, Any] = {name: getattr(fields, name) for name in PROJECT_FIELDS}
    flat.update({f"info.{k}": v for k, v in fields.info.items()})
    if keys is not None:
        return {k: flat.get(k) for k in keys}
    return {k: v for k, v in flat.items() if v is not None}


def task_fields(task: TaskState) -> dict[str, Any]:
    """The compared fields of a task (info and the four settings, defaults filled in)."""
    values: dict[str, Any] = {"info": dict(task.info)}
    for name, default in TASK_DEFAULTS.items():
        value = getattr(task, name)
        values[name] = default if value is None else value
    return values


def task_fingerprint(task: TaskState) -> str:
    """Fingerprint of a task's compared fields."""
    return fingerprint(task_fields(task))


def helping_fingerprint(material: HelpingMaterialState, info_keys: list[str] | None = None) -> str:
    """Fingerprint of a helping material: file hash, media URL (link-only), priority, info."""
    keys = sorted(material.info) if info_keys is None else info_keys
    info = {k: material.info.get(k) for k in keys}
    media = material.media_url if material.sha256 is None else None
    return fingerprint([material.sha256, media, material.priority, info])


@dataclass(frozen=True)
class Snapshot:
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
    def from_json(cls, data: Mapping[str, Any]) -> Snapshot:
        """Read back what `to_json` wrote (unknown keys ignored)."""
        return cls(
            project=dict(data.get("project") or {}),
            helping=dict(data.get("helping") or {}),
            tasks=dict(data.get("tasks") or {}),
            files=dict(data.get("files") or {}),
            project_id=data.get("project_id"),
            synced_at=data.get("synced_at"),
        )


def snapshot_of(state: ProjectState, *, project_id: int | None = None) -> Snapshot:
    """Fingerprint a state both sides now agree on (the folder after a push, or a pulled one).

    Unmanaged project fields (None) are not recorded; tasks are recorded only when managed.
    """
    project = {k: fingerprint(v) for k, v in project_values(state.project).items()}
    helping = {m.name: helping_fingerprint(m) for m in state.helping_materials}
    tasks = {t.key: task_fingerprint(t) for t in state.tasks or ()}
    files = {m.name: m.sha256 for m in state.helping_materials if m.sha256 is not None}
    return Snapshot(
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


def load_snapshot(folder: Path | str, endpoint: str, short_name: str) -> Snapshot | None:
    """The record of the last sync of `short_name` on `endpoint` from `folder`, or None."""
    targets = _read_all(Path(folder)).get("targets") or {}
    entry = targets.get(target_key(endpoint, short_name))
    return Snapshot.from_json(entry) if isinstance(entry, dict) else None


def synced_names(folder: Path | str, endpoint: str) -> list[str]:
    """The short_names `folder` has records for on `endpoint` (sorted)."""
    prefix = target_key(endpoint, "")
    targets = _read_all(Path(folder)).get("targets") or {}
    return sorted(key[len(prefix) :] for key in targets if key.startswith(prefix))


def save_snapshot(folder: Path | str, endpoint: str, short_name: str, snapshot: Snapshot) -> Path:
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
