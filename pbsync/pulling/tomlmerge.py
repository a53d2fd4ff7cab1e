"""Pull into an existing project.toml: the server's values are put in place, the text is kept.

`merge_toml` edits the folder's own document (tomlkit keeps comments, order, quoting and inline
tables): a value the server changed is replaced where it stands, a new key is added at the end of
its table, and a key pull did not produce is removed unless `keep` says the folder's value means
the same as what the server has (an explicit setting equal to PYBOSSA's default, a folder-only
setting such as `[files]` or `[tasks] key`). Values that already agree are not touched, so a
`priority = 1.0` stays `1.0` and an unchanged inline table keeps its layout.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping
from typing import Any

import tomlkit
import tomlkit.exceptions
import tomlkit.items

__all__ = ["Keep", "merge_toml", "same_value"]

#: keep(path, value) -> whether a key pull did not write stays as the folder has it
Keep = Callable[[tuple[str, ...], Any], bool]


def merge_toml(text: str, new: Mapping[str, Any], keep: Keep) -> str | None:
    """`text` (a project.toml) holding the values of `new`; None when `text` does not parse.

    Args:
        text: the folder's project.toml.
        new: the document pull would write into an empty folder (plain dicts and values).
        keep: for a key of `text` that `new` lacks: whether to leave it (else it is removed).
    """
    try:
        doc = tomlkit.parse(text)
    except (tomlkit.exceptions.TOMLKitError, RecursionError):
        return None
    _merge(doc, new, (), keep)
    return tomlkit.dumps(doc)


def _merge(
    target: MutableMapping[str, Any], new: Mapping[str, Any], path: tuple[str, ...], keep: Keep
) -> None:
    for key in [k for k in target if k not in new]:
        if not keep((*path, key), _plain(target[key])):
            del target[key]
    for key, value in new.items():
        here = target.get(key)
        if isinstance(value, Mapping) and isinstance(here, MutableMapping):
            _merge(here, value, (*path, key), keep)
        elif key not in target and isinstance(value, Mapping) and not _inline(target):
            table = tomlkit.item(value)
            if isinstance(table, tomlkit.items.Table):
                table.add(tomlkit.nl())  # a blank line before whatever follows, as written
            target[key] = table
        elif key not in target or not same_value(_plain(here), value):
            target[key] = value


def _inline(table: Any) -> bool:
    return isinstance(table, tomlkit.items.InlineTable)


def _plain(value: Any) -> Any:
    """A tomlkit item as plain Python values (for comparison and for `keep`)."""
    return value.unwrap() if hasattr(value, "unwrap") else value


def same_value(a: Any, b: Any) -> bool:
    """Equal as TOML values: 1 and 1.0 are the same number, `true` is not 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)
