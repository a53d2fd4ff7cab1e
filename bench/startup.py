"""P5: cold start of each command line and of `import pbclient`, for both packages.

Each command runs `REPEATS` times a round, the commands' order rotating every round; a run is a
whole child process, wall time. pbsync's are this checkout's (`python -m pbsync`, the console
script's import path); the peers' run from their venv with `-I` (its own pbclient, not ours).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.context import rotated
from bench.infra import timed, tool_env
from bench.peers import Peers

REPEATS = 3


def commands(peers: Peers | None) -> dict[str, list[str]]:
    """The commands timed, by label."""
    got = {
        "pbsync --help": [sys.executable, "-m", "pbsync", "--help"],
        "import pbclient (pbsync)": [sys.executable, "-c", "import pbclient"],
    }
    if peers:
        got["pbs --help"] = [peers.pbs, "--help"]
        theirs = [peers.python, "-I", "-c", "import pbclient"]
        got["import pbclient (pybossa-client 3.0.0)"] = theirs
    return got


def startup_round(peers: Peers | None, rnd: int, repeats: int = REPEATS) -> dict[str, Any]:
    """One round: every command `repeats` times; seconds by label."""
    cmds = commands(peers)
    out: dict[str, Any] = {label: [] for label in cmds}
    with tempfile.TemporaryDirectory(prefix="bench-start-") as tmp:
        env = tool_env(Path(tmp))
        for _ in range(repeats):
            for label in rotated(list(cmds), rnd):
                run = timed(cmds[label], env=env, cwd=Path(tmp))
                if run.code:
                    raise SystemExit(f"{label} exited {run.code}: {run.out[-500:]}")
                out[label].append(run.seconds)
    return out
