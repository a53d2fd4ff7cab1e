"""Pages that name another project than the one they are pushed to (`pbsync.folder.links`).

Table tests with no I/O over `find_names` and `name_warnings` (a `LocalProject` built in
memory), and one loaded pbs folder. Through `pbsync.plan` and the CLI: test_links_plan.py.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

import pytest

import pbsync
from pbsync.folder.ignore import IgnoreRules
from pbsync.folder.links import NameUse, find_names, name_warnings
from pbsync.folder.project import LocalConfig, LocalProject
from pbsync.model import ProjectFields, ProjectState

# ---- find_names: what counts as naming a project ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # pybossa.js calls, any quote, spaces, further arguments
        ("pybossa.run('demo');", [(1, "demo", "pybossa.run('demo')")]),
        ('pybossa.run("demo")', [(1, "demo", 'pybossa.run("demo")')]),
        ("pybossa.run(`demo`)", [(1, "demo", "pybossa.run(`demo`)")]),
        ("pybossa . run ( 'demo' , window )", [(1, "demo", "pybossa.run('demo')")]),
        ("pybossa.userProgress('demo').done(f)", [(1, "demo", "pybossa.userProgress('demo')")]),
        ("pybossa.newTask('demo', 3)", [(1, "demo", "pybossa.newTask('demo')")]),
        ("pybossa.saveTask('demo')", []),  # takes a task id, not a project
        # links to the project's pages, relative or absolute
        ('<a href="/project/demo/newtask">', [(1, "demo", "/project/demo/")]),
        ("<a href='/project/demo'>", [(1, "demo", "/project/demo/")]),
        ('"https://crowdcrafting.org/project/demo/results"', [(1, "demo", "/project/demo/")]),
        ("location.href = '/project/demo?x=1'", [(1, "demo", "/project/demo/")]),
        ("see /project/demo/ first", [(1, "demo", "/project/demo/")]),
        ('href="/project/category/thinking/"', []),  # PYBOSSA's own pages
        ('href="/project/new"', []),
        ('href="/project/demo.html"', []),  # not a name followed by the end of a path part
        # the API by short_name
        ('$.getJSON("/api/project/demo/userprogress")', [(1, "demo", "/api/project/demo/")]),
        ('"/api/project/12/newtask"', []),  # by id
        ('$.getJSON("/api/project?short_name=demo")', [(1, "demo", "short_name=demo")]),
        ('"/api/project?all=1&short_name=demo"', [(1, "demo", "short_name=demo")]),
        ("$.getJSON('/api/project', {short_name: 'demo'})", [(1, "demo", "short_name: 'demo'")]),
        ('{"short_name": "demo"}', [(1, "demo", 'short_name: "demo"')]),
        # template variables and code are not names
        ("pybossa.run(shortName)", []),
        ("pybossa.run('{{short_name}}')", []),
        ("pybossa.run('{{ project.short_name }}')", []),
        ('href="/project/{{short_name}}/newtask"', []),
        ("'/project/' + shortName + '/newtask'", []),
        ("`/project/${shortName}/newtask`", []),
        ('href="/project/<%= short_name %>/"', []),
        ("{short_name: shortName}", []),
        ("location.pathname.match(/\\/project\\/([^\\/]+)\\//)", []),
        ("text: /project/<short_name>/newtask", []),
        # comments
        ("<!-- pybossa.run('old') -->", []),
        ("/* pybossa.run('old') */", []),
        ("// pybossa.run('old')", []),
        ("x();  // pybossa.run('old')", []),
        ("<!--\npybossa.run('old')\n-->\npybossa.run('b')", [(4, "b", "pybossa.run('b')")]),
        ('<a href="https://example.org/project/demo/">', [(1, "demo", "/project/demo/")]),
        (
            "<script><!--\npybossa.run('demo');\n//--></script>",
            [(2, "demo", "pybossa.run('demo')")],
        ),
        # lines, order
        (
            "<p>\n<a href='/project/a/'>a</a>\n<script>\npybossa.run('b');\n</script>",
            [(2, "a", "/project/a/"), (4, "b", "pybossa.run('b')")],
        ),
        (
            "pybossa.run('a'); pybossa.userProgress('a')",
            [
                (1, "a", "pybossa.run('a')"),
                (1, "a", "pybossa.userProgress('a')"),
            ],
        ),
    ],
)
def test_find_names(text: str, expected: list[tuple[int, str, str]]) -> None:
    assert find_names(text) == [NameUse(*item) for item in expected]


def test_line_numbers_survive_windows_line_ends_and_multi_line_comments() -> None:
    text = "<!--\r\n a\r\n b\r\n-->\r\n/* x\r\n y */\r\npybossa.run('demo')\r\n"
    assert find_names(text) == [NameUse(7, "demo", "pybossa.run('demo')")]


# ---- name_warnings: which ones are warned about, and where -------------------------------------

FILES = {"presenter": "presenter.html", "tutorial": "tutorial.html", "results": "results.html"}
_SETTINGS = {"presenter": "task_presenter", "tutorial": "tutorial", "results": "results"}


def local_project(
    short_name: str,
    info: Mapping[str, str],
    *,
    read: Mapping[str, str] | None = None,
    files: Mapping[str, str] = FILES,
) -> LocalProject:
    """A loaded project, made in memory: `info` the pages, `read` the files read (name -> sha256;
    default: the three pages, as if each came from its file)."""
    if read is None:
        read = {files[s]: "0" * 64 for s, k in _SETTINGS.items() if k in info}
    project = ProjectFields(name="N", short_name=short_name, description="d", info=dict(info))
    config = LocalConfig(MappingProxyType(dict(files)), (), (), MappingProxyType({}), None, {})
    hashes = MappingProxyType(dict(read))
    return LocalProject(Path("/nowhere"), ProjectState(project), hashes, config, IgnoreRules())


TAIL = "names another project than x-staging (the one this push goes to)"


@pytest.mark.parametrize(
    ("info", "expected"),
    [
        ({"task_presenter": "pybossa.run('x-staging');"}, []),  # the project's own name
        ({"task_presenter": "pybossa.run(shortName);"}, []),
        (
            {"task_presenter": "<p>\n<script>\npybossa.run('demo');\n</script>"},
            [f"presenter.html:3: pybossa.run('demo') {TAIL}"],
        ),
        (
            {
                "task_presenter": "pybossa.userProgress('demo')",
                "tutorial": '<a href="/project/demo/newtask">Start</a>',
                "results": "\n\n$.getJSON('/api/project', {short_name: 'demo'})",
            },
            [
                f"presenter.html:1: pybossa.userProgress('demo') {TAIL}",
                f"tutorial.html:1: /project/demo/ {TAIL}",
                f"results.html:3: short_name: 'demo' {TAIL}",
            ],
        ),
        (  # the same use twice on a line is said once; on another line again
            {"tutorial": "<a href='/project/demo/'>1</a> /project/demo\n/project/demo"},
            [f"tutorial.html:1: /project/demo/ {TAIL}", f"tutorial.html:2: /project/demo/ {TAIL}"],
        ),
        (  # two other projects on one line
            {"task_presenter": "pybossa.run('a'); pybossa.userProgress('b')"},
            [
                f"presenter.html:1: pybossa.run('a') {TAIL}",
                f"presenter.html:1: pybossa.userProgress('b') {TAIL}",
            ],
        ),
        ({"task_presenter": "<!-- pybossa.run('demo') -->"}, []),
    ],
)
def test_name_warnings(info: dict[str, str], expected: list[str]) -> None:
    assert name_warnings(local_project("x-staging", info)) == expected


def test_file_names_come_from_the_files_settings() -> None:
    files = {**FILES, "presenter": "pages/task.html"}
    local = local_project("x-staging", {"task_presenter": "pybossa.run('demo')"}, files=files)
    assert name_warnings(local) == [f"pages/task.html:1: pybossa.run('demo') {TAIL}"]


def test_a_page_set_in_project_toml_is_located_there() -> None:
    local = local_project("x-staging", {"tutorial": "a\n/project/demo/"}, read={})
    assert name_warnings(local) == [
        f"project.toml [project.info] tutorial, line 2: /project/demo/ {TAIL}"
    ]


def test_a_pbs_bundle_is_located_in_its_own_file() -> None:
    # pbs appends bundle.min.js to template.html as "<script>\n{js}\n</script>"
    template = "<div>\n<script>\nvar a;\n</script>\n"
    js = "var x;\n\npybossa.run('demo');"
    presenter = f"{template}<script>\n{js}\n</script>"
    read = {
        "template.html": "0" * 64,
        "bundle.min.js": hashlib.sha256(js.encode()).hexdigest(),
    }
    files = {**FILES, "presenter": "template.html"}
    local = local_project("x-staging", {"task_presenter": presenter}, read=read, files=files)
    assert name_warnings(local) == [f"bundle.min.js:3: pybossa.run('demo') {TAIL}"]
    # a name in the template itself keeps the template's line
    info = {"task_presenter": "pybossa.run('old')\n" + presenter}
    local = local_project("x-staging", info, read=read, files=files)
    assert name_warnings(local) == [
        f"template.html:1: pybossa.run('old') {TAIL}",
        f"bundle.min.js:3: pybossa.run('demo') {TAIL}",
    ]


def test_a_loaded_pbs_folder_locates_its_bundle(tmp_path: Path) -> None:
    (tmp_path / "project.json").write_text(
        '{"name": "N", "short_name": "x-staging", "description": "d"}', encoding="utf-8"
    )
    (tmp_path / "template.html").write_text("<div></div>\n", encoding="utf-8")
    (tmp_path / "bundle.js").write_text("var a;\npybossa.run('demo');\n", encoding="utf-8")
    assert name_warnings(pbsync.load(tmp_path)) == [f"bundle.js:2: pybossa.run('demo') {TAIL}"]
