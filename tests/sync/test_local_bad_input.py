"""The corpus of broken folders (tests/bad_input): each one is refused with a precise message.

Every folder holds `expected.txt`: every problem the load must report, one a line, in full
(`file:line: field: message`), so a vaguer message, a lost line number or an extra problem fails.
A line ending in `...` is matched as a prefix (for text that comes from a parser library, which
may word it differently across versions). `env.txt` optionally names the environment to load with.
Loading must raise `ValidationError`, and a push of a broken folder must not send a single request.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import pbsync
from pbclient.client import Client
from pbsync.errors import ValidationError
from pbsync.folder.project import LocalProject

CORPUS = Path(__file__).resolve().parent.parent / "bad_input"
CASES = sorted(p for p in CORPUS.iterdir() if (p / "expected.txt").is_file())


def _env(folder: Path) -> str | None:
    path = folder / "env.txt"
    return path.read_text(encoding="utf-8").strip() if path.is_file() else None


def test_corpus_is_big_enough() -> None:
    assert len(CASES) >= 40


def _matches(expected: str, problem: str) -> bool:
    if expected.endswith("..."):
        return problem.startswith(expected[:-3])
    return problem == expected


@pytest.mark.parametrize("folder", CASES, ids=[p.name for p in CASES])
def test_broken_folder_is_refused_with_its_message(folder: Path) -> None:
    text = (folder / "expected.txt").read_text(encoding="utf-8")
    expected = [line for line in text.splitlines() if line.strip()]
    with pytest.raises(ValidationError) as caught:
        LocalProject.load(folder, env=_env(folder))
    problems = [str(p) for p in caught.value.problems]
    assert len(problems) == len(expected), problems
    for line in expected:
        assert any(_matches(line, p) for p in problems), f"{line!r} not in {problems}"


@pytest.mark.parametrize("folder", CASES, ids=[p.name for p in CASES])
def test_broken_folder_sends_nothing(folder: Path, local_server) -> None:  # type: ignore[no-untyped-def]
    local_server.stats.reset()
    with Client(local_server.url, local_server.api_key) as client:
        with pytest.raises(ValidationError):
            pbsync.push(folder, client, env=_env(folder))
        assert client.stats.total == 0
    assert local_server.stats.total() == 0
