"""Short plain-text renderings for plans: values, tasks by content, and field changes.

A plan is reviewed by reading it: a task shows as its key fields (or its info) on one line, a
changed field as `field: old -> new`. Long values are cut and `data:` URIs shortened, so that
one line stays one line whatever a task holds.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from pbsync.model import TaskState
from pbsync.sync.actions import FieldChange

__all__ = ["change_lines", "changed_fields", "short_value", "task_text"]

#: characters of one value before it is cut
VALUE_CHARS = 60
#: characters of a task's content on one line
TASK_CHARS = 100
#: shown for a key a value lacks
ABSENT = "(none)"

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_DATA_URI = re.compile(r"^data:([^,;]*)((?:;[^,;]*)*),", re.IGNORECASE)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def short_value(value: Any, limit: int = VALUE_CHARS) -> str:
    """One line for a value: strings bare, other values as JSON; cut to `limit` characters.

    A `data:` URI shows as its media type and length (`data:image/png;base64,... (300 chars)`):
    its payload says nothing to a reader.
    """
    if isinstance(value, str):
        text = value
        found = _DATA_URI.match(text)
        if found:
            return f"{found.group(0)}... ({len(text):,} chars)"
    else:
        text = json.dumps(value, ensure_ascii=False, default=str)
    # a newline or terminal escape in a task's value must not break or colour the plan's lines
    return _cut(_CONTROL.sub(" ", text), limit)


def task_text(task: TaskState, key_fields: tuple[str, ...] = ()) -> str:
    """A task on one line: `title=Shapes 1, url=https://example.org/a.png`.

    Only the `[tasks] key` fields when the project has them (they are the task's identity),
    else every info field in name order (a server's order is its own: PostgreSQL's jsonb sorts
    keys by length, so the folder's and the server's copies of a task would read differently);
    values cut, the whole line too.
    """
    fields = key_fields or tuple(sorted(task.info))
    parts = [f"{name}={short_value(task.info.get(name), 40)}" for name in fields]
    return _cut(", ".join(parts), TASK_CHARS) if parts else "(empty info)"


def task_where(task: TaskState) -> str:
    """Where a task is: `#3019 tasks.csv:7`, `tasks.csv:7` (new) or `#3019` (server only)."""
    return " ".join(w for w in (f"#{task.id}" if task.id is not None else "", task.source) if w)


def _leaves(path: str, old: Any, new: Any) -> list[tuple[str, Any, Any]]:
    """(path, old, new) of every differing value, descending into mappings on both sides."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        out: list[tuple[str, Any, Any]] = []
        for key in [*old, *(k for k in new if k not in old)]:
            if key not in new:
                out.append((f"{path}.{key}", old[key], _Absent))
            elif key not in old:
                out.append((f"{path}.{key}", _Absent, new[key]))
            else:
                out += _leaves(f"{path}.{key}", old[key], new[key])
        return out
    if _same(old, new):
        return []
    return [(path, old, new)]


def _same(a: Any, b: Any) -> bool:
    # 5 and 5.0 are the same number to PYBOSSA (JSON); True and 1 are not
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return float(a) == float(b)
    return bool(a == b) and type(a) is type(b)


class _Absent:
    """Marks a key one side lacks."""


def _shown(value: Any) -> str:
    return ABSENT if value is _Absent or value is None else short_value(value)


def changed_fields(change: FieldChange) -> list[str]:
    """The names of what differs inside a change (`info.url`), or the field itself."""
    return [path for path, _, _ in _leaves(change.field, change.old, change.new)] or [change.field]


def change_lines(change: FieldChange) -> list[str]:
    """`field: old -> new`, one line per differing value (inside info: `info.url: a -> b`)."""
    leaves = _leaves(change.field, change.old, change.new)
    if not leaves:  # equal as far as a reader can tell (e.g. 5 vs 5.0): still say what changes
        leaves = [(change.field, change.old, change.new)]
    return [f"{path}: {_shown(old)} -> {_shown(new)}" for path, old, new in leaves]
