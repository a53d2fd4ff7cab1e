"""pull against the local server: round trip with load, local-edit protection, hostile names."""

from __future__ import annotations

import http.server
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

import pbsync
from pbclient.client import Client
from pbsync.errors import ProjectNotFoundError, PullError
from pbsync.folder.project import LocalProject
from pbsync.pulling.run import pull, safe_name
from pbsync.sync.planner import make_plan
from pbsync.sync.remote import RemoteProject

SHORT = "pbsynctest_pull"
PROJECT_TOML = f"""\
[project]
name = "Pull me"
short_name = "{SHORT}"
description = "A project with every managed field."
category = "sensing"
webhook = "https://example.org/hook"
allow_anonymous_contributors = false
zip_download = false

[project.info]
sched = "breadth_first"
thumbnail_url = "https://example.org/t.png"
nested = {{ a = [1, 2.5, true], b = {{ c = "d" }} }}

[tasks]
n_answers = 3

[helping."map.png"]
priority = 1.0
info = {{ caption = "Map" }}

[helping.guide]
media_url = "https://example.org/guide.pdf"
info = {{ caption = "Field guide" }}
"""
FILES = {
    "presenter.html": "<div id='task'>é</div>\n",
    "longdesc.md": "# Pull me\n",
    "tutorial.html": "<p>how</p>\n",
    "results.html": "<p>results</p>\n",
    "tasks.csv": "url,n_answers,priority_0\nhttp://a,,\nhttp://b,5,0.5\nhttp://c,,\n",
    "helping/map.png": b"\x89PNG map",
    "helping/style.css": "body { color: red }\n",
    "helping/anim.gif": b"GIF89a",
}


def write_folder(folder: Path, toml: str = PROJECT_TOML, files: dict[str, Any] = FILES) -> Path:
    for rel, content in {"project.toml": toml, **files}.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return folder


@pytest.fixture
def client(endpoint: str, api_key: str, clean_server: None) -> Iterator[Client]:
    with Client(endpoint, api_key) as c:
        yield c


@pytest.fixture
def pushed(tmp_path: Path, client: Client) -> Path:
    """A project with all fields, 3 helping files, a link and 3 tasks, pushed to the server."""
    source = write_folder(tmp_path / "source")
    pbsync.push(source, client)
    return source


def test_pull_then_load_reproduces_the_server(tmp_path: Path, client: Client, pushed: Path) -> None:
    report = pull(client, SHORT, tmp_path / "copy")
    assert report.warnings == ()
    assert (report.n_tasks, report.n_helping, report.downloads) == (3, 4, 3)
    local = LocalProject.load(tmp_path / "copy")
    remote = RemoteProject.fetch(client, SHORT)
    assert remote is not None
    assert make_plan(local.state, remote).actions == ()
    # the pulled folder says the same as the folder that was pushed, field by field
    source = LocalProject.load(pushed).state
    assert local.state.project == source.project
    strip = [
        (m.name, dict(m.info), m.priority, m.sha256, m.media_url) for m in source.helping_materials
    ]
    got = [
        (m.name, dict(m.info), m.priority, m.sha256, m.media_url)
        for m in local.state.helping_materials
    ]
    assert got == strip
    assert source.tasks is not None and local.state.tasks is not None
    attrs = ("key", "info", "n_answers", "priority_0", "quorum", "calibration")
    want = sorted(tuple(str(getattr(t, a)) for a in attrs) for t in source.tasks)
    assert sorted(tuple(str(getattr(t, a)) for a in attrs) for t in local.state.tasks) == want
    for rel in FILES:
        if not rel.endswith(".csv"):
            assert (tmp_path / "copy" / rel).read_bytes() == (pushed / rel).read_bytes()


def test_pulled_project_toml_is_readable(tmp_path: Path, client: Client, pushed: Path) -> None:
    pull(client, SHORT, tmp_path / "copy")
    text = (tmp_path / "copy" / "project.toml").read_text(encoding="utf-8")
    assert 'category = "sensing"' in text
    assert "[project.info]" in text and 'sched = "breadth_first"' in text
    assert "task_presenter" not in text  # it lives in presenter.html
    assert "published" not in text and "allow_anonymous_contributors = false" in text
    assert '[helping."map.png"]' in text and "media_url" in text
    assert "file_name" not in text and "sha256" not in text and "container" not in text
    assert 'files = ["tasks.jsonl"]' in text and "n_answers = 3" in text
    lines = (tmp_path / "copy" / "tasks.jsonl").read_text(encoding="utf-8").splitlines()
    assert sorted(lines) == [
        '{"url": "http://a"}',
        '{"url": "http://b", "n_answers": 5, "priority_0": 0.5}',
        '{"url": "http://c"}',
    ]
    # ordered by task id (push creates tasks in parallel, so ids need not follow the csv)
    remote = RemoteProject.fetch(client, SHORT)
    assert remote is not None and remote.tasks is not None
    by_id = [t.info["url"] for t in sorted(remote.tasks, key=lambda t: t.id or 0)]
    assert [line.split('"')[3] for line in lines] == by_id


def test_second_pull_writes_and_downloads_nothing(
    tmp_path: Path, client: Client, pushed: Path
) -> None:
    pull(client, SHORT, tmp_path / "copy")
    before = client.stats.snapshot()
    report = pull(client, SHORT, tmp_path / "copy")
    after = client.stats.snapshot()
    assert report.written == () and report.removed == () and report.downloads == 0
    uploads = {k: v - before.get(k, 0) for k, v in after.items() if "/uploads/" in k[1]}
    assert sum(uploads.values()) == 0


def test_pull_refuses_to_overwrite_local_edits(
    tmp_path: Path, client: Client, pushed: Path
) -> None:
    copy = tmp_path / "copy"
    pull(client, SHORT, copy)
    (copy / "presenter.html").write_text("<p>my edit</p>", encoding="utf-8")
    (copy / "helping" / "new.png").write_bytes(b"new")
    with pytest.raises(PullError) as caught:
        pull(client, SHORT, copy)
    assert "helping/new.png" in str(caught.value) and "presenter.html" in str(caught.value)
    assert (copy / "presenter.html").read_text(encoding="utf-8") == "<p>my edit</p>"
    report = pull(client, SHORT, copy, force=True)
    assert "presenter.html" in report.written and report.removed == ("helping/new.png",)
    assert (copy / "presenter.html").read_bytes() == (pushed / "presenter.html").read_bytes()
    assert not (copy / "helping" / "new.png").exists()


def test_pull_updates_clean_files_after_a_server_change(
    tmp_path: Path, client: Client, pushed: Path
) -> None:
    copy = tmp_path / "copy"
    pull(client, SHORT, copy)
    (pushed / "presenter.html").write_text("<p>v2</p>", encoding="utf-8")
    (pushed / "helping" / "map.png").write_bytes(b"\x89PNG v2")
    pbsync.push(pushed, client)
    report = pull(client, SHORT, copy)
    assert set(report.written) == {"presenter.html", "helping/map.png"}
    assert report.downloads == 1
    assert (copy / "helping" / "map.png").read_bytes() == b"\x89PNG v2"


def test_pull_without_a_record_refuses_any_differing_file(
    tmp_path: Path, client: Client, pushed: Path
) -> None:
    copy = write_folder(tmp_path / "copy", files={"presenter.html": "<p>mine</p>"})
    with pytest.raises(PullError, match=r"presenter\.html") as caught:
        pull(client, SHORT, copy)
    assert "project.toml" in str(caught.value)
    assert (copy / "presenter.html").read_text(encoding="utf-8") == "<p>mine</p>"
    assert not (copy / "tasks.jsonl").exists()  # nothing was written


def test_pull_unknown_project(tmp_path: Path, client: Client) -> None:
    with pytest.raises(ProjectNotFoundError):
        pull(client, "pbsynctest_nope", tmp_path / "nope")
    assert not (tmp_path / "nope").exists()


def test_pull_without_tasks_keeps_the_task_settings(
    tmp_path: Path, client: Client, pushed: Path
) -> None:
    copy = tmp_path / "copy"
    pull(client, SHORT, copy)
    report = pull(client, SHORT, copy, tasks=False)
    assert report.n_tasks is None and report.written == ()
    assert LocalProject.load(copy).state.tasks is not None


def test_pull_with_env_keeps_the_overlay(tmp_path: Path, client: Client, pushed: Path) -> None:
    staging = PROJECT_TOML.replace(SHORT, f"{SHORT}_staging").replace("Pull me", "Pull me (s)")
    write_folder(tmp_path / "staging", staging, FILES)
    pbsync.push(tmp_path / "staging", client)
    toml = PROJECT_TOML + (
        f'\n[env.staging.project]\nshort_name = "{SHORT}_staging"\nname = "Pull me (s)"\n'
    )
    copy = write_folder(tmp_path / "copy", toml, {})
    report = pull(client, f"{SHORT}_staging", copy, env="staging", force=True)
    assert report.warnings == ()
    base = LocalProject.load(copy).state.project
    assert (base.short_name, base.name) == (SHORT, "Pull me")
    local = LocalProject.load(copy, env="staging")
    remote = RemoteProject.fetch(client, f"{SHORT}_staging")
    assert remote is not None
    assert make_plan(local.state, remote).actions == ()


def test_pull_with_unknown_env(tmp_path: Path, client: Client, pushed: Path) -> None:
    copy = write_folder(tmp_path / "copy", PROJECT_TOML, {})
    before = client.stats.total
    with pytest.raises(PullError, match="unknown environment 'nope'"):
        pull(client, SHORT, copy, env="nope")
    assert client.stats.total == before  # refused before any request


SAFE_NAME_CASES = [
    ("map.png", "map.png"),
    ("css/style.css", "style.css"),
    ("../../x.png", "x.png"),
    ("/etc/passwd", "passwd"),
    ("C:\\x.png", "x.png"),
    ("C:x.png", "x.png"),
    ("..\\..\\windows\\y.png", "y.png"),
    ("a/../..", "a"),
    ("a\x00b.png", "ab.png"),
    ("a\nb\t.png", "ab.png"),
    ("./.././", "file"),
    ("", "file"),
    ("CON.png", "_CON.png"),
    ('what?<is>"this".png', "what__is__this_.png"),
    ("trailing. ", "trailing"),
    ("x.png.info.toml", "x.png.info.toml_"),
]


@pytest.mark.parametrize(("name", "expected"), SAFE_NAME_CASES)
def test_safe_name(name: str, expected: str) -> None:
    assert safe_name(name) == expected


HOSTILE = [
    "../../x.png",
    "/etc/passwd.png",
    "C:\\x.png",
    "a\x01b.png",  # a control character (PostgreSQL refuses NUL itself in jsonb)
    "..\\..\\y.png",
    "helping/../../../z.png",
    "CON.png",
    "ok.png",
    "ok.png",
]


def test_hostile_names_never_leave_the_folder(
    tmp_path: Path, client: Client, clean_server: None
) -> None:
    project = client.request(
        "POST", "/api/project", json={"name": "H", "short_name": f"{SHORT}_h", "description": "h"}
    )
    upload = tmp_path / "real.png"
    upload.write_bytes(b"\x89PNG real")
    real = client.helping_materials.create(project["id"], {}, file_path=upload)
    for name in HOSTILE:
        body = {
            "project_id": project["id"],
            "info": {"file_name": name},
            "media_url": real.media_url,
        }
        client.request("POST", "/api/helpingmaterial", json=body)
    box = tmp_path / "box"
    copy = box / "inner" / "copy"
    report = pull(client, f"{SHORT}_h", copy)
    written = sorted(p.relative_to(box).as_posix() for p in box.rglob("*") if p.is_file())
    assert all(w.startswith("inner/copy/") for w in written), written
    helping = sorted(
        p.relative_to(copy / "helping").as_posix()
        for p in (copy / "helping").rglob("*")
        if p.is_file()
    )
    assert helping == sorted(
        [
            "real.png",
            "x.png",
            "passwd.png",
            "x-2.png",
            "ab.png",
            "y.png",
            "z.png",
            "_CON.png",
            "ok.png",
        ]
    )
    assert all((copy / "helping" / h).read_bytes() == b"\x89PNG real" for h in helping)
    assert any("written as helping/x-2.png" in w for w in report.warnings)
    assert any("ok.png" in w and "same name as an earlier" in w for w in report.warnings)
    assert not (tmp_path / "x.png").exists() and not Path("/etc/passwd.png").exists()
    # and the result is a valid folder holding every material under its own name
    names = {m.name for m in LocalProject.load(copy).state.helping_materials}
    assert names == {"real.png", *HOSTILE}


@pytest.mark.skipif(os.name == "nt", reason="symlinks")
def test_pull_never_writes_through_a_symlinked_folder(
    tmp_path: Path, client: Client, pushed: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "helping").symlink_to(outside, target_is_directory=True)
    with pytest.raises(PullError, match="symlink"):
        pull(client, SHORT, copy, force=True)
    assert list(outside.iterdir()) == []
    assert sorted(p.name for p in copy.iterdir()) == ["helping"]  # nothing written at all


def test_pull_respects_pbsyncignore(tmp_path: Path, client: Client, pushed: Path) -> None:
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / ".pbsyncignore").write_text("*.gif\n", encoding="utf-8")
    report = pull(client, SHORT, copy)
    assert any("helping/anim.gif is ignored" in w for w in report.warnings)
    assert not (copy / "helping" / "anim.gif").exists()
    names = {m.name: m for m in LocalProject.load(copy).state.helping_materials}
    assert names["anim.gif"].media_url is not None and names["anim.gif"].sha256 is None


class _Recorder(http.server.BaseHTTPRequestHandler):
    """Another host serving media: records the Authorization headers it receives."""

    seen: ClassVar[list[str | None]] = []

    def do_GET(self) -> None:
        type(self).seen.append(self.headers.get("Authorization"))
        body = b"\x89PNG elsewhere"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass  # keep the test output clean


def test_media_elsewhere_is_fetched_without_the_key_and_odd_urls_only_warn(
    tmp_path: Path, client: Client, api_key: str
) -> None:
    project = client.request(
        "POST", "/api/project", json={"name": "M", "short_name": f"{SHORT}_m", "description": "m"}
    )
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder) as other:
        thread = threading.Thread(target=other.serve_forever, daemon=True)
        thread.start()
        try:
            media = {
                "cdn.png": f"http://localhost:{other.server_address[1]}/cdn.png",
                "local.png": "file:///etc/hostname",
                "rel.png": "/uploads/user_1/rel.png",
            }
            for name, url in media.items():
                body = {"project_id": project["id"], "info": {"file_name": name}, "media_url": url}
                client.request("POST", "/api/helpingmaterial", json=body)
            report = pull(client, f"{SHORT}_m", tmp_path / "copy")
        finally:
            other.shutdown()
            thread.join(timeout=10)
    assert _Recorder.seen == [None]
    assert (tmp_path / "copy" / "helping" / "cdn.png").read_bytes() == b"\x89PNG elsewhere"
    assert not (tmp_path / "copy" / "helping" / "local.png").exists()
    assert any("local.png" in w and "download" in w for w in report.warnings), report.warnings
    assert api_key not in "".join(report.warnings)


def test_a_file_that_cannot_be_downloaded_is_kept_as_a_link(
    tmp_path: Path, client: Client, endpoint: str
) -> None:
    project = client.request(
        "POST", "/api/project", json={"name": "G", "short_name": f"{SHORT}_g", "description": "g"}
    )
    missing = f"{endpoint}/uploads/user_1/gone.png"  # an upload whose file is gone (404)
    body = {
        "project_id": project["id"],
        "info": {"file_name": "gone.png", "caption": "c"},
        "media_url": missing,
    }
    client.request("POST", "/api/helpingmaterial", json=body)
    copy = tmp_path / "copy"
    report = pull(client, f"{SHORT}_g", copy)
    assert any("gone.png" in w and "kept as a link" in w for w in report.warnings)
    (material,) = LocalProject.load(copy).state.helping_materials  # the folder loads
    assert (material.media_url, material.info) == (missing, {"caption": "c"})
    assert pbsync.plan(copy, client).empty
