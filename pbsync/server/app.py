"""The WSGI application: Flask views over a `Store`, wrapped in the fault/stats middleware."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from pbsync.server.context import code_response
from pbsync.server.faults import FaultInjector, FaultMiddleware, RequestStats, WSGIApp
from pbsync.server.preview_live import WatchStatus
from pbsync.server.ratelimit import RateLimiter
from pbsync.server.store import Store
from pbsync.server.uploads import MAX_UPLOAD_BYTES, UploadStore

log = logging.getLogger(__name__)

_HTML = (
    "<!doctype html>\n<html lang=en>\n<title>{code} {name}</title>\n<h1>{name}</h1>\n"
    "<p>{description}</p>\n"
)


@dataclass
class ServerState:
    """Everything the views need: storage, uploads, limits and the test controls."""

    store: Store
    uploads: UploadStore
    limiter: RateLimiter = field(default_factory=RateLimiter)
    faults: FaultInjector = field(default_factory=FaultInjector)
    stats: RequestStats = field(default_factory=RequestStats)
    preview: WatchStatus = field(default_factory=WatchStatus)
    testing: bool = False
    #: JSON bodies over this many bytes are 413 (None: no cap, as PYBOSSA itself)
    max_body: int | None = 1024 * 1024


def _http_error(exc: HTTPException) -> Response:
    """Routing errors (404, 405 ...) outside API views: JSON for JSON requests, else HTML."""
    code = exc.code or 500
    description = exc.description or ""
    if code == 404 and request.mimetype == "application/json":
        return code_response(code, description)
    if code == 413:
        return code_response(code, description)
    html = _HTML.format(code=code, name=exc.name, description=description)
    resp = Response(html, status=code, mimetype="text/html")
    if isinstance(exc, HTTPException) and code == 405:
        for key, value in exc.get_headers():
            if key.lower() == "allow":
                resp.headers[key] = value
    return resp


def create_app(state: ServerState) -> WSGIApp:
    """Return the server's WSGI application for `state`."""
    from pbsync.server import api, assets, control, extras, preview, preview_live, web

    # no automatic /static route: `assets` serves PYBOSSA's static paths itself
    app = Flask("pbsync.server", static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = MAX_UPLOAD_BYTES
    app.extensions["pbsync"] = state
    app.register_blueprint(api.bp)
    app.register_blueprint(extras.bp)
    app.register_blueprint(web.bp)
    app.register_blueprint(assets.bp)
    app.register_blueprint(preview.bp)
    app.register_blueprint(preview_live.bp)
    if state.testing:
        app.register_blueprint(control.bp)
    app.register_error_handler(HTTPException, _http_error)
    return FaultMiddleware(app.wsgi_app, state.faults, state.stats)
