"""state.json: per-target records, atomic writes, no secrets, damaged files ignored."""

from __future__ import annotations

from pathlib import Path

from pbsync.model import HelpingMaterialState, ProjectFields, ProjectState, TaskState
from pbsync.sync.compare import fingerprint
from pbsync.sync.record import (
    SyncRecord,
    load_record,
    record_of,
    save_record,
    target_key,
)

STATE = ProjectState(
    project=ProjectFields(name="n", short_name="s", description="d", info={"sched": "x"}),
    tasks=(TaskState(key="k1", info={"a": 1}),),
    helping_materials=(
        HelpingMaterialState(name="m.png", info={}, sha256="ab"),
        HelpingMaterialState(name="guide", info={}, media_url="https://e/g.pdf"),
    ),
)


def test_round_trip_and_other_targets_kept(tmp_path: Path) -> None:
    first = record_of(STATE, project_id=3)
    save_record(tmp_path, "http://a:1", "s", first)
    save_record(tmp_path, "http://b:2", "s", SyncRecord(project={"name": "x"}))
    loaded = load_record(tmp_path, "http://a:1/", "s")
    assert loaded == first and loaded.project_id == 3
    assert set(loaded.project) == {"name", "short_name", "description", "info.sched"}
    assert loaded.files == {"m.png": "ab"} and set(loaded.helping) == {"m.png", "guide"}
    assert load_record(tmp_path, "http://b:2", "s") == SyncRecord(project={"name": "x"})
    assert load_record(tmp_path, "http://a:1", "other") is None
    assert [p.name for p in (tmp_path / ".pbsync").iterdir()] == ["state.json"]


def test_target_key_drops_credentials_and_query() -> None:
    assert target_key("https://user:secret@h:8443/pb/?api_key=k", "s") == "https://h:8443/pb s"


def test_damaged_file_is_ignored(tmp_path: Path) -> None:
    (tmp_path / ".pbsync").mkdir()
    (tmp_path / ".pbsync" / "state.json").write_text("{not json", encoding="utf-8")
    assert load_record(tmp_path, "http://a", "s") is None
    save_record(tmp_path, "http://a", "s", SyncRecord())
    assert load_record(tmp_path, "http://a", "s") == SyncRecord()


def test_fingerprint_ignores_int_float_and_key_order() -> None:
    assert fingerprint({"a": 1, "b": [1.0]}) == fingerprint({"b": [1], "a": 1.0})
    assert fingerprint("1") != fingerprint(1)
