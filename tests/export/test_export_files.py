"""The export's files without a server: the journal's tail, its refusals, the CSV and JSON rules."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from pbsync.errors import ExportError
from pbsync.exporting.convert import csv_columns, to_csv, to_json
from pbsync.exporting.journal import Journal, encode_row
from pbsync.exporting.run import file_stem


def rows(*ids: int, project_id: int = 7) -> list[dict[str, object]]:
    return [{"id": i, "project_id": project_id, "info": {"n": i}} for i in ids]


def test_a_half_line_left_by_a_cut_write_is_cut_off_and_the_export_continues(
    tmp_path: Path,
) -> None:
    path = tmp_path / "p_tasks.jsonl"
    whole = b"".join(encode_row(r) for r in rows(1, 2, 3))
    half = encode_row(rows(4)[0])[:9]
    path.with_name(path.name + ".part").write_bytes(whole + half)
    journal = Journal.open(path, 7)
    assert (journal.last_id, journal.rows) == (3, 3)
    journal.append(rows(4, 5))
    assert journal.finish() == path
    assert path.read_bytes() == whole + b"".join(encode_row(r) for r in rows(4, 5))
    assert not path.with_name(path.name + ".part").exists()


def test_a_finished_file_is_reopened_as_part_and_its_last_id_read_from_its_tail(
    tmp_path: Path,
) -> None:
    path = tmp_path / "p_tasks.jsonl"
    big = {"id": 9, "project_id": 7, "info": {"text": "x" * 200_000}}  # a tail longer than a block
    path.write_bytes(encode_row(rows(1)[0]) + encode_row(big))
    journal = Journal.open(path, 7)
    assert not path.exists() and journal.part.exists()
    assert (journal.last_id, journal.rows) == (9, 2)
    journal.close()


def test_a_second_export_into_the_same_file_is_refused_while_the_first_runs(
    tmp_path: Path,
) -> None:
    path = tmp_path / "p_tasks.jsonl"
    first = Journal.open(path, 7)
    with pytest.raises(ExportError, match="another export is writing"):
        Journal.open(path, 7)
    first.append(rows(1))
    first.finish()
    Journal.open(path, 7).close()  # the lock went with the first export


def test_a_file_of_another_project_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "p_tasks.jsonl"
    path.write_bytes(encode_row(rows(1, project_id=8)[0]))
    with pytest.raises(ExportError, match="project id 8, not 7"):
        Journal.open(path, 7)


def test_a_file_whose_last_line_is_not_a_row_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "p_tasks.jsonl"
    path.write_bytes(b"hello\n")
    with pytest.raises(ExportError, match="not an exported row"):
        Journal.open(path, 7)


def test_a_finished_file_and_a_part_beside_it_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "p_tasks.jsonl"
    path.write_bytes(b"")
    path.with_name(path.name + ".part").write_bytes(b"")
    with pytest.raises(ExportError, match="both"):
        Journal.open(path, 7)


def test_rows_are_encoded_the_same_whatever_the_key_order() -> None:
    a = encode_row({"info": {"b": 1, "a": "é"}, "id": 1})
    assert a == encode_row({"id": 1, "info": {"a": "é", "b": 1}})
    assert a == '{"id":1,"info":{"a":"é","b":1}}\n'.encode()
    assert encode_row({"id": 1, "s": "\ud800"}) == b'{"id":1,"s":"\\ud800"}\n'


def test_csv_columns_id_first_then_sorted_fields_then_whole_info_then_info_keys(
    tmp_path: Path,
) -> None:
    source = tmp_path / "x.jsonl"
    lines = [
        {"id": 1, "state": "ongoing", "info": {"url": "u", "n": 1}},
        {"id": 2, "created": "c", "info": "a string"},
        {"id": 3, "info": {"zeta": {"nested": [1, True]}, "n": None, "ok": False}},
        {"id": 4, "info": None},
    ]
    source.write_bytes(b"".join(encode_row(r) for r in lines))
    assert csv_columns(source) == [
        "id",
        "created",
        "state",
        "info",
        "info.n",
        "info.ok",
        "info.url",
        "info.zeta",
    ]
    target = to_csv(source, tmp_path / "x.csv")
    with open(target, encoding="utf-8", newline="") as handle:
        table = list(csv.reader(handle))
    assert table[1:] == [
        ["1", "", "ongoing", "", "1", "", "u", ""],
        ["2", "c", "", "a string", "", "", "", ""],
        ["3", "", "", "", "", "false", "", '{"nested":[1,true]}'],
        ["4", "", "", "", "", "", "", ""],
    ]


def test_json_array_of_no_rows_and_of_some(tmp_path: Path) -> None:
    source = tmp_path / "x.jsonl"
    source.write_bytes(b"")
    assert json.loads(to_json(source, tmp_path / "x.json").read_text()) == []
    source.write_bytes(b"".join(encode_row(r) for r in rows(1, 2)))
    assert json.loads(to_json(source, tmp_path / "x.json").read_text()) == rows(1, 2)


@pytest.mark.parametrize(
    ("short_name", "stem"),
    [("birds", "birds_tasks"), ("../etc/x", "_etc_x_tasks"), ("a b/é", "a_b___tasks")],
)
def test_file_names_stay_in_the_output_folder(short_name: str, stem: str) -> None:
    assert file_stem(short_name, "tasks") == stem
