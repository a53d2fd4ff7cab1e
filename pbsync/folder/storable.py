"""What a PYBOSSA server (or JSON itself) refuses, checked locally before anything is sent.

Python's `json` and `tomllib` accept more than PYBOSSA stores, so a folder could validate and then
fail half-way through a push (the project created, every task refused), on every re-run:

- text: PostgreSQL refuses NUL characters and unpaired UTF-16 surrogates in text and JSON
  columns;
- numbers: NaN, Infinity and -Infinity (Python writes them as the bare words `NaN`...,
  which no JSON parser accepts, and jsonb has no such values); a number written too large for
  a float (`1e400`) reads as Infinity and is refused alike;
- nesting: more than `MAX_DEPTH` levels. Python's parsers give up not far beyond (json at about
  1,000 levels, tomllib at about 300, with a RecursionError instead of a message, and PYBOSSA's
  own Flask parser with them); no task needs a tenth of it;
- size: a JSON body over `MAX_BODY_BYTES`. The local server (`pbsync.server.context`) refuses
  bodies over 1 MiB with 413, and so does nginx, which PYBOSSA is deployed behind, at its
  default `client_max_body_size 1m`. The size counted is the body as sent: `requests` writes
  JSON with every non-ASCII character escaped (`\\u00e9`: 6 bytes; an emoji: 12).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_DEPTH",
    "TOO_DEEP",
    "body_problem",
    "deep_line",
    "find_unstorable",
    "may_exceed",
    "parse_float",
    "screen",
    "too_deep",
    "unstorable_number",
    "unstorable_reason",
]

#: JSON bodies larger than this are refused (the local server, nginx's default)
MAX_BODY_BYTES = 1024 * 1024
#: containers nested deeper than this (a task's info or a TOML document being level 1) are refused
MAX_DEPTH = 100
TOO_DEEP = (
    f"nested more than {MAX_DEPTH} levels deep (pbsync's limit: JSON and TOML parsers, "
    "PYBOSSA's included, give up not much deeper)"
)
#: paths in messages stop growing at this depth ("a.b.c…")
_SHOWN_DEPTH = 8

_BAD = re.compile("[\x00\ud800-\udfff]")
_NON_FINITE = {"nan", "inf", "infinity"}


class _Overflowed(float):
    """A float whose text (`1e400`) is too large: it reads as ±Infinity; `text` keeps it."""

    text: str


def parse_float(text: str) -> float:
    """`float(text)` for json's and tomllib's `parse_float`, remembering a text that overflowed.

    An overflowed number is still refused by `find_unstorable`, but named as written.
    """
    value = float(text)
    if math.isinf(value) and text.lstrip("+-").lower() not in _NON_FINITE:
        marked = _Overflowed(value)
        marked.text = text
        return marked
    return value


def unstorable_reason(text: str) -> str | None:
    """Say why `text` cannot be stored, or None when it can."""
    match = _BAD.search(text)
    if match is None:
        return None
    if match.group() == "\x00":
        return "contains a NUL character (\\u0000), which PYBOSSA cannot store"
    return (
        f"contains an unpaired surrogate (\\u{ord(match.group()):04x}), which PYBOSSA cannot store"
    )


def unstorable_number(value: float) -> str | None:
    """Say why a float cannot be sent as JSON (NaN, ±Infinity), or None when it can."""
    if math.isfinite(value):
        return None
    if isinstance(value, _Overflowed):
        return f"{value.text} is too large for a number (it reads as {_word(value)}): quote it"
    return f"{_word(value)} is not a JSON number, and PYBOSSA refuses it: use null or a string"


def _word(value: float) -> str:
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")


def find_unstorable(value: Any, path: str = "") -> tuple[str, str] | None:
    """(dotted path, reason) of the first thing in a JSON value that cannot be stored, or None.

    Checks strings (keys included), numbers and the nesting depth, `value` being level 1.
    Iterative, so that a value nested deep enough to break a recursive walk is reported too.
    """
    texts = _flat_texts(value)
    if texts is not None and _BAD.search("".join(texts)) is None:
        return None  # most tasks: one search over the row's text instead of a walk
    stack: list[tuple[Any, str, int]] = [(value, path, 1)]
    while stack:
        item, where, depth = stack.pop()
        reason = _reason(item)
        if reason is not None:
            return where, reason
        if isinstance(item, dict | list) and depth > MAX_DEPTH:
            return where, TOO_DEEP
        children: list[tuple[Any, str, int]] = []
        if isinstance(item, dict):
            for key, sub in item.items():
                below = _child(where, str(key), depth)
                children += [(str(key), below, depth + 1), (sub, below, depth + 1)]
        elif isinstance(item, list):
            children = [
                (sub, _child(where, f"[{i}]", depth), depth + 1) for i, sub in enumerate(item)
            ]
        stack += reversed(children)  # depth first, in document order
    return None


def _flat_texts(value: Any) -> list[str] | None:
    """The keys and string values of a dict of strings, ints, finite floats, bools and None;
    None for anything else (nested values, NaN...), which takes the full walk."""
    if not isinstance(value, dict):
        return None
    texts = [str(key) for key in value]
    for item in value.values():
        kind = type(item)
        if kind is str:
            texts.append(item)
        elif kind is float:
            if not math.isfinite(item):
                return None
        elif kind is not int and kind is not bool and item is not None:
            return None
    return texts


def screen(value: Any) -> tuple[tuple[str, str] | None, bool]:
    """`(find_unstorable(value), may_exceed(value))`, a flat row's texts gathered once."""
    texts = _flat_texts(value)
    if texts is None:
        return find_unstorable(value), True
    joined = "".join(texts)
    if _BAD.search(joined) is not None:
        return find_unstorable(value), True
    return None, len(joined) * 12 + 64 * len(texts) + 1024 > MAX_BODY_BYTES


def may_exceed(value: Any) -> bool:
    """False when a dict of strings and ints cannot make a body over `MAX_BODY_BYTES`, by a
    cheap bound (an escaped character takes at most 12 bytes); True when it might (measure it)."""
    texts = _flat_texts(value)
    if texts is None:
        return True
    return sum(map(len, texts)) * 12 + 64 * len(texts) + 1024 > MAX_BODY_BYTES


def too_deep(value: Any) -> str | None:
    """The dotted path where `value` (level 1) nests deeper than `MAX_DEPTH`, or None.

    Iterative: run it on a freshly parsed document before anything walks it recursively.
    """
    stack: list[tuple[Any, str, int]] = [(value, "", 1)]
    while stack:
        item, where, depth = stack.pop()
        if isinstance(item, dict):
            subs = [(v, _child(where, str(k), depth)) for k, v in item.items()]
        elif isinstance(item, list):
            subs = [(v, _child(where, f"[{i}]", depth)) for i, v in enumerate(item)]
        else:
            continue
        if depth > MAX_DEPTH:
            return where
        stack += [(v, w, depth + 1) for v, w in subs]
    return None


def _reason(item: Any) -> str | None:
    if isinstance(item, str):
        return unstorable_reason(item)
    if isinstance(item, float):
        return unstorable_number(item)
    return None


def _child(path: str, part: str, depth: int) -> str:
    if depth > _SHOWN_DEPTH:
        return path if path.endswith("…") else f"{path}…"
    if part.startswith("["):
        return f"{path}{part}"
    return f"{path}.{part}" if path else part


def body_problem(
    body: Mapping[str, Any], what: str, info_prefix: str = "info."
) -> tuple[str, str] | None:
    """(largest field, message) when `body` sent as JSON would exceed `MAX_BODY_BYTES`.

    `what` names the body in the message ("the task's body"); an `info` mapping is looked
    into, its keys named with `info_prefix` (a task's fields are its info's keys: "").
    """
    size = _json_bytes(body)
    if size <= MAX_BODY_BYTES:
        return None
    fields = {k: _json_bytes(v) for k, v in body.items()}
    if isinstance(body.get("info"), Mapping):
        fields.pop("info")
        fields.update({f"{info_prefix}{k}": _json_bytes(v) for k, v in body["info"].items()})
    largest = max(fields, key=lambda k: fields[k])
    message = (
        f"{what} would be {size:,} bytes of JSON, over the {MAX_BODY_BYTES:,} (1 MiB) a PYBOSSA "
        f"server accepts; {largest} makes {fields[largest]:,} of them"
    )
    return largest, message


def _json_bytes(value: Any) -> int:
    # as `requests` sends it: ASCII only, so every other character is escaped. Values JSON cannot
    # hold (reported elsewhere) are counted as their text, so one problem does not hide another.
    return len(json.dumps(value, default=str))


_TOKENS = re.compile(
    r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\'|#[^\n]*|[\[\]{}\n]'
)


def deep_line(text: str, limit: int, start: int = 0) -> int | None:
    """The line where brackets in `text` (from `start`) first nest deeper than `limit`.

    Used only to say where a JSON or TOML text that its parser gave up on (RecursionError) is
    too deep: strings and TOML comments are skipped (neither occurs outside strings in JSON); a
    TOML `[table]` header is balanced on its line, so it does not count.
    """
    depth, line = 0, text.count("\n", 0, start) + 1
    for match in _TOKENS.finditer(text, start):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > limit:
                return line
        elif token in "]}":
            depth -= 1
        else:
            line += token.count("\n")  # a line break, or a string over several lines
    return None
