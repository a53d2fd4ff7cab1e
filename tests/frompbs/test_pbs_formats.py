"""pbs's task-file meanings and `[tasks] files` entries with a format, read offline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from frompbs.corpus import write_sheet
from pbsync.errors import ValidationError
from pbsync.folder.project import LocalProject

HEAD = '[project]\nname = "P"\nshort_name = "pbsynctest_fmt"\ndescription = "d"\n'


def load(folder: Path, tasks: str, **files: str) -> LocalProject:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "project.toml").write_text(HEAD + tasks, encoding="utf-8")
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return LocalProject.load(folder)


def problems(folder: Path, tasks: str, **files: str) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        load(folder, tasks, **files)
    return [str(problem) for problem in caught.value.problems]


def infos(local: LocalProject) -> list[object]:
    return [task.info for task in local.state.tasks or ()]


def test_any_name_with_an_explicit_format(tmp_path: Path) -> None:
    local = load(
        tmp_path,
        '[tasks]\nfiles = ["cities.csv", { path = "more.txt", format = "tsv" }]\n',
        **{"cities.csv": "city\nMadrid\n", "more.txt": "city\tn\nPorto\t2\n"},
    )
    assert infos(local) == [{"city": "Madrid"}, {"city": "Porto", "n": "2"}]
    assert local.config.task_files == ("cities.csv", "more.txt")
    assert dict(local.config.task_formats) == {"more.txt": "tsv"}


def test_a_bad_entry_is_one_line_naming_project_toml_its_line_and_field(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        '\n[tasks]\nfiles = [{ path = "a.csv", format = "cvs" }, { file = "b.csv" }]\n',
        **{"a.csv": "x\n1\n"},
    )
    assert found == [
        "project.toml:7: tasks.files[0].format: unknown task file format 'cvs' "
        "(did you mean 'csv'?)",
        "project.toml:7: tasks.files[1].file: unknown key 'file' (known: format, path)",
        "project.toml:7: tasks.files[1].path: must be a file name (a non-empty string), got None",
    ]


def test_a_json_task_with_an_info_key_is_that_info(tmp_path: Path) -> None:
    rows = [
        {"info": {"a": 1, "n_answers": "inside"}},
        {"id": 4, "created": "2020", "info": {"a": 2}, "n_answers": 3},
        {"info": "text", "b": 1},  # not an object: the object itself is the info
    ]
    local = load(tmp_path, "", **{"tasks.json": json.dumps(rows)})
    tasks = sorted(local.state.tasks or (), key=lambda t: t.source)
    assert [(t.info, t.n_answers) for t in tasks] == [
        ({"a": 1, "n_answers": "inside"}, 30),
        ({"a": 2}, 3),
        ({"info": "text", "b": 1}, 30),
    ]


def test_a_key_beside_info_that_pbs_dropped_is_a_problem(tmp_path: Path) -> None:
    rows = [{"info": {"a": 1}, "note": "lost by pbs"}]
    found = problems(tmp_path, "", **{"tasks.json": json.dumps(rows)})
    assert len(found) == 1 and found[0].startswith("tasks.json:1: note: beside 'info'")


def test_a_csv_info_cell_holding_json_is_the_info(tmp_path: Path) -> None:
    text = 'info,n_answers\n"{""a"": [1, 2]}",2\nplain text,\n'
    local = load(tmp_path, "", **{"tasks.csv": text})
    assert sorted((str(t.info), t.n_answers) for t in local.state.tasks or ()) == [
        ("{'a': [1, 2]}", 2),
        ("{'info': 'plain text'}", 30),
    ]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ('"{""a"": }",x', "tasks.csv:2: info: the cell starts with '{' but is not a JSON object"),
        ('"{""a"": 1}",x', "tasks.csv:2: other: the info cell holds the task's info as JSON"),
    ],
)
def test_a_csv_info_cell_that_cannot_be_the_info_is_a_problem(
    tmp_path: Path, row: str, message: str
) -> None:
    found = problems(tmp_path, "", **{"tasks.csv": f"info,other\n{row}\n"})
    assert len(found) == 1 and found[0].startswith(message), found


def test_properties_split_at_the_first_equals_sign(tmp_path: Path) -> None:
    text = "# a comment\n! another\ngreeting=Hello\r\nformula=a=b+c\n\n spaced = kept \n"
    local = load(tmp_path, "", **{"tasks.properties": text})
    assert sorted(infos(local), key=str) == sorted(
        [
            {"var_id": "greeting", "string": "Hello"},
            {"var_id": "formula", "string": "a=b+c"},
            {"var_id": " spaced ", "string": " kept "},
        ],
        key=str,
    )


def test_a_properties_line_without_equals_sign_is_a_problem(tmp_path: Path) -> None:
    found = problems(tmp_path, "", **{"tasks.properties": "a=1\njust text\n"})
    assert found == ["tasks.properties:2: expected var_id=string (no '=' on the line)"]


@pytest.mark.parametrize("name", ["tasks.xlsm", "sheet.bin"])
def test_an_xlsm_workbook_is_read_like_xlsx(tmp_path: Path, name: str) -> None:
    tmp_path.mkdir(exist_ok=True)
    write_sheet(tmp_path / name)
    entry = (
        ""
        if name == "tasks.xlsm"
        else f'[tasks]\nfiles = [{{ path = "{name}", format = "xlsm" }}]\n'
    )
    local = load(tmp_path, entry)
    assert sorted(info["City"] for info in infos(local)) == ["Madrid", "Porto"]  # type: ignore[index]


def test_a_priority_may_be_a_fraction(tmp_path: Path) -> None:
    local = load(
        tmp_path, "[tasks]\npriority_0 = 0.25\n", **{"tasks.csv": "a,priority_0\n1,\n2,0.5\n"}
    )
    assert sorted(t.priority_0 for t in local.state.tasks or ()) == [0.25, 0.5]
