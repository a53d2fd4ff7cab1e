"""Issue 11, item 9: `status`, `open`, `projects`, `validate`, `login` and completion."""

from __future__ import annotations

import configparser
import json
import os
import stat
import webbrowser
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from pbsync.cli import main
from pbsync.server import LocalServer

SHORT = "pbsynctest_new"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = tmp_path / "proj"
    folder.mkdir()
    (folder / "project.toml").write_text(
        f'[project]\nname = "New commands"\nshort_name = "{SHORT}"\ndescription = "d"\n',
        encoding="utf-8",
    )
    (folder / "tasks.csv").write_text("url\nhttps://example.org/1.png\n", encoding="utf-8")
    return folder


def _run(tmp_path: Path, *args: str, stdin: str | None = None) -> Result:
    env = {
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "PYBOSSA_ENDPOINT": None,
        "PYBOSSA_API_KEY": None,
    }
    return CliRunner().invoke(main, list(args), env=env, input=stdin, prog_name="pbsync")


def test_validate_is_offline_and_exits_0_or_1(tmp_path: Path, folder: Path) -> None:
    # an endpoint nobody listens on: validate must not try it
    ok = _run(tmp_path, "--endpoint", "http://127.0.0.1:1", "validate", str(folder))
    assert ok.exit_code == 0, ok.output
    assert f"{folder} is valid: project {SHORT}, 1 task, 0 helping materials." in ok.stdout
    (folder / "tasks.csv").write_text("url,url\n1,2\n", encoding="utf-8")
    (folder / "project.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    bad = _run(tmp_path, "validate", str(folder))
    assert bad.exit_code == 1
    lines = bad.stderr.splitlines()
    assert len(lines) >= 2 and all(line.startswith("error: ") for line in lines)
    as_json = _run(tmp_path, "validate", "--json", str(folder))
    assert as_json.exit_code == 1 and json.loads(as_json.stdout)["problems"]


def test_status_shows_server_key_user_and_folder(
    tmp_path: Path,
    folder: Path,
    local_server: LocalServer,
    other_api_key: str,
) -> None:
    server = ["--endpoint", local_server.url, "--api-key", other_api_key]
    before = _run(tmp_path, *server, "status", "--json", str(folder))
    assert before.exit_code == 0, before.output
    document = json.loads(before.stdout)
    assert document["server"] == local_server.url and document["api_key"].startswith("<hidden>")
    assert "not on the server yet" in document["folder"]
    assert _run(tmp_path, *server, "push", "--yes", str(folder)).exit_code == 0
    after = _run(tmp_path, "status", str(folder), *server)
    assert after.exit_code == 0, after.output
    assert other_api_key not in after.output
    assert "other (key accepted)" in after.stdout
    assert "in sync with the server" in after.stdout
    assert (
        json.loads(_run(tmp_path, *server, "status", "--json", str(folder)).stdout)["requests"]
        <= 2 + json.loads(_run(tmp_path, *server, "diff", "--json", str(folder)).stdout)["requests"]
    )


def test_status_says_when_the_key_is_not_accepted(
    tmp_path: Path, folder: Path, local_server: LocalServer
) -> None:
    # a published project: PYBOSSA shows it to the anonymous caller a wrong key counts as
    toml = folder / "project.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + "published = true\n", encoding="utf-8")
    (folder / "presenter.html").write_text("<p>task</p>\n", encoding="utf-8")
    admin = ["--endpoint", local_server.url, "--api-key", local_server.api_key]
    pushed = _run(tmp_path, *admin, "push", "--yes", str(folder))
    assert pushed.exit_code == 0, pushed.output
    wrong = ["--endpoint", local_server.url, "--api-key", "not-a-key-xyz"]
    result = _run(tmp_path, *wrong, "status", str(folder))
    assert result.exit_code == 0, result.output
    assert "key NOT accepted" in result.stdout
    assert "not-a-key-xyz" not in result.output


def test_open_prints_the_project_page_and_opens_it(
    tmp_path: Path, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a browser cannot be staged by a server: record what would be opened
    opened: list[str] = []
    monkeypatch.setattr(webbrowser, "open", lambda url: opened.append(url) or True)
    endpoint = "https://pybossa.example.org/"
    result = _run(tmp_path, "open", str(folder), "--endpoint", endpoint, "--page", "newtask")
    assert result.exit_code == 0, result.output
    url = f"https://pybossa.example.org/project/{SHORT}/newtask"
    assert result.stdout.strip() == url and opened == [url]
    printed = _run(tmp_path, "open", str(folder), "--print")
    assert printed.stdout.strip() == f"http://127.0.0.1:5000/project/{SHORT}/"
    assert opened == [url]  # --print opens nothing


def test_projects_lists_only_the_callers_projects(
    tmp_path: Path, folder: Path, local_server: LocalServer, other_api_key: str
) -> None:
    admin = ["--endpoint", local_server.url, "--api-key", local_server.api_key]
    assert _run(tmp_path, *admin, "push", "--yes", str(folder)).exit_code == 0
    mine = _run(tmp_path, *admin, "projects", "--json")
    assert mine.exit_code == 0, mine.output
    assert [p["short_name"] for p in json.loads(mine.stdout)] == [SHORT]
    theirs = _run(tmp_path, "projects", "--endpoint", local_server.url, "--api-key", other_api_key)
    assert theirs.exit_code == 0, theirs.output
    assert "No projects of yours" in theirs.stdout
    table = _run(tmp_path, *admin, "projects")
    assert SHORT in table.stdout and "New commands" in table.stdout
    anonymous = _run(tmp_path, "projects", "--endpoint", local_server.url)
    assert anonymous.exit_code == 1 and "needs an API key" in anonymous.stderr


def test_login_writes_a_private_profile_and_never_prints_the_key(
    tmp_path: Path, folder: Path, local_server: LocalServer
) -> None:
    cfg = tmp_path / ".pybossa.cfg"
    cfg.write_text("[other]\nserver = https://x.example.org\napikey = k\n", encoding="utf-8")
    key = local_server.api_key
    result = _run(
        tmp_path, "--profile", "local", "login", "--endpoint", local_server.url, stdin=f"{key}\n"
    )
    assert result.exit_code == 0, result.output
    assert key not in result.output
    assert stat.S_IMODE(os.stat(cfg).st_mode) == 0o600
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(cfg, encoding="utf-8")
    assert dict(parser["local"]) == {"server": local_server.url, "apikey": key}
    assert parser["other"]["apikey"] == "k"
    # the profile works: push with it
    pushed = _run(tmp_path, "--profile", "local", "push", "--yes", str(folder))
    assert pushed.exit_code == 0, pushed.output


def test_template_names_are_completed(tmp_path: Path) -> None:
    env = {
        "_PBSYNC_COMPLETE": "bash_complete",
        "COMP_WORDS": "pbsync init demo --template tr",
        "COMP_CWORD": "4",
        "HOME": str(tmp_path),
    }
    result = CliRunner().invoke(main, [], env=env, prog_name="pbsync")
    assert result.stdout.split() == ["plain,transcription"]
