"""`pbsync --help`, `--version` and command-name completion stay cheap (issue 7).

They must not import the local server, deepdiff or rich: the group lists its commands from
`pbsync.cli.COMMANDS` and imports a command's module only when that command is used. Timings are
measured in notes/bench, not here: these tests check which modules get imported.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from pbsync.cli import COMMANDS, main

#: top-level packages (and pbsync.server) that `pbsync --help` must not import
FORBIDDEN = ("pbsync.server", "flask", "werkzeug", "jinja2", "waitress", "deepdiff", "rich")

#: what the `pbsync` console script runs, with a fixed program name (completion needs it)
SCRIPT = "import sys; from pbsync.cli import main; sys.exit(main(prog_name='pbsync'))"


def _imported(args: list[str], env: dict[str, str] | None = None) -> tuple[str, set[str]]:
    """(stdout, names of the modules imported) of `python -X importtime ARGS`."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    # lines are "import time: self [us] | cumulative | <indent>module"
    modules = {
        line.rsplit("|", 1)[1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:") and line.count("|") == 2
    }
    assert "pbsync.cli" in modules  # the profile was read at all
    return result.stdout, modules


def _forbidden(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == f or m.startswith(f + ".") for f in FORBIDDEN))


def test_help_imports_no_heavy_module_and_lists_every_command() -> None:
    out, modules = _imported(["-m", "pbsync", "--help"])
    assert _forbidden(modules) == []
    assert not any(spec.module in modules for spec in COMMANDS.values())
    listed = out.split("Commands:")[1].split("Examples:")[0]
    for name, spec in COMMANDS.items():
        assert f"  {name} " in listed and spec.short_help in listed


def test_version_imports_no_heavy_module() -> None:
    out, modules = _imported(["-m", "pbsync", "--version"])
    assert _forbidden(modules) == []
    assert out.startswith("pbsync, version ")


def test_completing_a_command_name_imports_no_command() -> None:
    env = {"_PBSYNC_COMPLETE": "bash_complete", "COMP_WORDS": "pbsync p", "COMP_CWORD": "1"}
    out, modules = _imported(["-c", SCRIPT], env)
    assert _forbidden(modules) == []
    assert not any(spec.module in modules for spec in COMMANDS.values())
    assert out.split() == ["plain,projects", "plain,pull", "plain,push"]


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_the_table_matches_each_command(name: str) -> None:
    command = main.get_command(click.Context(main), name)
    assert isinstance(command, click.Command)
    assert command.name == name
    # the summary `pbsync --help` shows without importing the command is the command's own
    assert command.short_help == COMMANDS[name].short_help


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_command_help_still_works(tmp_path: Path, name: str) -> None:
    env = {"HOME": str(tmp_path), "PYBOSSA_ENDPOINT": None, "PYBOSSA_API_KEY": None}
    result = CliRunner().invoke(main, [name, "--help"], env=env, prog_name="pbsync")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Usage: pbsync {name} ")
