"""Pages that name another project than the one they are pushed to: warnings for the plan.

A presenter, tutorial or results page that writes a short_name into its code works for that
project only. The classic PYBOSSA apps do (`pybossa.run('flickrperson')`), and so would a page
made for production and pushed with `--env staging` under another short_name: it would load,
count and link production's tasks. pbsync's templates read the short_name from the page's
address instead (docs/project-format.md). `name_warnings(local)` finds the places that name
another project, in

- `pybossa.run('NAME')`, `pybossa.userProgress('NAME')`, `pybossa.newTask('NAME')` (single,
  double or back quotes; further arguments allowed);
- links `/project/NAME/...` (also `/project/NAME` before a quote, `?`, `#`, `&`, space, `<` or
  `)`; a full URL such as `https://host/project/NAME/` too);
- the API addressed by short_name: `/api/project/NAME/...`, `?short_name=NAME` (or
  `&short_name=`), and `short_name: 'NAME'` in an object (such as `$.getJSON`'s data),

and says where, as `presenter.html:12: pybossa.run('demo') names another project than
demo-staging (the one this push goes to)`. Not warned about:

- the short_name this push goes to;
- template variables (`{{short_name}}`, `${shortName}`, `' + shortName + '`): only a literal
  name made of PYBOSSA's short_name characters counts;
- names made of digits only (`/api/project/12/newtask` addresses a project by id), and PYBOSSA's
  own pages `/project/category/...` and `/project/new`;
- names inside comments: `<!-- -->`, `/* */`, and `//` to the end of the line when it starts a
  line or follows a space (so `https://` is not a comment). An HTML comment right after
  `<script>` is the old way of hiding a script from old browsers, not a comment, and is read.
  This is a scan, not a parser: a `//` or `/*` inside a string or a regular expression may hide
  what follows it (a missed warning, never a false one).

Everything here is pure: it reads the loaded `LocalProject`, never the disk. Lines are those of
the file the page came from (`LocalConfig.files`); a page set in `[project.info]` is located as
`project.toml [project.info] KEY, line N` (N counted in the text); lines of the bundle a pbs
folder appends to its presenter are counted in the bundle file, found by its sha256.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

from pbsync.folder.manifest import FILE_INFO_KEYS
from pbsync.folder.pbs import PBS_BUNDLES
from pbsync.folder.project import LocalProject

__all__ = ["NameUse", "find_names", "name_warnings"]

log = logging.getLogger(__name__)

_NAME = r"[A-Za-z0-9_-]+"
_END = r"(?=[/?#&'\"`\s<>)\\]|$)"  # where a name in a URL ends
_CALL = re.compile(
    rf"pybossa\s*\.\s*(?P<fn>run|userProgress|newTask)\s*\(\s*(?P<q>['\"`])(?P<name>{_NAME})(?P=q)"
    r"\s*[,)]"
)
_LINK = re.compile(rf"(?<!/api)/project/(?P<name>{_NAME}){_END}")
_API = re.compile(rf"/api/project/(?P<name>{_NAME})/")
_QUERY = re.compile(rf"[?&]short_name=(?P<name>{_NAME}){_END}")
_KEY = re.compile(rf"\bshort_name['\"]?\s*:\s*(?P<q>['\"])(?P<name>{_NAME})(?P=q)")
#: PYBOSSA's pages under /project/ that are not a project (and so are reserved short_names)
_NOT_PROJECTS = frozenset({"category", "new"})
# group "keep": `<script><!--`, a hidden script, read as code; the others are comments
_COMMENT = re.compile(
    r"(?P<keep><script\b[^>]*>\s*<!--)|<!--.*?-->|/\*.*?\*/|(?:^|(?<=\s))//[^\n]*",
    re.S | re.M,
)
_BUNDLE_START = "<script>\n"
_BUNDLE_END = "\n</script>"


@dataclass(frozen=True)
class NameUse:
    """A project short_name written in a page: `line` (1-based), the name, and how it is used
    (`pybossa.run('demo')`, or the link `/project/demo/`)."""

    line: int
    name: str
    use: str


def find_names(text: str) -> list[NameUse]:
    """Every project short_name that `text` (a page's HTML) names, outside comments.

    Returns:
        One `NameUse` per place, in the order of the text.
    """
    code = _COMMENT.sub(_blank, text)
    found = [(m.start(), m, _call(m)) for m in _CALL.finditer(code)]
    found += [(m.start(), m, f"/project/{m['name']}/") for m in _LINK.finditer(code)]
    found += [(m.start(), m, f"/api/project/{m['name']}/") for m in _API.finditer(code)]
    found += [(m.start(), m, f"short_name={m['name']}") for m in _QUERY.finditer(code)]
    found += [
        (m.start(), m, f"short_name: {m['q']}{m['name']}{m['q']}") for m in _KEY.finditer(code)
    ]
    return [
        NameUse(code.count("\n", 0, start) + 1, match["name"], use)
        for start, match, use in sorted(found, key=lambda item: item[0])
        if match["name"] not in _NOT_PROJECTS and not match["name"].isdigit()
    ]


def name_warnings(local: LocalProject) -> list[str]:
    """Warnings for every place a presenter, tutorial or results page names another project
    than `local`'s short_name (the one a push of `local`, its `[env]` overlay applied, goes to).

    Returns:
        `FILE:LINE: USE names another project than SHORT_NAME (the one this push goes to)`,
        page by page (presenter, tutorial, results), in the order of the text; the same use
        twice on one line is said once.
    """
    target = local.state.project.short_name
    warnings: list[str] = []
    for setting, key in FILE_INFO_KEYS.items():
        text = local.state.project.info.get(key)
        if not isinstance(text, str):
            continue
        where = _locator(local, setting, key, text)
        for use in find_names(text):
            warning = (
                f"{where(use.line)}: {use.use} names another project than {target} "
                "(the one this push goes to)"
            )
            if use.name != target and warning not in warnings:
                warnings.append(warning)
    return warnings


def _blank(match: re.Match[str]) -> str:
    """A comment as spaces, its line breaks kept, so offsets and line numbers do not move."""
    if match["keep"]:
        return match[0]
    return re.sub(r"[^\n]", " ", match[0])


def _call(match: re.Match[str]) -> str:
    q, name = match["q"], match["name"]
    return f"pybossa.{match['fn']}({q}{name}{q})"


def _locator(local: LocalProject, setting: str, key: str, text: str) -> Callable[[int], str]:
    """A function giving `FILE:LINE` for a line of the page `key`, as the folder holds it."""
    relname = local.config.files.get(setting)
    if relname is None or relname not in local.files:
        return lambda line: f"project.toml [project.info] {key}, line {line}"
    bundle = _bundle(local, text) if key == "task_presenter" else None
    if bundle is None:
        return lambda line: f"{relname}:{line}"
    name, first = bundle
    return lambda line: f"{name}:{line - first + 1}" if line >= first else f"{relname}:{line}"


def _bundle(local: LocalProject, text: str) -> tuple[str, int] | None:
    """(file, the presenter line its first line is on) of the bundle a pbs folder appends to
    its presenter as `<script>\\n{js}\\n</script>`; None when there is none."""
    name = next((n for n in PBS_BUNDLES if n in local.files), None)
    if name is None or not text.endswith(_BUNDLE_END):
        return None
    start = text.find(_BUNDLE_START)
    while start >= 0:
        js = text[start + len(_BUNDLE_START) : -len(_BUNDLE_END)]
        # the boundary is where the rest is the bundle itself, as its hash says
        if hashlib.sha256(js.encode("utf-8")).hexdigest() == local.files[name]:
            return name, text.count("\n", 0, start) + 2
        start = text.find(_BUNDLE_START, start + 1)
    return None
