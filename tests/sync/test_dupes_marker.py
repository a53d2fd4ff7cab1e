"""`.pbsync/push-in-progress.json`: written before a push's first write, gone once it succeeded."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import pbsync
from pbclient.client import Client
from pbsync.errors import ConflictError
from pbsync.sync.actions import Unfinished
from pbsync.sync.apply import Reporter
from pbsync.sync.marker import MARKER_FILE, clear_unfinished, load_unfinished, mark_unfinished

E1, E2 = "http://a.example:5000", "http://b.example"
SHORT = "pbsynctest_marker"


def test_mark_load_clear_per_target(tmp_path: Path) -> None:
    mark_unfinished(tmp_path, E1 + "/", SHORT, Unfinished(3, 40, 2))
    mark_unfinished(tmp_path, E2, SHORT, Unfinished(None, 0, 0))
    found = load_unfinished(tmp_path, E1, SHORT)
    assert found is not None and (found.project_id, found.last_task_id) == (3, 40)
    assert found.started  # when it began, for the note the next plan shows
    assert load_unfinished(tmp_path, E1, "other") is None
    clear_unfinished(tmp_path, E1, SHORT)
    assert load_unfinished(tmp_path, E1, SHORT) is None
    other = load_unfinished(tmp_path, E2, SHORT)
    assert other is not None and (other.project_id, other.last_task_id) == (None, 0)
    clear_unfinished(tmp_path, E2, SHORT)
    assert not (tmp_path / ".pbsync" / MARKER_FILE).exists()


def test_a_second_unfinished_push_keeps_the_first_ones_lower_ids(tmp_path: Path) -> None:
    mark_unfinished(tmp_path, E1, SHORT, Unfinished(3, 40, 2, "first"))
    mark_unfinished(tmp_path, E1, SHORT, Unfinished(3, 55, 4, "second"))
    assert load_unfinished(tmp_path, E1, SHORT) == Unfinished(3, 40, 2, "first")


def test_the_marker_holds_no_secret_and_an_unreadable_one_counts_as_unfinished(
    tmp_path: Path,
) -> None:
    path = mark_unfinished(
        tmp_path, "http://user:pw@a.example/?api_key=k", SHORT, Unfinished(1, 2, 3)
    )
    text = path.read_text(encoding="utf-8")
    assert "pw" not in text and "api_key" not in text
    assert json.loads(text)["pushes"]["http://a.example " + SHORT]["last_task_id"] == 2
    path.write_text("{not json", encoding="utf-8")
    assert load_unfinished(tmp_path, E1, SHORT) == Unfinished(None, 0, 0)


def write_folder(folder: Path, rows: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    toml = f'[project]\nname = "Marker"\nshort_name = "{SHORT}"\ndescription = "d"\n'
    (folder / "project.toml").write_text(toml, encoding="utf-8")
    lines = ["url", *(f"u{i}" for i in range(rows))]
    (folder / "tasks.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@pytest.fixture
def client(endpoint: str, api_key: str, clean_server: None) -> Iterator[Client]:
    with Client(endpoint, api_key) as c:
        yield c


class Peek(Reporter):
    """Records whether the marker existed when the first action began."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker
        self.seen: list[bool] = []

    def action_started(self, action: object) -> None:
        self.seen.append(self.marker.exists())


def test_a_push_marks_before_its_first_write_and_unmarks_after_success(
    tmp_path: Path, client: Client
) -> None:
    folder = write_folder(tmp_path / "p", 3)
    marker = folder / ".pbsync" / MARKER_FILE
    pbsync.push(folder, client, dry_run=True)
    assert not marker.exists()  # a dry run writes nothing
    peek = Peek(marker)
    pbsync.push(folder, client, reporter=peek)
    assert peek.seen and all(peek.seen) and not marker.exists()


def test_a_push_refused_before_any_write_leaves_no_marker(tmp_path: Path, client: Client) -> None:
    folder = write_folder(tmp_path / "p", 2)
    pbsync.push(folder, client)
    project = client.projects.by_short_name(SHORT)
    assert project is not None
    client.projects.update(project, description="changed on the server")
    (folder / "project.toml").write_text(
        (folder / "project.toml").read_text().replace('"d"', '"changed in the folder"'),
        encoding="utf-8",
    )
    with pytest.raises(ConflictError):
        pbsync.push(folder, client)
    assert not (folder / ".pbsync" / MARKER_FILE).exists()
