"""A local PYBOSSA-compatible server (Flask + SQLite): `pbsync serve`, the tests, the preview.

`LocalServer` runs it in a background thread; `default_db_path()` is where `pbsync serve` (and the
sync CLI's embedded server) keep their data.
"""

from pbsync.server.faults import FaultInjector, RequestStats
from pbsync.server.runner import LocalServer
from pbsync.server.store import Store, default_db_path

__all__ = ["FaultInjector", "LocalServer", "RequestStats", "Store", "default_db_path"]
