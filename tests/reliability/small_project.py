"""A small project for the fault tests: its folder, the CLI run on it, and what the server holds.

A command under faults must either succeed or fail with one line (exit 1, no traceback); the
server must then hold each thing once, and a re-run must leave it holding exactly the folder.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from pbclient.client import Client
from pbsync.cli import main
from pbsync.server import LocalServer

SHORT = "pbsynctest_faults"
FILES = {"map.png": b"\x89PNG\r\n\x1a\n" + b"m" * 64, "key.png": b"\x89PNG\r\n\x1a\n" + b"k" * 48}
PUBLISH = f"/project/{SHORT}/publish"


def write_folder(
    folder: Path, *, rows: int = 40, presenter: str = "<p>v1</p>\n", published: bool = False
) -> Path:
    """project.toml, a presenter, two helping files and `rows` tasks (rewritten in place)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "project.toml").write_text(
        f'[project]\nname = "Faults"\nshort_name = "{SHORT}"\ndescription = "d"\n'
        f"published = {'true' if published else 'false'}\n",
        encoding="utf-8",
    )
    (folder / "presenter.html").write_text(presenter, encoding="utf-8")
    (folder / "helping").mkdir(exist_ok=True)
    for name, data in FILES.items():
        (folder / "helping" / name).write_bytes(data)
    lines = ["url,n_answers", *[f"https://example.org/{i}.png,{1 + i % 4}" for i in range(rows)]]
    (folder / "tasks.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@dataclass(frozen=True)
class Held:
    """What the server holds of the project, in a form two states compare by."""

    projects: int
    presenter: str | None = None
    published: bool = False
    materials: tuple[tuple[str, int], ...] = ()  # (name, copies), sorted
    files: tuple[tuple[str, bytes], ...] = ()  # (name, bytes served), sorted
    tasks: tuple[tuple[str, int, int], ...] = ()  # (url, n_answers, copies), sorted


def expected(*, rows: int = 40, presenter: str = "<p>v1</p>\n", published: bool = False) -> Held:
    """What the server must hold once `write_folder(rows=..., presenter=...)` is pushed."""
    return Held(
        projects=1,
        presenter=presenter,
        published=published,
        materials=tuple((name, 1) for name in sorted(FILES)),
        files=tuple(sorted(FILES.items())),
        tasks=tuple(sorted((f"https://example.org/{i}.png", 1 + i % 4, 1) for i in range(rows))),
    )


def held(server: LocalServer) -> Held:
    """Read what the server holds (every copy counted), then hang up."""
    with Client(server.url, server.api_key) as client:
        projects = list(client.projects.rows(short_name=SHORT))
        if len(projects) != 1:
            return Held(projects=len(projects))
        project = projects[0]
        materials = list(client.helping_materials.rows(project_id=project["id"]))
        files = {
            m["info"].get("name"): client.helping_materials.download(m["media_url"])
            for m in materials
            if m.get("media_url")
        }
        tasks = Counter(
            (t["info"].get("url"), t["n_answers"])
            for t in client.tasks.rows(project_id=project["id"])
        )
    return Held(
        projects=1,
        presenter=project["info"].get("task_presenter"),
        published=bool(project["published"]),
        materials=tuple(sorted(Counter(m["info"].get("name") for m in materials).items())),
        files=tuple(sorted(files.items())),
        tasks=tuple(sorted((url, n, copies) for (url, n), copies in tasks.items())),
    )


def run_cli(server: LocalServer, home: Path, *args: str, key: str | None = None) -> Result:
    """`pbsync --endpoint URL --api-key KEY ARGS...` in this process, as a user runs it.

    The server runs in this process too, so the command's log handler would also print the
    server's own warnings (waitress: "Task queue depth is 1" when 8 workers and a read meet):
    they are muted here, as they would be in another process.
    """
    env = {"HOME": str(home), "PYBOSSA_ENDPOINT": None, "PYBOSSA_API_KEY": None}
    options = ["--endpoint", server.url, "--api-key", key or server.api_key]
    queue_log = logging.getLogger("waitress.queue")
    level = queue_log.level
    queue_log.setLevel(logging.ERROR)
    try:
        return CliRunner().invoke(main, [*options, *args], env=env)
    finally:
        queue_log.setLevel(level)


def outcome(result: Result) -> str:
    """Return "ok", or the one error line of a failed command; anything else fails the test."""
    assert "Traceback" not in result.output, result.output
    if result.exit_code in (0, 2):  # diff's 2: there are changes
        assert result.exception is None or isinstance(result.exception, SystemExit)
        return "ok"
    assert result.exit_code == 1, (result.exit_code, result.output, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception  # not a crash
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def writes(server: LocalServer) -> dict[tuple[str, str], int]:
    """The requests other than GET the server received since its stats were reset."""
    return {k: n for k, n in server.stats.snapshot().items() if k[0] != "GET"}


def plan_of(result: Result) -> dict[str, Any]:
    """The plan of a `diff --json`, without what varies between runs (request counts)."""
    document = json.loads(result.stdout)
    document.pop("requests", None)
    return dict(document)
