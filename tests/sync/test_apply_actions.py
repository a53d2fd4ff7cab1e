"""Every action kind runs over HTTP, through its handler, with exactly the writes it stands for."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import pbsync
from pbclient.client import Client
from pbsync.server import LocalServer
from pbsync.sync import actions
from pbsync.sync.actions import Action, Plan
from pbsync.sync.apply import Reporter, _Runner

SHORT = "pbsynctest_actions"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def write_folder(folder: Path, *, n_answers: int = 1, helping: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "project.toml").write_text(
        f'[project]\nname = "Actions"\nshort_name = "{SHORT}"\ndescription = "d"\n'
        "published = true\n",
        encoding="utf-8",
    )
    (folder / "presenter.html").write_text("<p>v1</p>\n", encoding="utf-8")
    (folder / "tasks.csv").write_text(
        f"url,n_answers\nhttps://e/1.png,{n_answers}\nhttps://e/2.png,1\n", encoding="utf-8"
    )
    helping_dir = folder / "helping"
    if helping:
        helping_dir.mkdir(exist_ok=True)
        (helping_dir / "example.png").write_bytes(PNG)
    elif helping_dir.exists():
        for path in helping_dir.iterdir():
            path.unlink()
        helping_dir.rmdir()
    return folder


@pytest.fixture
def client(endpoint: str, api_key: str, clean_server: None) -> Iterator[Client]:
    with Client(endpoint, api_key) as c:
        yield c


class Kinds(Reporter):
    """Records the kinds of the actions applied."""

    def __init__(self) -> None:
        self.kinds: list[str] = []

    def action_done(self, action: Action) -> None:
        self.kinds.append(action.kind)


def test_the_dispatch_table_covers_every_action_type(client: Client) -> None:
    every = {cls for cls in vars(actions).values() if isinstance(cls, type)}
    kinds = {cls for cls in every if issubclass(cls, Action) and cls is not Action}
    runner = _Runner(Plan(short_name=SHORT, project_id=None), client, Reporter(), dry_run=True)
    assert set(runner.handlers) == kinds


def test_each_action_kind_over_http(
    tmp_path: Path, client: Client, local_server: LocalServer
) -> None:
    folder = write_folder(tmp_path / "p")
    first = Kinds()
    report = pbsync.push(folder, client, reporter=first)
    assert first.kinds == [
        "CreateProject",
        "CreateHelpingMaterial",
        "CreateTasks",
        "PublishProject",
    ]
    project_id = report.project_id
    # the folder changes one task's settings and drops its helping file; --prune deletes it
    write_folder(folder, n_answers=3, helping=False)
    (folder / "presenter.html").write_text("<p>v2</p>\n", encoding="utf-8")
    (folder / "tasks.csv").write_text(
        "url,n_answers\nhttps://e/1.png,3\nhttps://e/3.png,1\n", encoding="utf-8"
    )
    local_server.stats.reset()
    second = Kinds()
    pbsync.push(folder, client, prune=True, force=True, reporter=second)
    assert sorted(second.kinds) == sorted(
        ["UpdateProject", "DeleteHelpingMaterial", "CreateTasks", "UpdateTask", "DeleteTask"]
    )
    received = local_server.stats.snapshot()
    sent = {(m, p.rsplit("/", 1)[0]): n for (m, p), n in received.items() if p.count("/") == 3}
    assert sent[("PUT", "/api/project")] == 1
    assert sent[("DELETE", "/api/helpingmaterial")] == 1
    assert sent[("PUT", "/api/task")] == 1 and sent[("DELETE", "/api/task")] == 1
    assert received[("POST", "/api/task")] == 1  # the new row
    tasks = {t.info["url"]: t for t in client.tasks.iter(project_id=project_id)}
    assert set(tasks) == {"https://e/1.png", "https://e/3.png"}
    assert tasks["https://e/1.png"].n_answers == 3
    assert client.helping_materials.find(project_id=project_id) == []
    assert pbsync.plan(folder, client, prune=True).empty


def test_a_changed_helping_file_and_priority_is_one_upload_and_one_put(
    tmp_path: Path, client: Client, local_server: LocalServer
) -> None:
    folder = write_folder(tmp_path / "p")
    pbsync.push(folder, client)
    (folder / "helping" / "example.png").write_bytes(PNG + b"v2")
    with (folder / "project.toml").open("a", encoding="utf-8") as toml:
        toml.write('\n[helping."example.png"]\npriority = 2.0\n')
    local_server.stats.reset()
    kinds = Kinds()
    pbsync.push(folder, client, reporter=kinds)
    assert kinds.kinds == ["UpdateHelpingMaterial"]
    puts = [
        p for (m, p), n in local_server.stats.snapshot().items() if m == "PUT" for _ in range(n)
    ]
    assert len(puts) == 2 and all(p.startswith("/api/helpingmaterial/") for p in puts)
    assert pbsync.plan(folder, client).empty
