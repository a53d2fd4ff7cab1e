"""A `pbsync.watch` running in a thread, for tests: wait on its sync results with timeouts.

Shared by tests/watch and tests/reliability (tests/ is on sys.path: it holds conftest.py).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from pathlib import Path

import pbsync
from pbclient.client import Client
from pbsync.watching.session import SyncResult

#: how long a sync may take to arrive on a loaded 2-core machine
ARRIVES = 15.0
#: how long to wait for a sync that must not come (quiet period 0.15 s, plus a margin)
STAYS_AWAY = 1.5


class Watching:
    """A watch running in a thread; `next()` waits for its next sync result."""

    def __init__(self, folder: Path, client: Client, **options: object) -> None:
        self.results: queue.Queue[SyncResult] = queue.Queue()
        self.stop = threading.Event()
        self.errors: list[BaseException] = []
        self.thread = threading.Thread(
            target=self._run, args=(folder, client, options), name="watch", daemon=True
        )

    def _run(self, folder: Path, client: Client, options: dict[str, object]) -> None:
        try:
            pbsync.watch(folder, client, on_sync=self.results.put, stop_event=self.stop, **options)  # type: ignore[arg-type]
        except BaseException as exc:  # surfaced by the test through `errors`
            self.errors.append(exc)

    def next(self, timeout: float = ARRIVES) -> SyncResult:
        try:
            return self.results.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no sync within {timeout} s (errors: {self.errors})") from None

    def none_within(self, timeout: float = STAYS_AWAY) -> bool:
        try:
            extra = self.results.get(timeout=timeout)
        except queue.Empty:
            return True
        raise AssertionError(f"unexpected sync: {extra}")

    def __enter__(self) -> Watching:
        self.thread.start()
        first = self.next()
        assert first.ok, first.error
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=10)
        assert not self.thread.is_alive(), "the watch did not stop"
        assert not self.errors, self.errors

    def until(self, done: Callable[[SyncResult], bool]) -> SyncResult:
        """The first sync that failed or satisfies `done` (a burst may be split in two)."""
        while True:
            result = self.next()
            if not result.ok or done(result):
                return result
