"""pbsync: PYBOSSA projects as code.

The library API (`load`, `plan`, `push`, `pull`) is re-exported here once the sync engine lands.
"""

__version__ = "0.1.0"
