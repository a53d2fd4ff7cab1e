"""The legacy domain objects of pybossa-client 3.0.0 (`pbclient.Project(data)` and friends).

A `DomainObject` is a thin view over a plain dict: `obj.key` reads `data['key']`, assigning works
only for keys already in the dict, and anything else raises
`AttributeError('unknown attribute: <name>')`.
Unlike 3.0.0 these objects compare by class and data, hash by class and id, survive `copy`,
`deepcopy` and `pickle`, and their repr never raises.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any, ClassVar

__all__ = [
    "Category",
    "DomainObject",
    "HelpingMaterial",
    "Project",
    "Result",
    "Task",
    "TaskRun",
    "User",
    "forbidden_attributes",
]

log = logging.getLogger(__name__)


def _keys(*names: str) -> dict[str, None]:
    # 3.0.0 kept these as dicts with None values; users only call `.keys()` on them
    return dict.fromkeys(names)


class DomainObject:
    """A PYBOSSA object as a dict with attribute access (the dict is kept by reference)."""

    #: keys the server refuses in a PUT body; the update functions leave them out
    reserved_keys: ClassVar[Mapping[str, None]] = {}

    def __init__(self, data: Any) -> None:
        self.__dict__["data"] = data

    def __getattr__(self, name: str) -> Any:
        # only called when normal lookup fails; `.get` so copy/pickle probing a blank instance
        # gets an AttributeError instead of 3.0.0's KeyError('data')
        data = self.__dict__.get("data")
        if isinstance(data, Mapping) and name in data:
            return data[name]
        raise AttributeError("unknown attribute: " + name)

    def __setattr__(self, name: str, value: Any) -> None:
        data = self.__dict__.get("data")
        if name == "data":
            self.__dict__["data"] = value
        elif isinstance(data, dict) and name in data:
            data[name] = value
        else:
            raise AttributeError("unknown attribute: " + name)

    def __getstate__(self) -> dict[str, Any]:
        return {"data": self.__dict__.get("data")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__["data"] = state.get("data")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return bool(self.__dict__.get("data") == other.__dict__.get("data"))

    def __hash__(self) -> int:
        ident = _field(self, "id")
        try:
            return hash((type(self), ident))
        except TypeError:
            return hash(type(self))

    def __repr__(self) -> str:
        return f"pybossa.{type(self).__name__}({_field(self, 'id')})"


def _field(obj: DomainObject, name: str) -> Any:
    """`obj.data[name]`, or None when the data lacks it (or is not a mapping at all)."""
    data = obj.__dict__.get("data")
    return data.get(name) if isinstance(data, Mapping) else None


class _Named(DomainObject):
    """An object shown by short name and id: `pybossa.Project("flickrperson", 1)`."""

    def __repr__(self) -> str:
        return (
            f'pybossa.{type(self).__name__}("{_field(self, "short_name")}", {_field(self, "id")})'
        )


class Project(_Named):
    """A PYBOSSA project."""

    reserved_keys = _keys(
        "id", "created", "updated", "completed", "contacted", "published", "secret_key"
    )


class Category(_Named):
    """A project category (the server accepts writes only from admins)."""


class Task(DomainObject):
    """A task of a project."""

    reserved_keys = _keys("id", "created", "state", "fav_user_ids")


class TaskRun(DomainObject):
    """A volunteer's answer to a task."""

    reserved_keys = _keys("id", "created", "finish_time")


class Result(DomainObject):
    """The result of a completed task."""

    reserved_keys = _keys("id", "created", "project_id", "task_id", "task_run_ids", "last_version")


class HelpingMaterial(DomainObject):
    """A helping material (a file or link shown to volunteers) of a project."""

    reserved_keys = _keys("id", "created")


class User(DomainObject):
    """A user as the API shows it (not in 3.0.0; returned by the new `find_users`)."""

    def __repr__(self) -> str:
        return f'pybossa.User("{_field(self, "name")}", {_field(self, "id")})'


def forbidden_attributes(obj: Any) -> Any:
    """Return a copy-like object whose `.data` lacks `obj.reserved_keys`; `obj` is left untouched.

    3.0.0 popped the keys from the caller's own dict, so `project.id` broke after an update.
    The update functions are duck-typed: `obj` needs only `.data` (and optionally `.reserved_keys`).
    """
    reserved = getattr(obj, "reserved_keys", None) or {}
    data = {k: v for k, v in obj.data.items() if k not in reserved.keys()}  # noqa: SIM118 - only .keys() is promised
    if isinstance(obj, DomainObject):
        stripped = copy.copy(obj)
        stripped.data = data
        return stripped
    return SimpleNamespace(data=data, reserved_keys=reserved)
