"""Comparing the folder's and the server's values (pure: no I/O).

The planner decides what differs with `same`; the sync record stores `fingerprint`s of what both
sides agreed on, so that the next plan can tell which side changed a value since (drift).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from typing import Any

from pbsync.model import (
    PROJECT_FIELDS,
    TASK_DEFAULTS,
    HelpingMaterialState,
    ProjectFields,
    TaskState,
    canonical_json,
)

__all__ = [
    "fingerprint",
    "helping_fingerprint",
    "project_values",
    "same",
    "task_fields",
    "task_fingerprint",
]

log = logging.getLogger(__name__)


def same(a: Any, b: Any) -> bool:
    """Whether two JSON values are equal, treating 1 and 1.0 alike (but not True and 1)."""
    if a == b and type(a) is type(b):
        return True
    return canonical_json(_normalise(a)) == canonical_json(_normalise(b))


def fingerprint(value: Any) -> str:
    """A short, stable hash of a JSON value (numbers normalised so 1 and 1.0 agree)."""
    return hashlib.sha256(canonical_json(_normalise(value)).encode("utf-8")).hexdigest()[:16]


def _normalise(value: Any) -> Any:
    # bool before int: True is an int to Python, not to JSON
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
