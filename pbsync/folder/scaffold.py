"""Create a project folder from a template (`pbsync init`).

A template is a folder holding a project folder (see docs/project-format.md) plus a `template.toml`
with its `title` and one-line `description`. Templates ship in the package as `pbsync/_templates`
(a link to the repository's top-level `templates/`); a source checkout without the link falls
back to `templates/` next to the package.

Scaffolding copies every file but `template.toml`, then
- sets `[project] name` and `short_name` in `project.toml` (through tomlkit, so comments survive
  and the values are always valid TOML), and
- replaces the placeholder `{{name}}` in `.html`, `.md`, `.js` and `.css` files, escaped for the
  file's language (the name is free text shown to volunteers).
Every write is checked to land inside the destination folder.

The short_name is written in `project.toml` only. The pages never hold it: an `[env.NAME]`
overlay pushes the same files under another short_name, so a presenter, tutorial or results page
learns its project from the page's address, `/project/<short_name>/...` (see
docs/project-format.md). A `{{short_name}}` in a template is therefore left as it is.
"""

from __future__ import annotations

import html
import json
import logging
import re
import shutil
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import tomlkit

from pbsync.errors import PbsyncError, UnsafePathError
from pbsync.folder.paths import checked_path

__all__ = [
    "DEFAULT_TEMPLATE",
    "ScaffoldError",
    "TemplateInfo",
    "TemplateNotFoundError",
    "derive_name",
    "derive_short_name",
    "find_template",
    "list_templates",
    "scaffold",
    "templates_dir",
]

log = logging.getLogger(__name__)

DEFAULT_TEMPLATE = "image-classification"
METADATA_FILE = "template.toml"

_SHORT_NAME_RE = re.compile(r"[a-zA-Z0-9_-]+")
_TEMPLATE_NAME_RE = re.compile(r"[a-z0-9][a-z0-9_-]*")
# what is neither copied from a template nor counted as content of a destination folder
_SKIPPED_NAMES = frozenset({"__pycache__", ".DS_Store"})


class ScaffoldError(PbsyncError):
    """The project folder cannot be created (bad destination, bad names, unsafe template)."""


class TemplateNotFoundError(ScaffoldError):
    """No template has the requested name; `available` lists the names there are."""

    def __init__(self, name: str, available: list[str]) -> None:
        self.name = name
        self.available = list(available)
        choices = ", ".join(self.available) or "none"
        super().__init__(f"no template named {name!r} (available: {choices})")


@dataclass(frozen=True)
class TemplateInfo:
    """A template as `pbsync init --list` shows it."""

    name: str
    title: str
    description: str
    path: Path


def templates_dir() -> Path:
    """Return the folder the shipped templates live in.

    Raises:
        ScaffoldError: neither the installed copy nor a source checkout's `templates/` exists.
    """
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "_templates", package.parent / "templates"):
        if candidate.is_dir():
            return candidate
    raise ScaffoldError("the project templates are not installed (no pbsync/_templates)")


def list_templates() -> list[TemplateInfo]:
    """Return every shipped template, sorted by name."""
    found = []
    for folder in sorted(templates_dir().iterdir()):
        if folder.is_dir() and (folder / METADATA_FILE).is_file():
            found.append(_read_info(folder))
    return found


def _read_info(folder: Path) -> TemplateInfo:
    try:
        meta = tomlkit.parse((folder / METADATA_FILE).read_text(encoding="utf-8")).unwrap()
    except (OSError, tomlkit.exceptions.ParseError) as exc:
        raise ScaffoldError(f"{folder / METADATA_FILE}: {exc}") from exc
    return TemplateInfo(
        name=folder.name,
        title=str(meta.get("title", folder.name)),
        description=str(meta.get("description", "")),
        path=folder,
    )


def find_template(name: str) -> TemplateInfo:
    """Return the shipped template called `name`.

    Raises:
        TemplateNotFoundError: there is no such template (names never reach the file system unless
            they look like a template name, so `../x` cannot select a folder elsewhere).
    """
    templates = list_templates()
    if _TEMPLATE_NAME_RE.fullmatch(name):
        for info in templates:
            if info.name == name:
                return info
    raise TemplateNotFoundError(name, [info.name for info in templates])


def derive_short_name(folder_name: str) -> str:
    """Make a PYBOSSA short_name from a folder name: accents dropped, lower case, runs of other
    characters -> `-`.

    Raises:
        ScaffoldError: nothing usable is left (e.g. the folder name is all punctuation).
    """
    ascii_name = unicodedata.normalize("NFKD", folder_name).encode("ascii", "ignore").decode()
    short = re.sub(r"[^a-z0-9_-]+", "-", ascii_name.lower()).strip("-_")
    short = re.sub(r"-{2,}", "-", short)
    if not short:
        raise ScaffoldError(f"cannot derive a short name from {folder_name!r}: give --short-name")
    return short


def derive_name(short_name: str) -> str:
    """Make a readable project name from a short name: `cat-spotting` -> `Cat spotting`."""
    words = re.sub(r"[-_]+", " ", short_name).strip()
    return words[:1].upper() + words[1:]


def scaffold(
    template: str,
    dest: str | Path,
    *,
    name: str | None = None,
    short_name: str | None = None,
    force: bool = False,
) -> Path:
    """Create the project folder `dest` from the template called `template`.

    Args:
        template: a template name from `list_templates()`.
        dest: the folder to create; it may exist if it is empty (or with `force`).
        name: the project's name; default: derived from the short name.
        short_name: the project's short_name; default: derived from `dest`'s folder name.
        force: write into a non-empty folder, replacing the files the template provides.

    Returns:
        The project folder (absolute).

    Raises:
        TemplateNotFoundError: unknown template.
        ScaffoldError: invalid names, a non-empty destination without `force`, or a write that would
            land outside `dest`.
    """
    info = find_template(template)
    root = Path(dest).expanduser().absolute()
    short_name = short_name if short_name is not None else derive_short_name(root.name)
    if not _SHORT_NAME_RE.fullmatch(short_name):
        raise ScaffoldError(f"invalid short name {short_name!r}: use letters, digits, '-' and '_'")
    name = name if name is not None else derive_name(short_name)
    if not name.strip():
        raise ScaffoldError("the project name must not be empty")
    _check_destination(root, force)
    try:
        root.mkdir(parents=True, exist_ok=True)
        for source in _template_files(info.path):
            relative = source.relative_to(info.path)
            target = _safe_target(root, relative)
            top_level = len(relative.parts) == 1
            _write(source, target, top_level=top_level, name=name, short_name=short_name)
    except OSError as exc:
        raise ScaffoldError(f"cannot write {root}: {exc}") from exc
    log.info("scaffolded %s from template %s", root, info.name)
    return root


def _check_destination(root: Path, force: bool) -> None:
    if root.exists() and not root.is_dir():
        raise ScaffoldError(f"{root} exists and is not a folder")
    if root.is_dir() and not force and any(p.name not in _SKIPPED_NAMES for p in root.iterdir()):
        raise ScaffoldError(f"{root} is not empty (use --force to write into it)")


def _template_files(folder: Path) -> list[Path]:
    files = []
    for path in sorted(folder.rglob("*")):
        if any(part in _SKIPPED_NAMES for part in path.relative_to(folder).parts):
            continue
        if path.is_symlink():
            raise ScaffoldError(f"template file {path} is a link; templates must hold plain files")
        if path.is_file() and path != folder / METADATA_FILE:
            files.append(path)
    return files


def _safe_target(root: Path, relative: Path) -> Path:
    """Return root/relative, refusing to write through a symlink (`checked_path`'s rules)."""
    try:
        target = checked_path(root, relative.as_posix(), write=True, replace=True)
    except UnsafePathError as exc:
        raise ScaffoldError(f"refusing to write {root / relative}: {exc}") from exc
    if target.is_symlink():
        # with --force an existing link would be written through; replace the link instead
        target.unlink()
    return target


def _write(source: Path, target: Path, *, top_level: bool, name: str, short_name: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if top_level and source.name == "project.toml":
        target.write_text(_render_project_toml(source, name, short_name), encoding="utf-8")
        return
    escape = _ESCAPES.get(source.suffix.lower())
    if escape is None:
        shutil.copyfile(source, target)
        return
    text = source.read_text(encoding="utf-8").replace("{{name}}", escape(name))
    target.write_text(text, encoding="utf-8")


def _render_project_toml(source: Path, name: str, short_name: str) -> str:
    doc = tomlkit.parse(source.read_text(encoding="utf-8"))
    project = doc.get("project")
    if not isinstance(project, dict):
        raise ScaffoldError(f"{source}: the template has no [project] table")
    project["name"] = name
    project["short_name"] = short_name
    return tomlkit.dumps(doc)


def _js_escape(value: str) -> str:
    # inside a quoted JS string that may sit in an HTML <script>: JSON escaping plus '<' and quotes
    return json.dumps(value)[1:-1].replace("<", "\\u003c").replace("'", "\\u0027")


_ESCAPES: dict[str, Callable[[str], str]] = {
    ".html": html.escape,
    ".md": html.escape,
    ".js": _js_escape,
    ".css": _js_escape,
}
