"""Helpers for the duplicate tests: a proxy that holds requests, and a small project folder.

`HoldingProxy` stands between a client and the local server and stages the lost answer the local
server cannot: a request the client gave up on (its timeout) that the server carries out *later*,
after the client looked for it. Requests matching a hold rule are kept unanswered until the test
calls `release()`, which sends them on to the server then; the client, which timed out long
before, never reads an answer. With `forward_first` a matching request reaches the server at once
and only its answer is withheld (the server acted; the client cannot know). Everything else is
forwarded at once.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests

#: request headers worth forwarding (hop-by-hop ones are not)
FORWARD = ("Authorization", "Content-Type", "Accept", "X-CSRFToken", "Cookie")
#: answer headers worth relaying
RELAY = ("Content-Type", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


@dataclass
class Hold:
    """Hold requests with `method` to `path` whose body contains `needle` (`count` of them)."""

    method: str
    path: str
    needle: bytes = b""
    count: int | None = None
    forward_first: bool = False

    def matches(self, method: str, path: str, body: bytes) -> bool:
        if self.count is not None and self.count <= 0:
            return False
        return method == self.method and path.split("?", 1)[0] == self.path and self.needle in body


@dataclass
class Held:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class HoldingProxy:
    """An HTTP proxy to `upstream` that holds the requests its `holds` match until released."""

    upstream: str
    holds: list[Hold] = field(default_factory=list)
    held: list[Held] = field(default_factory=list)
    #: the server's answers to requests forwarded first and never answered to the client
    acted: list[requests.Response] = field(default_factory=list)
    url: str = ""

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._held_event = threading.Condition(self._lock)
        self._closing = threading.Event()
        self._session = requests.Session()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> HoldingProxy:
        self._thread.start()
        return self

    def close(self) -> None:
        self._closing.set()  # held handlers end without answering
        self._server.shutdown()
        self._server.server_close()
        self._session.close()

    def wait_held(self, n: int, timeout: float = 10.0) -> None:
        """Wait until `n` requests are held (or were forwarded first and left unanswered)."""
        with self._held_event:
            if not self._held_event.wait_for(
                lambda: len(self.held) + len(self.acted) >= n, timeout
            ):
                raise AssertionError(f"{len(self.held) + len(self.acted)} requests held, not {n}")

    def release(self) -> list[requests.Response]:
        """Send the held requests on to the server now (the server does the work late)."""
        with self._lock:
            held, self.held = self.held, []
        return [self._forward(h.method, h.path, h.headers, h.body) for h in held]

    def _forward(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> requests.Response:
        return self._session.request(
            method, self.upstream + path, headers=headers, data=body or None, timeout=30
        )

    def _take_hold(self, method: str, path: str, body: bytes) -> Hold | None:
        with self._lock:
            for hold in self.holds:
                if hold.matches(method, path, body):
                    if hold.count is not None:
                        hold.count -= 1
                    return hold
        return None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet: the suite runs with warnings as errors, not with chatter

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k: v for k in FORWARD if (v := self.headers.get(k)) is not None}
                hold = proxy._take_hold(self.command, self.path, body)
                if hold is not None:
                    with proxy._held_event:
                        if hold.forward_first:
                            proxy.acted.append(
                                proxy._forward(self.command, self.path, headers, body)
                            )
                        else:
                            proxy.held.append(Held(self.command, self.path, headers, body))
                        proxy._held_event.notify_all()
                    proxy._closing.wait(60)  # no answer: the client times out
                    self.close_connection = True
                    return
                answer = proxy._forward(self.command, self.path, headers, body)
                self.send_response(answer.status_code)
                for name in RELAY:
                    if name in answer.headers:
                        self.send_header(name, answer.headers[name])
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            do_GET = do_POST = do_PUT = do_DELETE = _any

        return Handler


@contextmanager
def holding_proxy(upstream: str, *holds: Hold) -> Iterator[HoldingProxy]:
    """A started `HoldingProxy`, closed afterwards."""
    proxy = HoldingProxy(upstream, list(holds)).start()
    try:
        yield proxy
    finally:
        proxy.close()


def write_project(folder: Path, short_name: str, rows: int = 20, *, helping: bool = False) -> Path:
    """A project folder: project.toml, presenter.html, tasks.csv (`u0`..), helping/map.png."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "project.toml").write_text(
        f'[project]\nname = "Dupes {short_name}"\nshort_name = "{short_name}"\ndescription = "d"\n',
        encoding="utf-8",
    )
    (folder / "presenter.html").write_text("<p>v1</p>\n", encoding="utf-8")
    (folder / "tasks.csv").write_text(
        "url\n" + "".join(f"u{i}\n" for i in range(rows)), encoding="utf-8"
    )
    if helping:
        (folder / "helping").mkdir(exist_ok=True)
        (folder / "helping" / "map.png").write_bytes(PNG)
    return folder


def project_id(endpoint: str, api_key: str, short_name: str) -> int:
    params: dict[str, str | int] = {"short_name": short_name, "all": 1}
    answer = requests.get(
        f"{endpoint}/api/project",
        params=params,
        headers={"Authorization": api_key},
        timeout=30,
    )
    return int(answer.json()[0]["id"])


def rows(endpoint: str, api_key: str, resource: str, pid: int) -> list[dict[str, Any]]:
    """Every row of `resource` in project `pid`, read straight from the server."""
    found: list[dict[str, Any]] = []
    last_id = 0
    while True:
        params: dict[str, int] = {"project_id": pid, "all": 1, "limit": 100, "last_id": last_id}
        answer = requests.get(
            f"{endpoint}/api/{resource}",
            params=params,
            headers={"Authorization": api_key},
            timeout=30,
        )
        page = answer.json()
        if not page:
            return found
        found += page
        last_id = page[-1]["id"]


def task_urls(endpoint: str, api_key: str, pid: int) -> list[str]:
    """The `url` of every task of project `pid`, sorted (a copy shows twice)."""
    return sorted(t["info"]["url"] for t in rows(endpoint, api_key, "task", pid))


def dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True)
