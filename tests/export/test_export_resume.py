"""An export killed (SIGKILL) at a random point, then run again: byte-identical files.

`pbsync export` runs as a subprocess; the test waits on the output folder until it holds a random
number of bytes (a point while each kind is written), kills the process there, runs the export
again and compares every file with an uninterrupted export's. Each list request is slowed a little
so the kill lands while the export runs (between pages or during a write).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from export_kit import seed

from pbclient.client import Client
from pbsync.cli import main
from pbsync.exporting.journal import PART_SUFFIX
from pbsync.server import LocalServer

pytestmark = pytest.mark.local_only(reason="the project is seeded into the local server's store")

SHORT = "pbsynctest_resume"


def export_args(server: LocalServer, out: Path) -> list[str]:
    return [
        "export",
        SHORT,
        "--endpoint",
        server.url,
        "--api-key",
        server.api_key,
        "--out",
        str(out),
    ]


def folder_bytes(out: Path) -> int:
    try:
        return sum(p.stat().st_size for p in out.iterdir())
    except FileNotFoundError:  # the folder is not made yet, or a .part was renamed meanwhile
        return 0


KINDS = ("tasks", "taskruns", "results")  # in the order the export writes them


def kill_range(files: dict[str, bytes], kind: str) -> tuple[int, int]:
    """The folder sizes while `kind` is being written (a point past the last page of the last
    kind could find the export already done)."""
    sizes = [len(files[f"{SHORT}_{k}.jsonl"]) for k in KINDS]
    start = sum(sizes[: KINDS.index(kind)]) + 1
    end = start + sizes[KINDS.index(kind)]
    if kind == KINDS[-1]:
        end -= sum(map(len, files[f"{SHORT}_{kind}.jsonl"].splitlines(keepends=True)[-100:]))
    return start, end


def kill_at(server: LocalServer, out: Path, threshold: int, tmp_path: Path) -> None:
    """Run the export in a subprocess and SIGKILL it once `out` holds `threshold` bytes."""
    env = {**os.environ, "HOME": str(tmp_path), "PYTHONPATH": os.pathsep.join(sys.path)}
    env.pop("PYBOSSA_API_KEY", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "pbsync", *export_args(server, out)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while folder_bytes(out) < threshold and proc.poll() is None:
            assert time.monotonic() < deadline, "the export never reached the kill point"
            time.sleep(0.001)  # polling the file's size: there is no event to wait on
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, "the export ended before the kill point"


@pytest.mark.parametrize("kind", KINDS)
def test_a_killed_export_resumed_is_byte_identical(
    local_server: LocalServer, tmp_path: Path, kind: str
) -> None:
    with Client(local_server.url, local_server.api_key) as client:
        made = client.projects.create(name="Resumed", short_name=SHORT, description="d")
    seed(local_server.store, made.id, 500, 1200)
    env = {"HOME": str(tmp_path), "PYBOSSA_ENDPOINT": None, "PYBOSSA_API_KEY": None}
    whole = tmp_path / "whole"
    assert CliRunner().invoke(main, export_args(local_server, whole), env=env).exit_code == 0
    expected = {p.name: p.read_bytes() for p in whole.iterdir()}

    # a random point while `kind` is written (seeded by the kind: a failure can be replayed)
    threshold = random.Random(kind).randrange(*kill_range(expected, kind))
    local_server.faults.add(10_000, latency=0.01, method="GET")
    cut = tmp_path / "cut"
    kill_at(local_server, cut, threshold, tmp_path)
    local_server.faults.clear()
    assert any(p.name.endswith(PART_SUFFIX) for p in cut.iterdir())  # killed mid-export
    for path in cut.iterdir():  # a finished file is always whole; only a .part may end short
        if not path.name.endswith(PART_SUFFIX):
            assert path.read_bytes() == expected[path.name], f"kill at {threshold} bytes"

    result = CliRunner().invoke(main, export_args(local_server, cut), env=env)
    assert result.exit_code == 0, result.output
    assert {p.name: p.read_bytes() for p in cut.iterdir()} == expected, f"kill at {threshold}"
