"""`LocalServer`: the app on waitress in a background thread (tests, benchmarks, `pbsync serve`)."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.server import create_server

from pbsync.server.app import ServerState, create_app
from pbsync.server.context import MAX_JSON_BYTES
from pbsync.server.faults import FaultInjector, RequestStats
from pbsync.server.ratelimit import DEFAULT_WINDOW, RateLimiter, parse_rate_limit
from pbsync.server.requestlog import RequestLog
from pbsync.server.store import Store
from pbsync.server.uploads import MAX_UPLOAD_BYTES, UploadStore

log = logging.getLogger(__name__)

#: waitress worker threads: enough for a client's small upload pool plus a browser
THREADS = 8


def uploads_dir_for(db: str) -> Path | None:
    """Return the upload directory next to a database file (None for `:memory:`)."""
    if db == ":memory:":
        return None
    path = Path(db)
    return path.with_name(path.stem + "-uploads")


class LocalServer:
    """A PYBOSSA-compatible server on a local port.

    Args:
        db: SQLite database path, or ":memory:".
        api_key: fixes the admin's API key (else the stored one, or a new one).
        host: interface to bind.
        port: port (0 picks a free one; see `url`).
        rate_limit: None (off), N, (N, seconds) or "N/SECONDS".
        testing: also serve the `/_pbsync/*` controls over HTTP.
        log_requests: log one line per request at INFO (`pbsync serve`); else at DEBUG.
        max_body: JSON bodies over this many bytes are refused with 413 (None: no cap, as
            PYBOSSA; the 1 MiB default is what a PYBOSSA behind a default nginx refuses).
    """

    def __init__(
        self,
        db: str | Path = ":memory:",
        *,
        api_key: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        rate_limit: int | tuple[int, int] | str | None = None,
        testing: bool = False,
        log_requests: bool = False,
        max_body: int | None = MAX_JSON_BYTES,
    ) -> None:
        self.db = str(db)
        self.log_level = logging.INFO if log_requests else logging.DEBUG
        self.host = host
        self.port = port
        self.testing = testing
        self.store = Store(self.db)
        self._admin = self.store.bootstrap(api_key)
        self.uploads = UploadStore(uploads_dir_for(self.db))
        limit, window = _rate_limit(rate_limit)
        self.state = ServerState(
            store=self.store,
            uploads=self.uploads,
            limiter=RateLimiter(limit, window),
            testing=testing,
            max_body=max_body,
        )
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def api_key(self) -> str:
        """The admin user's API key."""
        return str(self._admin["api_key"])

    @property
    def url(self) -> str:
        """The endpoint, e.g. `http://127.0.0.1:5000` (no trailing slash); needs `start()`."""
        if self._server is None:
            raise RuntimeError("the server is not started")
        host = self.host if ":" not in self.host else f"[{self.host}]"
        return f"http://{host}:{self._server.effective_port}"

    @property
    def faults(self) -> FaultInjector:
        """The fault injector (in-process; over HTTP only with `testing`)."""
        return self.state.faults

    @property
    def stats(self) -> RequestStats:
        """The request counters."""
        return self.state.stats

    def start(self) -> LocalServer:
        """Bind and serve in a background thread; return once connections are accepted."""
        if self._server is not None:
            return self
        app = RequestLog(create_app(self.state), self.log_level)
        channels: dict[int, Any] = {}
        try:
            self._server = create_server(
                app,
                map=channels,
                host=self.host,
                port=self.port,
                threads=THREADS,
                max_request_body_size=MAX_UPLOAD_BYTES + 1024 * 1024,
                ident="pbsync",
                clear_untrusted_proxy_headers=True,
            )
        except OSError:
            # a failed bind leaves waitress' socket and wake-up pipe open in the map
            wasyncore.close_all(channels)
            raise
        self._stopping.clear()
        self._thread = threading.Thread(target=self._serve, name="pbsync-server", daemon=True)
        self._thread.start()
        log.info("serving on %s", self.url)
        return self

    def _serve(self) -> None:
        server = self._server
        # our own loop instead of server.run(), so stop() can end it between polls
        while not self._stopping.is_set():
            server.asyncore.loop(timeout=1.0, map=server._map, use_poll=True, count=1)
        server.task_dispatcher.shutdown(timeout=5)
        server.asyncore.close_all(server._map)

    def stop(self) -> None:
        """Stop serving, join the thread and close the store (idempotent)."""
        if self._server is not None:
            self._stopping.set()
            self._server.pull_trigger()
            if self._thread is not None:
                self._thread.join(timeout=10)
            self._server = None
            self._thread = None
        self.store.close()
        self.uploads.close()

    def serve_forever(self) -> None:
        """Block until `stop()` is called from another thread (or KeyboardInterrupt)."""
        if self._thread is None:
            self.start()
        assert self._thread is not None
        while self._thread.is_alive():
            self._thread.join(timeout=0.5)

    def wait_idle(self, timeout: float) -> bool:
        """Block until no client is connected and no request is being handled or queued.

        After a test kills a client, requests it had sent may still be running (a fault's
        latency, a write finishing): once this returns True, none of them can change anything
        any more, so what the store holds is final.

        Returns:
            True once idle; False when `timeout` seconds passed first.
        """
        deadline = time.monotonic() + timeout
        while not self._idle():
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.005)  # waitress signals neither event: poll, briefly
        return True

    def _idle(self) -> bool:
        server = self._server
        if server is None:
            return True
        # connections first: only a connection queues work, so once none is left, an empty
        # queue and no busy thread seen afterwards stay that way
        if any(isinstance(channel, HTTPChannel) for channel in list(server._map.values())):
            return False
        dispatcher = server.task_dispatcher
        with dispatcher.lock:
            return dispatcher.active_count == 0 and not dispatcher.queue

    def reset(self) -> None:
        """Empty everything but the admin user and the default categories; keep the admin key."""
        self.store.reset()
        self.uploads.clear()
        self.state.limiter.clear()
        self.state.faults.clear()
        self.state.preview.clear()

    def create_user(self, name: str) -> str:
        """Create a non-admin user and return its API key."""
        return str(self.store.create_user(name)["api_key"])

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.url if self._server is not None else "stopped"
        return f"LocalServer({self.db!r}, {where})"


def _rate_limit(value: int | tuple[int, int] | str | None) -> tuple[int | None, int]:
    if value is None:
        return None, DEFAULT_WINDOW
    if isinstance(value, str):
        return parse_rate_limit(value)
    if isinstance(value, tuple):
        return value[0], value[1]
    return value, DEFAULT_WINDOW
