"""The legacy functions for helping materials (links or uploaded files), with README aliases."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from pbclient.legacy import (
    as_object,
    call,
    create_object,
    delete_object,
    get_object,
    get_objects,
    page_params,
    update_object,
)
from pbclient.legacy_objects import HelpingMaterial

__all__ = [
    "create_helpingmaterial",
    "delete_helping_material",
    "delete_helpingmaterial",
    "find_helping_materials",
    "find_helpingmaterials",
    "get_helping_material",
    "get_helping_materials",
    "get_helpingmaterials",
    "update_helping_material",
    "update_helpingmaterial",
]

log = logging.getLogger(__name__)


def create_helpingmaterial(
    project_id: Any,
    info: Any,
    media_url: str | None = None,
    file_path: str | None = None,
    files: Mapping[str, Any] | None = None,
) -> Any:
    """Create a helping material: a link (`media_url`) or an uploaded file.

    Args:
        project_id: the project's id.
        info: the helping material's info (sent with the file too, unlike 3.0.0).
        media_url: a link to the media, for a material without a file.
        file_path: a local file to upload (closed afterwards).
        files: a requests-style mapping such as `{'file': open(path, 'rb')}`, as the upstream README
            shows; the files are closed after the upload.

    Returns:
        The created `HelpingMaterial` (with `.media_url`), or the server's error dict.
    """
    if file_path and files:
        raise TypeError("create_helpingmaterial: give file_path or files, not both")
    if not (file_path or files):
        body = {"project_id": project_id, "info": info, "media_url": media_url}
        return create_object("helpingmaterial", body, HelpingMaterial)
    upload = dict(files) if files else {"file": open(file_path or "", "rb")}  # noqa: SIM115
    form: dict[str, Any] = {"project_id": project_id}
    if info is not None:
        form["info"] = json.dumps(info)
    try:
        result = call("post", "helpingmaterial", payload=form, files=upload)
    finally:
        _close_all(upload)
    return as_object(result, HelpingMaterial)


def _close_all(files: Mapping[str, Any]) -> None:
    """Close the file objects of a requests-style `files` mapping (values or (name, file, ...))."""
    for value in files.values():
        handle = value[1] if isinstance(value, tuple | list) and len(value) > 1 else value
        close = getattr(handle, "close", None)
        if callable(close):
            close()


def get_helping_materials(
    project_id: Any, limit: int = 100, offset: int = 0, last_id: Any = None
) -> Any:
    """Return a page of the project's helping materials (a non-list answer is returned as is)."""
    params = page_params("get_helping_materials", limit, offset, last_id, project_id=project_id)
    return get_objects("helpingmaterial", HelpingMaterial, params)


def get_helping_material(helpingmaterial_id: Any) -> Any:
    """Return one helping material, or the server's error dict (new; not in 3.0.0)."""
    return get_object("helpingmaterial", helpingmaterial_id, HelpingMaterial)


def find_helping_materials(project_id: Any, **kwargs: Any) -> Any:
    """Return the project's helping materials matching the keyword filters, or the error dict."""
    params = {**kwargs, "project_id": project_id}
    return get_objects("helpingmaterial", HelpingMaterial, params)


def update_helping_material(helpingmaterial: Any) -> Any:
    """PUT the helping material's data (minus id/created); return it or the error dict."""
    return update_object("helpingmaterial", helpingmaterial, HelpingMaterial, strip=True)


def delete_helping_material(helpingmaterial_id: Any) -> Any:
    """Delete a helping material; return True or the error dict (new; not in 3.0.0)."""
    return delete_object("helpingmaterial", helpingmaterial_id)


# the names the upstream README and older test suites use
update_helpingmaterial = update_helping_material
find_helpingmaterials = find_helping_materials
get_helpingmaterials = get_helping_materials
delete_helpingmaterial = delete_helping_material
