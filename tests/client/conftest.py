"""Fixtures for the modern client's tests: a client with a fake clock, and a project to write to."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator

import pytest

from pbclient.client import Client
from pbclient.resources import Project
from pbclient.retry import RateLimitWait

_names = itertools.count(1)


class FakeTime:
    """A clock that only moves when the client "sleeps": tests record waits instead of waiting."""

    def __init__(self, start: float) -> None:
        self.now = start
        self.sleeps: list[float] = []
        self.waits: list[RateLimitWait] = []
        self._lock = threading.Lock()

    def clock(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds

    def on_wait(self, wait: RateLimitWait) -> None:
        self.waits.append(wait)


@pytest.fixture
def fake_time() -> FakeTime:
    import time

    return FakeTime(time.time())


@pytest.fixture
def client(endpoint: str, api_key: str, fake_time: FakeTime) -> Iterator[Client]:
    """The admin's client; its sleeps are recorded by `fake_time`, never slept."""
    with Client(
        endpoint,
        api_key,
        sleep=fake_time.sleep,
        clock=fake_time.clock,
        on_wait=fake_time.on_wait,
    ) as c:
        yield c


def unique_short_name() -> str:
    """A short name tests may create (the `pbsynctest` prefix lets external runs clean up)."""
    return f"pbsynctest{next(_names)}"


@pytest.fixture
def project(client: Client, clean_server: object) -> Project:
    """A fresh project owned by the admin."""
    name = unique_short_name()
    return client.projects.create(name=f"Test {name}", short_name=name, description="a test")
