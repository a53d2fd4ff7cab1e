"""A small HTTP server for tests, answering what the test tells it to: a hostile PYBOSSA.

The local server behaves like PYBOSSA; this one misbehaves on purpose (wrong shapes, redirects
to elsewhere, drip-fed or endless bodies). It runs on 127.0.0.1:0 in a thread, records every
request it gets, and answers each from `route(seen) -> Reply`.
"""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Seen:
    """One request the server got."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    target: str  # the request line's target, query included
    peer: int  # the client's port: the same for requests on one kept-alive connection


@dataclass
class Reply:
    """What to answer: a status, headers, and a body (bytes, or pieces written one by one).

    A body of pieces is sent without Content-Length (unless given) and the connection closes
    after it, so it may be endless: the writing stops when the client hangs up. `raw` pieces
    replace the whole answer, status line and headers included (to drip-feed the headers).
    """

    status: int = 200
    body: bytes | Iterable[bytes] = b""
    headers: dict[str, str] = field(default_factory=dict)
    raw: Iterable[bytes] | None = None

    @classmethod
    def json(cls, data: Any, status: int = 200, **headers: str) -> Reply:
        """A JSON answer; `headers` with `_` for `-` (X_RateLimit_Reset=...)."""
        body = data if isinstance(data, bytes) else json.dumps(data).encode()
        named = {k.replace("_", "-"): v for k, v in headers.items()}
        return cls(status, body, {"Content-Type": "application/json", **named})

    @classmethod
    def redirect(cls, location: str, status: int = 302) -> Reply:
        return cls(status, b"", {"Location": location})


Route = Callable[[Seen], Reply]


class HostileServer:
    """`with HostileServer(route) as server:` ... `server.url`, `server.seen`, `server.sent`.

    Attributes:
        seen: the requests received, in order.
        sent: body bytes written, all requests together.
        hung_up: set when a client closed the connection while a body was being written.
        stopping: set when the server stops; waits in a route should use it to end early.
    """

    def __init__(self, route: Route) -> None:
        self.route = route
        self.seen: list[Seen] = []
        self.sent = 0
        self.hung_up = threading.Event()
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def paths(self) -> list[str]:
        return [s.path for s in self.seen]

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def _record(self, seen: Seen) -> None:
        with self._lock:
            self.seen.append(seen)

    def _count(self, n: int) -> None:
        with self._lock:
            self.sent += n


def _handler_for(server: HostileServer) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as PYBOSSA behind a proxy

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            parts = urlsplit(self.path)
            seen = Seen(
                self.command,
                parts.path,
                parse_qs(parts.query, keep_blank_values=True),
                dict(self.headers.items()),
                self.path,
                self.client_address[1],
            )
            server._record(seen)
            reply = server.route(seen)
            if reply.raw is not None:
                self.close_connection = True
                self._write(reply.raw)
                return
            self.send_response(reply.status)
            streamed = not isinstance(reply.body, bytes)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if not streamed:
                self.send_header("Content-Length", str(len(reply.body)))  # type: ignore[arg-type]
            elif "Content-Length" not in reply.headers:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            self._write([reply.body] if isinstance(reply.body, bytes) else reply.body)

        def _write(self, pieces: Iterable[bytes]) -> None:
            try:
                for piece in pieces:
                    self.wfile.write(piece)
                    self.wfile.flush()
                    server._count(len(piece))
            except (BrokenPipeError, ConnectionResetError):
                server.hung_up.set()
                self.close_connection = True

        do_GET = do_POST = do_PUT = do_DELETE = _answer

        def log_message(self, *args: Any) -> None:
            pass  # keep the test output clean

    return Handler
