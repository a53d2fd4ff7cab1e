"""`pbsync serve`: run the local PYBOSSA-compatible server in the foreground."""

from __future__ import annotations

import logging
import os
import signal
from types import FrameType
from typing import TYPE_CHECKING

import click
from rich.console import Console

if TYPE_CHECKING:
    from pbsync.server import LocalServer

log = logging.getLogger(__name__)


def _rate_limit(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> tuple[int, int] | None:
    if value is None:
        return None
    # pbsync.server imports flask and waitress: only a `serve` that runs pays for them
    from pbsync.server.ratelimit import parse_rate_limit

    try:
        return parse_rate_limit(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command(short_help="Run a local PYBOSSA-compatible server (Ctrl-C stops it).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--db",
    "db",
    default=None,
    help="SQLite database file (default: in your user data dir); ':memory:' for a throwaway one.",
)
@click.option("--api-key", default=None, help="Fix the admin user's API key.")
@click.option(
    "--rate-limit",
    default=None,
    callback=_rate_limit,
    metavar="N[/SECONDS]",
    help="Refuse requests beyond N per endpoint and client IP per window (default 900 s).",
)
@click.option(
    "--max-body",
    default=1024 * 1024,
    show_default=True,
    type=click.IntRange(0),
    help="Refuse JSON bodies over this many bytes with 413 (0: no cap, as PYBOSSA itself; "
    "the default is what a PYBOSSA behind a default nginx refuses).",
)
@click.option("--testing", is_flag=True, help="Serve the /_pbsync/* test controls (faults, stats).")
def serve(
    host: str,
    port: int,
    db: str | None,
    api_key: str | None,
    rate_limit: tuple[int, int] | None,
    max_body: int,
    testing: bool,
) -> None:
    """Run a local PYBOSSA-compatible server (Ctrl-C stops it)."""
    from pbsync.server import LocalServer, default_db_path

    # soft_wrap: a banner sent to a log file keeps its commands on one line, copyable
    console = Console(highlight=False, soft_wrap=True)
    path = db if db is not None else str(default_db_path())
    try:
        server = LocalServer(
            path,
            api_key=api_key,
            host=host,
            port=port,
            rate_limit=rate_limit,
            testing=testing,
            log_requests=True,
            max_body=max_body or None,
        )
        server.start()
    except OSError as exc:
        console.print(f"[red]error:[/red] cannot serve on {host}:{port}: {exc.strerror or exc}")
        raise SystemExit(1) from None
    # stop as cleanly on SIGTERM (service managers, `timeout`) as on Ctrl-C. SIGINT is installed
    # explicitly: a shell running `pbsync serve &` from a script starts it with SIGINT ignored, and
    # Python keeps it so (kill -INT would do nothing).
    previous = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        _print_banner(console, server, path, rate_limit, testing)
        server.serve_forever()
    except KeyboardInterrupt:
        console.print("stopping ...")
    finally:
        # a second Ctrl-C while stopping quits at once instead of dumping a traceback
        for sig in previous:
            signal.signal(sig, _quit_now)
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    console.print("stopped")


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _quit_now(signum: int, frame: FrameType | None) -> None:
    os._exit(128 + signum)


def _print_banner(
    console: Console,
    server: LocalServer,
    path: str,
    rate_limit: tuple[int, int] | None,
    testing: bool,
) -> None:
    console.print(f"[bold]PYBOSSA-compatible server[/bold] on [cyan]{server.url}[/cyan]")
    console.print(f"  admin API key: [green]{server.api_key}[/green]")
    where = "in memory (discarded on exit)" if path == ":memory:" else path
    console.print(f"  database:      {where}")
    if rate_limit is not None:
        console.print(f"  rate limit:    {rate_limit[0]} requests / {rate_limit[1]} s")
    if testing:
        console.print("  test controls: /_pbsync/reset, /_pbsync/faults, /_pbsync/stats")
    # an API list shows anonymous callers published projects only: a project just pushed is
    # unpublished, and `curl .../api/project` would answer [] for it
    console.print(f"  preview:       {server.url}/   (every project, drafts too)")
    console.print(f"                 {server.url}/project/<short_name>/newtask   (try a task)")
    console.print(
        f"  your projects: curl -H 'Authorization: {server.api_key}' '{server.url}/api/project'"
    )
    console.print("                 (without the key, the API shows published projects only)")
    console.print("  pbsync -v serve logs every request   (Ctrl-C to stop)")
