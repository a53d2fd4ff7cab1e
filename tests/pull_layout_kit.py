"""Helpers for the tests of pull into folders laid out their own way (issue 12: pbs users).

The tests drive the CLI over HTTP against the test server: push a folder, change the project from
another copy, pull back, and check the folder kept its layout and is in sync.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner, Result

from pbsync.cli import main

SHORT = "pbsynctest_pages"
BUNDLE_JS = "var app={run:1};\n"
TASKS = "url\nhttps://example.org/1.png\nhttps://example.org/2.png\n"

Run = Callable[..., Result]


def cli(endpoint: str, api_key: str, home: Path) -> Run:
    """`run(*args)`: the pbsync CLI with this server and key, and `home` as HOME."""
    env = {"HOME": str(home), "PYBOSSA_ENDPOINT": None, "PYBOSSA_API_KEY": None}

    def invoke(*args: str) -> Result:
        argv = ["--endpoint", endpoint, "--api-key", api_key, *args]
        return CliRunner().invoke(main, argv, env=env, catch_exceptions=False)

    return invoke


def files_of(folder: Path) -> dict[str, bytes]:
    """Every file of the folder but pbsync's own."""
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.relative_to(folder).as_posix().startswith(".pbsync")
    }


def pbs_folder(folder: Path) -> Path:
    """A pbs folder as pbs users kept it: project.json, the pages under pbs's names, a bundle."""
    folder.mkdir()
    project = {"name": "Pages", "short_name": SHORT, "description": "pbs", "question": "?"}
    (folder / "project.json").write_text(json.dumps(project, indent=2), encoding="utf-8")
    (folder / "template.html").write_text("<div id='q'></div>\n", encoding="utf-8")
    (folder / "long_description.md").write_text("# About\n", encoding="utf-8")
    (folder / "results.html").write_text("<div id='results'></div>\n", encoding="utf-8")
    (folder / "bundle.min.js").write_text(BUNDLE_JS, encoding="utf-8")
    (folder / "tasks.csv").write_text(TASKS, encoding="utf-8")
    return folder


def push(run: Run, folder: Path) -> None:
    result = run("push", str(folder), "--yes")
    assert result.exit_code == 0, result.output


def pull(run: Run, folder: Path, *args: str) -> Result:
    return run("pull", SHORT, str(folder), "--json", *args)


def assert_in_sync(run: Run, folder: Path) -> None:
    """diff exits 0, and a second pull writes nothing."""
    result = run("diff", str(folder))
    assert result.exit_code == 0, result.output
    again = pull(run, folder)
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["written"] == []
