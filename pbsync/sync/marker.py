"""`.pbsync/push-in-progress.json`: a push that began writing and has not finished.

A push writes its entry before its first write and removes it once everything succeeded and the
sync is recorded. An entry still there when the next push plans means the last one stopped half
way (a crash, a kill, a lost connection, Ctrl-C): some of its POSTs may have created objects
whose answers it never read, and a server still working on a request that timed out can create
it after the next push's fetch. The next push therefore deletes the copies above the ids the
unfinished one started from (`make_plan(unfinished=...)`: the lowest id stays, never a task with
runs), and checks again after its own creates (`pbsync.sync.settle`).

The file holds, per target (endpoint and short_name, as in state.json; no secrets), the
project's id (null: the push was creating it), the highest task and helping material ids the
server had when the push began (null: it read none and created none, as a push of project
fields only does: `pbsync.sync.scope`), and when it began. An entry left by an older
unfinished push is kept by the next one that also fails: its lowest ids stand.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pbsync.sync.actions import Unfinished
from pbsync.sync.record import STATE_DIR, target_key, write_json

__all__ = ["MARKER_FILE", "clear_unfinished", "load_unfinished", "mark_unfinished"]

log = logging.getLogger(__name__)

MARKER_FILE = "push-in-progress.json"
FORMAT_VERSION = 1


def _path(folder: Path | str) -> Path:
    return Path(folder) / STATE_DIR / MARKER_FILE


def _read(folder: Path | str) -> dict[str, Any]:
    path = _path(folder)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        # unreadable: as if a push had been interrupted with no ids known (every copy counts)
        log.warning("unreadable %s (%s): treated as an unfinished push", path, exc)
        return {"unreadable": True}
    if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION:
        return {"unreadable": True}
    return data


def _entry(raw: Any) -> Unfinished | None:
    if not isinstance(raw, dict):
        return None
    try:
        project_id = raw.get("project_id")
        return Unfinished(
            project_id=int(project_id) if project_id is not None else None,
            last_task_id=_id(raw.get("last_task_id", 0)),
            last_helping_id=_id(raw.get("last_helping_id", 0)),
            started=str(raw.get("started") or ""),
        )
    except (TypeError, ValueError):
        return None


def _id(value: Any) -> int | None:
    # null: that push read and created none of them (a push of project fields only)
    return None if value is None else int(value or 0)


def _lowest(a: int | None, b: int | None) -> int | None:
    """The lower floor of two pushes; None (created none) counts for nothing."""
    known = [i for i in (a, b) if i is not None]
    return min(known) if known else None


def load_unfinished(folder: Path | str, endpoint: str, short_name: str) -> Unfinished | None:
    """The unfinished push to (endpoint, short_name) from `folder`, or None."""
    data = _read(folder)
    if data.get("unreadable"):
        return Unfinished(project_id=None, last_task_id=0, last_helping_id=0)
    return _entry((data.get("pushes") or {}).get(target_key(endpoint, short_name)))


def mark_unfinished(
    folder: Path | str, endpoint: str, short_name: str, unfinished: Unfinished
) -> Path:
    """Record that a push to (endpoint, short_name) begins writing (atomically).

    An entry already there (an earlier push that did not finish either) keeps its lower ids.
    """
    data = _read(folder)
    pushes = dict(data.get("pushes") or {}) if not data.get("unreadable") else {}
    key = target_key(endpoint, short_name)
    older = _entry(pushes.get(key))
    if older is not None and older.project_id in (None, unfinished.project_id):
        unfinished = Unfinished(
            project_id=unfinished.project_id,
            last_task_id=_lowest(older.last_task_id, unfinished.last_task_id),
            last_helping_id=_lowest(older.last_helping_id, unfinished.last_helping_id),
            started=older.started or unfinished.started,
        )
    pushes[key] = {
        "short_name": short_name,
        "project_id": unfinished.project_id,
        "last_task_id": unfinished.last_task_id,
        "last_helping_id": unfinished.last_helping_id,
        "started": unfinished.started or datetime.now(UTC).isoformat(timespec="seconds"),
    }
    return _write(folder, pushes)


def clear_unfinished(folder: Path | str, endpoint: str, short_name: str) -> None:
    """The push to (endpoint, short_name) finished: remove its entry (and the file when empty)."""
    data = _read(folder)
    if not data:
        return
    pushes = dict(data.get("pushes") or {}) if not data.get("unreadable") else {}
    pushes.pop(target_key(endpoint, short_name), None)
    if pushes:
        _write(folder, pushes)
    else:
        _path(folder).unlink(missing_ok=True)


def _write(folder: Path | str, pushes: dict[str, Any]) -> Path:
    path = _path(folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json(path, {"version": FORMAT_VERSION, "pushes": pushes}, prefix=".push-")
    return path
