"""One log line per request: method, path (no API key), status and milliseconds.

`pbsync -v serve` shows them (the CLI sets the level); the embedded server logs them at DEBUG,
so `-vv` shows what a push sent. The key never appears: PYBOSSA also reads it from the query
(`?api_key=`), which is dropped; headers are not logged.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl, urlencode

from werkzeug.wsgi import ClosingIterator

from pbsync.errors import one_line

__all__ = ["RequestLog", "loggable_path"]

log = logging.getLogger("pbsync.server.requests")

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def loggable_path(path: str, query: str) -> str:
    """`path?query` without any `api_key` parameter, control characters escaped."""
    kept = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k.lower() != "api_key"]
    text = path + (f"?{urlencode(kept)}" if kept else "")
    return one_line(text)


class RequestLog:
    """WSGI middleware logging each request once its answer has been sent.

    Args:
        app: the WSGI app.
        level: the logging level of the lines (INFO for `pbsync serve`, DEBUG otherwise).
    """

    def __init__(self, app: WSGIApp, level: int = logging.INFO) -> None:
        self.app = app
        self.level = level

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        if not log.isEnabledFor(self.level):
            return self.app(environ, start_response)
        started = time.perf_counter()
        status = ["-"]

        def recording(status_line: str, headers: Any, exc_info: Any = None) -> Any:
            status[0] = status_line.split(" ", 1)[0]
            return start_response(status_line, headers, exc_info)

        def done() -> None:
            ms = (time.perf_counter() - started) * 1000
            method = one_line(str(environ.get("REQUEST_METHOD", "-")))
            path = loggable_path(
                str(environ.get("SCRIPT_NAME", "")) + str(environ.get("PATH_INFO", "")),
                str(environ.get("QUERY_STRING", "")),
            )
            log.log(self.level, "%s %s %s %.0f ms", method, path, status[0], ms)

        try:
            body = self.app(environ, recording)
        except BaseException:
            status[0] = "500"
            done()
            raise
        # logged when the server closes the answer: the time includes sending the body
        return ClosingIterator(body, [done])
