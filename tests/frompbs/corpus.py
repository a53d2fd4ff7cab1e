"""pbs-shaped project folders, as pbs users kept them, for the conversion tests.

Each folder has pbs's project.json and template.html (some a bundle.min.js), one task file under
the name and in the shape pbs users had (the Scifabric app-* repositories: `flickr_tasks.json`,
`cities.csv`...), and the options they ran `pbs add-tasks` with. `Corpus.pbs_args` are those
options for the real pbs CLI; `Corpus.convert_args` the same for `pbsync convert`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24


@dataclass(frozen=True)
class Corpus:
    """One pbs folder: how to make it and the `add-tasks` options its owner used."""

    name: str
    tasks_file: str
    options: tuple[str, ...]  # --priority/--redundancy/--tasks-type, as given to pbs
    make: Callable[[Path], None]
    bundle: bool = False
    #: whether pbs 3.0.0 added these tasks as meant (else: pbs crashed or sent them wrongly)
    pbs_worked: bool = True

    def build(self, folder: Path, short_name: str) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        project = {"name": f"pbs {short_name}", "short_name": short_name, "description": "pbs"}
        project["question"] = "Do you see it?"  # pbs's examples carry keys pbs ignores
        (folder / "project.json").write_text(json.dumps(project, indent=2), encoding="utf-8")
        (folder / "template.html").write_text("<div id='q'></div>\n", encoding="utf-8")
        (folder / "long_description.md").write_text("# About\n", encoding="utf-8")
        (folder / "tutorial.html").write_text("<p>Look closely.</p>\n", encoding="utf-8")
        (folder / "results.html").write_text("<div id='results'></div>\n", encoding="utf-8")
        if self.bundle:
            (folder / "bundle.min.js").write_text("var app={run:1};\n", encoding="utf-8")
        self.make(folder)
        return folder


def _json_list(folder: Path) -> None:
    rows = [
        {"link": "https://flickr.com/1", "url_m": "https://img/1_m.jpg", "n": 1},
        {"link": "https://flickr.com/2", "url_m": "https://img/2_m.jpg", "n": 2.5},
    ]
    (folder / "flickr_tasks.json").write_text(json.dumps(rows, indent=1), encoding="utf-8")


def _json_info(folder: Path) -> None:
    rows = [
        {"info": {"city": "Madrid", "location": {"lat": 40.4, "lon": -3.7}}},
        {"id": 7, "info": {"city": "Lisboa", "tags": ["coast", "capital"]}},
    ]
    (folder / "cities_tasks.json").write_text(json.dumps(rows), encoding="utf-8")


def _csv(folder: Path) -> None:
    with open(folder / "cities.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["city", "country", "population"])
        writer.writerow(["Madrid", "Spain", "3300000"])
        writer.writerow(["Porto", "Portugal", ""])


def _csv_info(folder: Path) -> None:
    with open(folder / "soundcloud_tasks.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["info"])
        writer.writerow([json.dumps({"track": "https://soundcloud.com/a", "secs": 30})])
        writer.writerow([json.dumps({"track": "https://soundcloud.com/b", "tags": ["x"]})])


def _po(folder: Path) -> None:
    (folder / "strings.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        '#: app.js:3\nmsgid "Hello"\nmsgstr ""\n\n'
        'msgid "Bye"\nmsgstr "Adiós"\n\n'
        'msgctxt "menu"\nmsgid "Open"\nmsgstr ""\n',
        encoding="utf-8",
    )


def _properties(folder: Path) -> None:
    (folder / "tasks_firefox.properties").write_text(
        "greeting=Hello\nfarewell=See you soon\n\nmenu.open=Open a file\n", encoding="utf-8"
    )


def write_sheet(path: Path) -> None:
    """A workbook as a spreadsheet application saves it: typed cells, formulas with their
    results, an empty row in the middle and one at the end."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["City", "Founded", "Population", "Twice", "Capital"])
    sheet.append(["Madrid", dt.date(1083, 5, 1), 3300000, "=C2*2", True])
    sheet.append([None, None, None, None, None])
    sheet.append(["Porto", dt.datetime(2024, 1, 2, 10, 30), 231.5, "=C4*2", False])
    sheet.append([None])
    book.save(path)
    _save_results(path, {"D2": "6600000", "D4": "463"})


def _save_results(path: Path, results: dict[str, str]) -> None:
    """Write the formulas' results into the file, as a spreadsheet application does on save
    (openpyxl writes formulas without one)."""
    member = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(path) as old:
        parts = {name: old.read(name) for name in old.namelist()}
    xml = parts[member].decode("utf-8")
    for cell, value in results.items():
        pattern = rf'(<c r="{cell}"[^>]*><f>[^<]*</f>)<v\s*/>'
        xml, count = re.subn(pattern, rf"\g<1><v>{value}</v>", xml)
        assert count == 1, f"no formula cell {cell} in {member}"
    parts[member] = xml.encode("utf-8")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as new:
        for name, data in parts.items():
            new.writestr(name, data)
    path.write_bytes(buffer.getvalue())


def _xlsx(folder: Path) -> None:
    write_sheet(folder / "tasks_cities.xlsx")


def _xlsm(folder: Path) -> None:
    write_sheet(folder / "cities_tasks.xlsm")


def _renamed(folder: Path) -> None:
    """A CSV under a name whose extension says nothing: pbs took `--tasks-type csv`."""
    (folder / "project.tasks").write_text("image\nhttps://img/1.png\n", encoding="utf-8")


CORPUS: tuple[Corpus, ...] = (
    Corpus("json-list", "flickr_tasks.json", ("--redundancy", "5"), _json_list, bundle=True),
    Corpus("json-info", "cities_tasks.json", ("--priority", "1"), _json_info),
    Corpus("csv", "cities.csv", ("--redundancy", "3", "--priority", "1"), _csv, bundle=True),
    Corpus("csv-info", "soundcloud_tasks.csv", (), _csv_info, pbs_worked=False),
    Corpus("xlsx", "tasks_cities.xlsx", ("--redundancy", "2"), _xlsx, pbs_worked=False),
    Corpus("xlsm", "cities_tasks.xlsm", (), _xlsm, bundle=True, pbs_worked=False),
    Corpus("po", "strings.po", ("--redundancy", "1"), _po),
    Corpus("properties", "tasks_firefox.properties", (), _properties),
    Corpus("tasks-type", "project.tasks", ("--tasks-type", "csv"), _renamed),
)


def write_helping(folder: Path) -> None:
    """pbs's helping-materials file: a row with `file_path` (uploaded) and one with info only."""
    (folder / "img").mkdir(exist_ok=True)
    (folder / "img" / "map.png").write_bytes(PNG)
    rows = [
        {"info": {"name": "map", "file_path": "img/map.png", "caption": "Where"}},
        {"info": {"text": "Count every cat.", "step": 2}},
    ]
    (folder / "helping.json").write_text(json.dumps(rows), encoding="utf-8")
