"""Fixtures for the legacy `pbclient` module API tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import pbclient
from pbclient.legacy_transport import close_shared_client


@pytest.fixture(autouse=True)
def restore_legacy_opts() -> Iterator[None]:
    """Restore `pbclient._opts` contents after each test (in place: users hold the dict)."""
    saved = dict(pbclient._opts)
    yield
    pbclient._opts.clear()
    pbclient._opts.update(saved)


@pytest.fixture
def legacy_server(endpoint: str, api_key: str, clean_server: object) -> Iterator[str]:
    """Point the legacy module at the test server with the admin's key; yields the endpoint."""
    pbclient.set("endpoint", endpoint)
    pbclient.set("api_key", api_key)
    yield endpoint
    close_shared_client()
