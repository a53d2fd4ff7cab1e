"""The peers' virtual environment: pybossa-pbs 3.0.0 with pybossa-client 3.0.0, from PyPI.

Created once under a cache directory outside the repository and reused while its marker matches
`REQUIREMENTS`. `click<7.1` is what pbs 3.0.0 asks for; `watchdog<7` keeps pbs's
`update-project --watch` importable with the watchdog API it was written against.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

REQUIREMENTS = ["pybossa-pbs==3.0.0", "pybossa-client==3.0.0", "click<7.1", "watchdog<7"]
DEFAULT_DIR = Path.home() / ".cache" / "pbsync-bench"


@dataclass(frozen=True)
class Peers:
    """Where the peers are: the venv's python (pybossa-client's `pbclient`) and its `pbs`."""

    python: str
    pbs: str
    versions: dict[str, str]


def ensure(cache: Path) -> Peers:
    """The peers' venv under `cache`, created (pip from PyPI) when missing or out of date."""
    venv = cache / "peers-3.0.0"
    marker = venv / "bench-requirements.json"
    python, pbs = venv / "bin" / "python", venv / "bin" / "pbs"
    fresh = marker.exists() and json.loads(marker.read_text("utf-8")) == REQUIREMENTS
    if not (fresh and python.exists() and pbs.exists()):
        print(f"setting up the peers' venv in {venv} (pip install {' '.join(REQUIREMENTS)})")
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        pip = [str(python), "-m", "pip", "install", "-q", *REQUIREMENTS]
        done = subprocess.run(pip, capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"pip install failed:\n{done.stderr[-2000:]}")
        marker.write_text(json.dumps(REQUIREMENTS), encoding="utf-8")
    probe = (
        "import json, importlib.metadata as m, pbclient\n"
        "print(json.dumps({d: m.version(d) for d in "
        "('pybossa-pbs', 'pybossa-client', 'click', 'watchdog', 'requests')}))"
    )
    # -I and a neutral cwd: the venv's own pbclient, never this checkout's
    got = subprocess.run(
        [str(python), "-I", "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        cwd=tempfile.gettempdir(),
    )
    return Peers(str(python), str(pbs), json.loads(got.stdout))
