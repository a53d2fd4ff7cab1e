"""pbs folders, converted with `pbsync convert` and pushed, against what pbs 3.0.0 sent.

For every folder of the corpus (tests/frompbs/corpus.py): `pbsync convert` with the options its
owner gave `pbs add-tasks`, `pbsync push`, then `pbsync diff` exits 0 and a second push writes
nothing (counted by the local server). The same folder, under another short_name, goes through
the real pbs CLI (installed beside pbsync, see tests/legacy/test_pbs_cli.py): where pbs worked the
server holds the same tasks both ways; where it did not (an `info` column sent as a string, an
XLSX that crashed pbs) the test shows pbs's result and pbsync's fixed one.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from frompbs.corpus import CORPUS, Corpus, write_helping
from pbclient import Client
from pbsync.cli import main
from pbsync.server import LocalServer

PBS_MISSING = [
    name
    for name in ("pbs", "helpers", "simplejson", "jsonschema", "polib")
    if importlib.util.find_spec(name) is None
]
needs_pbs = pytest.mark.skipif(bool(PBS_MISSING), reason=f"pbs 3.0.0 missing: {PBS_MISSING}")

pytestmark = pytest.mark.local_only(reason="counts a push's writes with the local server's stats")

IDS = [corpus.name for corpus in CORPUS]
TASK_ATTRS = ("n_answers", "priority_0", "quorum", "calibration")
#: what pbsync adds to a material's info (its identity, the file's hash) and the server sets
ADDED_INFO = ("name", "sha256", "file_name", "container")


@pytest.fixture
def reader(endpoint: str, api_key: str) -> Iterator[Client]:
    with Client(endpoint, api_key) as client:
        yield client


def pbsync(home: Path, endpoint: str, api_key: str, *args: str) -> Result:
    """Run the pbsync CLI in this process (HOME without a ~/.pybossa.cfg)."""
    env = {"HOME": str(home), "PYBOSSA_ENDPOINT": None, "PYBOSSA_API_KEY": None}
    argv = ["--endpoint", endpoint, "--api-key", api_key, *args]
    return CliRunner().invoke(main, argv, env=env, catch_exceptions=False)


def pbs(folder: Path, endpoint: str, api_key: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the real pbs CLI in `folder` (its own process)."""
    argv = [sys.executable, "-c", "from pbs import cli; cli()"]
    argv += ["--server", endpoint, "--api-key", api_key, *args]
    env = {**os.environ, "HOME": str(folder)}
    return subprocess.run(
        argv, cwd=folder, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def server_rows(reader: Client, resource: str, short_name: str) -> list[dict[str, Any]]:
    found = reader.request("GET", "/api/project", params={"short_name": short_name, "all": 1})
    assert len(found) == 1, found
    params = {"project_id": found[0]["id"], "limit": 100, "all": 1}
    rows = reader.request("GET", f"/api/{resource}", params=params)
    return sorted(rows, key=lambda row: row["id"])


def tasks_of(reader: Client, short_name: str) -> list[tuple[Any, tuple[Any, ...]]]:
    """(info, attributes) of the project's tasks, in a canonical order (pbs creates them in the
    file's order, pbsync in its own)."""
    rows = server_rows(reader, "task", short_name)
    found = [(row["info"], tuple(row[name] for name in TASK_ATTRS)) for row in rows]
    return sorted(found, key=canonical)


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def project_of(reader: Client, short_name: str) -> tuple[Any, ...]:
    found = reader.request("GET", "/api/project", params={"short_name": short_name, "all": 1})
    info = found[0]["info"]
    fields = (info.get("task_presenter"), info.get("tutorial"), info.get("results"))
    return (*fields, found[0]["long_description"])


def _sync_name(corpus: Corpus) -> str:
    return "pbsynctest_" + corpus.name.replace("-", "_")


def convert_args(corpus: Corpus) -> list[str]:
    return ["--tasks-file", corpus.tasks_file, *corpus.options]


def push_with_pbsync(
    tmp_path: Path, corpus: Corpus, endpoint: str, api_key: str, server: LocalServer
) -> Path:
    """Convert, push, diff, push again: the Must-show sequence; returns the folder."""
    folder = corpus.build(tmp_path / "sync", _sync_name(corpus))
    write_helping(folder)
    run = pbsync(tmp_path, endpoint, api_key, "convert", str(folder), *convert_args(corpus),
                 "--helping-materials-file", "helping.json")  # fmt: skip
    assert run.exit_code == 0, run.output
    pushed = pbsync(tmp_path, endpoint, api_key, "push", "--yes", str(folder))
    assert pushed.exit_code == 0, pushed.output
    diff = pbsync(tmp_path, endpoint, api_key, "diff", str(folder))
    assert diff.exit_code == 0, diff.output
    server.stats.reset()
    again = pbsync(tmp_path, endpoint, api_key, "push", "--yes", str(folder))
    assert again.exit_code == 0, again.output
    writes = {k: n for k, n in server.stats.snapshot().items() if k[0] != "GET"}
    assert writes == {}, writes
    return folder


@pytest.mark.parametrize("corpus", CORPUS, ids=IDS)
def test_a_converted_pbs_folder_pushes_and_is_then_in_sync(
    corpus: Corpus, tmp_path: Path, endpoint: str, api_key: str, local_server: LocalServer
) -> None:
    folder = push_with_pbsync(tmp_path, corpus, endpoint, api_key, local_server)
    assert (folder / "project.json").exists()  # pbs's files stay
    toml = (folder / "project.toml").read_text(encoding="utf-8")
    assert ('bundle = "bundle.min.js"' in toml) == corpus.bundle


@needs_pbs
@pytest.mark.parametrize("corpus", [c for c in CORPUS if c.pbs_worked], ids=lambda c: c.name)
def test_the_server_holds_what_pbs_sent_where_pbs_worked(
    corpus: Corpus, tmp_path: Path, endpoint: str, api_key: str, local_server: LocalServer,
    reader: Client,
) -> None:  # fmt: skip
    pbs_name = "pbsynctest_pbs_" + corpus.name.replace("-", "_")
    pbs_folder = corpus.build(tmp_path / "pbs", pbs_name)
    commands = (["create-project"], ["update-project"], ["add-tasks", *convert_args(corpus)])
    for command in commands:
        done = pbs(pbs_folder, endpoint, api_key, *command)
        assert done.returncode == 0, done.stdout + done.stderr
    push_with_pbsync(tmp_path, corpus, endpoint, api_key, local_server)
    projects = [project_of(reader, name) for name in (pbs_name, _sync_name(corpus))]
    # the pages as pbs sent them: the presenter with the bundle appended, the long description
    assert projects[0] == projects[1]
    assert ("var app" in projects[0][0]) == corpus.bundle
    by_pbs = tasks_of(reader, pbs_name)
    by_pbsync = tasks_of(reader, _sync_name(corpus))
    assert by_pbs  # pbs added tasks at all
    if corpus.name == "po":
        # pbs sent every polib field of the untranslated entries (line numbers, flags...);
        # pbsync sends msgid (and msgctxt) of every entry (README, "Coming from pbs")
        wanted = [(_po_identity(info), attrs) for info, attrs in by_pbs]
        got = [(info, attrs) for info, attrs in by_pbsync if info["msgid"] != "Bye"]
        assert got == wanted
        assert [info["msgid"] for info, _ in by_pbsync if info["msgid"] == "Bye"] == ["Bye"]
        return
    assert by_pbsync == by_pbs


def _po_identity(info: dict[str, Any]) -> dict[str, Any]:
    wanted = {"msgid": info["msgid"]}
    if info.get("msgctxt") is not None:
        wanted["msgctxt"] = info["msgctxt"]
    return wanted


@needs_pbs
def test_an_info_column_is_sent_as_the_object_pbs_sent_as_a_string(
    tmp_path: Path, endpoint: str, api_key: str, local_server: LocalServer, reader: Client
) -> None:
    corpus = next(c for c in CORPUS if c.name == "csv-info")
    pbs_folder = corpus.build(tmp_path / "pbs", "pbsynctest_pbs_csv_info")
    for command in (["create-project"], ["add-tasks", *convert_args(corpus)]):
        done = pbs(pbs_folder, endpoint, api_key, *command)
        assert done.returncode == 0, done.stdout + done.stderr
    push_with_pbsync(tmp_path, corpus, endpoint, api_key, local_server)
    by_pbs = [info for info, _ in tasks_of(reader, "pbsynctest_pbs_csv_info")]
    by_pbsync = [info for info, _ in tasks_of(reader, "pbsynctest_csv_info")]
    assert all(isinstance(info, str) for info in by_pbs), by_pbs  # pbs: the cell's text
    parsed = sorted((json.loads(text) for text in by_pbs), key=canonical)
    assert by_pbsync == parsed  # pbsync: the object


@needs_pbs
@pytest.mark.parametrize("name", ["xlsx", "xlsm"])
def test_a_spreadsheet_pbs_crashed_on_is_sent_with_its_types(
    name: str, tmp_path: Path, endpoint: str, api_key: str, local_server: LocalServer,
    reader: Client,
) -> None:  # fmt: skip
    corpus = next(c for c in CORPUS if c.name == name)
    pbs_folder = corpus.build(tmp_path / "pbs", f"pbsynctest_pbs_{name}")
    assert pbs(pbs_folder, endpoint, api_key, "create-project").returncode == 0
    crashed = pbs(pbs_folder, endpoint, api_key, "add-tasks", *convert_args(corpus))
    assert crashed.returncode != 0  # pbs 3.0.0 opens the workbook as text
    push_with_pbsync(tmp_path, corpus, endpoint, api_key, local_server)
    infos = [info for info, _ in tasks_of(reader, f"pbsynctest_{name}")]
    # the first sheet, its header as written; empty rows skipped; formulas as their results;
    # dates as ISO 8601 text; numbers and booleans typed
    assert infos == sorted([
        {"City": "Madrid", "Founded": "1083-05-01T00:00:00", "Population": 3300000,
         "Twice": 6600000, "Capital": True},
        {"City": "Porto", "Founded": "2024-01-02T10:30:00", "Population": 231.5,
         "Twice": 463, "Capital": False},
    ], key=canonical)  # fmt: skip


@needs_pbs
def test_helping_materials_hold_what_pbs_sent(
    tmp_path: Path, endpoint: str, api_key: str, local_server: LocalServer, reader: Client
) -> None:
    corpus = CORPUS[0]
    pbs_folder = corpus.build(tmp_path / "pbs", "pbsynctest_pbs_helping")
    write_helping(pbs_folder)
    for command in (
        ["create-project"],
        ["add-helpingmaterials", "--helping-materials-file", "helping.json"],
    ):
        done = pbs(pbs_folder, endpoint, api_key, *command)
        assert done.returncode == 0, done.stdout + done.stderr
    push_with_pbsync(tmp_path, corpus, endpoint, api_key, local_server)
    by_pbs = server_rows(reader, "helpingmaterial", "pbsynctest_pbs_helping")
    by_pbsync = server_rows(reader, "helpingmaterial", _sync_name(corpus))

    def shown(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        return [
            (
                {k: v for k, v in row["info"].items() if k not in ADDED_INFO},
                row["info"].get("file_name", "").rsplit(".", 1)[-1] or None,
                row["media_url"] is not None,
            )
            for row in rows
        ]

    assert sorted(shown(by_pbsync), key=canonical) == sorted(shown(by_pbs), key=canonical)
    # the uploaded one keeps pbs's info.name; the one with info only gets its entry's name
    assert sorted(row["info"]["name"] for row in by_pbsync) == ["helping-2", "map"]
