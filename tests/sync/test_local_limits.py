"""What the server or JSON refuses is refused while loading: body sizes at the server's limit,
NaN and Infinity, nesting depth (`pbsync.folder.storable`).

The size tests push to the local server, which refuses JSON bodies over 1 MiB with 413 as nginx
does by default: a folder at pbsync's limit must go through, one byte more must be refused before
any request.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

import pbsync
from pbclient.client import Client
from pbclient.errors import ResponseError
from pbsync.errors import ValidationError
from pbsync.folder.project import LocalProject
from pbsync.folder.storable import (
    MAX_BODY_BYTES,
    MAX_DEPTH,
    TOO_DEEP,
    deep_line,
    find_unstorable,
    parse_float,
    too_deep,
)
from pbsync.model import TASK_DEFAULTS
from pbsync.server import LocalServer

SHORT = "pbsynctest_limits"
TOML = f'[project]\nname = "Limits"\nshort_name = "{SHORT}"\ndescription = "d"\n'


def folder_with(tmp_path: Path, name: str, text: str) -> Path:
    folder = tmp_path / "proj"
    folder.mkdir(exist_ok=True)
    (folder / "project.toml").write_text(TOML, encoding="utf-8")
    (folder / name).write_text(text, encoding="utf-8")
    return folder


def body_size(folder: Path) -> int:
    """The body size the loader's problem reports (the folder must be over the limit)."""
    with pytest.raises(ValidationError) as caught:
        LocalProject.load(folder)
    (problem,) = caught.value.problems
    match = re.search(r"would be ([\d,]+) bytes", str(problem))
    assert match, problem
    return int(match[1].replace(",", ""))


def task_line(n: int) -> str:
    return json.dumps({"url": "https://example.org/1.png", "text": "a" * n}) + "\n"


def test_a_task_at_the_limit_is_accepted_and_one_byte_more_is_refused(
    tmp_path: Path, local_server: LocalServer
) -> None:
    probe = MAX_BODY_BYTES
    overhead = body_size(folder_with(tmp_path, "tasks.jsonl", task_line(probe))) - probe
    at_limit = MAX_BODY_BYTES - overhead
    folder = folder_with(tmp_path, "tasks.jsonl", task_line(at_limit + 1))
    with Client(local_server.url, local_server.api_key) as client:
        with pytest.raises(ValidationError, match=r"tasks\.jsonl:1: text: the task's body"):
            pbsync.push(folder, client)
        assert client.stats.total == 0
        folder_with(tmp_path, "tasks.jsonl", task_line(at_limit))
        report = pbsync.push(folder, client)
        assert report.created["task"] == 1  # the server took the largest body pbsync allows
        (task,) = client.tasks.find(project_id=report.project_id)
        assert len(task.info["text"]) == at_limit
        # and the limit is the server's, give or take the project id's digits
        info = {"url": "https://example.org/2.png", "text": "a" * (at_limit + 12)}
        with pytest.raises(ResponseError) as refused:
            client.tasks.create(project_id=report.project_id, info=info, **TASK_DEFAULTS)
        assert refused.value.status == 413


def test_a_presenter_at_the_limit_is_accepted_and_one_byte_more_is_refused(
    tmp_path: Path, local_server: LocalServer
) -> None:
    probe = MAX_BODY_BYTES
    overhead = body_size(folder_with(tmp_path, "presenter.html", "p" * probe)) - probe
    at_limit = MAX_BODY_BYTES - overhead
    folder = folder_with(tmp_path, "presenter.html", "p" * (at_limit + 1))
    with Client(local_server.url, local_server.api_key) as client:
        with pytest.raises(ValidationError, match=r"^presenter\.html: the project's body"):
            pbsync.push(folder, client)
        assert client.stats.total == 0
        folder_with(tmp_path, "presenter.html", "p" * at_limit)
        report = pbsync.push(folder, client)
        assert report.created["project"] == 1


def test_the_size_counts_escaped_characters(tmp_path: Path) -> None:
    """requests sends JSON as ASCII: an emoji is 12 bytes on the wire, 4 in the file."""
    n = MAX_BODY_BYTES // 12 + 10
    folder = folder_with(tmp_path, "tasks.jsonl", task_line(0).replace('""', f'"{"🐈" * n}"'))
    assert (folder / "tasks.jsonl").stat().st_size < MAX_BODY_BYTES / 2
    assert body_size(folder) > MAX_BODY_BYTES


@pytest.mark.parametrize(
    ("value", "found"),
    [
        ({"a": 1, "b": "x", "c": 1.5, "d": None, "e": True}, None),
        ({"a": math.nan}, ("a", "NaN is not a JSON number")),
        ({"a": [1, {"b": -math.inf}]}, ("a[1].b", "-Infinity is not a JSON number")),
        ({"a\x00": 1}, ("a\x00", "contains a NUL character")),
        ({"a": {"b": "\ud800"}}, ("a.b", "contains an unpaired surrogate (\\ud800)")),
        (json.loads('{"w": 1e400}', parse_float=parse_float), ("w", "1e400 is too large")),
        (json.loads('{"w": -2E+999}', parse_float=parse_float), ("w", "-2E+999 is too large")),
    ],
)
def test_find_unstorable(value: object, found: tuple[str, str] | None) -> None:
    result = find_unstorable(value)
    if found is None:
        assert result is None
    else:
        assert result is not None and result[0] == found[0] and result[1].startswith(found[1])


def nested(levels: int) -> object:
    value: object = 1
    for _ in range(levels):
        value = [value]
    return value


@pytest.mark.parametrize(("levels", "deep"), [(MAX_DEPTH - 1, False), (MAX_DEPTH, True)])
def test_depth_limit(levels: int, deep: bool) -> None:
    """The info object is level 1, so MAX_DEPTH - 1 lists inside it are the most allowed."""
    info = {"t": nested(levels)}
    assert (too_deep(info) is not None) is deep
    assert (find_unstorable(info) == (too_deep(info), TOO_DEEP)) is deep


def test_deep_line_skips_strings_and_comments() -> None:
    text = '# [[[[ in a comment\nx = "[[[[["\ny = [[\n[[[\n'
    assert deep_line(text, 3) == 4
    assert deep_line(text, 5) is None
