"""The local server deletes a helping material's file as PYBOSSA does, and survives a racing PUT.

PYBOSSA's DELETE of a helping material also deletes the file its info names (`container`,
`file_name`), even when another material names the same file: two copies of one upload share it.
pbsync's deduplication must therefore untie a copy from the file before deleting it, and the
local server has to behave the same for the tests to show that it does.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from pbclient.client import Client
from pbsync.server import LocalServer, schema
from pbsync.server.errors import ApiError

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


@pytest.mark.local_only
def test_deleting_a_material_deletes_the_file_it_names_even_if_shared(
    local_server: LocalServer, tmp_path: Path
) -> None:
    path = tmp_path / "map.png"
    path.write_bytes(PNG)
    with Client(local_server.url, local_server.api_key) as client:
        project = client.projects.create(
            name="Files", short_name="pbsynctestfiles", description="d"
        )
        first = client.helping_materials.create(project, {"n": 1}, file_path=path)
        second = client.helping_materials.create(project, {"n": 2}, file_path=path)
        assert first.media_url == second.media_url  # stored by user and file name: one file
        client.helping_materials.delete(second.id)
    assert requests.get(str(first.media_url), timeout=30).status_code == 404


@pytest.mark.local_only
def test_an_update_of_a_row_deleted_meanwhile_is_not_found(local_server: LocalServer) -> None:
    with pytest.raises(ApiError) as caught:
        local_server.store.update(schema.HELPINGMATERIAL, 999_999, {"priority": 1.0})
    assert caught.value.status == 404
