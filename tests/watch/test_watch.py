"""pbsync.watch with a real observer on tmp_path: bursts, editor saves, ignores, failures.

Each test runs the watch in a thread and waits on its sync results (a queue) with timeouts; the
absence of a sync is checked by waiting a bounded time for one that must not come.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from watching_kit import Watching

from pbclient.client import Client
from pbsync.server import LocalServer

SHORT = "pbsynctest_watch"


def write_folder(folder: Path, rows: int = 3) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "project.toml").write_text(
        f'[project]\nname = "Watch"\nshort_name = "{SHORT}"\ndescription = "d"\n',
        encoding="utf-8",
    )
    (folder / "presenter.html").write_text("<p>v0</p>\n", encoding="utf-8")
    lines = ["url", *[f"https://example.org/{i}.png" for i in range(rows)]]
    (folder / "tasks.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@pytest.fixture
def client(local_server: LocalServer) -> Iterator[Client]:
    with Client(local_server.url, local_server.api_key) as c:
        yield c


def presenter_on_server(client: Client) -> str:
    project = client.projects.by_short_name(SHORT)
    assert project is not None
    return str(project.info.get("task_presenter"))


def writes(server: LocalServer) -> dict[tuple[str, str], int]:
    return {k: n for k, n in server.stats.snapshot().items() if k[0] != "GET"}


def test_a_burst_of_saves_is_one_sync_of_one_put(
    tmp_path: Path, client: Client, local_server: LocalServer
) -> None:
    folder = write_folder(tmp_path / "p")
    with Watching(folder, client) as watching:
        local_server.stats.reset()
        presenter = folder / "presenter.html"
        for i in range(20):  # as fast as Python writes: well within 100 ms
            presenter.write_text(f"<p>v{i + 1}</p>\n", encoding="utf-8")
        results = [watching.next()]
        while presenter_on_server(client) != "<p>v20</p>\n":
            results.append(watching.next())  # a loaded machine may split the burst
        watching.none_within()
    assert len(results) <= 2 and all(r.ok and r.parts == ("project",) for r in results)
    puts = writes(local_server)
    assert set(puts) == {("PUT", f"/api/project/{results[0].plan.project_id}")}  # type: ignore[union-attr]
    assert sum(puts.values()) <= 2


def test_an_editor_save_by_temp_file_and_rename_is_synced(tmp_path: Path, client: Client) -> None:
    folder = write_folder(tmp_path / "p")
    with Watching(folder, client) as watching:
        temp = folder / "presenter.html___jb_tmp___"  # JetBrains' "safe write"
        temp.write_text("<p>renamed in</p>\n", encoding="utf-8")
        os.replace(temp, folder / "presenter.html")
        result = watching.next()
        assert result.ok and result.paths == ("presenter.html",)
        assert presenter_on_server(client) == "<p>renamed in</p>\n"


def test_ignored_and_unrelated_files_sync_nothing(
    tmp_path: Path, client: Client, local_server: LocalServer
) -> None:
    folder = write_folder(tmp_path / "p")
    (folder / ".pbsyncignore").write_text("notes/\n", encoding="utf-8")
    with Watching(folder, client) as watching:
        local_server.stats.reset()
        (folder / "presenter.html.swp").write_bytes(b"vim swap")
        (folder / "notes").mkdir()
        for i in range(1000):  # ignored: never a sync
            (folder / "notes" / f"{i}.txt").write_text("x", encoding="utf-8")
        scratch = folder / "scratch"
        scratch.mkdir()
        for i in range(1000):  # not ignored, but nothing the project reads: no request
            (scratch / f"{i}.txt").write_text("x", encoding="utf-8")
        watching.none_within()
    assert local_server.stats.total(prefix="/") == 0


def test_a_broken_project_toml_is_one_error_then_the_next_good_save_syncs(
    tmp_path: Path, client: Client
) -> None:
    folder = write_folder(tmp_path / "p")
    toml = folder / "project.toml"
    good = toml.read_text(encoding="utf-8")
    with Watching(folder, client) as watching:
        toml.write_text(good + "[broken\n", encoding="utf-8")
        failed = watching.next()
        assert not failed.ok and "project.toml" in (failed.error or "")
        toml.write_text(good.replace('"d"', '"new description"'), encoding="utf-8")
        fixed = watching.next()
        assert fixed.ok and fixed.report is not None and fixed.report.updated["project"] == 1
    project = client.projects.by_short_name(SHORT)
    assert project is not None and project.description == "new description"


def test_deleting_and_recreating_the_presenter(tmp_path: Path, client: Client) -> None:
    folder = write_folder(tmp_path / "p")
    presenter = folder / "presenter.html"
    with Watching(folder, client) as watching:
        presenter.unlink()
        gone = watching.next()
        assert gone.paths == ("presenter.html",)  # a folder without it is valid: nothing sent
        presenter.write_text("<p>back</p>\n", encoding="utf-8")
        back = watching.next()
        assert back.ok and back.report is not None
        assert presenter_on_server(client) == "<p>back</p>\n"


def test_a_presenter_save_reads_no_task_pages(
    tmp_path: Path, client: Client, local_server: LocalServer
) -> None:
    folder = write_folder(tmp_path / "p", rows=250)  # three pages of tasks
    with Watching(folder, client) as watching:
        local_server.stats.reset()
        (folder / "presenter.html").write_text("<p>cheap</p>\n", encoding="utf-8")
        result = watching.next()
    assert result.ok and result.requests == 2
    assert local_server.stats.total(prefix="/") == 2  # one read of the project, one PUT


def test_nothing_is_deleted_without_prune(
    tmp_path: Path, client: Client, local_server: LocalServer
) -> None:
    folder = write_folder(tmp_path / "p", rows=3)
    with Watching(folder, client) as watching:
        local_server.stats.reset()
        lines = (folder / "tasks.csv").read_text(encoding="utf-8").splitlines()
        (folder / "tasks.csv").write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
        result = watching.next()
        assert result.ok and result.parts == ("tasks",)
        assert result.plan is not None and len(result.plan.remote_only) == 1
    assert writes(local_server) == {}


def test_a_server_change_meanwhile_is_a_conflict_shown_and_skipped(
    tmp_path: Path, client: Client, local_server: LocalServer
) -> None:
    folder = write_folder(tmp_path / "p")
    with Watching(folder, client) as watching:
        project = client.projects.by_short_name(SHORT)
        assert project is not None
        project.info["task_presenter"] = "<p>edited on the server</p>\n"
        client.projects.update(project)
        local_server.stats.reset()
        (folder / "presenter.html").write_text("<p>edited here</p>\n", encoding="utf-8")
        result = watching.next()
        assert not result.ok and "both changed" in (result.error or "")
    assert writes(local_server) == {}
    assert presenter_on_server(client) == "<p>edited on the server</p>\n"


def test_a_server_that_stops_and_comes_back_is_picked_up(tmp_path: Path) -> None:
    db = str(tmp_path / "server.sqlite3")
    first = LocalServer(db=db, port=0)
    first.start()
    port, key = int(first.url.rsplit(":", 1)[1]), first.api_key
    folder = write_folder(tmp_path / "p")
    with Client(first.url, key) as client, Watching(folder, client) as watching:
        first.stop()
        (folder / "presenter.html").write_text("<p>while down</p>\n", encoding="utf-8")
        down = watching.next(timeout=60)  # the client retries the read a few times first
        assert not down.ok
        second = LocalServer(db=db, port=port)
        second.start()
        try:
            (folder / "presenter.html").write_text("<p>back up</p>\n", encoding="utf-8")
            up = watching.next(timeout=60)
            assert up.ok, up.error
            assert presenter_on_server(client) == "<p>back up</p>\n"
        finally:
            second.stop()


def test_putting_the_folder_back_after_a_failure_clears_the_error(
    tmp_path: Path, client: Client
) -> None:
    folder = write_folder(tmp_path / "p")
    toml = folder / "project.toml"
    good = toml.read_text(encoding="utf-8")
    with Watching(folder, client) as watching:
        toml.write_text(good + "[broken\n", encoding="utf-8")
        assert not watching.next().ok
        toml.write_text(good, encoding="utf-8")  # as last synced: nothing to send
        back = watching.next()
        assert back.ok and back.parts == () and back.report is None


def test_a_renamed_presenter_and_back(tmp_path: Path, client: Client) -> None:
    folder = write_folder(tmp_path / "p")
    presenter = folder / "presenter.html"
    with Watching(folder, client) as watching:
        presenter.rename(folder / "old-presenter.html")  # the folder has no presenter now
        away = watching.next()
        assert away.ok and "presenter.html" in away.paths
        (folder / "old-presenter.html").write_text("<p>renamed back</p>\n", encoding="utf-8")
        (folder / "old-presenter.html").rename(presenter)
        back = watching.next()
        assert back.ok and back.report is not None
        assert presenter_on_server(client) == "<p>renamed back</p>\n"
