"""Plain-`requests` helpers for the server tests (the client library is tested elsewhere)."""

from __future__ import annotations

from typing import Any

import requests


class Api:
    """Plain-requests access to an endpoint, with an optional key sent as `Authorization`."""

    def __init__(self, endpoint: str, key: str | None = None) -> None:
        self.endpoint = endpoint
        self.key = key
        self.session = requests.Session()

    def url(self, path: str) -> str:
        return path if path.startswith("http") else f"{self.endpoint}{path}"

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", None) or {})
        if self.key is not None:
            headers.setdefault("Authorization", self.key)
        return self.session.request(method, self.url(path), headers=headers, timeout=30, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send a request that must succeed; return its JSON (None for 204)."""
        resp = self.request(method, path, **kwargs)
        assert resp.status_code in (200, 204), (resp.status_code, resp.text)
        return resp.json() if resp.status_code == 200 else None

    def project(self, short_name: str = "pbsynctest", **fields: Any) -> dict[str, Any]:
        body = {"name": short_name.title(), "short_name": short_name, "description": "d"}
        return self.ok("POST", "/api/project", json={**body, **fields})  # type: ignore[no-any-return]

    def task(self, project_id: int, **fields: Any) -> dict[str, Any]:
        body = {"project_id": project_id, "info": {"n": 1}, **fields}
        return self.ok("POST", "/api/task", json=body)  # type: ignore[no-any-return]

    def close(self) -> None:
        self.session.close()


def error_of(resp: requests.Response) -> tuple[int, str]:
    """Return (status, exception_cls) of a PYBOSSA error JSON, checking its shape."""
    body = resp.json()
    assert list(body) == [
        "action",
        "status",
        "status_code",
        "target",
        "exception_cls",
        "exception_msg",
    ]
    assert body["status"] == "failed"
    assert body["status_code"] == resp.status_code
    assert resp.headers["Content-Type"].startswith("application/json")
    return resp.status_code, body["exception_cls"]
