"""pull into an existing folder: JSONL edited in place, formats that cannot hold a task refused,
project.toml keys the server no longer has removed while `[env]` and comments stay."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import pbsync
from pbclient.client import Client
from pbsync.errors import PullError
from pbsync.pulling.run import pull

SHORT = "pbsynctest_layout"
TOML = f"""\
# my notes
[project]
name = "Layout"
short_name = "{SHORT}"  # keep this comment
description = "d"
zip_download = true

[project.info]
sched = "default"
gone = "soon"

[tasks]
key = ["url"]

[env.staging.project]
name = "Layout (staging)"
"""


@pytest.fixture
def client(endpoint: str, api_key: str, clean_server: None) -> Iterator[Client]:
    with Client(endpoint, api_key) as c:
        yield c


def make(folder: Path, tasks: dict[str, str], toml: str = TOML) -> Path:
    folder.mkdir(parents=True)
    (folder / "project.toml").write_text(toml, encoding="utf-8")
    for name, text in tasks.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def server_change(tmp_path: Path, client: Client, edit: dict[str, str]) -> None:
    """Push from another copy whose task file is `edit`."""
    other = make(tmp_path / "other", edit)
    pbsync.push(other, client, prune=True)
    # an info key removed on the server (a push never removes one: absent keys are unmanaged)
    (project,) = client.request("GET", "/api/project", params={"short_name": SHORT})
    info = {k: v for k, v in project["info"].items() if k != "gone"}
    client.request("PUT", f"/api/project/{project['id']}", json={"info": info})


def test_jsonl_is_edited_in_place(tmp_path: Path, client: Client) -> None:
    jsonl = '{"url": "a", "n": "1"}\n{"url":"b","n":"2"}\n{"url": "c", "n": "3", "n_answers": 2}\n'
    mine = make(tmp_path / "mine", {"tasks.jsonl": jsonl})
    pbsync.push(mine, client)
    changed = '{"url": "a", "n": "1"}\n{"url": "b", "n": "22"}\n{"url": "d", "n": "4"}\n'
    server_change(tmp_path, client, {"tasks.jsonl": changed})
    report = pull(client, SHORT, mine)
    assert set(report.written) == {"project.toml", "tasks.jsonl"}
    assert (mine / "tasks.jsonl").read_text(encoding="utf-8") == (
        '{"url": "a", "n": "1"}\n{"url": "b", "n": "22"}\n{"url": "d", "n": "4"}\n'
    )
    text = (mine / "project.toml").read_text(encoding="utf-8")
    # the info key the server no longer has is removed; the rest is as written
    assert text == TOML.replace('gone = "soon"\n', "")
    assert pbsync.plan(mine, client).empty


def test_a_csv_that_cannot_hold_a_task_is_a_clear_error(tmp_path: Path, client: Client) -> None:
    mine = make(tmp_path / "mine", {"tasks.csv": "url,n\na,1\n"})
    pbsync.push(mine, client)
    server_change(tmp_path, client, {"tasks.jsonl": '{"url": "a", "n": {"deep": 1}}\n'})
    before = {p.name: p.read_bytes() for p in mine.iterdir() if p.is_file()}
    with pytest.raises(PullError) as caught:
        pull(client, SHORT, mine, force=True)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("tasks.csv: cannot keep the CSV format: task ")
    assert "a dict in 'n' (a CSV cell holds only text)" in message
    assert {p.name: p.read_bytes() for p in mine.iterdir() if p.is_file()} == before
    assert not (mine / "tasks.jsonl").exists()


def test_a_csv_row_needs_every_column(tmp_path: Path, client: Client) -> None:
    mine = make(tmp_path / "mine", {"tasks.csv": "url,n\na,1\n"})
    pbsync.push(mine, client)
    server_change(tmp_path, client, {"tasks.jsonl": '{"url": "a", "n": "1"}\n{"url": "b"}\n'})
    with pytest.raises(PullError, match=r"^tasks\.csv: .* has no 'n' \(a CSV row would give"):
        pull(client, SHORT, mine, force=True)


def test_an_xlsx_that_would_change_is_refused(tmp_path: Path, client: Client) -> None:
    from openpyxl import Workbook

    mine = make(tmp_path / "mine", {})
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["url"])
    sheet.append(["a"])
    book.save(mine / "tasks.xlsx")
    pbsync.push(mine, client)
    assert pull(client, SHORT, mine).written == ()  # unchanged: nothing to refuse
    server_change(tmp_path, client, {"tasks.jsonl": json.dumps({"url": "b"}) + "\n"})
    with pytest.raises(PullError, match=r"^.*tasks\.xlsx.*(cannot|\.xlsx)"):
        pull(client, SHORT, mine, force=True)
    assert not (mine / "tasks.jsonl").exists()


def test_untouched_jsonl_lines_keep_their_bytes_with_key_fields(
    tmp_path: Path, client: Client
) -> None:
    # rows are matched by the [tasks] key fields: a server task must be keyed the same way, or
    # every row looks gone and every task new (all lines rewritten in the server's key order,
    # which on PYBOSSA, jsonb, is not the file's)
    jsonl = '{"url":"a","n":"1"}\n{"url":"b","n":"2"}\n'
    mine = make(tmp_path / "mine", {"tasks.jsonl": jsonl})
    project_id = pbsync.push(mine, client).project_id
    client.tasks.create(project_id=project_id, info={"n": "3", "url": "c"})  # key order of jsonb
    pull(client, SHORT, mine, force=True)
    assert (mine / "tasks.jsonl").read_text(encoding="utf-8") == (
        '{"url":"a","n":"1"}\n{"url":"b","n":"2"}\n{"url": "c", "n": "3"}\n'
    )
