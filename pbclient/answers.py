"""What the server answered, checked once at the client's boundary.

pbclient and pbsync rely on the shape of PYBOSSA's answers: a list of objects for a list, an
object for one object, an integer `id`, `info` an object on a project, numbers where numbers are
due. A server that answers otherwise (a proxy's HTML page, another API, a broken or hostile
server) gets one `UnexpectedAnswerError` here, naming the request and what was wrong in one
line, instead of a `TypeError` deep in a caller. Each resource class declares the fields it
checks (`Resource.shape`, `Resource.required`); fields nobody relies on are left alone.

JSON is read strictly: `NaN`, `Infinity` and numbers too large for a float are refused (PYBOSSA
never sends them, and they would not survive a round trip), and so is JSON nested too deeply to
read.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Collection, Mapping
from typing import Any, NamedTuple

from pbclient.errors import UnexpectedAnswerError

__all__ = [
    "BOOLEAN",
    "INTEGER",
    "LIST",
    "NUMBER",
    "OBJECT",
    "STRING",
    "Kind",
    "check_object",
    "check_rows",
    "decode_json",
    "kind_of",
    "shown",
]

log = logging.getLogger(__name__)


class Kind(NamedTuple):
    """A JSON type a field must have: its name in messages and the Python types it decodes to."""

    name: str
    types: tuple[type, ...]


INTEGER = Kind("an integer", (int,))
NUMBER = Kind("a number", (int, float))
STRING = Kind("a string", (str,))
BOOLEAN = Kind("true or false", (bool,))
OBJECT = Kind("an object", (dict,))
LIST = Kind("a list", (list,))

_JSON_NAMES = {
    dict: "an object",
    list: "a list",
    str: "a string",
    bool: "true or false",
    int: "an integer",
    float: "a number",
    type(None): "null",
}


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text[:20]} does not fit in a number")
    return value


def decode_json(content: bytes, what: str, **context: Any) -> Any:
    """The JSON value of an answer's body (None for an empty body).

    Args:
        content: the body.
        what: the request, e.g. `GET /api/task`, for the message.
        **context: `status`, `method`, `url` for the error.

    Raises:
        UnexpectedAnswerError: not JSON, NaN/Infinity, or nested too deeply.
    """
    if not content:
        return None
    try:
        return json.loads(content, parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError:
        reason = "JSON nested too deeply to read"
    except ValueError as exc:  # (UnicodeDecodeError and JSONDecodeError are ValueErrors)
        reason = f"not JSON ({_first_line(exc)})"
    raise UnexpectedAnswerError(
        f"{what}: the answer is {reason}",
        body=content[:500].decode("utf-8", "replace"),
        **context,
    )


def check_object(
    data: Any,
    what: str,
    shape: Mapping[str, Kind] | None = None,
    required: Collection[str] = (),
    *,
    where: str = "the answer",
) -> dict[str, Any]:
    """`data` if it is an object whose fields have the kinds `shape` gives (None allowed).

    Args:
        data: decoded JSON.
        what: the request, for the message.
        shape: field -> kind, for the fields that are checked.
        required: fields that must be present and not null.
        where: what `data` is within the answer (`row 3`), for the message.

    Raises:
        UnexpectedAnswerError: naming `what`, `where` and the first wrong field.
    """
    if not isinstance(data, dict):
        raise UnexpectedAnswerError(f"{what}: {where} is {kind_of(data)}, not an object")
    for name in required:
        if data.get(name) is None:
            raise UnexpectedAnswerError(f"{what}: {where} has no {name!r}")
    for name, kind in (shape or {}).items():
        value = data.get(name)
        if value is not None and not _is(value, kind):
            raise UnexpectedAnswerError(
                f"{what}: {where} has {name!r} = {shown(value)}, not {kind.name}"
            )
    return data


def check_rows(
    data: Any,
    what: str,
    shape: Mapping[str, Kind] | None = None,
    required: Collection[str] = (),
) -> list[dict[str, Any]]:
    """`data` if it is a list of objects each passing `check_object` (rows counted from 1).

    Raises:
        UnexpectedAnswerError: not a list, or the first row that is wrong.
    """
    if not isinstance(data, list):
        raise UnexpectedAnswerError(f"{what}: the answer is {kind_of(data)}, not a list")
    fields = tuple((shape or {}).items())
    for number, row in enumerate(data, 1):
        if not _fits(row, fields, required):  # a page of 100 rows: the message only when due
            check_object(row, what, shape, required, where=f"row {number}")
    return data


def _fits(row: Any, fields: tuple[tuple[str, Kind], ...], required: Collection[str]) -> bool:
    """Whether `check_object` would accept `row` (it says why not)."""
    if not isinstance(row, dict):
        return False
    get = row.get
    for name in required:
        if get(name) is None:
            return False
    for name, kind in fields:
        value = get(name)
        if value is None:
            continue
        if type(value) is bool:  # (`_is`, inline: this runs for every field of every row)
            if bool not in kind.types:
                return False
        elif not isinstance(value, kind.types):
            return False
    return True


def _is(value: Any, kind: Kind) -> bool:
    if isinstance(value, bool):  # a bool is an int to Python, never to JSON
        return bool in kind.types
    return isinstance(value, kind.types)


def kind_of(value: Any) -> str:
    """How a JSON value is named in messages (`a list`, `null` ...)."""
    return _JSON_NAMES.get(type(value), type(value).__name__)


def shown(value: Any, width: int = 40) -> str:
    """A value as a message quotes it: JSON, cut to `width` characters."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        text = repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0][:100] if str(exc) else type(exc).__name__
