"""`pbsync convert`: write the project.toml equivalent to a pbs folder (and pbs's options)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import click

from pbsync.cli import GlobalOptions, global_options
from pbsync.cli.common import consoles, emit_json, folder_argument
from pbsync.errors import PbsyncError
from pbsync.folder.convert import PBS_REDUNDANCY, convert_pbs
from pbsync.folder.manifest import PROJECT_TOML

__all__ = ["convert"]

log = logging.getLogger(__name__)

_TYPES = ["csv", "tsv", "json", "jsonl", "xlsx", "xlsm", "po", "properties"]


@click.command(
    short_help="Write a project.toml for a pbs folder.",
    epilog="\b\nExamples:\n  pbsync convert\n"
    "  pbsync convert app-flickr --tasks-file flickr_tasks.csv --redundancy 5\n"
    "  pbsync convert --tasks-file strings.txt --tasks-type properties --print",
)
@folder_argument
@click.option("--tasks-file", metavar="FILE", help="pbs add-tasks' --tasks-file.")
@click.option(
    "--tasks-type",
    type=click.Choice(_TYPES, case_sensitive=False),
    help="pbs add-tasks' --tasks-type (default: the file's extension).",
)
@click.option("--priority", type=float, metavar="P", help="pbs add-tasks' --priority (0..1).")
@click.option(
    "--redundancy",
    type=int,
    metavar="N",
    help=f"pbs add-tasks' --redundancy (default, as pbs: {PBS_REDUNDANCY} with --tasks-file).",
)
@click.option(
    "--helping-materials-file", metavar="FILE", help="pbs add-helpingmaterials' file (JSON, CSV)."
)
@click.option("--force", is_flag=True, help="Overwrite an existing project.toml.")
@click.option("--print", "show", is_flag=True, help="Print the project.toml; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@global_options
@click.pass_context
def convert(
    ctx: click.Context,
    directory: Path,
    tasks_file: str | None,
    tasks_type: str | None,
    priority: float | None,
    redundancy: int | None,
    helping_materials_file: str | None,
    force: bool,
    show: bool,
    as_json: bool,
) -> None:
    """Write DIRECTORY/project.toml for a pbs folder, with pbs's options written down.

    project.json, template.html and the other pbs files stay where they are (pbs keeps working);
    once project.toml exists pbsync reads it instead of project.json.
    """
    opts: GlobalOptions = ctx.obj
    out, err = consoles(as_json, opts.verbosity < 0)
    target = directory / PROJECT_TOML
    if target.exists() and not (force or show):
        raise PbsyncError(f"{target} exists: pass --force to overwrite it (or --print)")
    made = convert_pbs(
        directory,
        tasks_file=tasks_file,
        tasks_type=tasks_type,
        priority=priority,
        redundancy=redundancy,
        helping_file=helping_materials_file,
    )
    if not show:
        temporary = target.with_name(f".{PROJECT_TOML}.{os.getpid()}.tmp")
        temporary.write_text(made.text, encoding="utf-8")
        os.replace(temporary, target)  # atomic: never half a project.toml
    if as_json:
        emit_json(
            {
                "written": None if show else str(target),
                "project_toml": made.text,
                "task_files": list(made.task_files),
                "helping_materials": list(made.helping),
                "unread_task_files": list(made.unread),
            }
        )
        return
    if show:
        out.print(made.text, markup=False, end="")
        return
    tasks = ", ".join(made.task_files) or "tasks.* (the default search)"
    out.print(
        f"wrote {target}: tasks from {tasks}, {len(made.helping)} helping material entries",
        markup=False,
    )
    for name in made.unread:
        err.print(
            f"note: {name} is not read; pbsync convert --tasks-file {name} --force adds it",
            markup=False,
        )
