"""project.toml: its file names, its schema, and the checks on it (no I/O).

`check_document` reports unknown keys (with a "did you mean" hint), wrong types and non-JSON info
values anywhere in a project.toml document, `[env.NAME]` overlays included; `check_sidecar` does the
same for a helping sidecar. tomllib keeps no positions, so `TomlLines` finds the line of a key or
table again in the text for messages. The loader (project.py) and pull (pulling/) share these names.
"""

from __future__ import annotations

import difflib
import logging
import math
import re
import tomllib
from collections.abc import Callable, Mapping
from typing import Any

from pbsync.errors import Problem
from pbsync.folder.storable import unstorable_number, unstorable_reason
from pbsync.folder.taskreaders import FORMATS

__all__ = [
    "BUNDLE",
    "DEFAULT_FILES",
    "FILE_INFO_KEYS",
    "HELPING_EXTENSIONS",
    "HELPING_RESERVED_INFO",
    "PROJECT_TOML",
    "REQUIRED_FIELDS",
    "SIDECAR_SUFFIX",
    "TomlLines",
    "check_document",
    "check_sidecar",
    "close_match",
    "deep_merge",
    "did_you_mean",
    "error_line",
    "project_field_problems",
    "resolve_files",
    "syntax_problem",
]

log = logging.getLogger(__name__)

PROJECT_TOML = "project.toml"
SIDECAR_SUFFIX = ".info.toml"
#: what PYBOSSA stores by default; it answers 200 for anything else but drops the file
HELPING_EXTENSIONS = frozenset({"js", "css", "png", "jpg", "jpeg", "gif", "zip"})
#: helping info keys the server or the engine own (file_name/container: server; sha256/name: pbsync)
HELPING_RESERVED_INFO = ("container", "file_name", "name", "sha256")
#: info keys filled from files, with the [files] setting that names the file
FILE_INFO_KEYS = {"presenter": "task_presenter", "tutorial": "tutorial", "results": "results"}
#: the project fields every project needs
REQUIRED_FIELDS = ("name", "short_name", "description")
_SHORT_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
DEFAULT_FILES = {
    "presenter": "presenter.html",
    "long_description": "longdesc.md",
    "tutorial": "tutorial.html",
    "results": "results.html",
    "helping": "helping",
}

_STR, _BOOL, _NUM, _INT, _TABLE = "a string", "true or false", "a number", "an integer", "a table"
_FILE = "a folder-relative file name, or false (a material with no file)"
_STRS, _KEY = "a list of strings", "a string or a list of strings"
_ENTRIES = 'a list of file names or { path = "...", format = "..." } tables'
_PROJECT_KEYS = {
    "name": _STR, "short_name": _STR, "description": _STR, "long_description": _STR,
    "category": _STR, "webhook": _STR, "allow_anonymous_contributors": _BOOL,
    "zip_download": _BOOL, "published": _BOOL, "info": _TABLE,
}  # fmt: skip
#: pbs's script appended to the presenter (`pbsync convert` writes it); no default
BUNDLE = "bundle"
_FILES_KEYS = dict.fromkeys([*DEFAULT_FILES, BUNDLE], _STR)
_TASKS_KEYS = {
    "files": _ENTRIES, "key": _KEY, "n_answers": _INT, "priority_0": _NUM, "quorum": _INT,
    "calibration": _INT,
}  # fmt: skip
_HELPING_KEYS = {
    "name": _STR, "priority": _NUM, "info": _TABLE, "media_url": _STR, "file": _FILE,
}  # fmt: skip
_SIDECAR_KEYS = {"name": _STR, "priority": _NUM, "info": _TABLE}
_SECTIONS: dict[str, dict[str, str]] = {
    "project": _PROJECT_KEYS, "files": _FILES_KEYS, "tasks": _TASKS_KEYS,
}  # fmt: skip
_HINTS = {"category": 'a category short_name such as "thinking"'}

_TOML_PART = r"(?:[A-Za-z0-9_-]+|\"(?:[^\"\\]|\\.)*\"|'[^']*')"
_TOML_HEADER = re.compile(rf"^\s*\[\[?\s*({_TOML_PART}(?:\s*\.\s*{_TOML_PART})*)\s*\]\]?")
_TOML_KEY = re.compile(rf"^\s*({_TOML_PART}(?:\s*\.\s*{_TOML_PART})*)\s*=")


def _split_key(dotted: str) -> tuple[str, ...]:
    parts = re.findall(_TOML_PART, dotted)
    return tuple(_unquote(p) for p in parts)


def _unquote(part: str) -> str:
    if part[:1] == "'":
        return part[1:-1]
    if part[:1] != '"':
        return part
    if "\\" not in part:
        return part[1:-1]
    try:  # escapes (\u0000, \n...) as TOML reads them
        return str(tomllib.loads(f"k = {part}")["k"])
    except tomllib.TOMLDecodeError:
        return part[1:-1]


class TomlLines:
    """Line numbers of the tables and keys of a TOML text (tomllib keeps none), for messages."""

    def __init__(self, text: str, env: str | None) -> None:
        self.env = env
        self.index: dict[tuple[str, ...], int] = {}
        table: tuple[str, ...] = ()
        for number, raw in enumerate(text.splitlines(), 1):
            header = _TOML_HEADER.match(raw)
            if header:
                table = _split_key(header[1])
                self.index.setdefault(table, number)
                continue
            key = _TOML_KEY.match(raw)
            if key:
                self.index.setdefault(table + _split_key(key[1]), number)

    def first_under(self, dotted: str) -> int | None:
        """The first line of a key or table below `dotted` (itself included), or None."""
        path = _split_key(dotted)
        lines = [n for key, n in self.index.items() if key[: len(path)] == path]
        return min(lines) if lines else None

    def line(self, dotted: str | tuple[str, ...] | None) -> int | None:
        """The line of `dotted` (or of its nearest enclosing table); the env overlay's first."""
        if dotted is None:
            return None
        path = _split_key(dotted) if isinstance(dotted, str) else dotted
        candidates = [("env", self.env, *path), path] if self.env else [path]
        for cand in candidates:
            for depth in range(len(cand), 0, -1):
                if cand[:depth] in self.index:
                    return self.index[cand[:depth]]
        return None


def error_line(exc: tomllib.TOMLDecodeError) -> int | None:
    """The line number tomllib puts in its message ("... (at line 3, column 7)")."""
    match = re.search(r"at line (\d+)", str(exc))
    return int(match[1]) if match else None


def syntax_problem(exc: tomllib.TOMLDecodeError, file: str) -> Problem:
    """A TOML syntax error as a problem: the line goes to `Problem.line`, the column stays."""
    message = re.sub(r"\(at line \d+, (column \d+)\)", r"(\1)", str(exc))
    return Problem(file, f"TOML syntax error: {message}", error_line(exc))


def close_match(word: str, known: list[str]) -> str | None:
    """The one of `known` that `word` is most likely a typo of, if any is close enough."""
    close = difflib.get_close_matches(word, known, n=1, cutoff=0.6)
    return close[0] if close else None


def did_you_mean(word: str, known: list[str]) -> str:
    """ " (did you mean 'x'?)" for the closest of `known`, else " (known: a, b)"."""
    close = close_match(word, known)
    if close is not None:
        return f" (did you mean {close!r}?)"
    return f" (known: {', '.join(sorted(known)) or 'none'})"


def resolve_files(table: Any, exists: Callable[[str], bool]) -> dict[str, str]:
    """The file each `[files]` setting names: the table's own names, else `DEFAULT_FILES`.

    A folder that names no long description file and has no longdesc.md reads longdesc.html
    (`exists` says whether a folder-relative file is there).
    """
    table = table if isinstance(table, Mapping) else {}
    resolved = {}
    for name, default in DEFAULT_FILES.items():
        value = table.get(name)
        resolved[name] = value if isinstance(value, str) else default
    if "long_description" not in table and not exists(DEFAULT_FILES["long_description"]):
        resolved["long_description"] = "longdesc.html"
    return resolved


def deep_merge(base: Mapping[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    """`base` with `overlay` merged in: tables merge key by key, anything else is replaced."""
    out = dict(base)
    for key, value in overlay.items():
        old = out.get(key)
        both = isinstance(old, Mapping) and isinstance(value, Mapping)
        out[key] = deep_merge(old, value) if both else value  # type: ignore[arg-type]
    return out


def _unknown(key: str, known: list[str], file: str, line: int | None, where: str) -> Problem:
    return Problem(file, f"unknown key {key!r}{did_you_mean(key, known)}", line, where)


def _type_ok(kind: str, value: Any) -> bool:
    if kind == _STR:
        return isinstance(value, str)
    if kind == _BOOL:
        return isinstance(value, bool)
    if kind == _INT:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == _NUM:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == _TABLE:
        return isinstance(value, dict)
    if kind == _FILE:
        return value is False or (isinstance(value, str) and bool(value))
    if kind == _ENTRIES:
        return isinstance(value, list) and all(
            (isinstance(v, str) and v) or isinstance(v, dict) for v in value
        )
    strs = isinstance(value, list) and all(isinstance(v, str) and v for v in value)
    return strs or (kind == _KEY and isinstance(value, str) and bool(value))


def _json_problems(value: Any, file: str, lines: TomlLines, where: str) -> list[Problem]:
    """Info values must be JSON PYBOSSA stores: no TOML dates/times (quote them), no nan/inf,
    no NUL in strings (`storable`); the document's depth was checked when it was read."""
    if isinstance(value, dict):
        keys = [p for k in value for p in _value_problem(str(k), file, lines, f"{where}.{k}")]
        subs = [p for k, v in value.items() for p in _json_problems(v, file, lines, f"{where}.{k}")]
        return keys + subs
    if isinstance(value, list):
        return [p for v in value for p in _json_problems(v, file, lines, where)]
    if isinstance(value, str | int | float | bool):
        return _value_problem(value, file, lines, where)
    msg = f"{type(value).__name__} values are not JSON: quote it as a string"
    return [Problem(file, msg, lines.line(where), where)]


def _value_problem(value: Any, file: str, lines: TomlLines, where: str) -> list[Problem]:
    """A string PYBOSSA cannot store, or a float JSON cannot carry (TOML has nan and inf)."""
    reason = None
    if isinstance(value, str):
        reason = unstorable_reason(value)
    elif isinstance(value, float):
        reason = unstorable_number(value)
    return [] if reason is None else [Problem(file, reason, lines.line(where), where)]


def _check_table(
    table: Mapping[str, Any], schema: Mapping[str, str], file: str, lines: TomlLines, prefix: str
) -> list[Problem]:
    problems = []
    for key, value in table.items():
        where = f"{prefix}{key}"
        line = lines.line(where)
        if key not in schema:
            problems.append(_unknown(key, list(schema), file, line, where))
        elif not _type_ok(schema[key], value):
            hint = _HINTS.get(key, schema[key])
            got = type(value).__name__
            problems.append(Problem(file, f"must be {hint}, got {got} {value!r}", line, where))
        elif schema[key] == _TABLE:
            problems += _json_problems(value, file, lines, where)
        elif schema[key] == _ENTRIES:
            problems += _task_entries(value, file, lines, where)
        elif schema[key] == _NUM and not math.isfinite(value):
            problems.append(Problem(file, f"must be a finite number, got {value!r}", line, where))
        elif schema[key] in (_STR, _STRS, _KEY):
            problems += _json_problems(value, file, lines, where)
    return problems


def _task_entries(entries: list[Any], file: str, lines: TomlLines, where: str) -> list[Problem]:
    """The `{ path = ..., format = ... }` entries of `[tasks] files` (strings are checked later)."""
    problems = []
    line = lines.line(where)
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            continue
        at = f"{where}[{i}]"
        for key in entry:
            if key not in ("path", "format"):
                problems.append(_unknown(key, ["path", "format"], file, line, f"{at}.{key}"))
        path, fmt = entry.get("path"), entry.get("format")
        if not isinstance(path, str) or not path:
            msg = f"must be a file name (a non-empty string), got {path!r}"
            problems.append(Problem(file, msg, line, f"{at}.path"))
        if fmt is not None and fmt not in FORMATS:
            hint = did_you_mean(str(fmt), list(FORMATS))
            msg = f"unknown task file format {fmt!r}{hint}"
            problems.append(Problem(file, msg, line, f"{at}.format"))
    return problems


def project_field_problems(table: Mapping[str, Any], missing: str) -> list[tuple[str, str]]:
    """(key, message) for the required project fields: absent, bad short_name, long description.

    `missing` is the message for an absent field (it names where the field belongs).
    """
    found = [(name, missing) for name in REQUIRED_FIELDS if name not in table]
    short = table.get("short_name")
    if isinstance(short, str) and not _SHORT_NAME.match(short):
        found.append(("short_name", f"{short!r}: only letters, digits, '-' and '_' are allowed"))
    desc = table.get("description")
    if isinstance(desc, str) and len(desc) > 255:
        msg = f"at most 255 characters (PYBOSSA refuses longer), got {len(desc)}"
        found.append(("description", msg))
    return found


def _not_table(value: Any, file: str, line: int | None, where: str) -> Problem:
    return Problem(file, f"must be a table, got {type(value).__name__} {value!r}", line, where)


def _check_top(doc: Mapping[str, Any], file: str, lines: TomlLines, prefix: str) -> list[Problem]:
    problems: list[Problem] = []
    known = [*_SECTIONS, "helping"] + ([] if prefix else ["env"])
    for key, value in doc.items():
        where = f"{prefix}{key}"
        if key not in known:
            problems.append(_unknown(key, known, file, lines.line(where), where))
        elif not isinstance(value, dict):
            problems.append(_not_table(value, file, lines.line(where), where))
        elif key in _SECTIONS:
            problems += _check_table(value, _SECTIONS[key], file, lines, f"{where}.")
        elif key == "helping":
            for name, entry in value.items():
                sub = f'{where}."{name}"'
                if not isinstance(entry, dict):
                    problems.append(_not_table(entry, file, lines.line(sub), sub))
                else:
                    problems += _check_table(entry, _HELPING_KEYS, file, lines, f"{sub}.")
        else:
            for name, overlay in value.items():
                sub = f"{where}.{name}"
                if not isinstance(overlay, dict):
                    problems.append(_not_table(overlay, file, lines.line(sub), sub))
                else:
                    problems += _check_top(overlay, file, lines, f"{sub}.")
    return problems


def check_document(doc: Mapping[str, Any], file: str, lines: TomlLines) -> list[Problem]:
    """Unknown keys (with a "did you mean" hint) and wrong types anywhere in project.toml."""
    return _check_top(doc, file, lines, "")


def check_sidecar(doc: Mapping[str, Any], file: str, lines: TomlLines) -> list[Problem]:
    """The same checks for a helping sidecar (`name`, `priority` and `[info]` only)."""
    return _check_table(doc, _SIDECAR_KEYS, file, lines, "")
