"""The export's progress bar: a total from the project's counts, or an honest indeterminate one."""

from __future__ import annotations

import io

from rich.console import Console

from pbsync.cli.export import ExportBar


def bar_on_a_terminal() -> ExportBar:
    return ExportBar(Console(file=io.StringIO(), force_terminal=True, width=100))


def test_a_count_overtaken_turns_the_bar_indeterminate() -> None:
    bar = bar_on_a_terminal()
    bar.update("tasks", 0, 150)
    assert bar.progress is not None
    task = bar.progress.tasks[0]
    assert (task.total, task.completed) == (150, 0)
    bar.update("tasks", 100, 150)
    assert (task.total, task.completed) == (150, 100)
    bar.update("tasks", 200, 150)  # the server's count was stale
    assert (task.total, task.completed) == (None, 200)
    bar.update("taskruns", 0, None)  # no count at all
    assert bar.progress.tasks[1].total is None
    bar.close()
    assert bar.progress is None


def test_no_bar_off_a_terminal() -> None:
    bar = ExportBar(Console(file=io.StringIO(), force_terminal=False))
    bar.update("tasks", 0, 10)
    assert bar.progress is None
