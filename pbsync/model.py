"""A project's state, the one shape both the local folder and the server side are read into.

`LocalProject.load` (folder/project.py) and `RemoteProject.fetch` (sync/remote.py) both produce a
`ProjectState`; `make_plan` (sync/planner.py) compares two of them. Everything here is immutable
and free of I/O, so plans are pure functions of two states.

Conventions:
- `info` mappings hold plain JSON values (dict/list/str/int/float/bool/None).
- `ProjectFields.info` holds only the info keys the folder *manages* locally (task_presenter,
  tutorial, results and the keys of `[project.info]`); the remote side holds the server's whole
  info, and the plan compares only the managed keys (and merges on PUT so unmanaged keys survive).
- A field that is `None` in a local `ProjectFields` is "not managed": the plan leaves it alone.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "HelpingMaterialState",
    "ProjectFields",
    "ProjectState",
    "TaskState",
    "canonical_json",
    "content_key",
]

#: project fields pbsync manages (besides info); order is the order shown to users
PROJECT_FIELDS: tuple[str, ...] = (
    "name",
    "short_name",
    "description",
    "long_description",
    "category",
    "webhook",
    "allow_anonymous_contributors",
    "zip_download",
    "published",
)

#: task fields besides info that a task file or [tasks] defaults may set
TASK_FIELDS: tuple[str, ...] = ("n_answers", "priority_0", "quorum", "calibration")

#: PYBOSSA's defaults for a new task
TASK_DEFAULTS: Mapping[str, Any] = {
    "n_answers": 30,
    "priority_0": 0.0,
    "quorum": 0,
    "calibration": 0,
}


#: one encoder for every call: `json.dumps` with options builds a new one each time
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_json(value: Any) -> str:
    """Serialise `value` deterministically (sorted keys, no spaces, UTF-8 kept)."""
    return _CANONICAL.encode(value)


def content_key(info: Mapping[str, Any], key_fields: tuple[str, ...] = ()) -> str:
    """Identity of a task: a hash of its whole info, or of the `key_fields` of it when given."""
    subject: Any = {k: info.get(k) for k in key_fields} if key_fields else info
    return hashlib.sha256(canonical_json(subject).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ProjectFields:
    """The project's own fields. `category` is a category *short_name*, not an id."""

    name: str
    short_name: str
    description: str
    long_description: str | None = None
    category: str | None = None
    webhook: str | None = None
    allow_anonymous_contributors: bool | None = None
    zip_download: bool | None = None
    published: bool | None = None
    info: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class HelpingMaterialState:
    """One helping material.

    `name` is its identity: the file's name in the helping folder (file-backed ones) or the name
    given in project.toml (link-only ones). `sha256` is the file content's hash (None for
    link-only); `id` and `media_url` are set on the remote side. `source` says where the local
    definition came from (for error messages), e.g. "helping/map.png".
    """

    name: str
    info: Mapping[str, Any]
    priority: float = 0.0
    sha256: str | None = None
    media_url: str | None = None
    file_path: str | None = None
    id: int | None = None
    source: str | None = None


@dataclass(frozen=True, slots=True)
class TaskState:
    """One task. `key` is its identity (see `content_key`); `source` is "tasks.csv:12" locally."""

    key: str
    info: Mapping[str, Any]
    n_answers: int = 30
    priority_0: float = 0.0
    quorum: int = 0
    calibration: int = 0
    id: int | None = None
    n_task_runs: int | None = None
    state: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class ProjectState:
    """A whole project: fields, helping materials and tasks (None: tasks not managed/fetched).

    `same_tasks` (the server's side, read against a folder: `pbsync.sync.remote_tasks`) maps
    the identity of each task the server holds exactly as the folder does to its id; those
    tasks are not in `tasks`, which holds the server's other tasks whole.
    """

    project: ProjectFields
    helping_materials: tuple[HelpingMaterialState, ...] = ()
    tasks: tuple[TaskState, ...] | None = None
    task_key_fields: tuple[str, ...] = ()
    project_id: int | None = None
    remote_info: Mapping[str, Any] | None = None
    same_tasks: Mapping[str, int] = field(default_factory=dict)
