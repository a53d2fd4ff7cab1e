"""A pull cut short while moving its staged files into place is finished by the next pull,
which records it as its own; an edit made in between is kept and named."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pullkit import SHORT, assert_caught_up, make_behind

import pbsync
from pbclient.client import Client
from pbsync.errors import PullError
from pbsync.pulling.staging import Staging
from pbsync.server import LocalServer


@pytest.fixture
def client(endpoint: str, api_key: str, local_server: LocalServer) -> Iterator[Client]:
    with Client(endpoint, api_key) as c:
        yield c


def cut_after(moves: int) -> Callable[..., None]:
    """A `Staging._move` that dies (like a kill) after `moves` moves."""
    original = Staging._move
    done = [0]

    def move(self: Staging, *args: Any) -> None:
        if done[0] == moves:
            raise KeyboardInterrupt
        done[0] += 1
        original(self, *args)

    return move


def test_a_pull_cut_short_while_moving_files_is_finished_by_the_next(
    tmp_path: Path, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = make_behind(tmp_path, client)
    monkeypatch.setattr(Staging, "_move", cut_after(2))  # no server can stage a kill here
    with pytest.raises(KeyboardInterrupt):
        pbsync.pull(client, SHORT, copy)
    monkeypatch.undo()
    assert (copy / ".pbsync" / "pull" / "commit.json").is_file()
    report = pbsync.pull(client, SHORT, copy)
    assert any("finished an interrupted pull" in w for w in report.warnings)
    assert not (copy / ".pbsync" / "pull").exists()
    assert_caught_up(client, copy)


def test_an_edit_after_a_cut_short_pull_is_kept_and_named(
    tmp_path: Path, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = make_behind(tmp_path, client)
    monkeypatch.setattr(Staging, "_move", cut_after(0))
    with pytest.raises(KeyboardInterrupt):
        pbsync.pull(client, SHORT, copy)
    monkeypatch.undo()
    (copy / "presenter.html").write_text("<p>mine</p>", encoding="utf-8")  # not moved yet
    with pytest.raises(PullError, match=r"local changes in: presenter\.html"):
        pbsync.pull(client, SHORT, copy)
    assert (copy / "presenter.html").read_text(encoding="utf-8") == "<p>mine</p>"
