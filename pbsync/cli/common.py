"""What the commands share: the folder argument, consoles, JSON output and the connection."""

from __future__ import annotations

import json
import logging
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import Any

import click
from rich.console import Console
from rich.markup import escape

from pbclient.errors import AuthenticationError, TransportError
from pbclient.retry import RateLimitWait
from pbsync.cli import GlobalOptions, remember_secret
from pbsync.cli.explain import auth_message, transport_message
from pbsync.cli.output import ProgressReporter
from pbsync.config import resolve
from pbsync.errors import PbsyncError
from pbsync.target import Connection, connect

__all__ = [
    "WaitLine",
    "connection",
    "consoles",
    "emit_json",
    "folder_argument",
    "interruptible",
    "show_notes",
]

log = logging.getLogger(__name__)

folder_argument = click.argument(
    "directory", required=False, default=".", type=click.Path(file_okay=False, path_type=Path)
)


@contextmanager
def connection(
    ctx: click.Context,
    err: Console,
    reporter: ProgressReporter | None = None,
    *,
    on_wait: Callable[[RateLimitWait], None] | None = None,
) -> Iterator[Connection]:
    """Resolve settings and connect; say so in one line when the embedded server is used.

    Rate-limit waits go to `reporter` (a push's progress) or `on_wait`.
    """
    opts: GlobalOptions = ctx.obj
    settings = resolve(endpoint=opts.endpoint, api_key=opts.api_key, profile=opts.profile)
    remember_secret(settings.api_key)
    if settings.withheld:
        # a key the user configured but pbsync does not send: without this line a wrong key
        # and a withheld one look alike (an existing project seems missing)
        err.print(f"[yellow]warning:[/] {escape(settings.withheld)}")
    if reporter is not None:
        on_wait = reporter.rate_limit_wait
    server = settings.endpoint or "the embedded local server"
    try:
        with connect(settings, on_wait=on_wait) as conn:
            remember_secret(getattr(conn.client, "_api_key", None))
            if conn.embedded:
                err.print(
                    "No PYBOSSA endpoint configured: using the embedded local server "
                    f"({conn.store}); set --endpoint or PYBOSSA_ENDPOINT to use another.",
                    highlight=False,
                )
            if reporter is not None:
                reporter.client = conn.client
            yield conn
    except TransportError as exc:
        raise PbsyncError(transport_message(exc, server)) from exc
    except AuthenticationError as exc:
        raise PbsyncError(auth_message(exc, server, settings.api_key is not None)) from exc


class WaitLine:
    """`on_wait` for a command without a progress bar: one line on stderr per rate-limit window.

    "rate limit reached on /api/task (PYBOSSA's 300 requests per 15 minutes): waiting until
    14:05:10 (612 s)". Every worker thread waits for the same window; it is announced once.
    """

    def __init__(self, err: Console) -> None:
        self.err = err
        self._lock = threading.Lock()
        self._announced: set[tuple[str, int]] = set()

    def __call__(self, wait: RateLimitWait) -> None:
        with self._lock:
            window = (wait.path, int(wait.until))
            if window in self._announced:
                return
            self._announced.add(window)
        until = datetime.fromtimestamp(wait.until).strftime("%H:%M:%S")
        self.err.print(
            f"rate limit reached on {wait.path} (the server counts requests per endpoint in "
            f"windows, 300 per 15 minutes on PYBOSSA): waiting until {until} "
            f"({wait.seconds:.0f} s)",
            highlight=False,
        )


def show_notes(err: Console, notes: tuple[str, ...]) -> None:
    """The load's notes (`LocalProject.notes`), one line each on stderr."""
    for note in notes:
        err.print(f"[cyan]note:[/] {escape(note)}", highlight=False)


def consoles(as_json: bool, quiet: bool) -> tuple[Console, Console]:
    """(stdout console, stderr console); --json keeps stdout for the JSON document only."""
    out = Console(quiet=as_json or quiet, highlight=False, soft_wrap=True)
    return out, Console(stderr=True, highlight=False, quiet=quiet, soft_wrap=True)


def emit_json(document: Any, *, indent: int | None = 2) -> None:
    """Print `document` as JSON on stdout (indent None: one line, for JSON lines)."""
    click.echo(json.dumps(document, indent=indent, ensure_ascii=False, default=str))


@contextmanager
def interruptible() -> Iterator[None]:
    """Within the block, SIGINT and SIGTERM raise KeyboardInterrupt, whatever they were before.

    A shell running `pbsync watch DIR &` from a script starts it with SIGINT ignored, and Python
    keeps it so: `kill -INT` (or Ctrl-C after `fg`) would do nothing. Service managers and
    `timeout` stop with SIGTERM.
    """
    previous = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt
