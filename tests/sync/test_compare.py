"""Table tests of the pure comparison helpers (no I/O)."""

from __future__ import annotations

from typing import Any

import pytest

from pbsync.sync.compare import fingerprint, same

CASES: list[tuple[Any, Any, bool]] = [
    (1, 1.0, True),
    ({"a": [1, 2.0]}, {"a": [1.0, 2]}, True),
    (True, 1, False),
    ({"a": True}, {"a": 1}, False),  # nested too
    ([False], [0], False),
    (None, 0, False),
    ("1", 1, False),
    (1234567890123456789, 1234567890123456788, False),  # beyond a float's 53 bits
    ({"x": 0.5}, {"x": 0.5}, True),
    ({"b": 1, "a": 2}, {"a": 2, "b": 1}, True),
    (0.1 + 0.2, 0.3, False),  # exact, as the fingerprints are
]


@pytest.mark.parametrize(("a", "b", "equal"), CASES)
def test_same_and_fingerprint_agree(a: Any, b: Any, equal: bool) -> None:
    assert same(a, b) is equal
    assert (fingerprint(a) == fingerprint(b)) is equal
