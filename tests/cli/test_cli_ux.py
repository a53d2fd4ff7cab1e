"""Rough edges a user meets at the command line: estimates, messages, hints."""

from __future__ import annotations

import re
import time
from datetime import datetime

from rich.console import Console

from pbclient.client import Client
from pbclient.retry import RateLimitWait
from pbsync.cli.output import ProgressReporter
from pbsync.server import LocalServer


def _hhmm(epoch: float) -> str:
    return datetime.fromtimestamp(epoch).strftime("%H:%M")


def test_wait_estimate_uses_the_window_length_the_server_showed() -> None:
    # a server with 40 requests per 60 s: 39 tasks per window, so 120 tasks take 4 windows
    console = Console(record=True, width=200, force_terminal=False)
    with LocalServer(rate_limit=(40, 60)) as server, Client(server.url, server.api_key) as client:
        client.tasks.find(limit=1)  # the answer's headers give the bucket's limit
        reporter = ProgressReporter(console, client)
        first = time.time() + 30
        reporter.left = 159
        reporter.rate_limit_wait(RateLimitWait("/api/task", first, 30))
        reporter.left = 120
        reporter.rate_limit_wait(RateLimitWait("/api/task", first + 60, 60))
    ends = re.findall(r"done about (\d\d:\d\d)", console.export_text())
    assert len(ends) == 2
    # the second line knows the window is 60 s: done 3 windows after the next one starts
    expected = {_hhmm(first + 60 + 3 * 60 + s) for s in (0, 39 * 0.05)}
    assert ends[1] in expected, console.export_text()
    # the first could only assume PYBOSSA's 900 s windows
    assert ends[0] == _hhmm(first + 4 * 900 + 39 * 0.05)
