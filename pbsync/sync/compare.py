"""Comparing the folder's and the server's values (pure: no I/O).

The planner decides what differs with `same`; a `SyncRecord` holds `fingerprint`s of what both
sides agreed on at the last sync, so that the next plan can tell which side changed a value since
(drift). `record.py` keeps records in `.pbsync/state.json`.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

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
    "PackedFingerprints",
    "SyncRecord",
    "fingerprint",
    "helping_fingerprint",
    "project_values",
    "record_of",
    "same",
    "task_fields",
    "task_fingerprint",
]

log = logging.getLogger(__name__)


def same(a: Any, b: Any) -> bool:
    """Whether two JSON values are equal: 1 and 1.0 alike, True and 1 not, at any depth."""
    return canonical_json(_normalise(a)) == canonical_json(_normalise(b))


def fingerprint(value: Any) -> str:
    """A short, stable hash of a JSON value (numbers normalised so 1 and 1.0 agree)."""
    return hashlib.sha256(canonical_json(_normalise(value)).encode("utf-8")).hexdigest()[:16]


def _normalise(value: Any) -> Any:
    # bool before int: True is an int to Python, not to JSON; a whole float becomes an int (not
    # the other way round: ints above 2**53 would lose digits as floats and compare equal)
    if isinstance(value, bool) or value is None or isinstance(value, str | int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
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


class PackedFingerprints(Mapping[str, str]):
    """Task key -> fingerprint, kept as one string ("key fingerprint" lines, sorted by key)
    until a value is asked for.

    A record holds a fingerprint for every task: 100,000 of them read as a dict are 200,000
    strings (some 25 MB), which a diff or a push of project fields alone never looks at. The
    packed text is also how state.json stores them, and two records of the same tasks pack to
    the same text (`packed`), which is how a push tells that the folder's tasks did not change.
    """

    __slots__ = ("_unpacked", "packed")

    def __init__(self, packed: str = "") -> None:
        self.packed = packed
        self._unpacked: dict[str, str] | None = None

    @classmethod
    def of(cls, fingerprints: Mapping[str, str]) -> PackedFingerprints:
        """Pack a mapping (returned as it is when already packed)."""
        if isinstance(fingerprints, PackedFingerprints):
            return fingerprints
        return cls("".join(f"{k} {v}\n" for k, v in sorted(fingerprints.items())))

    def _items(self) -> dict[str, str]:
        if self._unpacked is None:
            pairs = (line.split(" ", 1) for line in self.packed.splitlines())
            self._unpacked = {p[0]: p[1] for p in pairs if len(p) == 2}
        return self._unpacked

    def __getitem__(self, key: str) -> str:
        return self._items()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items())

    def __len__(self) -> int:
        return len(self._items())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PackedFingerprints):
            return self.packed == other.packed
        return isinstance(other, Mapping) and self._items() == dict(other.items())

    __hash__ = None  # type: ignore[assignment]  # a mapping: compared by content

    def __repr__(self) -> str:
        return f"PackedFingerprints({self.packed.count(chr(10))} tasks)"


@dataclass(frozen=True)
class SyncRecord:
    """Fingerprints of a project as last synced.

    Attributes:
        project: flattened project key (see `project_values`) -> fingerprint.
        helping: helping material name -> fingerprint (`helping_fingerprint`).
        tasks: task key -> fingerprint (`task_fingerprint`); packed when read from a file.
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
            "tasks": PackedFingerprints.of(self.tasks).packed,
            "files": dict(self.files),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SyncRecord:
        """Read back what `to_json` wrote (unknown keys ignored)."""
        return cls(
            project=dict(data.get("project") or {}),
            helping=dict(data.get("helping") or {}),
            tasks=_tasks_of(data.get("tasks")),
            files=dict(data.get("files") or {}),
            project_id=data.get("project_id"),
            synced_at=data.get("synced_at"),
        )


def _tasks_of(value: Any) -> Mapping[str, str]:
    """The tasks' fingerprints as a record file holds them: packed text (a dict: as it is)."""
    if isinstance(value, str):
        return PackedFingerprints(value)
    return dict(value) if isinstance(value, Mapping) else {}


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
