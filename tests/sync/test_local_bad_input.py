"""The corpus of broken folders (tests/bad_input): each one is refused with a precise message.

Every folder holds `expected.txt`: every problem the load must report, one a line, in full
(`file:line: field: message`), so a vaguer message, a lost line number or an extra problem fails.
A line ending in `...` is matched as a prefix (for text that comes from a parser library, which
may word it differently across versions). `env.txt` optionally names the environment to load with.
Loading must raise `ValidationError`, and a push of a broken folder must not send a single request.

What git cannot hold (FIFOs, file names with control characters) or should not
(symlinks to a real file outside the folder) is described in `setup.json` and made when the test
runs, in a copy of the folder under tmp_path:
`{"outside": {"secret.cfg": "text"}, "symlink": {"tasks.csv": "../outside/secret.cfg"},
"fifo": ["helping/map.png"], "file": {"helping/a\\nb.png": "text"}}`. `outside` files are made
beside the copy (`../outside/...` from it), so a symlink can lead out of the folder to something
real; in `file` names, a lone surrogate such as `\\udcff` stands for a byte that is not UTF-8.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import pbsync
from pbclient.client import Client
from pbsync.cli import main
from pbsync.errors import ValidationError
from pbsync.folder.project import LocalProject

CORPUS = Path(__file__).resolve().parent.parent / "bad_input"
CASES = sorted(p for p in CORPUS.iterdir() if (p / "expected.txt").is_file())


def materialize(case: Path, tmp_path: Path) -> Path:
    """The folder to load: `case` itself, or a copy with what `setup.json` describes made."""
    setup_file = case / "setup.json"
    if not setup_file.is_file():
        return case
    if not hasattr(os, "mkfifo"):
        pytest.skip("needs FIFOs and symlinks (POSIX)")
    setup: dict[str, Any] = json.loads(setup_file.read_text(encoding="utf-8"))
    folder = tmp_path / "project"
    shutil.copytree(case, folder, symlinks=True, ignore=shutil.ignore_patterns("setup.json"))
    for rel, text in setup.get("outside", {}).items():
        _parent(tmp_path / "outside" / rel).write_text(text, encoding="utf-8")
    for rel, text in setup.get("file", {}).items():
        _parent(folder / rel).write_text(text, encoding="utf-8")
    for rel in setup.get("fifo", []):
        os.mkfifo(_parent(folder / rel))
    for rel, target in setup.get("symlink", {}).items():
        _parent(folder / rel).symlink_to(target)
    return folder


def _parent(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _without_hanging(call: Any) -> Any:
    """Run `call()` in a thread: a FIFO opened for reading would block it for ever."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout=20)
    assert not thread.is_alive(), "the load hangs (a FIFO opened?)"
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def _env(folder: Path) -> str | None:
    path = folder / "env.txt"
    return path.read_text(encoding="utf-8").strip() if path.is_file() else None


def test_corpus_is_big_enough() -> None:
    assert len(CASES) >= 140


def _matches(expected: str, problem: str) -> bool:
    if expected.endswith("..."):
        return problem.startswith(expected[:-3])
    return problem == expected


@pytest.mark.parametrize("folder", CASES, ids=[p.name for p in CASES])
def test_broken_folder_is_refused_with_its_message(folder: Path, tmp_path: Path) -> None:
    text = (folder / "expected.txt").read_text(encoding="utf-8")
    expected = [line for line in text.splitlines() if line.strip()]
    made = materialize(folder, tmp_path)
    with pytest.raises(ValidationError) as caught:
        _without_hanging(lambda: LocalProject.load(made, env=_env(folder)))
    problems = [str(p) for p in caught.value.problems]
    assert all("\n" not in p for p in problems), problems
    assert len(problems) == len(expected), problems
    for line in expected:
        assert any(_matches(line, p) for p in problems), f"{line!r} not in {problems}"


@pytest.mark.parametrize("folder", CASES, ids=[p.name for p in CASES])
def test_broken_folder_sends_nothing(folder: Path, local_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    made = materialize(folder, tmp_path)
    local_server.stats.reset()
    with Client(local_server.url, local_server.api_key) as client:
        with pytest.raises(ValidationError):
            _without_hanging(lambda: pbsync.push(made, client, env=_env(folder)))
        assert client.stats.total == 0
    assert local_server.stats.total() == 0
    assert not (made / ".pbsync").exists()  # nothing written either


@pytest.mark.parametrize("folder", CASES, ids=[p.name for p in CASES])
def test_broken_folder_push_is_exit_1_and_one_line_a_problem(
    folder: Path,
    local_server,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    """As a user sees it: `pbsync push DIR --yes` exits 1, one `error:` line per problem."""
    text = (folder / "expected.txt").read_text(encoding="utf-8")
    expected = [line for line in text.splitlines() if line.strip()]
    made = materialize(folder, tmp_path)
    env_name = _env(folder)
    args = ["--endpoint", local_server.url, "--api-key", local_server.api_key]
    args += ["--env", env_name] if env_name else []
    local_server.stats.reset()
    home = {"HOME": str(tmp_path), "PYBOSSA_ENDPOINT": None, "PYBOSSA_API_KEY": None}
    result = _without_hanging(
        lambda: CliRunner().invoke(main, [*args, "push", str(made), "--yes"], env=home)
    )
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    lines = result.stderr.splitlines()
    assert len(lines) == len(expected), lines
    for line in expected:
        assert any(_matches(f"error: {line}", shown) for shown in lines), (line, lines)
    assert local_server.stats.total(prefix="/") == 0
