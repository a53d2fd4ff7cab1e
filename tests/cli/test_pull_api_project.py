"""A project made through the API (as the web UI or a script would), pulled into an empty folder,
then diffed against the same server: the folder must be in sync (exit 0) and a push must send
nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from pbclient.client import Client
from pbsync.cli import main
from pbsync.server import LocalServer

SHORT = "pbsynctest_apimade"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPG = b"\xff\xd8\xff\xe0" + b"\x01" * 32
ZIP = b"PK\x05\x06" + b"\x00" * 18
N_TASKS = 500


def build_project(client: Client, files: Path) -> int:
    """Every field a web-UI user can set, 3 file-backed helping materials, 500 varied tasks."""
    category = client.categories.create(name="Birds", short_name="birds", description="b")
    project = client.projects.create(
        name="Made in the UI",
        short_name=SHORT,
        description="Every field set through the API.",
        long_description="# Birds\n\nA *long* description.\n",
        category_id=category.id,
        webhook="https://example.org/hook",
        allow_anonymous_contributors=False,
        zip_download=False,
        info={
            "task_presenter": "<div id='q'>Which bird?</div>\n<script>pybossa.run('x')</script>\n",
            "tutorial": "<p>Look at the beak.</p>\n",
            "results": "<p>Thanks!</p>\n",
            "sched": "depth_first",
            "thumbnail_url": "https://example.org/thumb.png",
            "custom": {"nested": [1, 2.5, "é"], "flag": True},
        },
    )
    for name, data, priority in (
        ("map.png", PNG, 1.0),
        ("bird.jpg", JPG, 0.5),
        ("kit.zip", ZIP, 0),
    ):
        path = files / name
        path.write_bytes(data)
        client.helping_materials.create(
            project, {"caption": f"the {name}"}, file_path=path, priority=priority
        )
    bodies = [
        {
            "info": {"url": f"https://example.org/{i}.jpg", "n": i, "tags": ["a", "b"][: i % 3]},
            "n_answers": 3 if i % 7 else 5,
            "priority_0": 0.0 if i % 5 else 0.25,
        }
        for i in range(N_TASKS)
    ]
    client.tasks.create_many(project, bodies, bodies=True)
    client.projects.publish(project)
    return int(project.id)


@pytest.mark.local_only
def test_api_made_project_pulls_into_sync(local_server: LocalServer, tmp_path: Path) -> None:
    files = tmp_path / "files"
    files.mkdir()
    with Client(local_server.url, local_server.api_key) as client:
        build_project(client, files)
    env = {"HOME": str(tmp_path), "PYBOSSA_ENDPOINT": None, "PYBOSSA_API_KEY": None}
    target = ["--endpoint", local_server.url, "--api-key", local_server.api_key]

    def run(*args: str) -> Result:
        return CliRunner().invoke(main, [*target, *args], env=env)

    folder = tmp_path / "pulled"
    pulled = run("pull", SHORT, str(folder))
    assert pulled.exit_code == 0, pulled.output
    assert sorted(p.name for p in (folder / "helping").iterdir()) == [
        "bird.jpg",
        "kit.zip",
        "map.png",
    ]
    assert (folder / "helping" / "kit.zip").read_bytes() == ZIP
    assert "published = true" in (folder / "project.toml").read_text(encoding="utf-8")
    local_server.stats.reset()
    diff = run("diff", str(folder), "--json")
    assert diff.exit_code == 0, diff.output
    assert json.loads(diff.stdout)["in_sync"] is True
    # ceil(500 / 100) + 1 task pages, the project, the categories, the helping materials
    assert local_server.stats.total() <= 5 + 4
    push = run("push", str(folder), "--yes")
    assert push.exit_code == 0, push.output
    assert not [k for k in local_server.stats.snapshot() if k[0] != "GET"]
    # the record vouches for the server's files; a file edited after the pull is uploaded again
    (folder / "helping" / "map.png").write_bytes(PNG + b"edited")
    local_server.stats.reset()
    edited = run("push", str(folder), "--yes", "--json")
    assert edited.exit_code == 0, edited.output
    (action,) = json.loads(edited.stdout)["plan"]["actions"]
    assert (action["action"], action["name"], action["reupload"]) == (
        "UpdateHelpingMaterial",
        "map.png",
        True,
    )
    assert run("diff", str(folder)).exit_code == 0
