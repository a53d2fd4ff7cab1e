"""Every path pbsync reads or writes stays in the project folder (issue 9).

Folders come from cloned repositories: a symlink in one must not make pbsync read a secret as task
data, nor write its state and lock files somewhere else. These run the real commands against the
local server and check what reached it (nothing) and what happened outside the folder (nothing).
Symlinks and FIFOs are made here: git cannot hold a FIFO, and a symlink to a real secret outside
the folder needs that folder.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import pbsync
from pbclient.client import Client
from pbsync.cli import main
from pbsync.errors import PullError, UnsafePathError, ValidationError
from pbsync.server import LocalServer
from pbsync.watching.session import WatchSession

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="symlinks and FIFOs (POSIX)")

SHORT = "pbsynctest_paths"
SECRET = "0123-secret-key-of-another-server"
PYBOSSA_CFG = f"[default]\nserver: https://other.example.org\napikey: {SECRET}\n"


def write_folder(folder: Path, *, tasks: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "project.toml").write_text(
        f'[project]\nname = "Paths"\nshort_name = "{SHORT}"\ndescription = "d"\n',
        encoding="utf-8",
    )
    (folder / "presenter.html").write_text("<p>hi</p>\n", encoding="utf-8")
    if tasks:
        (folder / "tasks.csv").write_text("url\nhttps://example.org/1.png\n", encoding="utf-8")
    return folder


@pytest.fixture
def client(local_server: LocalServer) -> Client:
    return Client(local_server.url, local_server.api_key)


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside the project, where nothing may be written."""
    path = tmp_path / "outside"
    path.mkdir()
    return path


def run_cli(server: LocalServer, home: Path, *args: str) -> Result:
    env = {"HOME": str(home), "PYBOSSA_ENDPOINT": None, "PYBOSSA_API_KEY": None}
    target = ["--endpoint", server.url, "--api-key", server.api_key]
    return CliRunner().invoke(main, [*target, *args], env=env)


def one_error_line(result: Result) -> str:
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def within(seconds: float, call: Callable[[], Any]) -> Any:
    """`call()`, failing (instead of hanging the suite) when it blocks, as on a FIFO."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "blocked (a FIFO opened for reading?)"
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


# -- reads: a task file found by the default search ----------------------------------------------


def test_symlinked_default_tasks_csv_is_refused_and_nothing_is_sent(
    local_server: LocalServer, tmp_path: Path
) -> None:
    """`tasks.csv -> ~/.pybossa.cfg` used to push the other server's key as task data."""
    home = tmp_path / "home"
    home.mkdir()
    (home / ".pybossa.cfg").write_text(PYBOSSA_CFG, encoding="utf-8")
    folder = write_folder(tmp_path / "proj", tasks=False)
    (folder / "tasks.csv").symlink_to(home / ".pybossa.cfg")
    local_server.stats.reset()
    for command in (["diff"], ["push", "--yes"]):
        result = run_cli(local_server, home, *command, str(folder))
        assert one_error_line(result) == (
            "error: tasks.csv: a symlink leading out of the project folder "
            "(found by the default search for task files)"
        )
        assert SECRET not in result.output
    assert local_server.stats.total() == 0


def test_symlinked_tasks_folder_is_refused(client: Client, tmp_path: Path, outside: Path) -> None:
    (outside / "a.csv").write_text(f"secret\n{SECRET}\n", encoding="utf-8")
    folder = write_folder(tmp_path / "proj", tasks=False)
    (folder / "tasks").symlink_to(outside, target_is_directory=True)
    with pytest.raises(ValidationError, match="tasks: a symlink leading out"):
        pbsync.push(folder, client)
    assert client.stats.total == 0


def test_fifo_task_file_is_an_error_not_a_hang(client: Client, tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "proj", tasks=False)
    os.mkfifo(folder / "tasks.csv")
    with pytest.raises(ValidationError, match=r"tasks\.csv: a FIFO"):
        within(20, lambda: pbsync.push(folder, client))
    assert client.stats.total == 0


# -- writes: .pbsync/ ---------------------------------------------------------------------------


def test_push_refuses_a_pbsync_folder_symlinked_out(
    local_server: LocalServer, tmp_path: Path, outside: Path
) -> None:
    folder = write_folder(tmp_path / "proj")
    (folder / ".pbsync").symlink_to(outside, target_is_directory=True)
    local_server.stats.reset()
    result = run_cli(local_server, tmp_path, "push", str(folder), "--yes")
    assert one_error_line(result) == ("error: .pbsync: a symlink leading out of the project folder")
    assert list(outside.iterdir()) == []  # no lock, no state.json
    assert local_server.stats.total() == 0  # refused before planning


def test_diff_refuses_a_pbsync_folder_symlinked_out(
    client: Client, tmp_path: Path, outside: Path
) -> None:
    """A state.json from elsewhere is not read as this folder's record either."""
    (outside / "state.json").write_text('{"version": 2, "targets": {}}\n', encoding="utf-8")
    folder = write_folder(tmp_path / "proj")
    (folder / ".pbsync").symlink_to(outside, target_is_directory=True)
    with pytest.raises(UnsafePathError, match=r"^\.pbsync: a symlink leading out"):
        pbsync.plan(folder, client)


@pytest.mark.parametrize("force", [False, True])
def test_pull_refuses_a_pbsync_folder_symlinked_out(
    client: Client, tmp_path: Path, outside: Path, force: bool
) -> None:
    pbsync.push(write_folder(tmp_path / "proj"), client)
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / ".pbsync").symlink_to(outside, target_is_directory=True)
    with pytest.raises(UnsafePathError, match=r"^\.pbsync: a symlink leading out"):
        pbsync.pull(client, SHORT, copy, force=force)
    assert list(outside.iterdir()) == []
    assert [p.name for p in copy.iterdir()] == [".pbsync"]  # nothing written before the refusal


def test_watch_refuses_a_pbsync_folder_symlinked_out(
    client: Client, tmp_path: Path, outside: Path
) -> None:
    folder = write_folder(tmp_path / "proj")
    (folder / ".pbsync").symlink_to(outside, target_is_directory=True)
    result = WatchSession(folder, client).sync()
    assert result.error == ".pbsync: a symlink leading out of the project folder"
    assert result.requests == 0
    assert list(outside.iterdir()) == []


def test_push_lock_symlinked_to_a_file_is_not_truncated(
    client: Client, tmp_path: Path, outside: Path
) -> None:
    """A symlinked lock is one line, and the file it points to is left alone.

    (filelock 4 opens it with O_NOFOLLOW, which ended in an OSError traceback; a lock opened
    through the link would have been created or truncated outside the folder.)
    """
    notes = outside / "notes.txt"
    notes.write_text("keep me\n", encoding="utf-8")
    folder = write_folder(tmp_path / "proj")
    (folder / ".pbsync").mkdir()
    (folder / ".pbsync" / "push.lock").symlink_to(notes)
    with pytest.raises(UnsafePathError, match=r"^\.pbsync/push\.lock: a symlink leading out"):
        pbsync.push(folder, client)
    assert notes.read_text(encoding="utf-8") == "keep me\n"
    assert client.stats.total == 0


def test_push_lock_symlinked_inside_is_refused_too(client: Client, tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "proj")
    (folder / ".pbsync").mkdir()
    (folder / ".pbsync" / "push.lock").symlink_to(folder / "presenter.html")
    with pytest.raises(UnsafePathError, match="a symlink: pbsync writes through none"):
        pbsync.push(folder, client)
    assert (folder / "presenter.html").read_text(encoding="utf-8") == "<p>hi</p>\n"


def test_state_json_symlink_is_replaced_not_written_through(
    client: Client, tmp_path: Path, outside: Path
) -> None:
    elsewhere = outside / "state.json"
    elsewhere.write_text('{"version": 2, "targets": {}}\n', encoding="utf-8")
    folder = write_folder(tmp_path / "proj")
    (folder / ".pbsync").mkdir()
    (folder / ".pbsync" / "state.json").symlink_to(elsewhere)
    pbsync.push(folder, client)
    assert elsewhere.read_text(encoding="utf-8") == '{"version": 2, "targets": {}}\n'
    assert not (folder / ".pbsync" / "state.json").is_symlink()


def test_state_json_fifo_is_an_error_not_a_hang(client: Client, tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "proj")
    (folder / ".pbsync").mkdir()
    os.mkfifo(folder / ".pbsync" / "state.json")
    with pytest.raises(UnsafePathError, match=r"state\.json: a FIFO"):
        within(20, lambda: pbsync.plan(folder, client))


def test_pbsync_that_is_a_file_is_one_line(local_server: LocalServer, tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "proj")
    (folder / ".pbsync").write_text("not a folder\n", encoding="utf-8")
    result = run_cli(local_server, tmp_path, "push", str(folder), "--yes")
    assert one_error_line(result) == "error: .pbsync: a file, not a folder"


def test_pull_refuses_a_project_toml_symlinked_out(
    client: Client, tmp_path: Path, outside: Path
) -> None:
    """Pull keeps the `[env]` tables of the project.toml it replaces: not one read elsewhere."""
    pbsync.push(write_folder(tmp_path / "proj"), client)
    elsewhere = outside / "project.toml"
    elsewhere.write_text(f'[env.other.project]\ndescription = "{SECRET}"\n', encoding="utf-8")
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "project.toml").symlink_to(elsewhere)
    with pytest.raises(PullError, match=r"project\.toml: a symlink leading out of the project"):
        pbsync.pull(client, SHORT, copy, force=True)
    assert [p.name for p in copy.iterdir()] == ["project.toml"]
    assert (copy / "project.toml").is_symlink()
