"""Checks on request bodies, in the order PYBOSSA applies them, with PYBOSSA's answers.

Order: reserved keys (400) -> `published` (403) -> unknown keys (415 TypeError) -> value types and
lengths (415 DataError, what PostgreSQL would refuse; 500 for what psycopg2 or SQLAlchemy refuse
before sending, as PYBOSSA answers those too). Not-null and unique violations come from the
database (415 DBIntegrityError).
"""

from __future__ import annotations

import logging
import math
from typing import Any

from pbsync.server.errors import ApiError
from pbsync.server.schema import BOOL, FLOAT, INT, JSON, STR, TEXT, TIME, Column, Resource

log = logging.getLogger(__name__)

#: keys a client may send back from a GET; PYBOSSA drops them
IGNORED_KEYS = frozenset({"link", "links"})
#: project short_names PYBOSSA's own routes use
SYSTEM_SHORT_NAMES = frozenset(
    {
        "new",
        "category",
        "categories",
        "page",
        "search",
        "featured",
        "draft",
        "published",
        "import",
        "export",
        "browse",
        "tasks",
        "stats",
        "index",
        "account",
        "admin",
        "api",
        "static",
        "uploads",
    }
)
INT_MAX = 2**31 - 1


def _data_error(kind: str, detail: str) -> ApiError:
    return ApiError("DataError", f"(psycopg2.errors.{kind}) {detail}")


def check_keys(res: Resource, data: dict[str, Any]) -> dict[str, Any]:
    """Refuse reserved and unknown keys; return the body without link/links.

    Raises:
        ApiError: 400 BadRequest for reserved keys, 403 for `published` in a project body,
            415 TypeError for an unknown key.
    """
    if res.reserved & data.keys():
        raise ApiError("BadRequest", "Reserved keys in payload")
    if res.name == "project" and "published" in data:
        raise ApiError("Forbidden", "You cannot publish a project via the API")
    body = {k: v for k, v in data.items() if k not in IGNORED_KEYS}
    for key in body:
        if key not in res.writable:
            raise ApiError("TypeError", f"'{key}' is an invalid keyword argument for {res.cls}")
    return body


def check_value(col: Column, value: Any) -> Any:
    """Return `value` as the column stores it.

    Raises:
        ApiError: 415 DataError for what PostgreSQL would refuse.
    """
    if value is None or col.kind == JSON:
        return value
    if col.kind == INT:
        return _as_int(value)
    if col.kind == FLOAT:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise _data_error(
                "InvalidTextRepresentation", f"invalid input for type double: {value!r}"
            )
        try:
            number = float(value)
            if math.isfinite(number):
                return number
            raise ValueError(value)
        except ValueError:
            raise _data_error(
                "InvalidTextRepresentation",
                f'invalid input syntax for type double precision: "{value}"',
            ) from None
    if col.kind == BOOL:
        # SQLAlchemy's Boolean takes True/False and 0/1 and raises before any SQL otherwise
        if isinstance(value, bool) or (isinstance(value, int) and value in (0, 1)):
            return bool(value)
        raise ApiError(
            "StatementError", f"(builtins.TypeError) Not a boolean value: {value!r}", 500
        )
    if col.kind in (STR, TEXT, TIME):
        return _as_text(col, value)
    return value


def _as_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str | float):
        raise _data_error(
            "InvalidTextRepresentation", f'invalid input syntax for type integer: "{value}"'
        )
    try:
        number = int(value)
    except ValueError:
        raise _data_error(
            "InvalidTextRepresentation", f'invalid input syntax for type integer: "{value}"'
        ) from None
    if isinstance(value, float) and number != value:
        # psycopg2 sends a float as a numeric literal, which PostgreSQL rounds half away from 0
        number = int(math.copysign(math.floor(abs(value) + 0.5), value))
    if abs(number) > INT_MAX:
        raise _data_error("NumericValueOutOfRange", "integer out of range")
    return number


def _as_text(col: Column, value: Any) -> str:
    if isinstance(value, dict):
        raise ApiError(
            "ProgrammingError", "(psycopg2.ProgrammingError) can't adapt type 'dict'", 500
        )
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _data_error(
            "CannotCoerce", f"cannot store {type(value).__name__} in column {col.name}"
        )
    text = str(value)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        # psycopg2 encodes parameters before sending them: PYBOSSA answers the raw exception
        raise ApiError("UnicodeEncodeError", str(exc), 500) from None
    if "\x00" in text:
        raise ApiError("ValueError", "A string literal cannot contain NUL (0x00) characters.")
    if col.max_length is not None and len(text) > col.max_length:
        raise _data_error(
            "StringDataRightTruncation",
            f"value too long for type character varying({col.max_length})",
        )
    return text


def check_values(res: Resource, body: dict[str, Any]) -> dict[str, Any]:
    """Check every value of a body (keys already checked) and return the converted body."""
    out = {}
    for key, value in body.items():
        col = res.column(key)
        if col is None:  # pragma: no cover - check_keys refused it
            raise ApiError("TypeError", f"'{key}' is an invalid keyword argument for {res.cls}")
        out[key] = check_value(col, value)
    return out


def check_short_name(short_name: Any) -> None:
    """Refuse project short_names PYBOSSA's routes use.

    Raises:
        ApiError: 415 ValueError.
    """
    if isinstance(short_name, str) and short_name.strip().lower() in SYSTEM_SHORT_NAMES:
        raise ApiError(
            "ValueError", "Project short_name or name is not valid, as it's used by the system."
        )
