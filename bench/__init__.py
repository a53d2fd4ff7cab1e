"""Benchmarks: `python -m bench` runs pbsync side by side with pbs and pybossa-client 3.0.0.

The single-purpose scripts in this folder (`bench_*.py`) run as `python bench/<script>.py` and
import each other flat (`from bench_create_many import child`); the folder goes on `sys.path` here
so that the package can reuse their measurements without a second copy.
"""

from __future__ import annotations

import sys
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.append(_HERE)
