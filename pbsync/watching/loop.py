"""The watch loop: observe the folder, wait for a burst of events to settle, sync once.

The observer (watchdog) runs in its own thread and only records paths (`Changes`); this loop, in the
caller's thread, waits for a quiet period and calls `WatchSession.sync`. It never ends on a failed
sync: the result says why, and the next save tries again. It ends when `stop` is set or on Ctrl-C,
and always stops and joins the observer.
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from watchdog.observers import Observer

from pbclient.client import Client
from pbsync.watching.changes import Changes
from pbsync.watching.session import SyncResult, WatchSession

__all__ = ["QUIET", "PreviewStatus", "watch"]

log = logging.getLogger(__name__)

#: seconds without a new event before a burst counts as settled (editors save in a few ms)
QUIET = 0.15
#: how often the loop looks at `stop` while nothing happens
IDLE_TICK = 0.25
#: seconds watchdog may hold a rename's first half while waiting for its second (its default 0.5)
MOVE_PAIRING = 0.05


def _shorten_move_pairing() -> None:
    """Make watchdog hold a rename's first half 50 ms instead of 500 ms.

    On Linux, watchdog keeps an IN_MOVED_FROM back to pair it with its IN_MOVED_TO; a reader that
    picks it up before the pair completes sleeps the whole delay (watchdog issue 649), and every
    later event waits behind it. The watch's own atomic write of `.pbsync/state.json` (write a
    temp file, rename it) and editors that save by renaming then stall a save by 0.5 s about once
    in a hundred. Both halves of a rename inside one folder arrive within microseconds. The delay
    is a class attribute of watchdog's internals (named differently across versions), so this
    adjusts whichever exists and leaves watchdog alone otherwise.
    """
    for module, name in (
        ("watchdog.observers.inotify_move_event_grouper", "InotifyMoveEventGrouper"),
        ("watchdog.observers.inotify_buffer", "InotifyBuffer"),
    ):
        try:
            holder = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError):
            continue
        if isinstance(getattr(holder, "delay", None), int | float) and holder.delay > MOVE_PAIRING:
            holder.delay = MOVE_PAIRING


class PreviewStatus:
    """Tells pbsync's preview page (local server only) whether the last sync failed.

    The page shows a red banner while an error is set. Only changes are sent, so a run of good
    syncs costs nothing; the route is not part of PYBOSSA's API and not rate limited.
    """

    def __init__(self, client: Client) -> None:
        self.client = client
        self.short_name: str | None = None
        self._shown: str | None = None

    def report(self, result: SyncResult) -> None:
        """Send the result's error (None clears the banner) when the page shows another."""
        if result.plan is not None:
            self.short_name = result.plan.short_name
        if self.short_name is None or result.error == self._shown:
            return  # before the folder ever loaded, there is no page to tell
        path = f"/_pbsync/preview/{quote(self.short_name, safe='')}/status"
        try:
            response = self.client.send("POST", path, json={"error": result.error})
        except Exception as exc:  # the banner is a convenience: never fail a sync over it
            log.debug("preview status not sent: %s", exc)
            return
        if response.status_code < 300:
            self._shown = result.error


def watch(
    folder: str | os.PathLike[str],
    client: Client,
    *,
    target: str | None = None,
    env: str | None = None,
    prune: bool = False,
    force: bool = False,
    on_sync: Callable[[SyncResult], None] | None = None,
    stop_event: threading.Event | None = None,
    preview: PreviewStatus | None = None,
    quiet: float = QUIET,
) -> None:
    """Sync `folder` to the server now, then again after every settled burst of changes.

    Args:
        folder: the project folder.
        client: an authenticated client.
        target: the server's name in `.pbsync/state.json` (default: the client's endpoint).
        env: the `[env.NAME]` overlay.
        prune: also delete what the folder no longer has (never without it).
        force: apply over conflicts and delete answered tasks.
        on_sync: called with each sync's result (failed ones too), in this thread.
        stop_event: set it (from any thread) to end the watch.
        preview: where to report sync failures for the preview page (local server only).
        quiet: seconds without an event before a burst counts as settled.
    """
    root = Path(folder).absolute()
    stop = stop_event or threading.Event()
    _shorten_move_pairing()
    session = WatchSession(root, client, target=target, env=env, prune=prune, force=force)
    changes = Changes(root)
    observer = Observer()
    observer.schedule(changes, str(root), recursive=True)
    observer.start()
    try:
        result = session.sync()
        _report(result, on_sync, preview)
        while not stop.is_set():
            if not changes.pending.wait(IDLE_TICK):
                continue
            if not _settled(changes, quiet, stop):
                continue
            failed = result.error is not None
            result = session.sync(tuple(changes.take()))
            # a save that changes nothing is not news, unless it ends a run of failures (the
            # folder put back as last synced): then the error must be cleared
            if result.parts or result.error or failed:
                _report(result, on_sync, preview)
    finally:
        observer.stop()
        observer.join()


def _settled(changes: Changes, quiet: float, stop: threading.Event) -> bool:
    """Wait until no event came for `quiet` seconds; False when stopped meanwhile."""
    while not stop.is_set():
        left = quiet - changes.quiet_for()
        if left <= 0:
            return True
        stop.wait(left)
    return False


def _report(
    result: SyncResult,
    on_sync: Callable[[SyncResult], None] | None,
    preview: PreviewStatus | None,
) -> None:
    if preview is not None:
        preview.report(result)
    if on_sync is not None:
        on_sync(result)
