"""`pbsync validate`: load and check a project folder offline (exit 0: valid, 1: problems)."""

from __future__ import annotations

import logging
from pathlib import Path

import click

import pbsync
from pbsync.cli import GlobalOptions, global_options
from pbsync.cli.common import consoles, emit_json, folder_argument, show_notes

__all__ = ["validate"]

log = logging.getLogger(__name__)


@click.command(
    short_help="Check a project folder offline (exit 0: valid).",
    epilog="\b\nExamples:\n  pbsync validate demo\n  pbsync validate demo --env staging",
)
@folder_argument
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@global_options
@click.pass_context
def validate(ctx: click.Context, directory: Path, as_json: bool) -> None:
    """Check the folder DIRECTORY as a push would, without contacting any server.

    Every problem is one line (file, line, field) and the exit code is 1; a valid folder prints
    one summary line and exits 0.
    """
    # a ValidationError propagates to the group: one line per problem (or a JSON object), exit 1
    opts: GlobalOptions = ctx.obj
    out, err = consoles(as_json, opts.verbosity < 0)
    local = pbsync.load(directory, env=opts.env)
    show_notes(err, local.notes)
    state = local.state
    n_tasks = len(state.tasks) if state.tasks is not None else None
    n_helping = len(state.helping_materials)
    if as_json:
        emit_json(
            {
                "valid": True,
                "short_name": state.project.short_name,
                "tasks": n_tasks,
                "helping_materials": n_helping,
                "files": len(local.files),
            }
        )
        return
    tasks = "tasks not managed" if n_tasks is None else _count(n_tasks, "task")
    helping = _count(n_helping, "helping material")
    out.print(
        f"{directory} is valid: project {state.project.short_name}, {tasks}, {helping}.",
        markup=False,
    )


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"
