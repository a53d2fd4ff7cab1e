"""`pbsync projects`: the projects the caller owns on the server."""

from __future__ import annotations

import logging

import click
from rich.markup import escape
from rich.table import Table

from pbsync.cli import GlobalOptions, global_options
from pbsync.cli.common import connection, consoles, emit_json
from pbsync.errors import PbsyncError

__all__ = ["projects"]

log = logging.getLogger(__name__)

#: the fields listed (and in --json), in this order
FIELDS = ("id", "short_name", "name", "published", "created")


@click.command(
    short_help="List your projects on the server.",
    epilog="\b\nExamples:\n  pbsync projects\n  pbsync projects --json | jq -r '.[].short_name'",
)
@click.option("--json", "as_json", is_flag=True, help="Print the projects as a JSON list.")
@global_options
@click.pass_context
def projects(ctx: click.Context, as_json: bool) -> None:
    """List the projects the API key's user owns (published or not), oldest first."""
    opts: GlobalOptions = ctx.obj
    out, err = consoles(as_json, opts.verbosity < 0)
    with connection(ctx, err) as conn:
        if not conn.client.has_api_key:
            # without a key PYBOSSA lists every published project, nobody's in particular
            raise PbsyncError(
                f"listing your projects on {conn.url} needs an API key: set --api-key, "
                "PYBOSSA_API_KEY or ~/.pybossa.cfg (`pbsync login`)"
            )
        # all=0: PYBOSSA's owner-filtered view (the client sends all=1 otherwise)
        rows = [{k: row.get(k) for k in FIELDS} for row in conn.client.projects.rows(all=0)]
    if as_json:
        emit_json(rows)
        return
    if not rows:
        out.print(f"No projects of yours on {conn.url}.", markup=False)
        return
    table = Table("id", "short_name", "name", "published", box=None, pad_edge=False)
    for row in rows:
        published = "yes" if row["published"] else "no"
        table.add_row(
            str(row["id"]), escape(str(row["short_name"])), escape(str(row["name"])), published
        )
    out.print(table)
