"""The file events a watch acts on: recorded by watchdog's thread, settled by the watch loop.

The watchdog callback only records the path and sets an event; the loop waits for a quiet period
(no new event for `quiet` seconds) and then syncs once, so a burst of saves (an editor writing a
temp file and renaming it, `git checkout`, a formatter) costs one sync. Directory events and events
that write nothing (opening, reading, closing a file unchanged) are dropped: the watch's own
reading of the folder must not wake it up again. A move counts for both its ends, so an editor's
write-temp-then-rename save is seen under the real file's name.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from watchdog.events import (
    EVENT_TYPE_CLOSED,
    EVENT_TYPE_CREATED,
    EVENT_TYPE_DELETED,
    EVENT_TYPE_MODIFIED,
    EVENT_TYPE_MOVED,
    FileSystemEvent,
    FileSystemEventHandler,
)

from pbsync.errors import PbsyncError
from pbsync.folder.ignore import IGNORE_FILE, IgnoreRules

__all__ = ["Changes"]

log = logging.getLogger(__name__)

#: events that may change what a file holds
_WRITES = frozenset(
    {
        EVENT_TYPE_CREATED,
        EVENT_TYPE_MODIFIED,
        EVENT_TYPE_DELETED,
        EVENT_TYPE_MOVED,
        EVENT_TYPE_CLOSED,
    }
)


class Changes(FileSystemEventHandler):
    """Folder-relative paths changed since the last `take()`, and an event that says there are some.

    Args:
        folder: the project folder being watched.
        clock: monotonic seconds (injectable for tests).
    """

    def __init__(self, folder: Path, clock: Callable[[], float] | None = None) -> None:
        self.folder = Path(folder).absolute()
        self._clock = clock or time.monotonic
        self._lock = threading.Lock()
        self._paths: set[str] = set()
        self._new: set[str] = set()
        self._last = 0.0
        self.pending = threading.Event()
        self._ignore = self._load_ignore()

    # -- watchdog's thread ------------------------------------------------------------------------

    def on_any_event(self, event: FileSystemEvent) -> None:
        """Record a file event that may have changed the project (called by watchdog)."""
        if event.is_directory or event.event_type not in _WRITES:
            return
        ends = [event.src_path]
        if event.event_type == EVENT_TYPE_MOVED:
            ends.append(getattr(event, "dest_path", "") or "")
        relevant = [rel for rel in map(self._relative, ends) if rel is not None]
        if not relevant:
            return
        with self._lock:
            for rel in relevant:
                if rel not in self._paths and event.event_type == EVENT_TYPE_CREATED:
                    self._new.add(rel)  # first seen being created: maybe an editor's temp file
                self._paths.add(rel)
            if event.event_type == EVENT_TYPE_MOVED and len(relevant) == 2:
                self._new.add(relevant[1])
            self._last = self._clock()
        self.pending.set()

    def _relative(self, path: str | bytes) -> str | None:
        text = os.fsdecode(path)
        if not text:
            return None
        try:
            rel = Path(text).absolute().relative_to(self.folder).as_posix()
        except ValueError:
            return None  # outside the folder (a move out of it: its source end is recorded)
        if rel == IGNORE_FILE:
            self._ignore = self._load_ignore()
            return rel
        return None if self._ignore.matches(rel) else rel

    def _load_ignore(self) -> IgnoreRules:
        try:
            return IgnoreRules.load(self.folder)
        except (OSError, UnicodeDecodeError, PbsyncError):
            return IgnoreRules()  # the folder's loader reports a bad (or symlinked) .pbsyncignore

    # -- the watch loop's thread ------------------------------------------------------------------

    def quiet_for(self) -> float:
        """Seconds since the last recorded event."""
        with self._lock:
            return self._clock() - self._last

    def take(self) -> list[str]:
        """The recorded paths (sorted), forgetting them.

        A path created during the burst that is gone again was an editor's or a tool's temp
        file (`sed -i`, JetBrains' safe write): it is left out.
        """
        with self._lock:
            paths, new = self._paths, self._new
            self._paths, self._new = set(), set()
            self.pending.clear()
        return sorted(p for p in paths if p not in new or (self.folder / p).exists())
