"""`pbsync convert` over the CLI, the note a pbs folder gets, and pbs's ~/.pybossa.cfg profiles."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from click.testing import CliRunner, Result
from client.hostile import HostileServer, Reply, Seen

from frompbs.corpus import CORPUS, write_helping
from pbclient import Client
from pbsync.cli import main

HOME_KEY = "home-profile-key-0123456789"


def run(home: Path, *args: str) -> Result:
    env = {"HOME": str(home), "PYBOSSA_ENDPOINT": None, "PYBOSSA_API_KEY": None}
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def pbs_folder(tmp_path: Path, name: str = "csv") -> Path:
    corpus = next(c for c in CORPUS if c.name == name)
    return corpus.build(tmp_path / "app", "pbsynctest_convert")


def test_a_pbs_folder_with_unread_task_files_gets_one_note(tmp_path: Path) -> None:
    folder = pbs_folder(tmp_path)  # cities.csv: not a name the default search finds
    (folder / "flickr_tasks.json").write_text("[]", encoding="utf-8")
    result = run(tmp_path, "validate", "--json", str(folder))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["tasks"] is None  # stdout stays JSON
    notes = [line for line in result.stderr.splitlines() if line.startswith("note:")]
    assert len(notes) == 1, result.stderr
    assert "flickr_tasks.json looks like a pbs task file" in notes[0]
    assert "pbsync convert --tasks-file flickr_tasks.json" in notes[0]

    run(tmp_path, "convert", str(folder), "--tasks-file", "flickr_tasks.json")
    again = run(tmp_path, "validate", str(folder))
    assert again.exit_code == 0 and "note:" not in again.stderr, again.output


def test_a_pbs_folder_whose_tasks_are_found_gets_no_note(tmp_path: Path) -> None:
    folder = pbs_folder(tmp_path)
    (folder / "cities.csv").rename(folder / "tasks.csv")
    result = run(tmp_path, "validate", str(folder))
    assert result.exit_code == 0 and "note:" not in result.stderr, result.output


def test_convert_never_overwrites_without_force(tmp_path: Path) -> None:
    folder = pbs_folder(tmp_path)
    (folder / "project.toml").write_text("# mine\n", encoding="utf-8")
    refused = run(tmp_path, "convert", str(folder), "--tasks-file", "cities.csv")
    assert refused.exit_code == 1
    assert "exists: pass --force" in refused.stderr
    assert (folder / "project.toml").read_text(encoding="utf-8") == "# mine\n"
    forced = run(tmp_path, "convert", str(folder), "--tasks-file", "cities.csv", "--force")
    assert forced.exit_code == 0, forced.output
    written = tomllib.loads((folder / "project.toml").read_text(encoding="utf-8"))
    assert written["tasks"] == {"files": ["cities.csv"], "n_answers": 30}  # pbs's redundancy


def test_print_and_json_write_nothing_and_name_the_format(tmp_path: Path) -> None:
    folder = pbs_folder(tmp_path, "tasks-type")
    args = ["--tasks-file", "project.tasks", "--tasks-type", "csv", "--priority", "0.5"]
    shown = run(tmp_path, "convert", str(folder), *args, "--print")
    assert shown.exit_code == 0, shown.output
    assert not (folder / "project.toml").exists()
    table = tomllib.loads(shown.stdout)["tasks"]
    assert table == {
        "files": [{"path": "project.tasks", "format": "csv"}],
        "n_answers": 30,
        "priority_0": 0.5,
    }
    as_json = run(tmp_path, "convert", str(folder), *args, "--json", "--redundancy", "4")
    document = json.loads(as_json.stdout)
    assert document["written"] == str(folder / "project.toml")
    assert document["task_files"] == ["project.tasks"]
    assert tomllib.loads(document["project_toml"])["tasks"]["n_answers"] == 4


def test_bad_options_are_one_line_each_and_nothing_is_written(tmp_path: Path) -> None:
    folder = pbs_folder(tmp_path)
    write_helping(folder)
    helping = json.loads((folder / "helping.json").read_text(encoding="utf-8"))
    helping[0]["info"]["file_path"] = str(tmp_path / "elsewhere.png")
    (tmp_path / "elsewhere.png").write_bytes(b"x")
    (folder / "helping.json").write_text(json.dumps(helping), encoding="utf-8")
    result = run(
        tmp_path, "convert", str(folder), "--tasks-file", "cities.csv", "--priority", "1.5",
        "--helping-materials-file", "helping.json",
    )  # fmt: skip
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [
        "error: --priority: must be between 0 and 1, got 1.5",
        f"error: helping.json: [0].info.file_path: {str(tmp_path / 'elsewhere.png')!r} is outside "
        f"{folder}: copy it into the folder",
    ]
    assert not (folder / "project.toml").exists()


def test_two_profiles_of_pbs_config_each_send_their_key_to_their_server(
    tmp_path: Path, endpoint: str, api_key: str, clean_server: None
) -> None:
    folder = pbs_folder(tmp_path)
    run(tmp_path, "convert", str(folder), "--tasks-file", "cities.csv")

    def empty(seen: Seen) -> Reply:
        return Reply.json([])  # no project, no category: a push would create them

    with HostileServer(empty) as home:
        # pbs's file, as pbs users wrote it (`pbs --credentials home`)
        (tmp_path / ".pybossa.cfg").write_text(
            f"[default]\nserver: {endpoint}\napikey: {api_key}\n\n"
            f"[home]\nserver: {home.url}\napikey: {HOME_KEY}\n",
            encoding="utf-8",
        )
        planned = run(tmp_path, "--profile", "home", "diff", str(folder))
        pushed = run(tmp_path, "--profile", "default", "push", "--yes", str(folder))
    assert planned.exit_code == 2, planned.output  # the project is to be created there
    assert home.seen and {s.headers.get("Authorization") for s in home.seen} == {HOME_KEY}
    assert pushed.exit_code == 0, pushed.output
    with Client(endpoint, api_key) as client:
        found = client.request("GET", "/api/project", params={"short_name": "pbsynctest_convert"})
    assert len(found) == 1  # made with the default profile's key, on the default's server
    assert api_key not in planned.output + pushed.output
