"""`pbsync diff`, `pbsync push` and `pbsync pull`."""

from __future__ import annotations

import dataclasses
import logging
import sys
from pathlib import Path

import click

import pbsync
from pbsync.cli import EXIT_CHANGES, EXIT_ERROR, EXIT_OK, GlobalOptions, global_options
from pbsync.cli.common import (
    WaitLine,
    connection,
    consoles,
    emit_json,
    folder_argument,
    show_notes,
)
from pbsync.cli.output import ProgressReporter, plan_json, render_plan, render_report
from pbsync.errors import PbsyncError, ProjectNotFoundError
from pbsync.sync.actions import DeleteHelpingMaterial, DeleteTask, Plan, PublishProject
from pbsync.sync.apply import check
from pbsync.target import Connection

__all__ = ["diff", "pull", "push"]

log = logging.getLogger(__name__)


def _not_found(short_name: str, conn: Connection) -> str:
    """No project `short_name`: where we looked, and why a project may be hidden from us."""
    if conn.embedded:
        return f"no project {short_name!r} on the embedded local server ({conn.store})"
    # PYBOSSA hides unpublished projects from other users and from a key it does not know
    who = "this API key" if getattr(conn.client, "_api_key", None) else "a request without key"
    return (
        f"no project {short_name!r} on {conn.url} that {who} can see (an unpublished "
        "project is visible only to its owners)"
    )


@click.command(
    short_help="Show what a push would change.",
    epilog="\b\nExamples:\n  pbsync diff demo\n"
    "  pbsync diff demo --tasks   # every task, not the first few\n"
    "  pbsync diff --json demo | jq .summary",
)
@folder_argument
@click.option(
    "--tasks",
    "all_tasks",
    is_flag=True,
    help="List every task to create, update or delete (default: the first few of each group).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON (every task).")
@global_options
@click.pass_context
def diff(ctx: click.Context, directory: Path, all_tasks: bool, as_json: bool) -> None:
    """Show what `push` would change (exit 0: in sync, 2: changes, 1: error).

    Tasks or helping materials the server holds twice (a lost answer, two pushes at once) are
    listed as duplicates and count as changes: the server does not match the folder.
    """
    opts: GlobalOptions = ctx.obj
    out, err = consoles(as_json, opts.verbosity < 0)
    local = pbsync.load(directory, env=opts.env)
    show_notes(err, local.notes)
    with connection(ctx, err, on_wait=WaitLine(err)) as conn:
        plan = pbsync.plan(local, conn.client, target=conn.target)
        requests = conn.client.stats.total
    if as_json:
        emit_json({**plan_json(plan), "requests": requests})
    else:
        render_plan(out, plan, all_tasks=all_tasks)
    ctx.exit(EXIT_OK if plan.in_sync else EXIT_CHANGES)


@click.command(
    short_help="Make the server match the folder.",
    epilog="\b\nExamples:\n  pbsync push demo --yes\n  pbsync push demo --dry-run\n"
    "  pbsync push demo --prune --yes   # also delete what the folder no longer has\n"
    "  pbsync push demo --dedupe        # delete tasks the server holds twice",
)
@folder_argument
@click.option("--dry-run", is_flag=True, help="Print the plan; send no write.")
@click.option("--prune", is_flag=True, help="Delete remote-only helping materials and tasks.")
@click.option(
    "--force",
    is_flag=True,
    help="Override conflicts; delete answered tasks; publish over task runs. PYBOSSA lets only "
    "an admin delete a task that has a result (the result goes with it): for anyone else such "
    "tasks stay, shown as blocked; nobody can delete a result or an answer that is part of one.",
)
@click.option(
    "--dedupe",
    is_flag=True,
    help="Delete extra copies of tasks and helping materials the server holds twice (the "
    "lowest id stays; never a task with task runs).",
)
@click.option(
    "--refresh",
    is_flag=True,
    help="Read and compare the whole project, task pages included (default: only the parts "
    "changed in the folder since the last sync).",
)
@click.option("--yes", "-y", is_flag=True, help="Do not ask before deleting or publishing.")
@click.option("--json", "as_json", is_flag=True, help="Print the plan and the report as JSON.")
@global_options
@click.pass_context
def push(
    ctx: click.Context,
    directory: Path,
    dry_run: bool,
    prune: bool,
    force: bool,
    dedupe: bool,
    refresh: bool,
    yes: bool,
    as_json: bool,
) -> None:
    """Make the server match the folder (creates the project when missing).

    A push reads only what it needs: the project always, the helping materials when a helping
    file changed, the task pages when the tasks changed since the last sync (or with --refresh,
    --prune, --dedupe, or no record of a sync with this server). `diff` reads everything.
    """
    opts: GlobalOptions = ctx.obj
    out, err = consoles(as_json, opts.verbosity < 0)
    local = pbsync.load(directory, env=opts.env)  # validate everything before connecting
    show_notes(err, local.notes)
    reporter = ProgressReporter(err)
    try:
        with (
            connection(ctx, err, reporter) as conn,
            pbsync.start_push(
                local,
                conn.client,
                prune=prune,
                force=force,
                target=conn.target,
                dedupe=dedupe,
                refresh=refresh,
            ) as job,
        ):
            plan = job.plan
            if not as_json:
                render_plan(out, plan)
            check(plan)  # refuse conflicts / blocked deletions before asking anything
            if dry_run or yes or _confirmed(plan, as_json):
                report = job.apply(reporter=reporter, dry_run=dry_run)
            else:
                report = job.cancel()
    finally:
        reporter.close()
    if as_json:
        emit_json({"plan": plan_json(plan), "report": report.to_json()})
    elif report.cancelled or not plan.empty or report.duplicates:
        render_report(out, report)
    if report.cancelled:
        ctx.exit(EXIT_ERROR)


def _confirmed(plan: Plan, as_json: bool) -> bool:
    """Ask before deleting or publishing (True at once when the plan does neither)."""
    if not plan.destructive:
        return True
    if not sys.stdin.isatty() and as_json:
        raise PbsyncError("this push deletes or publishes: confirm with --yes")
    try:
        return click.confirm(_question(plan), default=False, err=True)
    except click.Abort:
        raise PbsyncError("not confirmed; nothing was sent (--yes skips the question)") from None


def _question(plan: Plan) -> str:
    """The confirmation in plain words: "Delete 3 tasks and publish the project?"."""
    parts = []
    for kind, one, many in (
        (DeleteTask, "task", "tasks"),
        (DeleteHelpingMaterial, "helping material", "helping materials"),
    ):
        n = plan.count(kind)
        if n:
            parts.append(f"{n:,} {one if n == 1 else many}")
    words = [f"delete {' and '.join(parts)}"] if parts else []
    if plan.count(PublishProject):
        words.append("publish the project")
    return " and ".join(words).capitalize() + "?"


@click.command(
    short_help="Write a server's project into a folder.",
    epilog="\b\nExamples:\n  pbsync pull demo              # into ./demo\n"
    "  pbsync pull demo demo-copy --no-tasks",
)
@click.argument("short_name")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--tasks/--no-tasks", default=True, help="Also write the tasks (default: yes).")
@click.option(
    "--force",
    is_flag=True,
    help="Overwrite local changes; a presenter whose bundle part changed is written whole.",
)
@click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON.")
@global_options
@click.pass_context
def pull(
    ctx: click.Context,
    short_name: str,
    directory: Path | None,
    tasks: bool,
    force: bool,
    as_json: bool,
) -> None:
    """Write the server's project SHORT_NAME into DIRECTORY (default: ./SHORT_NAME)."""
    opts: GlobalOptions = ctx.obj
    out, err = consoles(as_json, opts.verbosity < 0)
    folder = directory if directory is not None else Path(short_name)
    with connection(ctx, err, on_wait=WaitLine(err)) as conn:
        try:
            result = pbsync.pull(
                conn.client,
                short_name,
                folder,
                tasks=tasks,
                force=force,
                env=opts.env,
                target=conn.target,
            )
        except ProjectNotFoundError:
            raise PbsyncError(_not_found(short_name, conn)) from None
    if as_json:
        emit_json(dataclasses.asdict(result))
        return
    written = len(getattr(result, "written", ()))
    n_tasks = getattr(result, "n_tasks", None)
    tasks_text = f", {n_tasks:,} tasks" if n_tasks is not None else ""
    files = f"{written} file{'' if written == 1 else 's'} written"
    out.print(f"Pulled {short_name} into {folder}: {files}{tasks_text}.")
    for warning in getattr(result, "warnings", ()):
        err.print(f"[yellow]warning:[/] {warning}")
