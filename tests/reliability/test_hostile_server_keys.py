"""The API key never leaves its endpoint: redirects to another origin, foreign URLs, publishing.

A hostile (or moved, or proxied) server redirects to another port it also runs: that second
origin must never see the key, in the query or in a header, and the client must not follow.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from client.hostile import HostileServer, Reply, Seen

from pbclient.client import Client
from pbclient.errors import ForeignURLError, ResponseError
from pbclient.resources import Project

KEY = "hostile-test-key-0123456789"
SHORT = "pbsynctest_keys"


def _carries_key(seen: Seen) -> bool:
    return KEY in seen.target or any(KEY in value for value in seen.headers.values())


@pytest.fixture
def elsewhere() -> Iterator[HostileServer]:
    """The other origin: answers 200 to anything, as a publish page without a token would."""
    with HostileServer(lambda seen: Reply.json({"template": "elsewhere"})) as server:
        yield server


def _moved_to(target: HostileServer) -> HostileServer:
    """A server that redirects every request to `target`, path and query kept (a domain move)."""
    return HostileServer(lambda seen: Reply.redirect(target.url + seen.target))


def test_a_publish_page_redirected_elsewhere_never_gets_the_key(
    elsewhere: HostileServer,
) -> None:
    project = Project.from_server({"id": 1, "short_name": SHORT})
    with _moved_to(elsewhere) as moved, Client(moved.url, KEY) as client:
        with pytest.raises(ResponseError) as caught:
            client.projects.publish(project, force=True)
        seen_here = moved.seen
    assert elsewhere.seen == []  # not followed at all
    assert not any(_carries_key(seen) for seen in elsewhere.seen)
    # the key went only in the header, to the endpoint itself, never in a query
    assert [s.path for s in seen_here] == [f"/project/{SHORT}/publish"]
    assert seen_here[0].headers["Authorization"] == KEY
    assert KEY not in seen_here[0].target
    message = str(caught.value)
    assert "302" in message and f"redirected to {elsewhere.url}" in message
    assert KEY not in message and "\n" not in message


def test_an_api_call_redirected_elsewhere_is_not_followed(elsewhere: HostileServer) -> None:
    with _moved_to(elsewhere) as moved, Client(moved.url, KEY) as client:
        with pytest.raises(ResponseError, match=f"redirected to {elsewhere.url}/api/project"):
            client.projects.find(short_name=SHORT)
        # a URL the caller built with the key in its query (the legacy habit): same answer
        with pytest.raises(ResponseError) as caught:
            client.request("GET", f"/api/project?api_key={KEY}")
        assert client.stats.total == 2
    assert elsewhere.seen == []
    assert KEY not in str(caught.value)


def test_a_redirect_within_the_origin_is_followed_with_the_key() -> None:
    def route(seen: Seen) -> Reply:
        if seen.path == "/api/category":
            return Reply.redirect("/api/v2/category?limit=100")
        if seen.path == "/loop":
            return Reply.redirect("/loop")
        return Reply.json([{"id": 1, "short_name": "thinking"}])

    with HostileServer(route) as server, Client(server.url, KEY) as client:
        assert client.request("GET", "/api/category") == [{"id": 1, "short_name": "thinking"}]
        assert [s.target for s in server.seen] == ["/api/category", "/api/v2/category?limit=100"]
        assert all(s.headers.get("Authorization") == KEY for s in server.seen)
        # every hop is a request the server counts
        assert client.stats.snapshot() == {
            ("GET", "/api/category"): 1,
            ("GET", "/api/v2/category"): 1,
        }
        with pytest.raises(ResponseError, match="302"):
            client.request("GET", "/loop")  # bounded: no endless loop
        assert server.paths().count("/loop") == 6  # the call and 5 redirects


def test_a_url_on_another_server_is_refused_before_sending(elsewhere: HostileServer) -> None:
    with HostileServer(lambda seen: Reply.json([])) as ours, Client(ours.url, KEY) as client:
        for url in (f"{elsewhere.url}/api/project", f"{elsewhere.url}/x?api_key={KEY}"):
            with pytest.raises(ForeignURLError) as caught:
                client.send("GET", url)
            assert KEY not in str(caught.value)
        # the same origin spelled another way is still ours
        port = urlsplit(ours.url).port
        assert client.send("GET", f"HTTP://127.0.0.1:{port}/api/task").status_code == 200
    assert elsewhere.seen == []


def test_publishing_authenticates_by_header_only() -> None:
    """The publish page and the POST get the key in the header; nothing asks for it in a query."""

    def route(seen: Seen) -> Reply:
        if seen.headers.get("Authorization") != KEY:
            return Reply.redirect("/account/signin")
        if seen.method == "GET":
            return Reply.json({"csrf": "token-1"})
        assert seen.headers.get("X-CSRFToken") == "token-1"
        return Reply.json({"status": "success"})

    project = Project.from_server({"id": 1, "short_name": SHORT})
    with HostileServer(route) as server, Client(server.url, KEY) as client:
        client.projects.publish(project, force=True)
    assert [(s.method, s.target) for s in server.seen] == [
        ("GET", f"/project/{SHORT}/publish"),
        ("POST", f"/project/{SHORT}/publish"),
    ]
    assert project.published is True


def test_a_file_our_server_sends_elsewhere_is_fetched_there_anonymously(
    elsewhere: HostileServer,
) -> None:
    """A helping file stored on a CDN: our /uploads redirects there, and the key stays home."""
    with _moved_to(elsewhere) as ours, Client(ours.url, KEY) as client:
        data = client.helping_materials.download(f"{ours.url}/uploads/user_1/a.png")
    assert data == b'{"template": "elsewhere"}'
    assert [s.path for s in elsewhere.seen] == ["/uploads/user_1/a.png"]
    assert not any(_carries_key(seen) for seen in elsewhere.seen)
    assert ours.seen[0].headers["Authorization"] == KEY
