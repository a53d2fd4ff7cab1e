"""`pbsync.export(...)`: the rows of one kind, lazily, and typed errors."""

from __future__ import annotations

import pytest

import pbsync
from pbclient.client import Client
from pbsync.errors import ExportError, ProjectNotFoundError

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
