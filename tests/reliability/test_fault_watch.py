"""`pbsync.watch` under 429, 5xx and dropped connections on the writes a save makes.

The watch runs in a thread (a real observer on tmp_path) with a client whose sleeps are
recorded, not slept: retries and rate-limit waits happen at once, so bursts cost no wall time.
A sync under faults must either succeed or fail with one line, the watch must go on, and the
next save must leave the server holding exactly the folder, nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from small_project import SHORT, expected, held, write_folder
from watching_kit import Watching

from pbclient.client import Client
from pbsync.server import LocalServer
from pbsync.watching.session import SyncResult

pytestmark = pytest.mark.faults


@pytest.fixture
def client(local_server: LocalServer) -> Iterator[Client]:
    """The admin's client; backoffs and rate-limit waits are recorded, never slept."""
    sleeps: list[float] = []
    with Client(local_server.url, local_server.api_key, sleep=sleeps.append) as c:
        yield c


def _presenter_is(client: Client, text: str) -> Callable[[SyncResult], bool]:
    def done(result: SyncResult) -> bool:
        project = client.projects.by_short_name(SHORT)
        return project is not None and project.info.get("task_presenter") == text

    return done


def _rule(count: int, path: str, method: str = "PUT", **fault: Any) -> dict[str, Any]:
    return {"count": count, "path": path, "method": method, **fault}


PRESENTER_PUT = "/api/project/{project_id}"
BURSTS = [
    ("503x2", [_rule(2, PRESENTER_PUT, status=503)]),
    ("502 then drop", [_rule(1, PRESENTER_PUT, status=502), _rule(1, PRESENTER_PUT, drop=True)]),
    ("429x2", [_rule(2, PRESENTER_PUT, status=429)]),
    ("500", [_rule(1, PRESENTER_PUT, status=500)]),
    ("503x4, over the retry budget", [_rule(4, PRESENTER_PUT, status=503)]),
    ("drop x4, over the retry budget", [_rule(4, PRESENTER_PUT, drop=True)]),
    ("503 on the project read", [_rule(1, "/api/project", "GET", status=503)]),
    ("500 on the project read", [_rule(1, "/api/project", "GET", status=500)]),
]


@pytest.mark.parametrize("rules", [b[1] for b in BURSTS], ids=[b[0] for b in BURSTS])
def test_a_presenter_save_under_faults_converges(
    local_server: LocalServer, client: Client, tmp_path: Path, rules: list[dict[str, Any]]
) -> None:
    folder = write_folder(tmp_path / "p")
    presenter = folder / "presenter.html"
    with Watching(folder, client) as watching:
        project_id = _project_id(client)
        for rule in rules:
            local_server.faults.add(**{**rule, "path": rule["path"].format(project_id=project_id)})
        presenter.write_text("<p>v2</p>\n", encoding="utf-8")
        result = watching.until(_presenter_is(client, "<p>v2</p>\n"))
        want = "<p>v2</p>\n"
        assert local_server.faults.pending() == 0  # every fault was met
        if not result.ok:
            assert result.error and "\n" not in result.error, result.error
            local_server.faults.clear()
            want = "<p>v3</p>\n"
            presenter.write_text(want, encoding="utf-8")  # the watch goes on: the next save
            assert watching.until(_presenter_is(client, want)).ok
    assert held(local_server) == expected(presenter=want)


def test_new_rows_under_dropped_task_posts_are_created_once(
    local_server: LocalServer, client: Client, tmp_path: Path
) -> None:
    folder = write_folder(tmp_path / "p", rows=10)
    with Watching(folder, client) as watching:
        project_id = _project_id(client)

        def all_there(result: SyncResult) -> bool:
            return sum(1 for _ in client.tasks.rows(project_id=project_id)) >= 40

        local_server.faults.add(3, drop=True, path="/api/task", method="POST")
        local_server.faults.add(1, status=503, path="/api/task", method="POST", after=5)
        local_server.faults.add(1, status=503, path="/api/task", method="GET")
        write_folder(folder, rows=40)
        result = watching.until(all_there)
        assert local_server.faults.pending() == 0
        if not result.ok:
            local_server.faults.clear()
            (folder / "tasks.csv").touch()  # a save with nothing new: what is pending goes
            assert watching.until(all_there).ok
    assert held(local_server) == expected()


def test_a_new_helping_file_under_faults_is_uploaded_once(
    local_server: LocalServer, client: Client, tmp_path: Path
) -> None:
    folder = write_folder(tmp_path / "p")
    new = folder / "helping" / "new.png"
    data = b"\x89PNG\r\n\x1a\nnew"
    with Watching(folder, client) as watching:
        local_server.faults.add(1, status=502, path="/api/helpingmaterial", method="GET")
        local_server.faults.add(1, drop=True, path="/api/helpingmaterial", method="POST")
        new.write_bytes(data)
        result = watching.next()
        assert local_server.faults.pending() == 0
        if not result.ok:
            assert result.error and "\n" not in result.error, result.error
            local_server.faults.clear()
            data += b"-saved again"
            new.write_bytes(data)
            assert watching.next().ok
    now = held(local_server)
    assert now.materials == (("key.png", 1), ("map.png", 1), ("new.png", 1))
    assert dict(now.files)["new.png"] == data


def _project_id(client: Client) -> int:
    project = client.projects.by_short_name(SHORT)
    assert project is not None
    return int(project.id)
