"""A local PYBOSSA-compatible server (Flask + SQLite), for `pbsync serve`, the tests and the preview."""
