"""A project folder of N one-column task rows (u0, u1, ...) for the duplicate-settling tests."""

from __future__ import annotations

from pathlib import Path


def write_url_folder(folder: Path, short_name: str, rows: int, name: str) -> Path:
    """Write project.toml (`name`, `short_name`) and a tasks.csv of `rows` url rows."""
    folder.mkdir(parents=True, exist_ok=True)
    toml = f'[project]\nname = "{name}"\nshort_name = "{short_name}"\ndescription = "d"\n'
    (folder / "project.toml").write_text(toml, encoding="utf-8")
    lines = ["url", *(f"u{i}" for i in range(rows))]
    (folder / "tasks.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder
