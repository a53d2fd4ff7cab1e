"""The corpus of broken folders (tests/bad_input): each one is refused with a precise message.

Every folder holds `expected.txt` (a substring of one problem's text: file, line or field, message)
and optionally `env.txt` (the environment to load with). Loading must raise `ValidationError`, and
nothing may be sent to a server before the folder is valid.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pbsync.errors import ValidationError
from pbsync.local import LocalProject

CORPUS = Path(__file__).resolve().parent.parent / "bad_input"
CASES = sorted(p for p in CORPUS.iterdir() if (p / "expected.txt").is_file())


def _env(folder: Path) -> str | None:
    path = folder / "env.txt"
    return path.read_text(encoding="utf-8").strip() if path.is_file() else None


def test_corpus_is_big_enough() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize("folder", CASES, ids=[p.name for p in CASES])
def test_broken_folder_is_refused_with_its_message(folder: Path) -> None:
    expected = (folder / "expected.txt").read_text(encoding="utf-8").strip()
    with pytest.raises(ValidationError) as caught:
        LocalProject.load(folder, env=_env(folder))
    problems = [str(p) for p in caught.value.problems]
    assert any(expected in p for p in problems), f"{expected!r} not in {problems}"
