"""`pbsync watch`: push on every save, one timestamped line per sync; Ctrl-C stops (exit 130)."""

from __future__ import annotations

import logging
import webbrowser
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import click
from rich.console import Console
from rich.markup import escape

import pbsync
from pbclient.retry import RateLimitWait
from pbsync.cli import EXIT_INTERRUPTED, GlobalOptions, global_options
from pbsync.cli.common import connection, consoles, emit_json, folder_argument, interruptible
from pbsync.cli.output import summary_line
from pbsync.target import Connection
from pbsync.watching.loop import PreviewStatus
from pbsync.watching.session import SyncResult

__all__ = ["EXIT_INTERRUPTED", "watch"]

log = logging.getLogger(__name__)


@click.command(
    short_help="Push every save while you edit (with a live preview).",
    epilog="\b\nExamples:\n  pbsync watch demo --preview\n"
    "  pbsync watch demo --preview --open   # and open it in a browser",
)
@folder_argument
@click.option("--prune", is_flag=True, help="Also delete what the folder no longer has.")
@click.option("--force", is_flag=True, help="Sync over conflicts; delete answered tasks.")
@click.option("--preview", is_flag=True, help="Print the presenter's preview URL.")
@click.option("--open", "open_browser", is_flag=True, help="Open the preview in a browser.")
@click.option("--json", "as_json", is_flag=True, help="One JSON line per sync on stdout.")
@global_options
@click.pass_context
def watch(
    ctx: click.Context,
    directory: Path,
    prune: bool,
    force: bool,
    preview: bool,
    open_browser: bool,
    as_json: bool,
) -> None:
    """Watch DIRECTORY and push what each save changed (Ctrl-C stops).

    Nothing is deleted on the server unless --prune; a conflict (the server changed a value
    since the last sync) is shown and skipped unless --force. A failed sync is one line and
    the watch goes on.
    """
    opts: GlobalOptions = ctx.obj
    out, err = consoles(as_json, opts.verbosity < 0)
    shown = _Shown(out, err, as_json, preview or open_browser, open_browser)
    with connection(ctx, err, on_wait=shown.rate_limit_wait) as conn:
        shown.conn = conn
        status = None
        if shown.preview and _serves_preview(conn):
            shown.local_preview = True
        if shown.local_preview:
            status = PreviewStatus(conn.client)
        err.print(f"Watching {escape(str(directory))} (Ctrl-C stops).", highlight=False)
        try:
            with interruptible():
                pbsync.watch(
                    directory,
                    conn.client,
                    target=conn.target,
                    env=opts.env,
                    prune=prune,
                    force=force,
                    on_sync=shown.sync,
                    preview=status,
                )
        except KeyboardInterrupt:
            err.print("Stopped.", highlight=False)
            ctx.exit(EXIT_INTERRUPTED)


class _Shown:
    """Prints each sync as one timestamped line (or a JSON line), and the preview URL once."""

    def __init__(
        self, out: Console, err: Console, as_json: bool, preview: bool, open_browser: bool
    ) -> None:
        self.out, self.err, self.as_json = out, err, as_json
        self.preview, self.open_browser = preview, open_browser
        self.local_preview = False
        self.conn: Connection | None = None
        self._url_shown = False
        self._notes: set[str] = set()

    def sync(self, result: SyncResult) -> None:
        if self.as_json:
            emit_json(_result_json(result), indent=None)
        else:
            self._line(result)
        if result.ok and result.plan is not None:
            self._show_url(result.plan.short_name)

    def _line(self, result: SyncResult) -> None:
        stamp = result.at.strftime("%H:%M:%S")
        what = ", ".join(result.paths) or "start"
        cost = f"({_n(result.requests, 'request')}, {result.seconds * 1000:.0f} ms)"
        if result.error is not None:
            self.err.print(f"{stamp} [red]error:[/] {escape(result.error)}", highlight=False)
            return
        for note in result.notes:
            if note not in self._notes:
                self._notes.add(note)
                self.err.print(f"{stamp} [yellow]note:[/] {escape(note)}", highlight=False)
        for blocked in _blocked(result):
            line = f"{blocked['item']}: {blocked['reason']}"
            if line not in self._notes:  # shown once: it stays blocked on every later sync
                self._notes.add(line)
                self.err.print(f"{stamp} [red]blocked[/] {escape(line)}", highlight=False)
        done = summary_line(result.report) if result.report is not None else "in sync"
        self.out.print(f"{stamp} {escape(what)}: {done} {cost}", highlight=False)

    def _show_url(self, short_name: str) -> None:
        if self._url_shown or not self.preview or self.conn is None:
            return
        self._url_shown = True
        base = self.conn.url.rstrip("/")
        url = f"{base}/project/{quote(short_name, safe='')}/newtask"
        where = "Preview" if self.local_preview else "The presenter on the server"
        self.err.print(f"{where}: {url}", highlight=False, soft_wrap=True)
        if self.open_browser:
            webbrowser.open(url)

    def rate_limit_wait(self, wait: RateLimitWait) -> None:
        until = datetime.fromtimestamp(wait.until).strftime("%H:%M:%S")
        self.err.print(
            f"rate limited on {wait.path}: waiting until {until} (the next save waits too)",
            highlight=False,
        )


def _serves_preview(conn: Connection) -> bool:
    """Whether the target is pbsync's local server (which serves the preview): one GET."""
    if conn.embedded:
        return True
    try:
        response = conn.client.send("GET", "/_pbsync/preview")
        return response.status_code == 200 and response.json().get("preview") is True
    except Exception:  # a real PYBOSSA answers 404 (or HTML): no local preview there
        return False


def _result_json(result: SyncResult) -> dict[str, object]:
    return {
        "at": result.at.isoformat(timespec="milliseconds"),
        "paths": list(result.paths),
        "parts": list(result.parts),
        "ok": result.ok,
        "error": result.error,
        "notes": list(result.notes),
        "blocked": _blocked(result),
        "report": result.report.to_json() if result.report is not None else None,
        "requests": result.requests,
        "seconds": round(result.seconds, 3),
    }


def _blocked(result: SyncResult) -> list[dict[str, str]]:
    """The steps the sync's plan left out and why (a task PYBOSSA would not let this key
    delete, one with task runs and no --force)."""
    blocked = result.plan.blocked if result.plan is not None else ()
    return [{"item": b.item, "reason": b.reason} for b in blocked]


def _n(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"
