"""`watch --prune` as a non-admin owner: a task with a result stays, blocked with the reason.

PYBOSSA 4.0.2 answers 403 when a non-admin owner deletes a task that has a result, `--force` or
not (the local server too). A watch plans its deletions as a push does (`pbsync.sync.informed`),
so it never sends that DELETE, deletes the rest, and reports the blocked task with its reason.
Before, a watch with `--prune --force` sent the DELETE and the sync failed on the 403; without
`--force` every sync failed on "task runs" although `--force` could not have helped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from results_kit import answer_one, task_ids_of, write_folder
from rich.console import Console
from watching_kit import Watching

from pbclient.client import Client
from pbsync.cli.watch import _Shown
from pbsync.server import LocalServer
from pbsync.sync.actions import DeleteTask
from pbsync.watching.session import SyncResult

pytestmark = pytest.mark.local_only(
    reason="a second, non-admin user on the local server (tests/sync/test_prune_results.py "
    "checks the same rule against a real PYBOSSA)"
)

SHORT = "pbsynctest_watchres"

Capture = pytest.CaptureFixture[str]


@pytest.fixture
def owner(local_server: LocalServer, other_api_key: str) -> Iterator[Client]:
    """A non-admin user's client: the owner of what the watch creates."""
    with Client(local_server.url, other_api_key) as client:
        yield client


@pytest.mark.parametrize("force", [False, True])
def test_watch_prune_leaves_a_task_with_a_result_and_says_why(
    tmp_path: Path, local_server: LocalServer, owner: Client, force: bool, capsys: Capture
) -> None:
    folder = write_folder(tmp_path / "p", SHORT, rows=3)
    with Watching(folder, owner, prune=True, force=force) as watching:
        project = owner.projects.by_short_name(SHORT)
        assert project is not None and project.id is not None
        answered = answer_one(owner, project.id)  # one answer: the task is done, with a result
        others = [i for i in task_ids_of(owner, project.id) if i != answered]
        write_folder(folder, SHORT, rows=0)  # the folder drops every task
        result = watching.until(lambda r: r.report is not None)
    assert result.ok, result.error
    assert result.plan is not None
    [blocked] = result.plan.blocked
    assert blocked.item == f"task {answered}" and not blocked.forceable
    assert "has a result" in blocked.reason and "only an admin" in blocked.reason
    deleted = [a.task.id for a in result.plan.actions if isinstance(a, DeleteTask)]
    assert sorted(deleted) == others
    assert result.report is not None and result.report.deleted.get("task") == 2
    # the DELETE PYBOSSA refuses was never sent; the others were
    assert local_server.stats.count("DELETE", f"/api/task/{answered}") == 0
    assert [local_server.stats.count("DELETE", f"/api/task/{i}") for i in others] == [1, 1]
    assert task_ids_of(owner, project.id) == [answered]
    _shown_by_the_cli(result, answered, capsys)


def _shown_by_the_cli(result: SyncResult, answered: int, capsys: Capture) -> None:
    """`pbsync watch` prints the blocked task once with its reason, and puts it in --json."""
    out, err = Console(record=True, width=300), Console(record=True, width=300)
    shown = _Shown(out, err, as_json=False, preview=False, open_browser=False)
    shown.sync(result)
    shown.sync(result)  # the next sync finds it blocked again: not shown twice
    lines = [line for line in err.export_text().splitlines() if "blocked" in line]
    assert len(lines) == 1, lines
    assert f"blocked task {answered}: has a result" in lines[0]
    capsys.readouterr()
    _Shown(out, err, as_json=True, preview=False, open_browser=False).sync(result)
    [blocked] = json.loads(capsys.readouterr().out)["blocked"]
    assert blocked["item"] == f"task {answered}" and "has a result" in blocked["reason"]
