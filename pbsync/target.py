"""Connecting to the target server, including the embedded default one.

When no endpoint is configured anywhere (config.py), pbsync starts its own local server in-process
on 127.0.0.1 with a free port, on the same SQLite store `pbsync serve` uses, for the duration of
one command, and talks to it with that store's admin key.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from pbclient.client import Client
from pbclient.retry import RateLimitWait
from pbsync.config import Settings

__all__ = ["EMBEDDED_TARGET", "Connection", "Stopped", "connect"]

log = logging.getLogger(__name__)

#: the name drift records use for the embedded server (its port changes every run)
EMBEDDED_TARGET = "embedded"
#: requests per window for the embedded server: effectively none, but reported in the headers
UNLIMITED = 1_000_000_000


class Stopped(Exception):
    """Raised in a client's wait (rate-limit window, retry back-off) once the command is ending."""


def _stoppable_sleep(stop: threading.Event) -> Callable[[float], None]:
    """A `sleep` for the client that ends early, raising `Stopped`, once `stop` is set.

    Task workers sleep through rate-limit windows (up to 15 minutes on PYBOSSA); when the command
    stops (Ctrl-C, an error) they must not keep the process alive, nor send anything afterwards.
    """

    def sleep(seconds: float) -> None:
        if stop.wait(seconds):
            raise Stopped("the command is stopping")

    return sleep


@dataclass(frozen=True)
class Connection:
    """An open client and where it points.

    Attributes:
        client: the API client.
        target: the name `.pbsync/state.json` records for this server (stable across runs).
        url: the server's URL.
        embedded: True for the in-process local server.
        store: the embedded server's database file (None otherwise).
    """

    client: Client
    target: str
    url: str
    embedded: bool = False
    store: str | None = None


@contextmanager
def connect(
    settings: Settings, *, on_wait: Callable[[RateLimitWait], None] | None = None
) -> Iterator[Connection]:
    """Open a client for `settings`, starting the embedded server when no endpoint is set.

    Args:
        settings: from `config.resolve`.
        on_wait: passed to the client (called before it sleeps for a rate-limit window).
    """
    stop = threading.Event()
    sleep = _stoppable_sleep(stop)
    if settings.endpoint is not None:
        with Client(settings.endpoint, settings.api_key, on_wait=on_wait, sleep=sleep) as client:
            try:
                yield Connection(client=client, target=settings.endpoint, url=settings.endpoint)
            finally:
                stop.set()
        return
    from pbsync.server import LocalServer, default_db_path

    db = str(default_db_path())
    # an explicit, huge limit keeps the rate-limit headers honest, so the client never paces
    # against the default 300 a limit-less server advertises
    with (
        LocalServer(db=db, port=0, rate_limit=UNLIMITED) as server,
        Client(server.url, server.api_key, on_wait=on_wait, sleep=sleep) as client,
    ):
        log.info("embedded local server on %s (store %s)", server.url, db)
        try:
            yield Connection(
                client=client, target=EMBEDDED_TARGET, url=server.url, embedded=True, store=db
            )
        finally:
            stop.set()
