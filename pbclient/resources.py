"""PYBOSSA objects: `Project`, `Category`, `Task`, `TaskRun`, `Result`, `HelpingMaterial`, `User`.

A resource wraps the JSON dict the server sent (`obj.data`, live) with attribute access, and
remembers what it looked like when loaded, so `changes()` can tell what an update must send
(python-gitlab's SaveMixin idea): only changed fields, and the whole `info` when any info key
changed, because PYBOSSA's PUT replaces `info` as a whole. A resource built by hand (not loaded
from the server) counts every field as changed.

The managers (`client.projects` ...) live in `pbclient.managers`.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from typing import Any, ClassVar

from pbclient.answers import BOOLEAN, INTEGER, LIST, NUMBER, OBJECT, STRING, Kind

__all__ = [
    "Category",
    "HelpingMaterial",
    "Project",
    "Resource",
    "Result",
    "Task",
    "TaskRun",
    "User",
]

log = logging.getLogger(__name__)

#: keys GET adds to every item; sending them back is pointless
_LINKS = frozenset({"link", "links"})


class Resource:
    """One PYBOSSA object.

    Fields read as attributes (`task.info`); setting an attribute sets the field. `data` is the
    live dict. Equality is by class and data; the hash by class and id.

    Class attributes:
        read_only: keys never sent in a body (the server refuses or ignores them).
        writable: the keys known to be accepted; after a 400 "Reserved keys in payload" (the
            server's list grew past `read_only`) an update is retried once with only these.
        shape: the kind each field pbclient or pbsync relies on must have when present (see
            `pbclient.answers`); an answer breaking it raises `UnexpectedAnswerError`.
        required: the fields every answer must carry (not null).
    """

    read_only: ClassVar[frozenset[str]] = frozenset({"id", "created"}) | _LINKS
    writable: ClassVar[frozenset[str]] = frozenset()
    shape: ClassVar[Mapping[str, Kind]] = {"id": INTEGER}
    required: ClassVar[frozenset[str]] = frozenset({"id"})
    _repr_fields: ClassVar[tuple[str, ...]] = ("id",)

    _data: dict[str, Any]
    _loaded: dict[str, Any] | None

    def __init__(self, data: Mapping[str, Any] | None = None, /, **fields: Any) -> None:
        object.__setattr__(self, "_data", {**(data or {}), **fields})
        object.__setattr__(self, "_loaded", None)

    @classmethod
    def from_server(cls, data: Mapping[str, Any]) -> Any:
        """Wrap a dict the server sent: nothing counts as changed yet."""
        obj = cls(data)
        obj._mark_loaded()
        return obj

    @property
    def data(self) -> dict[str, Any]:
        """The fields, as a live dict."""
        return self._data

    @property
    def loaded(self) -> bool:
        """True when the object came from the server (else every field counts as changed)."""
        return self._loaded is not None

    def changes(self) -> dict[str, Any]:
        """The writable fields that differ from what was loaded (all of them for a new object).

        `info` appears whole (with the keys nobody touched) as soon as any info key changed.
        """
        loaded = self._loaded or {}
        return {
            key: value
            for key, value in self._data.items()
            if key not in self.read_only and (key not in loaded or loaded[key] != value)
        }

    def _mark_loaded(self, data: Mapping[str, Any] | None = None) -> None:
        if data is not None:
            # in place: a caller holding `obj.data` keeps seeing the current fields
            self._data.clear()
            self._data.update(data)
        object.__setattr__(self, "_loaded", copy.deepcopy(self._data))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._data[name]
        except KeyError:
            raise AttributeError(f"{type(self).__name__} has no field {name!r}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_") or name in ("data", "loaded"):
            raise AttributeError(f"cannot set {name!r} on {type(self).__name__}")
        self._data[name] = value

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete {name!r}; set it to None instead")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._data == other._data

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._data.get("id")))

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={self._data.get(k)!r}" for k in self._repr_fields)
        return f"{type(self).__name__}({shown})"

    def __getstate__(self) -> dict[str, Any]:
        return {"data": self._data, "loaded": self._loaded}

    def __setstate__(self, state: dict[str, Any]) -> None:
        object.__setattr__(self, "_data", state["data"])
        object.__setattr__(self, "_loaded", state["loaded"])

    def __copy__(self) -> Resource:
        new = type(self)(self._data)
        object.__setattr__(new, "_loaded", self._loaded)
        return new


class Project(Resource):
    """A project. `published` is read-only here: use `client.projects.publish()`."""

    read_only = Resource.read_only | {
        "updated",
        "completed",
        "contacted",
        "secret_key",
        "published",
        "owner_id",
        "stats",
    }
    writable = frozenset(
        {
            "name",
            "short_name",
            "description",
            "long_description",
            "category_id",
            "info",
            "webhook",
            "allow_anonymous_contributors",
            "zip_download",
            "owners_ids",
        }
    )
    shape: ClassVar[Mapping[str, Kind]] = {
        "id": INTEGER,
        "short_name": STRING,
        "name": STRING,
        "description": STRING,
        "long_description": STRING,
        "webhook": STRING,
        "info": OBJECT,
        "category_id": INTEGER,
        "owner_id": INTEGER,
        "owners_ids": LIST,
        "published": BOOLEAN,
        "allow_anonymous_contributors": BOOLEAN,
        "zip_download": BOOLEAN,
    }
    required = frozenset({"id", "short_name"})
    _repr_fields = ("id", "short_name")


class Category(Resource):
    """A project category."""

    writable = frozenset({"name", "short_name", "description", "info"})
    shape: ClassVar[Mapping[str, Kind]] = {"id": INTEGER, "short_name": STRING, "name": STRING}
    required = frozenset({"id", "short_name"})
    _repr_fields = ("id", "short_name")


class Task(Resource):
    """A task: `info` is what the presenter shows."""

    read_only = Resource.read_only | {"state", "fav_user_ids", "task_runs", "result"}
    writable = frozenset({"project_id", "info", "n_answers", "priority_0", "quorum", "calibration"})
    # `info` is any JSON: PYBOSSA stores whatever a task was created with
    shape: ClassVar[Mapping[str, Kind]] = {
        "id": INTEGER,
        "project_id": INTEGER,
        "n_answers": INTEGER,
        "priority_0": NUMBER,
        "quorum": INTEGER,
        "calibration": INTEGER,
        "state": STRING,
    }
    _repr_fields = ("id", "project_id")


class TaskRun(Resource):
    """A volunteer's answer to a task."""

    read_only = Resource.read_only | {"finish_time"}
    writable = frozenset({"project_id", "task_id", "info"})
    shape: ClassVar[Mapping[str, Kind]] = {"id": INTEGER, "project_id": INTEGER, "task_id": INTEGER}
    required = frozenset({"id", "task_id"})
    _repr_fields = ("id", "task_id")


class Result(Resource):
    """The result of a completed task (created by the server; only `info` is writable)."""

    read_only = Resource.read_only | {
        "project_id",
        "task_id",
        "task_run_ids",
        "last_version",
    }
    writable = frozenset({"info"})
    shape: ClassVar[Mapping[str, Kind]] = {"id": INTEGER, "project_id": INTEGER, "task_id": INTEGER}
    _repr_fields = ("id", "task_id")


class HelpingMaterial(Resource):
    """A file or link shown beside a project's tasks (`media_url`)."""

    writable = frozenset({"project_id", "info", "media_url", "priority"})
    shape: ClassVar[Mapping[str, Kind]] = {
        "id": INTEGER,
        "project_id": INTEGER,
        "info": OBJECT,
        "priority": NUMBER,
        "media_url": STRING,
    }
    _repr_fields = ("id", "project_id")


class User(Resource):
    """A user, as the caller may see it (read only through the API)."""

    # the anonymous view of a user is only `name` and `locale`: no id
    shape: ClassVar[Mapping[str, Kind]] = {"id": INTEGER, "name": STRING}
    required = frozenset()
    _repr_fields = ("id", "name")
