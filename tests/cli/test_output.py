"""Rendering: the rate-limit wait line, plan JSON and the grouped plan text."""

from __future__ import annotations

from datetime import datetime

from rich.console import Console

from pbclient.retry import RateLimitWait
from pbsync.cli.output import plan_json, render_plan, wait_message
from pbsync.model import ProjectFields, ProjectState
from pbsync.sync.planner import make_plan
from pbsync.sync.record import record_of


def test_wait_message_estimates_the_end() -> None:
    until = datetime(2030, 1, 1, 14, 5).timestamp()
    wait = RateLimitWait(path="/api/task", until=until, seconds=600)
    # 3,412 tasks at 299 per 15-minute window: 12 windows, the last one starting 11 windows later
    assert (
        wait_message(wait, 3412, 300) == "3,412 tasks left, next window at 14:05, done about 16:50"
    )
    assert wait_message(wait, 0, 300) == "rate limit reached on /api/task: waiting until 14:05"


FIELDS = ProjectFields(name="n", short_name="pbsynctest_out", description="d", info={"x": {"a": 1}})


def remote(**changes: object) -> ProjectState:
    from dataclasses import replace

    return ProjectState(project=replace(FIELDS, **changes), tasks=(), project_id=1, remote_info={})


def test_plan_json_lists_conflicts_and_changes() -> None:
    previous = record_of(ProjectState(project=FIELDS, tasks=()))
    local = ProjectState(
        project=FIELDS.__class__(**{**FIELDS.__dict__, "description": "mine"}), tasks=()
    )
    document = plan_json(make_plan(local, remote(description="theirs"), previous=previous))
    assert not document["in_sync"]
    assert document["conflicts"] == [
        {"item": "project", "field": "description", "local": "mine", "remote": "theirs"}
    ]
    assert document["actions"][0]["changes"][0]["old"] == "theirs"


def test_render_shows_drift_and_structured_changes() -> None:
    previous = record_of(ProjectState(project=FIELDS, tasks=()))
    theirs = remote(description="web", info={"x": {"a": 2}})
    console = Console(record=True, width=120)
    render_plan(
        console, make_plan(ProjectState(project=FIELDS, tasks=()), theirs, previous=previous)
    )
    text = console.export_text()
    assert "changed on the server since the last push" in text
    assert "info.x.a: 2 -> 1" in text  # server 2, folder 1: the value inside info.x, plainly
    assert "root[" not in text and "Value of" not in text


def test_long_server_errors_become_one_line() -> None:
    from pbsync.cli import MAX_ERROR, one_line

    message = 'duplicate key "x"\nDETAIL:  Key (name)=(a) already exists.\n\n[SQL: INSERT ...]\n'
    assert one_line(message) == 'duplicate key "x" DETAIL:  Key (name)=(a) already exists.'
    assert len(one_line("y" * 5000)) == MAX_ERROR


def test_counts_are_singular_for_one_task() -> None:
    from pbsync.model import TaskState

    one = TaskState(key="k", info={"u": 1}, source="tasks.csv:7")
    plan = make_plan(ProjectState(project=FIELDS, tasks=(one,)), remote(info={"x": {"a": 1}}))
    console = Console(record=True, width=120)
    render_plan(console, plan)
    text = console.export_text()
    assert ": create 1 task\n" in text and "+ create 1 task\n      tasks.csv:7  u=1\n" in text
