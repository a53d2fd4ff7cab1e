"""`pbsync status`: which server, profile and user a command would use, and the folder's state.

The user costs at most two GETs: the caller's first project in PYBOSSA's owner-filtered view
(`all=0`), whose owner is the key's user, then that user's name. PYBOSSA has no "who am I" call
in its API, and treats a key it does not know as anonymous: an anonymous view of a project (no
`published` field) shows that the key was not accepted. The key itself is shown as `<hidden>`.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import click
from rich.markup import escape

import pbsync
from pbsync.cli import GlobalOptions, global_options
from pbsync.cli.common import connection, consoles, emit_json, folder_argument
from pbsync.config import CONFIG_NAME, ENV_API_KEY, HIDDEN, resolve
from pbsync.errors import PbsyncError, ValidationError
from pbsync.folder.project import LocalProject
from pbsync.target import Connection

__all__ = ["status"]

log = logging.getLogger(__name__)


@click.command(
    short_help="Show the server, profile, user and the folder's state.",
    epilog="\b\nExamples:\n  pbsync status demo\n  pbsync --profile staging status demo --json",
)
@folder_argument
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@global_options
@click.pass_context
def status(ctx: click.Context, directory: Path, as_json: bool) -> None:
    """Show where commands go (server, profile, key, user) and DIRECTORY's state on the server."""
    opts: GlobalOptions = ctx.obj
    out, err = consoles(as_json, opts.verbosity < 0)
    settings = resolve(endpoint=opts.endpoint, api_key=opts.api_key, profile=opts.profile)
    local, folder = _load(directory, opts.env)
    report: dict[str, Any] = {
        "server": settings.endpoint or "embedded",
        "source": settings.source,
        "profile": settings.profile,
        "api_key": (
            _key_source(opts, settings.api_key)
            if not settings.embedded
            else "<hidden> (the embedded server's admin key)"
        ),
    }
    with connection(ctx, err) as conn:
        report["url"] = conn.url
        report["user"], report["key"] = _user(conn)
        if local is not None:
            try:
                plan = pbsync.plan(local, conn.client, target=conn.target)
            except PbsyncError as exc:  # status reports what it can: the rest is still useful
                folder = f"{directory}: cannot be compared with the server: {exc}"
            else:
                folder = _folder_state(directory, plan)
        report["requests"] = conn.client.stats.total
    report["folder"] = folder
    if as_json:
        emit_json(report)
        return
    server = escape(str(settings.endpoint or f"the embedded local server ({conn.store})"))
    rows = [
        ("server", server + ("" if settings.embedded else f" (from {escape(settings.source)})")),
        ("profile", escape(f"{settings.profile or '-'} (~/{CONFIG_NAME})")),
        ("API key", escape(str(report["api_key"]))),
        ("user", escape(f"{report['user'] or '-'} ({report['key']})")),
        ("folder", escape(folder)),
    ]
    for name, value in rows:
        out.print(f"[bold]{name:<8}[/bold] {value}")


def _key_source(opts: GlobalOptions, key: str | None) -> str:
    if key is None:
        return "none (anonymous: unpublished projects are invisible)"
    if opts.api_key:
        where = "--api-key"
    elif key == os.environ.get(ENV_API_KEY):
        where = ENV_API_KEY
    else:
        where = f"~/{CONFIG_NAME}"
    return f"{HIDDEN} (from {where})"


def _user(conn: Connection) -> tuple[str | None, str]:
    """(the key's user name or None, what is known about the key)."""
    if conn.embedded:
        return "admin", "the embedded server's admin key"
    if not conn.client.has_api_key:
        return None, "no key: anonymous"
    # all=0: only the caller's projects; the first one's owner is the caller
    first = next(iter(conn.client.projects.rows(all=0, limit=1)), None)
    if first is None:
        return None, "key not confirmed: it owns no project here, or the server did not accept it"
    if "published" not in first or "owner_id" not in first:
        return None, "key NOT accepted: the server answered as to an anonymous caller"
    user = conn.client.users.get(first["owner_id"])
    return user.name, "key accepted"


def _load(directory: Path, env: str | None) -> tuple[LocalProject | None, str]:
    """(the folder's project or None, the folder's state when it cannot be compared)."""
    if not (directory / "project.toml").is_file():
        return None, f"{directory}: no project folder (no project.toml)"
    try:
        return pbsync.load(directory, env=env), ""
    except ValidationError as exc:
        return None, f"{directory}: invalid ({exc}); see `pbsync validate {directory}`"
    except PbsyncError as exc:
        return None, f"{directory}: cannot be read ({exc})"


def _folder_state(directory: Path, plan: Any) -> str:
    name = plan.short_name
    if plan.project_id is None:
        return f"{directory}: project {name} is not on the server yet (`pbsync push {directory}`)"
    if plan.in_sync:
        return f"{directory}: project {name} (id {plan.project_id}) is in sync with the server"
    n = len(plan.actions) + len(plan.conflicts) + len(plan.duplicates)
    changes = "1 change" if n == 1 else f"{n} changes"
    return (
        f"{directory}: project {name} (id {plan.project_id}): {changes} to push "
        f"(`pbsync diff {directory}`)"
    )
