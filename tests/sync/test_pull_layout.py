"""pull into an existing, hand-written folder keeps its layout (issue 11, item 2).

The README's demo folder (`pbsync init` with the image-classification template: a commented
project.toml and a tasks.csv) is pushed, changed on the server from another copy, and pulled back:
only values change, in place.
"""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from pbsync.cli import main

SHORT = "pbsynctest_demo"


@pytest.fixture
def run(endpoint: str, api_key: str, clean_server: None, tmp_path: Path) -> object:
    runner = CliRunner()
    env = {"HOME": str(tmp_path), "PYBOSSA_ENDPOINT": None, "PYBOSSA_API_KEY": None}

    def invoke(*args: str) -> Result:
        result = runner.invoke(main, ["--endpoint", endpoint, "--api-key", api_key, *args], env=env)
        return result

    return invoke


def snapshot(folder: Path) -> dict[str, str]:
    """Every file of the folder but pbsync's own, as text (binary files by size)."""
    out = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_file() and not rel.startswith(".pbsync"):
            data = path.read_bytes()
            try:
                out[rel] = data.decode("utf-8")
            except UnicodeDecodeError:
                out[rel] = f"<{len(data)} bytes>"
    return out


def changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    """(removed, added) lines of a line diff."""
    diff = list(difflib.ndiff(before.splitlines(), after.splitlines()))
    return [d[2:] for d in diff if d.startswith("- ")], [d[2:] for d in diff if d.startswith("+ ")]


@pytest.fixture
def demo(run, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    folder = tmp_path / SHORT
    result = run("init", str(folder), "--template", "image-classification")
    assert result.exit_code == 0, result.output
    result = run("push", str(folder), "--yes")
    assert result.exit_code == 0, result.output
    return folder


def change_on_server(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """From another copy: presenter text, description, one task's n_answers, one new task."""
    other = tmp_path / "other"
    assert run("pull", SHORT, str(other)).exit_code == 0
    presenter = other / "presenter.html"
    presenter.write_text(
        presenter.read_text(encoding="utf-8").replace("circle", "round shape", 1),
        encoding="utf-8",
    )
    toml = other / "project.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace("whether it shows", "if it shows"), encoding="utf-8")
    lines = (other / "tasks.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    second = next(i for i, line in enumerate(lines) if '"Shapes 2"' in line)
    lines[second] = lines[second].rstrip("\n")[:-1] + ', "n_answers": 3}\n'
    lines.append('{"title": "Shapes 9", "url": "https://example.org/9.png"}\n')
    (other / "tasks.jsonl").write_text("".join(lines), encoding="utf-8")
    result = run("push", str(other), "--yes")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("force", [True, False])
def test_pull_into_the_demo_folder_changes_only_values(
    run, demo: Path, tmp_path: Path, force: bool
) -> None:  # type: ignore[no-untyped-def]
    before = snapshot(demo)
    change_on_server(run, tmp_path)
    result = run("pull", SHORT, str(demo), *(["--force"] if force else []))
    assert result.exit_code == 0, result.output
    after = snapshot(demo)
    assert sorted(after) == sorted(before)  # no new task file, nothing removed
    changed = {rel for rel in before if before[rel] != after[rel]}
    assert changed == {"project.toml", "presenter.html", "tasks.csv"}

    removed, added = changed_lines(before["project.toml"], after["project.toml"])
    assert removed == ['description = "Look at a picture and say whether it shows a circle."'], (
        after["project.toml"]
    )
    assert added == ['description = "Look at a picture and say if it shows a circle."']

    old_rows = before["tasks.csv"].splitlines()
    new_rows = after["tasks.csv"].splitlines()
    # the header gains the n_answers column (empty: the [tasks] default), the second task says 3,
    # the new task is appended; every other row keeps its text, quotes included
    assert new_rows[0] == old_rows[0] + ",n_answers"
    assert new_rows[1] == old_rows[1] + ","
    assert new_rows[2] == old_rows[2] + ",3"
    assert new_rows[3:6] == [row + "," for row in old_rows[3:6]]
    assert new_rows[6:] == ["Shapes 9,https://example.org/9.png,"]

    result = run("diff", str(demo))
    assert result.exit_code == 0, result.output
    # a second pull has nothing to do
    result = run("pull", SHORT, str(demo))
    assert result.exit_code == 0, result.output
    assert snapshot(demo) == after


def test_pull_into_an_empty_folder_still_writes_tasks_jsonl(
    run, demo: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    result = run("pull", SHORT, str(tmp_path / "fresh"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "fresh" / "tasks.jsonl").is_file()
    assert not (tmp_path / "fresh" / "tasks.csv").exists()
    shutil.rmtree(tmp_path / "fresh")
