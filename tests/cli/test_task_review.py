"""Reviewing tasks before a push: `diff` shows tasks by content, summarised; CSV delimiters.

Each test runs the CLI against the local server (issue 11, items 4 and 5).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from pbclient.client import Client
from pbsync.cli import main

SHORT = "pbsynctest_review"


def write_project(folder: Path, tasks: str, name: str = "tasks.csv") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "project.toml").write_text(
        f'[project]\nname = "Review"\nshort_name = "{SHORT}"\ndescription = "d"\n',
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
