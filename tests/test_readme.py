"""The README's commands run as written, top to bottom (issue 11, item 3).

The "Two commands" line's pbsync part, then every ```sh block of the tour, in order, in a fresh
HOME and XDG_DATA_HOME (so a fresh embedded server store), with `python -m pbsync` standing in
for the installed script. Where a command's comment states an exit code, it is checked; the
tour's one hand edit (step 4) is made as the prose describes it, after checking that the prose
and the template still say what the edit relies on. `pbsync watch` runs until it prints its
preview URL, then gets SIGINT and must exit 130, as the tour says.
"""

from __future__ import annotations

import csv
import os
import queue
import re
import shlex
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
TIMEOUT = 60
QUESTION = ("Is there a circle in this picture?", "Is there a round shape in this picture?")


class Command:
    """One README command: its words after `pbsync`, the exit code its comment states, its step."""

    def __init__(self, line: str, step: str) -> None:
        code, _, comment = line.partition("#")
        self.args = shlex.split(code)[1:]
        found = re.search(r"exit code (\d+)", comment)
        self.exit_code = int(found.group(1)) if found else 0
        # a diff's exit code is its answer: the README must say which one it shows
        assert found or self.args[:1] != ["diff"], f"the README gives no exit code for: {line}"
        self.comment, self.step = comment.strip(), step

    def __repr__(self) -> str:
        return f"pbsync {' '.join(self.args)}  (step {self.step})"


def _sh_blocks(text: str) -> list[tuple[int, str]]:
    """(offset, body) of every ```sh block in `text`."""
    return [(m.start(), m.group(1)) for m in re.finditer(r"```sh\n(.*?)```", text, re.S)]


def readme_commands() -> list[Command]:
    text = README.read_text(encoding="utf-8")
    two = text.split("## Two commands", 1)[1]
    [(_, first)] = _sh_blocks(two)[:1]
    commands = [
        Command(part.strip(), "two commands")
        for part in first.split("&&")
        if part.strip().startswith("pbsync ")
    ]
    tour = text.split("<!-- section: tour -->", 1)[1].split("<!-- /section: tour -->", 1)[0]
    for offset, body in _sh_blocks(tour):
        steps = re.findall(r"\*\*(\d+)\. ", tour[:offset])
        for line in body.splitlines():
            if line.strip():
                assert line.startswith("pbsync "), f"not a pbsync command in the tour: {line}"
                commands.append(Command(line, steps[-1] if steps else "0"))
    return commands


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYBOSSA_")}
    env.update(HOME=str(tmp_path / "home"), XDG_DATA_HOME=str(tmp_path / "data"))
    env["PYTHONPATH"] = str(README.parent)
    return env


def _edit_as_step_4_says(folder: Path) -> None:
    text = README.read_text(encoding="utf-8")
    assert all(q in text for q in QUESTION) and "add a row to\n`demo/tasks.csv`" in text
    presenter = folder / "presenter.html"
    html = presenter.read_text(encoding="utf-8")
    assert QUESTION[0] in html
    presenter.write_text(html.replace(*QUESTION), encoding="utf-8")
    with (folder / "tasks.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    new = {**rows[-1], "title": f"Shapes {len(rows) + 1}"}
    with (folder / "tasks.csv").open("a", encoding="utf-8", newline="") as f:
        csv.DictWriter(f, fieldnames=list(rows[-1])).writerow(new)


def _watch_until_preview(command: Command, cwd: Path, env: dict[str, str]) -> None:
    """Run the watch until it prints the URL the README promises; SIGINT must end it with 130."""
    promised = re.escape(command.comment.split(": ", 1)[1]).replace("PORT", r"\d+")
    lines: queue.Queue[str] = queue.Queue()
    seen: list[str] = []
    with subprocess.Popen(
        [sys.executable, "-m", "pbsync", *command.args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as proc:
        stream = proc.stdout
        assert stream is not None
        reader = threading.Thread(target=lambda: [lines.put(line) for line in stream])
        reader.start()
        try:
            while not any(re.search(promised, line) for line in seen):
                seen.append(lines.get(timeout=TIMEOUT))
            proc.send_signal(signal.SIGINT)
            assert proc.wait(timeout=TIMEOUT) == 130, "".join(seen)
        finally:
            if proc.poll() is None:
                proc.kill()
            reader.join(timeout=TIMEOUT)


@pytest.mark.slow
def test_the_readme_runs_top_to_bottom(tmp_path: Path) -> None:
    commands = readme_commands()
    assert [c.args[0] for c in commands[:2]] == ["init", "push"]  # the "two commands"
    assert any(c.args[0] == "watch" for c in commands)
    env = _env(tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    edited = False
    for command in commands:
        if command.step == "4" and not edited:
            _edit_as_step_4_says(work / "demo")
            edited = True
        if command.args[0] == "watch":
            _watch_until_preview(command, work, env)
            continue
        result = subprocess.run(
            [sys.executable, "-m", "pbsync", *command.args],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
        output = result.stdout + result.stderr
        assert result.returncode == command.exit_code, f"{command}:\n{output}"
        if command.args[0] == "diff" and command.step == "4":
            assert "task_presenter" in output, output  # "only what changed"
    assert edited
