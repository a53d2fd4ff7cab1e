"""`pbsync init`: create a project folder from a template."""

from __future__ import annotations

import logging
import shlex
from pathlib import Path

import click
from click.shell_completion import CompletionItem
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pbsync.folder.scaffold import DEFAULT_TEMPLATE, list_templates, scaffold

log = logging.getLogger(__name__)


@click.command(
    "init",
    short_help="Start a project folder from a template.",
    epilog="\b\nExamples:\n  pbsync init --list\n  pbsync init demo --template transcription"
    ' --name "Old letters"',
)
@click.argument("directory", required=False, default=".", type=click.Path(path_type=Path))
@click.option(
    "-t",
    "--template",
    default=DEFAULT_TEMPLATE,
    show_default=True,
    help="The template to start from (see --list).",
    shell_complete=lambda ctx, param, incomplete: _template_names(incomplete),
)
@click.option("--name", help="The project's name (default: from the short name).")
@click.option(
    "--short-name",
    "short_name",
    help="The project's short_name (default: from the folder's name).",
)
@click.option("--list", "list_only", is_flag=True, help="List the templates and exit.")
@click.option(
    "--force", is_flag=True, help="Write into a non-empty folder, replacing the template's files."
)
def init(
    directory: Path,
    template: str,
    name: str | None,
    short_name: str | None,
    list_only: bool,
    force: bool,
) -> None:
    """Create the project folder DIRECTORY (default: here) from a template."""
    # errors (ScaffoldError) propagate to the `pbsync` group: one red line, exit code 1
    out = Console()
    if list_only:
        _print_templates(out)
        return
    folder = scaffold(template, directory, name=name, short_name=short_name, force=force)
    _print_next_steps(out, folder, directory, template)


def _template_names(incomplete: str) -> list[CompletionItem]:
    """Shell completion for --template: the shipped templates' names, with their titles."""
    return [
        CompletionItem(info.name, help=info.title)
        for info in list_templates()
        if info.name.startswith(incomplete)
    ]


def _print_templates(out: Console) -> None:
    table = Table("template", "title", "description", box=None, pad_edge=False)
    for info in list_templates():
        name = f"[bold]{escape(info.name)}[/bold]"
        table.add_row(name, escape(info.title), escape(info.description))
    out.print(table)


def _print_next_steps(out: Console, folder: Path, directory: Path, template: str) -> None:
    created = escape(str(folder))
    name = escape(template)
    out.print(f"[green]Created[/green] {created} from the template [bold]{name}[/bold].")
    shown = escape(shlex.quote(str(directory)))
    out.print("Next: edit its files, then")
    out.print(f"  pbsync diff {shown}          [dim]# what a push would change[/dim]")
    out.print(f"  pbsync push {shown} --yes    [dim]# create the project and its tasks[/dim]")
