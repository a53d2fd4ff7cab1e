"""Fixtures for the server tests: callers as plain-requests wrappers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from serverkit import Api

from pbsync.server import LocalServer


@pytest.fixture
def admin(endpoint: str, api_key: str, clean_server: None) -> Iterator[Api]:
    """The admin (or external key), on a clean server."""
    api = Api(endpoint, api_key)
    yield api
    api.close()


@pytest.fixture
def anon(endpoint: str) -> Iterator[Api]:
    """An anonymous caller."""
    api = Api(endpoint)
    yield api
    api.close()


@pytest.fixture
def other(endpoint: str, other_api_key: str) -> Iterator[Api]:
    """A second, non-admin user (local server only)."""
    api = Api(endpoint, other_api_key)
    yield api
    api.close()


@pytest.fixture
def owner(local_server: LocalServer) -> Iterator[Api]:
    """A non-admin user who owns what they create (local server only)."""
    api = Api(local_server.url, local_server.create_user("owner"))
    yield api
    api.close()


@pytest.fixture
def admin_local(local_server: LocalServer) -> Iterator[Api]:
    """The local server's admin (local server only)."""
    api = Api(local_server.url, local_server.api_key)
    yield api
    api.close()
