"""The project folders the tools push: pbsync's (project.toml) and pbs's (project.json).

Both hold the same tasks.csv (one `url` column, the bodies `bench_push_workers.infos` gives the raw
loop) and the same presenter, so every tool sends the same bytes.
"""

from __future__ import annotations

import json
from pathlib import Path

from bench_push_workers import infos

PRESENTER = "<div class='task'><img id='image' src=''><button>Yes</button></div>\n" * 30


def tasks_csv(folder: Path, n: int) -> None:
    """Write tasks.csv: N distinct rows."""
    rows = ["url", *(info["url"] for info in infos(n))]
    (folder / "tasks.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")


def presenter(tag: str) -> str:
    """A presenter page that differs by `tag` (an edit is a new tag)."""
    return f"<p>{tag}</p>\n{PRESENTER}"


def pbsync_folder(folder: Path, short_name: str, n: int) -> Path:
    """A pbsync project folder with N tasks; returns it."""
    folder.mkdir(parents=True)
    (folder / "project.toml").write_text(
        f'[project]\nname = "{short_name}"\nshort_name = "{short_name}"\n'
        'description = "benchmark"\n',
        encoding="utf-8",
    )
    (folder / "presenter.html").write_text(presenter("v0"), encoding="utf-8")
    tasks_csv(folder, n)
    return folder


def pbs_folder(folder: Path, short_name: str, n: int) -> Path:
    """A pbs 3.0.0 project folder (project.json and the four pages update-project reads)."""
    folder.mkdir(parents=True)
    project = {"name": short_name, "short_name": short_name, "description": "benchmark"}
    (folder / "project.json").write_text(json.dumps(project), encoding="utf-8")
    (folder / "template.html").write_text(presenter("v0"), encoding="utf-8")
    for name in ("results.html", "tutorial.html", "long_description.md"):
        (folder / name).write_text("", encoding="utf-8")
    tasks_csv(folder, n)
    return folder
