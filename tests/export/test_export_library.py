"""`pbsync.export(...)`: the rows of one kind, lazily, and typed errors; `export_files` progress."""

from __future__ import annotations

from pathlib import Path

import pytest

import pbsync
from pbclient.client import Client
from pbsync.errors import ExportError, ProjectNotFoundError
from pbsync.exporting.run import export_files

SHORT = "pbsynctest_libexport"


def test_rows_come_lazily_a_page_per_request_without_links(
    endpoint: str, api_key: str, clean_server: None
) -> None:
    with Client(endpoint, api_key) as client:
        project = client.projects.create(name="Library export", short_name=SHORT, description="d")
        made = client.tasks.create_many(project, [{"n": i} for i in range(230)])
        before = client.stats.total
        rows = pbsync.export(client, SHORT, "tasks")
        assert client.stats.total == before + 1  # the lookup, at once
        first = next(rows)
        assert client.stats.total == before + 2  # and the first page, when asked for
        rest = list(rows)
        assert client.stats.total == before + 1 + 3  # 230 rows: two full pages and a short one
        ids = sorted(t.id for t in made)  # created concurrently: ids in any order of `made`
        assert [first["id"], *(r["id"] for r in rest)] == ids
        assert "link" not in first and "links" not in first and set(first["info"]) == {"n"}
        assert [r["id"] for r in pbsync.export(client, SHORT, since=ids[199])] == ids[200:]


def test_errors_are_typed(endpoint: str, api_key: str, clean_server: None) -> None:
    with Client(endpoint, api_key) as client:
        with pytest.raises(ProjectNotFoundError):
            pbsync.export(client, "pbsynctest_nosuchproject")
        with pytest.raises(ExportError, match="one kind"):
            pbsync.export(client, SHORT, "tasks,results")
        with pytest.raises(ExportError, match="cannot export answers"):
            pbsync.export(client, SHORT, "answers")


def test_export_files_reports_progress_a_page_at_a_time(
    endpoint: str, api_key: str, clean_server: None, tmp_path: Path
) -> None:
    calls: list[tuple[str, int, int | None]] = []
    with Client(endpoint, api_key) as client:
        project = client.projects.create(name="Library export", short_name=SHORT, description="d")
        client.tasks.create_many(project, [{"n": i} for i in range(250)])
        report = export_files(
            client, SHORT, tmp_path, what="tasks", progress=lambda *call: calls.append(call)
        )
    # the count comes with the lookup (a PYBOSSA without its background jobs reports none)
    assert calls[0] in (("tasks", 0, 250), ("tasks", 0, None))
    assert [done for _, done, _ in calls[1:]] == [100, 200, 250]
    assert calls[-1] == ("tasks", 250, 250)  # at the end the total is known
    assert report.kinds[0].rows == 250 and report.requests == 1 + 3
