"""Text PYBOSSA cannot store: its PostgreSQL refuses NUL characters and unpaired UTF-16 surrogates
in text and JSON columns, and would answer a push of them with an error half-way. Checked locally,
before anything is sent."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

__all__ = ["find_unstorable", "unstorable_reason"]

_BAD = re.compile("[\x00\ud800-\udfff]")


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


def find_unstorable(value: Any, path: str = "") -> tuple[str, str] | None:
    """Return (dotted path, reason) of the first string in a JSON value that cannot be stored."""
    for where, text in _strings(value, path):
        reason = unstorable_reason(text)
        if reason is not None:
            return where, reason
    return None


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            sub = f"{path}.{key}" if path else str(key)
            yield sub, str(key)
            yield from _strings(item, sub)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]")
