"""The streamed multipart body, the extension check and the upload-name check."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from werkzeug.datastructures import Headers
from werkzeug.formparser import parse_form_data
from werkzeug.test import EnvironBuilder

from pbclient.errors import InvalidDataError
from pbclient.uploads import MultipartBody, check_extension, check_upload_name


def _parse(body: bytes, content_type: str) -> tuple[dict[str, str], dict[str, tuple[str, bytes]]]:
    env = EnvironBuilder(
        method="POST", input_stream=None, data=body, headers=Headers({"Content-Type": content_type})
    ).get_environ()
    _, form, files = parse_form_data(env)
    parsed = {k: (f.filename or "", f.read()) for k, f in files.items()}
    for f in files.values():
        f.close()
    return dict(form), parsed


def test_body_is_a_valid_multipart_form(tmp_path: Path) -> None:
    path = tmp_path / "été.png"
    payload = bytes(range(256)) * 1000
    path.write_bytes(payload)
    info = json.dumps({"caption": "héron"})
    with MultipartBody({"project_id": "4", "info": info}, path) as body:
        raw = body.read()
        assert len(raw) == len(body)
        body.seek(0)
        assert b"".join(body) == raw  # rewinds for a retry; iterates in blocks
        form, files = _parse(raw, body.content_type)
    assert form == {"project_id": "4", "info": info}
    assert files == {"file": ("été.png", payload)}


def test_body_closes_its_file(tmp_path: Path) -> None:
    path = tmp_path / "a.css"
    path.write_text("a{}")
    with MultipartBody({}, path) as body:
        pass
    assert body._file.closed


@pytest.mark.parametrize("name", ["a.png", "b.JPG", "c.jpeg", "d.gif", "e.zip", "f.js", "g.css"])
def test_stored_extensions_pass(name: str) -> None:
    check_extension(name)


@pytest.mark.parametrize("name", ["a.pdf", "b.svg", "noext"])
def test_other_extensions_are_refused_unless_allowed(name: str) -> None:
    with pytest.raises(InvalidDataError, match="does not store"):
        check_extension(name)
    check_extension(name, allow_any=True)


def test_body_sends_another_file_name_when_asked(tmp_path: Path) -> None:
    path = tmp_path / "кот.png"
    path.write_bytes(b"cat")
    with MultipartBody({}, path, filename="pbsync-1-ab.png") as body:
        _, files = _parse(body.read(), body.content_type)
    assert files == {"file": ("pbsync-1-ab.png", b"cat")}


@pytest.mark.parametrize("name", ["a.png", "pbsync-12-0a1b2c3d-0123456789abcdef.png", "A-b_c.d.js"])
def test_names_secure_filename_keeps_pass(name: str) -> None:
    check_upload_name(name)


@pytest.mark.parametrize(
    "name", ["a b.png", "кот.png", "_a.png", ".a.png", "a/b.png", "é.png", "a\nb.png", '"q".png']
)
def test_names_secure_filename_changes_are_refused(name: str) -> None:
    # PYBOSSA would store these under another name and report this one: served nowhere
    with pytest.raises(InvalidDataError, match="another name"):
        check_upload_name(name)
