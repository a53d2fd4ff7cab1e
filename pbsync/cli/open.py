"""`pbsync open`: the project's page on the server, printed and opened in a browser.

No request is sent: the page's address is the endpoint and the folder's short_name. The embedded
server lives only as long as one command, so for it the address is `pbsync serve`'s default one.
"""

from __future__ import annotations

import logging
import webbrowser
from pathlib import Path

import click

import pbsync
from pbsync.cli import GlobalOptions, global_options
from pbsync.cli.common import consoles, folder_argument
from pbsync.config import resolve

__all__ = ["SERVE_URL", "open_", "project_url"]

log = logging.getLogger(__name__)

#: where `pbsync serve` listens by default (the embedded server's port changes every command)
SERVE_URL = "http://127.0.0.1:5000"


def project_url(endpoint: str | None, short_name: str, page: str = "") -> str:
    """The project's page (`/project/<short_name>/`, PYBOSSA's and the local preview's)."""
    return f"{(endpoint or SERVE_URL).rstrip('/')}/project/{short_name}/{page}"


@click.command(
    "open",
    short_help="Open the project's page in a browser.",
    epilog="\b\nExamples:\n  pbsync open demo\n  pbsync open demo --page newtask --print",
)
@folder_argument
@click.option(
    "--page",
    type=click.Choice(["", "newtask", "tutorial", "results"]),
    default="",
    help="Open a page of the project instead of its front page.",
)
@click.option("--print", "print_only", is_flag=True, help="Print the URL; open no browser.")
@global_options
@click.pass_context
def open_(ctx: click.Context, directory: Path, page: str, print_only: bool) -> None:
    """Print the URL of the project DIRECTORY holds on the server, and open it in a browser."""
    opts: GlobalOptions = ctx.obj
    _, err = consoles(False, opts.verbosity < 0)
    local = pbsync.load(directory, env=opts.env)
    settings = resolve(endpoint=opts.endpoint, api_key=opts.api_key, profile=opts.profile)
    url = project_url(settings.endpoint, local.state.project.short_name, page)
    click.echo(url)
    if settings.embedded:
        err.print(
            "No PYBOSSA endpoint configured: this is the address of `pbsync serve` (start it to "
            "see the project; the embedded server runs only during a command).",
            markup=False,
        )
    if not print_only and not webbrowser.open(url):
        err.print("No browser could be started: open the URL above by hand.", markup=False)
