"""`pbsync export`: a project's tasks, task runs and results into files, resumable."""

from __future__ import annotations

import logging
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)

from pbsync.cli import GlobalOptions, global_options
from pbsync.cli.common import WaitLine, connection, consoles, emit_json, interruptible
from pbsync.exporting.run import FORMATS, ExportReport, export_files
from pbsync.exporting.source import KINDS, parse_kinds

__all__ = ["export"]

log = logging.getLogger(__name__)

#: what the bar calls each kind
LABELS = {"tasks": "tasks", "taskruns": "task runs", "results": "results"}


class ExportBar:
    """One progress bar per kind, on a terminal only; without a known total, a pulsing bar.

    The total is the project's count from its lookup (no extra request); PYBOSSA's counts come
    from background jobs and may be missing or stale: a count overtaken turns the bar
    indeterminate rather than showing more than 100%.
    """

    def __init__(self, console: Console) -> None:
        self.console = console
        self.progress: Progress | None = None
        self.bars: dict[str, TaskID] = {}

    def update(self, kind: str, done: int, total: int | None) -> None:
        """The progress callback of `export_files`."""
        if not self.console.is_terminal:
            return
        if self.progress is None:
            self.progress = Progress(
                TextColumn("{task.description:<9}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=self.console,
            )
            self.progress.start()
        if total is not None and done > total:
            total = None
        bar = self.bars.get(kind)
        if bar is None:
            self.bars[kind] = self.progress.add_task(LABELS[kind], total=total, completed=done)
        else:
            self.progress.update(bar, total=total, completed=done)
            if total is None:  # rich's `update` keeps the old total for None: unset it here
                for task in self.progress.tasks:
                    if task.id == bar:
                        task.total = None

    def close(self) -> None:
        """Stop the live display (also after an error)."""
        if self.progress is not None:
            self.progress.stop()
            self.progress = None


@click.command(
    short_help="Export a project's tasks, task runs and results to files.",
    epilog="\b\nExamples:\n  pbsync export birds                        # ./birds_tasks.jsonl ...\n"
    "  pbsync export birds --what taskruns --format csv --out answers\n"
    "  pbsync export birds --since 41200          # only rows with a higher id\n\n"
    "\b\nRun it again to continue an interrupted export, or to add the rows created since.",
)
@click.argument("short_name")
@click.option(
    "--what",
    default=",".join(KINDS),
    show_default=True,
    metavar="KINDS",
    help=f"What to export, comma-separated: {', '.join(KINDS)}.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="jsonl",
    show_default=True,
    help="jsonl; csv (info.* flattened) and json are made from the jsonl at the end.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Folder for the files (SHORT_NAME_KIND.EXT).",
)
@click.option(
    "--since",
    type=click.IntRange(0),
    default=None,
    metavar="ID",
    help="Only rows with an id above ID (for incremental exports into a new folder).",
)
@click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON.")
@global_options
@click.pass_context
def export(
    ctx: click.Context,
    short_name: str,
    what: str,
    fmt: str,
    out: Path,
    since: int | None,
    as_json: bool,
) -> None:
    """Export SHORT_NAME's tasks, task runs and results (a key is needed for unpublished ones)."""
    opts: GlobalOptions = ctx.obj
    stdout, err = consoles(as_json, opts.verbosity < 0)
    kinds = parse_kinds(what)  # a typo is refused before anything is sent
    bar = ExportBar(err)
    try:
        with interruptible(), connection(ctx, err, on_wait=WaitLine(err)) as conn:
            report = export_files(
                conn.client, short_name, out, what=kinds, fmt=fmt, since=since, progress=bar.update
            )
    finally:
        bar.close()
    if as_json:
        emit_json(report.to_json())
    else:
        _render(stdout, report)


def _render(console: Console, report: ExportReport) -> None:
    for k in report.kinds:
        added = "" if k.added == k.rows else f" ({k.added:,} new)"
        console.print(f"{LABELS[k.kind]}: {k.rows:,} rows{added} -> {escape(str(k.path))}")
    console.print(f"{report.requests:,} requests", highlight=False)
