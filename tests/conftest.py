"""Shared fixtures: the local PYBOSSA-compatible server, or an external PYBOSSA.

Set `PBSYNC_TEST_ENDPOINT` and `PBSYNC_TEST_API_KEY` to run the client-facing tests against a real
PYBOSSA; tests that need the local server itself (fault injection, stats, second users) then skip.
Short names created by tests must start with `pbsynctest` so an external run can clean up.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

import pytest
from external_cleanup import PacedSession, delete_test_objects

from pbclient.pacers import forget_shared_pacers
from pbsync.server import LocalServer

TEST_PREFIX = "pbsynctest"

log = logging.getLogger(__name__)


def _external() -> tuple[str, str] | None:
    endpoint = os.environ.get("PBSYNC_TEST_ENDPOINT")
    key = os.environ.get("PBSYNC_TEST_API_KEY")
    if endpoint and key:
        return endpoint.rstrip("/"), key
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip tests marked `faults` or `local_only` against an external PYBOSSA."""
    if _external() is None:
        return
    generic = "needs the local server (external PYBOSSA configured)"
    for item in items:
        if "faults" in item.keywords or "local_only" in item.keywords:
            marker = item.get_closest_marker("local_only")
            why = marker.kwargs.get("reason") if marker is not None else None
            item.add_marker(
                pytest.mark.skip(reason=f"local server only: {why}" if why else generic)
            )


@pytest.fixture(scope="session")
def pbserver() -> Iterator[LocalServer | None]:
    """The local server on 127.0.0.1:0 for the whole session (None against an external PYBOSSA)."""
    if _external() is not None:
        yield None
        return
    server = LocalServer(testing=True)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def endpoint(pbserver: LocalServer | None) -> str:
    """Where client-facing tests connect (no trailing slash)."""
    external = _external()
    if external is not None:
        return external[0]
    assert pbserver is not None
    return pbserver.url


@pytest.fixture(scope="session")
def api_key(pbserver: LocalServer | None) -> str:
    """The key tests use: the local admin's, or the external one."""
    external = _external()
    if external is not None:
        return external[1]
    assert pbserver is not None
    return pbserver.api_key


_cleanup_session: PacedSession | None = None


def _delete_test_objects(endpoint: str, key: str) -> None:
    """Delete the external server's test projects and categories (tests/external_cleanup.py).

    One paced session for the whole run, so what it learnt of the rate-limit windows carries over
    from one test's cleanup to the next.
    """
    global _cleanup_session
    if _cleanup_session is None:
        _cleanup_session = PacedSession()
    _cleanup_session.headers["Authorization"] = key
    delete_test_objects(_cleanup_session, endpoint, TEST_PREFIX)


@pytest.fixture(scope="session", autouse=True)
def _external_cleanup() -> Iterator[None]:
    """Against an external PYBOSSA, leave no test projects or categories behind the session."""
    yield
    external = _external()
    if external is not None:
        _delete_test_objects(*external)


@pytest.fixture
def clean_server(pbserver: LocalServer | None, endpoint: str, api_key: str) -> Iterator[None]:
    """Start the test from an empty server (local: reset; external: delete test objects)."""
    if pbserver is not None:
        pbserver.reset()
        pbserver.stats.reset()
        # the server's rate-limit counters restarted: what clients learnt of them is stale
        forget_shared_pacers()
    else:
        _delete_test_objects(endpoint, api_key)
    yield
    if pbserver is not None:
        pbserver.faults.clear()


@pytest.fixture
def local_server(pbserver: LocalServer | None, clean_server: None) -> LocalServer:
    """The reset local server itself; skips against an external PYBOSSA.

    It builds on `clean_server`, so the reset happens once per test, before any fixture creates
    users or data, whatever order a test lists its fixtures in.
    """
    if pbserver is None:
        pytest.skip("needs the local server (external PYBOSSA configured)")
    return pbserver


@pytest.fixture
def other_api_key(local_server: LocalServer) -> str:
    """A second, non-admin user's API key (local server only)."""
    return local_server.create_user("other")


@pytest.fixture(autouse=True)
def _root_logging_restored() -> Iterator[None]:
    """Put the root logger back after each test.

    The CLI configures logging for its process (`-vv`: DEBUG to stderr); run in-process by click's
    CliRunner, that would outlive the command and print every later test's DEBUG lines.
    """
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
