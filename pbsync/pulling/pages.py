"""Pull's pages: the files of the folder that hold the presenter, long description, tutorial and
results, and the bundle script the loader appends to the presenter.

Pull writes each page where the folder's loader reads it: the names of an existing project.toml's
`[files]` (with the `[env.NAME]` overlay pull runs under), pbs's names (`template.html`...) for a
pbs folder that has only project.json, `DEFAULT_FILES` for a new folder. A `[files] bundle` (for a
pbs folder: bundle.min.js, else bundle.js) is appended by the loader to the presenter; pull
strips it again (`split_presenter`), so the presenter file gets only its own part.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from pbsync.errors import PullError
from pbsync.folder.helping import helping_dir_problem_of
from pbsync.folder.manifest import BUNDLE, DEFAULT_FILES, PROJECT_TOML, TomlLines, resolve_files
from pbsync.folder.pbs import PBS_BUNDLES, PBS_FILES, PBS_PROJECT, bundle_script
from pbsync.folder.reader import FolderReader

__all__ = ["PAGES", "Pages", "folder_pages"]

log = logging.getLogger(__name__)

#: the `[files]` settings of the pages pull writes (helping/ is a folder: not a page)
PAGES = ("presenter", "long_description", "tutorial", "results")


@dataclass(frozen=True)
class Pages:
    """Where a folder keeps its pages.

    `names` maps each page's `[files]` setting to its folder-relative file; `explicit` are the
    settings the folder's manifest gives (a page the server no longer has takes its setting with
    it); `bundle` is the file whose `script` the loader appends to the presenter; `pbs` says the
    folder is a pbs folder without project.toml (the project.toml pull writes names pbs's files).
    """

    names: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_FILES))
    explicit: frozenset[str] = frozenset()
    bundle: str | None = None
    script: str | None = None
    pbs: bool = False
    #: pages a pbs folder's project.toml does not name and has no file for yet: they go under
    #: pbs's names, which pull adds to `[files]` when it writes them (pbs reads only those)
    pbs_named: frozenset[str] = frozenset()

    @property
    def helping(self) -> str:
        """The helping folder, folder-relative ("/"-separated, as pull's paths are)."""
        return PurePosixPath(self.names["helping"].replace("\\", "/")).as_posix()

    def candidates(self) -> list[str]:
        """The page files the folder may hold (pull removes those the server has no value for).

        longdesc.html is the default long description too when longdesc.md is absent.
        """
        # a page named by pbs's default is no file the folder reads yet: never stale
        found = [self.names[page] for page in PAGES if page not in self.pbs_named]
        default = not self.pbs and "long_description" not in self.explicit
        if default and "longdesc.html" not in found:
            found.append("longdesc.html")
        return found

    def split_presenter(self, presenter: str, *, force: bool) -> tuple[str, str | None]:
        """The presenter file's part of the server's presenter, and a warning (or None).

        The server's presenter is the file's text followed by the bundle script, as the loader
        builds it; without a bundle it is the file's text as it is.

        Raises:
            PullError: the server's presenter does not end with the bundle script (unless
                `force`: then it is the file's text whole, and the warning says the bundle is no
                longer appended).
        """
        if self.script is None or presenter.endswith(self.script):
            return presenter[: len(presenter) - len(self.script or "")], None
        file, bundle = self.names["presenter"], self.bundle
        how = "as pbs does" if self.pbs else f"as [files] {BUNDLE} says"
        if not force:
            raise PullError(
                f"{file}: the server's presenter does not end with {bundle} in a <script> element"
                f" (appended {how}): edited on the server, or {bundle} changed here; nothing was"
                f" written. Edit {file} or {bundle} by hand and push, or run `pbsync pull --force`"
                f" to write the whole presenter to {file} and stop appending {bundle}"
            )
        where = (
            f"the {PROJECT_TOML} written names no {BUNDLE} (pbs still appends it)"
            if self.pbs
            else f"{BUNDLE} removed from [files] in {PROJECT_TOML}"
        )
        return presenter, (
            f"{file}: holds the server's whole presenter, which does not end with {bundle}'s"
            f" script; {bundle} is no longer appended ({where}; {bundle} itself is left as it is)"
        )


def folder_pages(
    folder: Path, existing: Mapping[str, Any], env: str | None, toml_text: str | None = None
) -> Pages:
    """Where the folder keeps its pages, as the loader (under `env`) would read them.

    A page the folder neither names nor has goes under pbs's name when the folder is a pbs
    folder (it has project.json), so pbs sees it too.

    Args:
        folder: the project folder (it may not exist yet).
        existing: its project.toml as parsed ({} when none, or unreadable).
        env: the `[env.NAME]` overlay pull runs under (its `[files]` names win).
        toml_text: its project.toml as written (for the line of a problem).

    Raises:
        PullError: `[files] helping` names a folder that holds other files of the folder (or is
            the folder itself, or .pbsync): pull would remove them as stale helping files.
    """
    exists = _exists_in(folder)
    if not existing and not exists(PROJECT_TOML) and exists(PBS_PROJECT):
        names = resolve_files(PBS_FILES, exists)
        bundle = next((name for name in PBS_BUNDLES if exists(name)), None)
        return Pages(names, frozenset(), bundle, _script(folder, bundle), pbs=True)
    table = _files_table(existing, env)
    bundle = table.get(BUNDLE)
    bundle = bundle if isinstance(bundle, str) else None
    explicit = frozenset(k for k in PAGES if isinstance(table.get(k), str))
    names = resolve_files(table, exists)
    _check_helping(names, bundle, existing, env, toml_text)
    if "long_description" not in explicit and not exists(names["long_description"]):
        # neither longdesc.md nor longdesc.html yet: a new one is markdown
        names["long_description"] = DEFAULT_FILES["long_description"]
    pbs_named = set()
    if exists(PBS_PROJECT):
        for page in PAGES:
            pbs_name = PBS_FILES[page]
            if page not in explicit and not exists(names[page]) and names[page] != pbs_name:
                names[page] = pbs_name
                pbs_named.add(page)
    return Pages(names, explicit, bundle, _script(folder, bundle), pbs_named=frozenset(pbs_named))


def _check_helping(
    names: Mapping[str, str],
    bundle: str | None,
    existing: Mapping[str, Any],
    env: str | None,
    toml_text: str | None,
) -> None:
    """Refuse a `[files] helping` that the loader refuses (see `helping_dir_problem_of`)."""
    files = {**names, BUNDLE: bundle} if bundle is not None else dict(names)
    merged = dict(existing)
    overlay = _get_env(existing, env)
    if isinstance(overlay.get("tasks"), Mapping):
        merged["tasks"] = {**_as_dict(existing.get("tasks")), **overlay["tasks"]}
    problem = helping_dir_problem_of(files, merged)
    if problem is None:
        return
    line = TomlLines(toml_text, env).line("files.helping") if toml_text is not None else None
    where = f"{PROJECT_TOML}:{line}" if line else PROJECT_TOML
    raise PullError(f"{where}: files.helping: {problem}; nothing was written")


def _files_table(existing: Mapping[str, Any], env: str | None) -> dict[str, Any]:
    """`[files]`, with the `[env.NAME.files]` overlay's names over it."""
    merged = _as_dict(existing.get("files"))
    merged.update(_as_dict(_get_env(existing, env).get("files")))
    return merged


def _get_env(existing: Mapping[str, Any], env: str | None) -> dict[str, Any]:
    """The `[env.NAME]` overlay ({} when none)."""
    envs = existing.get("env")
    return _as_dict(envs.get(env) if isinstance(envs, Mapping) and env is not None else None)


def _as_dict(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}


def _script(folder: Path, bundle: str | None) -> str | None:
    """What the loader appends to the presenter for `bundle` (None: no such file, or unsafe)."""
    if bundle is None or not folder.is_dir():
        return None
    reader = FolderReader(folder)
    path = reader.safe(bundle, f"files.{BUNDLE}", must_exist=True)
    if path is None:
        return None  # the loader reports it; pull writes the presenter whole
    script = bundle_script(reader, (reader.relative(path),))
    return script if not reader.problems else None


def _exists_in(folder: Path) -> Callable[[str], bool]:
    def exists(name: str) -> bool:
        return (folder / name).exists()

    return exists
