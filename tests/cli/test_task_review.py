"""Reviewing tasks before a push: `diff` shows tasks by content, summarised; CSV delimiters.

Each test runs the CLI against the local server (issue 11, items 4 and 5).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from pbclient.client import Client
from pbsync.cli import main

SHORT = "pbsynctest_review"


def write_project(folder: Path, tasks: str, name: str = "tasks.csv", extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "project.toml").write_text(
        f'[project]\nname = "Review"\nshort_name = "{SHORT}"\ndescription = "d"\n{extra}',
        encoding="utf-8",
    )
    (folder / "presenter.html").write_text("<p>hi</p>\n", encoding="utf-8")
    (folder / name).write_text(tasks, encoding="utf-8")
    return folder


@pytest.fixture
def run(endpoint: str, api_key: str, clean_server: None, tmp_path: Path) -> object:
    runner = CliRunner()
    env = {"HOME": str(tmp_path), "PYBOSSA_ENDPOINT": None, "PYBOSSA_API_KEY": None}

    def invoke(*args: str) -> Result:
        return runner.invoke(main, ["--endpoint", endpoint, "--api-key", api_key, *args], env=env)

    return invoke


def server_infos(endpoint: str, api_key: str) -> list[dict[str, object]]:
    with Client(endpoint, api_key) as client:
        (project,) = client.request("GET", "/api/project", params={"short_name": SHORT})
        params = {"project_id": project["id"], "all": 1, "limit": 100}
        return [t["info"] for t in client.request("GET", "/api/task", params=params)]


@pytest.mark.parametrize(
    ("name", "tasks"),
    [
        ("tasks.csv", "title;url\nShapes 1;https://example.org/a.png\n"),
        ("tasks.tsv", "title\turl\nShapes 1\thttps://example.org/a.png\n"),
    ],
)
def test_semicolon_csv_and_tsv_push_two_fields(  # type: ignore[no-untyped-def]
    run, endpoint: str, api_key: str, tmp_path: Path, name: str, tasks: str
) -> None:
    folder = write_project(tmp_path / "proj", tasks, name)
    result = run("push", str(folder), "--yes")
    assert result.exit_code == 0, result.output
    assert server_infos(endpoint, api_key) == [
        {"title": "Shapes 1", "url": "https://example.org/a.png"}
    ]


def test_ambiguous_header_is_one_line_naming_the_file(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = write_project(tmp_path / "proj", "title;url,note\nx;y,z\n")
    result = run("diff", str(folder))
    assert result.exit_code == 1
    assert "tasks.csv:1" in result.output and "'title;url,note'" in result.output


def shapes(n: int, first: int = 0) -> str:
    rows = [f"Shapes {i},https://example.org/{i}.png" for i in range(first, first + n)]
    return "\n".join(["title,url", *rows]) + "\n"


def test_new_project_is_one_line_per_kind(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = write_project(tmp_path / "proj", shapes(1200))  # three batches of 500 to create
    result = run("diff", str(folder))
    assert result.exit_code == 2, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"{SHORT}: create 1 project, 1,200 tasks"
    assert "action" not in result.stdout
    assert [line.strip() for line in lines if "+ create" in line] == [
        f"+ create project {SHORT}",
        "+ create 1,200 tasks",
    ]
    assert "tasks.csv:2  title=Shapes 0, url=https://example.org/0.png" in result.stdout
    assert "... and 1,195 more (diff --tasks lists them)" in result.stdout
    assert len(lines) < 12
    every = run("diff", str(folder), "--tasks").stdout
    assert "tasks.csv:1201  title=Shapes 1199, url=https://example.org/1199.png" in every
    document = json.loads(run("diff", str(folder), "--json").stdout)  # --json: every task
    tasks = [t for a in document["actions"] if a["action"] == "CreateTasks" for t in a["tasks"]]
    assert len(tasks) == 1200 and tasks[-1]["info"] == {
        "title": "Shapes 1199",
        "url": "https://example.org/1199.png",
    }


def test_same_change_to_many_tasks_is_one_group(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = write_project(tmp_path / "proj", shapes(30), extra="[tasks]\nn_answers = 5\n")
    assert run("push", str(folder), "--yes").exit_code == 0
    write_project(tmp_path / "proj", shapes(30), extra="[tasks]\nn_answers = 3\n")
    result = run("diff", str(folder))
    assert result.exit_code == 2, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"{SHORT}: update 30 tasks"
    assert lines[1].strip() == "~ update 30 tasks: n_answers: 5 -> 3"
    assert "tasks.csv:2  title=Shapes 0, url=https://example.org/0.png" in lines[2]
    assert lines[-1].strip() == "... and 25 more (diff --tasks lists them)"
    assert len(lines) == 8
    assert len(run("diff", str(folder), "--tasks").stdout.splitlines()) == 32


def test_changed_data_uri_is_plain_and_short(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    uri = "data:image/png;base64," + "iVBORw0KGgo" * 30
    key = '[tasks]\nkey = "title"\n'
    folder = write_project(tmp_path / "proj", f'title,url\nShapes 1,"{uri}"\n', extra=key)
    assert run("push", str(folder), "--yes").exit_code == 0
    write_project(folder, "title,url\nShapes 1,https://example.org/a.png\n", extra=key)
    result = run("diff", str(folder))
    assert result.exit_code == 2, result.output
    assert "Value of" not in result.stdout and "root[" not in result.stdout
    assert "tasks.csv:2  title=Shapes 1" in result.stdout
    change = f"info.url: data:image/png;base64,... ({len(uri)} chars) -> https://example.org/a.png"
    assert change in result.stdout
    assert max(len(line) for line in result.stdout.splitlines()) <= 120


def test_remote_only_and_pruned_tasks_show_their_content(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = write_project(tmp_path / "proj", shapes(3))
    assert run("push", str(folder), "--yes").exit_code == 0
    write_project(folder, shapes(2))  # Shapes 2 is no longer in the folder
    result = run("diff", str(folder))
    assert "remote only, kept (push --prune deletes them): 1 task" in result.stdout
    assert "title=Shapes 2, url=https://example.org/2.png" in result.stdout
    dry = run("push", str(folder), "--prune", "--dry-run")
    assert dry.exit_code == 0, dry.output
    lines = [line.strip() for line in dry.stdout.splitlines()]
    at = lines.index("- delete 1 task")
    assert lines[at + 1].endswith("  title=Shapes 2, url=https://example.org/2.png")
    assert lines[at + 1].startswith("#")
