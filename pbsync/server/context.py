"""Request plumbing shared by the views: the caller, JSON bodies and responses, the API decorator.

`api_view` wraps every PYBOSSA API view: it counts the request against the rate limit, turns
raised `ApiError`s (and any unexpected exception, without a traceback) into PYBOSSA's error JSON,
and adds the `X-RateLimit-*` and `Access-Control-Allow-Origin` headers.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flask import Response, current_app, g, request
from werkzeug.exceptions import RequestEntityTooLarge

from pbsync.server.errors import ApiError, CodeError, error_body
from pbsync.server.store import Row

if TYPE_CHECKING:
    from pbsync.server.app import ServerState

log = logging.getLogger(__name__)

#: the default cap on JSON bodies (413 above it): what a PYBOSSA behind a default nginx
#: (client_max_body_size 1m) refuses; PYBOSSA itself sets none. `LocalServer(max_body=...)`
MAX_JSON_BYTES = 1024 * 1024
EMPTY_JSON_MESSAGE = "Expecting value: line 1 column 1 (char 0)"
BAD_REQUEST_TEXT = "The browser (or proxy) sent a request that this server could not understand."


@dataclass(frozen=True)
class Caller:
    """Who sent the request: a user row (None when anonymous) and the client IP."""

    user: Row | None = field(repr=False)  # the row holds the user's API key
    ip: str

    @property
    def id(self) -> int | None:
        """The user's id, None when anonymous."""
        return None if self.user is None else int(self.user["id"])

    @property
    def admin(self) -> bool:
        """True for an admin."""
        return bool(self.user and self.user["admin"])

    @property
    def who(self) -> str:
        """The identity newtask hand-outs are recorded under."""
        return f"user:{self.id}" if self.user is not None else f"ip:{self.ip}"

    def owns(self, project: Row) -> bool:
        """True when the caller is one of the project's owners."""
        if self.user is None:
            return False
        owners = project.get("owners_ids") or [project.get("owner_id")]
        return self.id in owners or self.id == project.get("owner_id")

    def may_write(self, project: Row) -> bool:
        """True when the caller may change the project and what belongs to it."""
        return self.admin or self.owns(project)


def state() -> ServerState:
    """Return the running server's state."""
    return current_app.extensions["pbsync"]


def caller() -> Caller:
    """Return the caller (a wrong or missing key is anonymous), cached for the request."""
    found = g.get("caller")
    if found is None:
        key = request.args.get("api_key") or request.headers.get("Authorization") or ""
        user = state().store.user_by_key(key.strip()) if key.strip() else None
        found = g.caller = Caller(user, request.remote_addr or "127.0.0.1")
    return found


def base_url() -> str:
    """Return the endpoint as the client addressed it (no trailing slash)."""
    return request.host_url.rstrip("/")


def json_response(payload: Any, status: int = 200) -> Response:
    """Return a JSON response; non-ASCII escaped as PYBOSSA does."""
    return Response(json.dumps(payload), status=status, mimetype="application/json")


def code_response(code: int, description: str) -> Response:
    """Return Flask/PYBOSSA's `{"code", "description", "template"}` error body."""
    body = {"code": code, "description": description, "template": f"{code}.html"}
    # Flask's jsonify in PYBOSSA writes these compactly, unlike the API's json.dumps
    text = json.dumps(body, separators=(",", ":"))
    return Response(text + "\n", status=code, mimetype="application/json")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"Invalid constant {name}")


INTERNAL_ERROR_TEXT = (
    "The server encountered an internal error and was unable to complete your request. Either "
    "the server is overloaded or there is an error in the application."
)


def _check_as_form(raw: bytes) -> None:
    """Fail as PYBOSSA's before-request hook does on a POST sent as exactly `application/json`.

    It reads the body with Flask's `get_json` and walks it as `body[key] for key in body`
    (flask-json-multidict): invalid JSON and non-iterable bodies are 400, a list whose items are
    not valid indexes of itself is an IndexError (500), deep nesting a RecursionError (500).
    """
    try:
        body = json.loads(raw)
    except RecursionError:
        raise CodeError(500, INTERNAL_ERROR_TEXT) from None
    except ValueError:
        raise CodeError(400, BAD_REQUEST_TEXT) from None
    try:
        for key in body:
            body[key]
    except TypeError:
        raise CodeError(400, BAD_REQUEST_TEXT) from None
    except IndexError:
        raise CodeError(500, INTERNAL_ERROR_TEXT) from None


def json_body() -> dict[str, Any]:
    """Return the request's JSON object body, read as JSON whatever its Content-Type (as PYBOSSA).

    Raises:
        ApiError: 415 ValueError for an empty or invalid body (a form-encoded body reads as
            empty), 415 AttributeError for JSON that is not an object, 500 RecursionError for
            nesting deeper than Python's recursion limit; 413 when over the server's body cap.
        CodeError: what PYBOSSA's before-request hook answers for a POST sent as
            `application/json` (see `_check_as_form`).
    """
    cap = state().max_body
    if cap is not None and (request.content_length or 0) > cap:
        raise ApiError("RequestEntityTooLarge", f"JSON body over {cap} bytes", 413)
    raw = request.get_data(cache=True)
    if cap is not None and len(raw) > cap:
        raise ApiError("RequestEntityTooLarge", f"JSON body over {cap} bytes", 413)
    if (
        request.method == "POST"
        and request.headers.get("Content-Type") == "application/json"
        and raw
    ):
        _check_as_form(raw)
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        raw = b""  # Flask consumed it as a form: PYBOSSA's request.data is empty
    try:
        data = json.loads(raw, parse_constant=_reject_constant)
    except RecursionError as exc:
        raise ApiError("RecursionError", str(exc)) from None
    except ValueError as exc:
        raise ApiError("ValueError", str(exc)) from None
    if not isinstance(data, dict):
        # PYBOSSA calls data.keys() on it
        raise ApiError("AttributeError", f"'{_py_type(data)}' object has no attribute 'keys'")
    return data


def _py_type(value: Any) -> str:
    return "NoneType" if value is None else type(value).__name__


def is_multipart() -> bool:
    """True for a multipart/form-data request."""
    return request.mimetype == "multipart/form-data"


def _error_response(target: str, exc: ApiError) -> Response:
    resp = Response(error_body(request.method, target, exc), status=exc.status)
    resp.mimetype = "application/json"
    return resp


def _run_view(view: Callable[..., Response], target: str, kwargs: dict[str, Any]) -> Response:
    try:
        return view(**kwargs)
    except ApiError as exc:
        return _error_response(target, exc)
    except RequestEntityTooLarge:
        return _error_response(target, ApiError("RequestEntityTooLarge", "body too large", 413))
    except CodeError:
        raise
    except Exception as exc:
        # PYBOSSA answers unexpected exceptions with the error JSON too; never leak a traceback
        log.exception("unexpected error in %s %s", request.method, request.path)
        return _error_response(target, ApiError(type(exc).__name__, str(exc), 500))


def api_view(
    target: str | None = None,
) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """Decorate a PYBOSSA API view.

    Args:
        target: the error JSON's `target`; defaults to the view's `resource` argument. The
            rate-limit bucket is the view plus this target, as PYBOSSA keys it by Flask endpoint.
    """

    def decorate(view: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(view)
        def wrapper(**kwargs: Any) -> Response:
            name = target or str(kwargs.get("resource", ""))
            verdict = state().limiter.hit(f"{view.__name__}:{name}", request.remote_addr or "")
            if verdict.over:
                resp = _error_response(request.path, ApiError("TooManyRequests"))
            else:
                try:
                    resp = _run_view(view, name, kwargs)
                except CodeError as exc:
                    # Flask's own 400 shape: no rate-limit headers, but CORS covers every answer
                    resp = code_response(exc.code, exc.description)
                    resp.headers["Access-Control-Allow-Origin"] = "*"
                    return resp
            for key, value in verdict.headers():
                resp.headers[key] = value
            resp.headers["Access-Control-Allow-Origin"] = "*"
            return resp

        return wrapper

    return decorate
