"""Wrong-shaped server answers end a command with one line, never a traceback.

A hostile PYBOSSA serves a project that matches the test folder, except for one answer of the
wrong shape; `pbsync diff` against it must exit 1 with one `error:` line naming the request and
what was wrong. Nonsense rate-limit headers must not stop a command at all.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from client.hostile import HostileServer, Reply, Seen

from pbsync.cli import main

SHORT = "pbsynctest_hostile"
KEY = "hostile-answers-key"
PROJECT = {
    "id": 7,
    "short_name": SHORT,
    "name": "Hostile",
    "description": "d",
    "long_description": "",
    "info": {},
    "category_id": 1,
    "owner_id": 1,
    "owners_ids": [1],
    "published": False,
    "webhook": None,
    "allow_anonymous_contributors": True,
    "zip_download": True,
}
TASK = {"id": 1, "project_id": 7, "info": {"url": "u1"}, "n_answers": 30, "priority_0": 0.0}
MATERIAL = {"id": 3, "project_id": 7, "info": {"name": "guide"}, "media_url": "https://e.org/g"}


def _good(seen: Seen) -> Any:
    """A sane answer for every request a diff makes."""
    return {
        "/api/project": [PROJECT],
        "/api/category": [{"id": 1, "short_name": "thinking", "name": "Thinking"}],
        "/api/helpingmaterial": [],
        "/api/task": [TASK] if "last_id" not in seen.query else [],
    }.get(seen.path, [])


def _with(path: str, answer: Any) -> Callable[[Seen], Reply]:
    """The good server, but `path` answers `answer` (JSON data, raw bytes, or a Reply)."""

    def route(seen: Seen) -> Reply:
        if seen.path != path:
            return Reply.json(_good(seen))
        return answer if isinstance(answer, Reply) else Reply.json(answer)

    return route


def _project(**changes: Any) -> list[dict[str, Any]]:
    return [{**PROJECT, **changes}]


def _without(row: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k != key}


DEEP = b"[" * 100_000 + b"]" * 100_000
FULL_PAGE = [{**TASK, "id": i, "info": {"url": f"u{i}"}} for i in range(1, 100)] + [
    {"project_id": 7, "info": {"url": "u100"}}
]

# (id, path, answer, words the one error line must contain)
SHAPES = [
    ("project list is an object", "/api/project", PROJECT, "an object, not a list"),
    ("project rows are strings", "/api/project", [SHORT], "row 1 is a string"),
    ("project id is text", "/api/project", _project(id="abc"), "'id' = \"abc\", not an integer"),
    ("project has no id", "/api/project", [_without(PROJECT, "id")], "row 1 has no 'id'"),
    ("project info is text", "/api/project", _project(info="hi"), "'info' = \"hi\", not an obj"),
    ("project info is a list", "/api/project", _project(info=[1]), "'info' = [1], not an object"),
    ("category_id is text", "/api/project", _project(category_id="x"), "'category_id'"),
    ("published is text", "/api/project", _project(published="yes"), "'published' = \"yes\""),
    ("project name is a number", "/api/project", _project(name=5), "'name' = 5, not a string"),
    ("HTML instead of JSON", "/api/project", Reply(200, b"<html>proxy</html>"), "not JSON"),
    ("empty body", "/api/project", Reply(200, b""), "null, not a list"),
    ("NaN in JSON", "/api/project", json.dumps(_project(id=float("nan"))).encode(), "NaN"),
    ("number too large", "/api/task", b'[{"id": 1, "priority_0": 1e400}]', "not JSON"),
    ("JSON nested too deeply", "/api/project", DEEP, "nested too deeply"),
    ("category list is an object", "/api/category", {"id": 1}, "an object, not a list"),
    ("category has no short_name", "/api/category", [{"id": 1}], "no 'short_name'"),
    ("material info is text", "/api/helpingmaterial", [{**MATERIAL, "info": "x"}], "'info'"),
    ("material priority is text", "/api/helpingmaterial", [{**MATERIAL, "priority": "hi"}], "pri"),
    (
        "material name is a number",
        "/api/helpingmaterial",
        [{**MATERIAL, "info": {"name": 5}}],
        "info.name = 5, not a string",
    ),
    ("task rows are strings", "/api/task", ["a", "b"], "row 1 is a string, not an object"),
    ("full page, last row without id", "/api/task", FULL_PAGE, "row 100 has no 'id'"),
    ("task n_answers is text", "/api/task", [{**TASK, "n_answers": "many"}], "'n_answers'"),
    ("task id is true", "/api/task", [{**TASK, "id": True}], "'id' = true, not an integer"),
    ("task ids go backwards", "/api/task", [{**TASK, "id": 3}, {**TASK, "id": 2}], "id order"),
    (
        "error body nested too deeply",
        "/api/task",
        Reply(400, DEEP, {"Content-Type": "application/json"}),
        "400",
    ),
    (
        "error message over two lines",
        "/api/task",
        Reply.json({"exception_cls": "BadRequest", "exception_msg": "one\ntwo"}, status=400),
        "BadRequest: one two",
    ),
]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = tmp_path / "proj"
    folder.mkdir()
    (folder / "project.toml").write_text(
        f'[project]\nname = "Hostile"\nshort_name = "{SHORT}"\ndescription = "d"\n',
        encoding="utf-8",
    )
    (folder / "tasks.csv").write_text("url\nu1\n", encoding="utf-8")
    return folder


def run(tmp_path: Path, url: str, *args: str) -> Result:
    env = {"HOME": str(tmp_path), "PYBOSSA_ENDPOINT": None, "PYBOSSA_API_KEY": None}
    return CliRunner().invoke(main, ["--endpoint", url, "--api-key", KEY, *args], env=env)


def one_error_line(result: Result) -> str:
    """The single line a failed command printed (and proof that it did not crash)."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # not a traceback
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output and KEY not in result.output
    return lines[0]


def test_the_good_server_is_in_sync(tmp_path: Path, folder: Path) -> None:
    with HostileServer(lambda seen: Reply.json(_good(seen))) as server:
        result = run(tmp_path, server.url, "diff", str(folder))
    assert result.exit_code == 0, result.output
    assert "in sync" in result.output


@pytest.mark.parametrize(
    ("path", "answer", "words"), [s[1:] for s in SHAPES], ids=[s[0] for s in SHAPES]
)
def test_a_wrong_answer_is_one_line_naming_the_request(
    tmp_path: Path, folder: Path, path: str, answer: Any, words: str
) -> None:
    with HostileServer(_with(path, answer)) as server:
        result = run(tmp_path, server.url, "diff", str(folder))
    line = one_error_line(result)
    assert path in line and words in line, line


# (id, method and path answering wrong, answer, words); the project does not exist yet, so a
# push creates it and then its task
WRITES = [
    ("created project is a list", "POST /api/project", [PROJECT], "a list, not an object"),
    ("created project has no id", "POST /api/project", _without(PROJECT, "id"), "no 'id'"),
    ("created project is HTML", "POST /api/project", Reply(200, b"<html>"), "not JSON"),
    ("created project is empty", "POST /api/project", Reply(201, b""), "null, not an object"),
    ("created task is a list", "POST /api/task", [TASK], "a list, not an object"),
    ("created task id is text", "POST /api/task", {**TASK, "id": "x"}, "'id' = \"x\""),
    ("created task is HTML", "POST /api/task", Reply(200, b"<html>"), "not JSON"),
]


@pytest.mark.parametrize(
    ("request_line", "answer", "words"), [w[1:] for w in WRITES], ids=[w[0] for w in WRITES]
)
def test_a_wrong_answer_to_a_write_is_one_line(
    tmp_path: Path, folder: Path, request_line: str, answer: Any, words: str
) -> None:
    def route(seen: Seen) -> Reply:
        if f"{seen.method} {seen.path}" == request_line:
            return answer if isinstance(answer, Reply) else Reply.json(answer)
        if seen.method == "POST":  # the other create works
            return Reply.json(PROJECT if seen.path == "/api/project" else TASK)
        return Reply.json([] if seen.path in ("/api/project", "/api/task") else _good(seen))

    with HostileServer(route) as server:
        result = run(tmp_path, server.url, "push", "--yes", str(folder))
    line = one_error_line(result)
    assert request_line in line and words in line, line


def _limits(remaining: str, reset: str, limit: str = "300") -> dict[str, str]:
    return {
        "X-RateLimit-Remaining": remaining,
        "X-RateLimit-Reset": reset,
        "X-RateLimit-Limit": limit,
    }


SOON = str(int(time.time()) + 900)
PAST = str(int(time.time()) - 10)
HEADERS = [
    _limits("nan", SOON),
    _limits("inf", SOON),
    _limits("1e400", SOON),
    _limits("-5", PAST),
    _limits("a lot", SOON),
    _limits("", SOON),
    _limits("0", "nan"),
    _limits("0", "1e400"),
    _limits("0", "1e300"),
    _limits("0", "-1"),
    _limits("0", "tomorrow"),
    _limits("99", SOON, "nan"),
    _limits("99", SOON, "1e400"),
    _limits("99", SOON, "-3"),
]


def _id(headers: dict[str, str]) -> str:
    now = {SOON: "soon", PAST: "past"}
    return ",".join(f"{k.split('-')[-1]}={now.get(v, v)}" for k, v in headers.items())


@pytest.mark.parametrize("headers", HEADERS, ids=[_id(h) for h in HEADERS])
def test_nonsense_rate_limit_headers_do_not_stop_a_command(
    tmp_path: Path, folder: Path, headers: dict[str, str]
) -> None:
    def route(seen: Seen) -> Reply:
        reply = Reply.json(_good(seen))
        reply.headers.update(headers)
        return reply

    with HostileServer(route) as server:
        for command in ("diff", "pull"):
            target = [str(folder)] if command == "diff" else [SHORT, str(tmp_path / "pulled")]
            result = run(tmp_path, server.url, command, *target)
            assert result.exit_code == 0, result.output


# -- a server that ignores last_id ----------------------------------------------------------------
# Before, `diff` and `pull` asked for the same page forever (1,230 identical requests a minute).
# This server stops repeating itself after BOUND pages, so that code which does loop ends too,
# and the request count shows it.

BOUND = 50
PAGE = [{**TASK, "id": i, "info": {"url": f"u{i}"}} for i in range(1, 101)]


@pytest.mark.parametrize("command", ["diff", "pull"])
def test_a_server_ignoring_last_id_ends_the_command_at_once(
    tmp_path: Path, folder: Path, command: str
) -> None:
    pages: list[Seen] = []

    def route(seen: Seen) -> Reply:
        if seen.path != "/api/task":
            return Reply.json(_good(seen))
        pages.append(seen)
        return Reply.json(PAGE if len(pages) <= BOUND else [])

    with HostileServer(route) as server:
        target = [str(folder)] if command == "diff" else [SHORT, str(tmp_path / "pulled")]
        result = run(tmp_path, server.url, command, *target)
    line = one_error_line(result)
    assert "GET /api/task: the list does not move forward" in line
    assert "(id 1 in row 1 after last_id=100); does the server ignore last_id?" in line
    assert len(pages) == 2  # the first page, and the one that repeated it
    assert pages[1].query["last_id"] == ["100"]
