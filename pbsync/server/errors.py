"""Errors raised inside API views and their PYBOSSA JSON shape.

PYBOSSA answers an error raised in an API view with a JSON object whose keys come in a fixed
order (`action, status, status_code, target, exception_cls, exception_msg`); the HTTP status follows
from the exception class name. `ApiError` carries that class name so views can raise exactly what
PYBOSSA would.
"""

from __future__ import annotations

import json
import logging

log = logging.getLogger(__name__)

#: HTTP status by PYBOSSA exception class name; anything else is a 500
STATUS_BY_CLASS: dict[str, int] = {
    "BadRequest": 400,
    "Unauthorized": 401,
    "Forbidden": 403,
    "NotFound": 404,
    "MethodNotAllowed": 405,
    "RequestEntityTooLarge": 413,
    "TypeError": 415,
    "ValueError": 415,
    "DataError": 415,
    "AttributeError": 415,
    "DBIntegrityError": 415,
    "TooManyRequests": 429,
}

#: the messages werkzeug uses for the HTTP exceptions PYBOSSA raises without a message
DEFAULT_MESSAGES: dict[str, str] = {
    "Unauthorized": (
        "The server could not verify that you are authorized to access the URL requested. You "
        "either supplied the wrong credentials (e.g. a bad password), or your browser doesn't "
        "understand how to supply the credentials required."
    ),
    "Forbidden": (
        "You don't have the permission to access the requested resource. It is either "
        "read-protected or not readable by the server."
    ),
    # PYBOSSA reports NotFound as str(exc), which werkzeug prefixes with the status line
    "NotFound": (
        "404 Not Found: The requested URL was not found on the server. If you entered the URL "
        "manually please check your spelling and try again."
    ),
    "TooManyRequests": "This user has exceeded an allotted request count. Try again later.",
}


class ApiError(Exception):
    """An error answered with PYBOSSA's error JSON.

    Args:
        exception_cls: the PYBOSSA exception class name (decides the status).
        message: the `exception_msg`; defaults to werkzeug's text for HTTP errors.
        status: overrides the status derived from `exception_cls`.
    """

    def __init__(self, exception_cls: str, message: str | None = None, status: int | None = None):
        self.exception_cls = exception_cls
        self.message = message if message is not None else DEFAULT_MESSAGES.get(exception_cls, "")
        self.status = status if status is not None else STATUS_BY_CLASS.get(exception_cls, 500)
        super().__init__(f"{exception_cls}: {self.message}")


def error_body(action: str, target: str, exc: ApiError) -> str:
    """Return the error JSON text for `exc`, keys in PYBOSSA's order."""
    return json.dumps(
        {
            "action": action,
            "status": "failed",
            "status_code": exc.status,
            "target": target,
            "exception_cls": exc.exception_cls,
            "exception_msg": exc.message,
        }
    )


def unauthorized_or_forbidden(user_id: int | None, message: str | None = None) -> ApiError:
    """Return 401 for an anonymous caller and 403 for an authenticated one."""
    if user_id is None:
        return ApiError("Unauthorized", message)
    return ApiError("Forbidden", message)


class CodeError(Exception):
    """An error answered outside API views: `{"code", "description", "template"}` or HTML."""

    def __init__(self, code: int, description: str) -> None:
        self.code = code
        self.description = description
        super().__init__(description)
