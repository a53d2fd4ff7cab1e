"""An overall deadline per request and a size cap on answers, against servers that abuse both.

A drip-fed answer (a byte at a time, in the body or in the headers) used to hold a command for as
long as the server liked, since the timeout is per read; an endless or huge answer was read whole
into memory. The clients here use a small deadline and cap, so the tests stay quick.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator

import pytest
from client.hostile import HostileServer, Reply, Seen

from pbclient.client import Client
from pbclient.errors import DeadlineError, UnexpectedAnswerError
from pbclient.retry import RetryPolicy

KEY = "hostile-limits-key"
CAP = 1024 * 1024
#: how long a hostile body goes on at most, so that a client without a cap still ends
BOUND = 32 * CAP


def _drip(server: HostileServer, pieces: list[bytes], every: float) -> Iterator[bytes]:
    for piece in pieces:
        yield piece
        if server.stopping.wait(every):
            return


def _dripping_body(server: list[HostileServer], headers: dict[str, str]) -> Reply:
    body = [b"[", *([b" "] * 400), b"]"]  # 402 bytes, valid JSON once whole
    return Reply(200, _drip(server[0], body, 0.02), headers)


# with a length, or read until the server closes
@pytest.mark.parametrize("headers", [{"Content-Length": "402"}, {}], ids=["length", "no length"])
def test_a_body_dripped_byte_by_byte_ends_at_the_deadline(headers: dict[str, str]) -> None:
    holder: list[HostileServer] = []
    with HostileServer(lambda seen: _dripping_body(holder, headers)) as server:
        holder.append(server)
        with Client(server.url, KEY, deadline=0.5) as client:
            with pytest.raises(DeadlineError) as caught:
                client.request("GET", "/api/category")
            assert client.stats.total == 1  # not retried: a server that drips drips again
    assert caught.value.maybe_applied is True
    assert "no whole answer within the deadline of 0.5 s" in str(caught.value)
    assert server.sent < 402  # cut before the server got to the end
    assert len(server.seen) == 1


def test_a_body_cut_at_the_deadline_is_not_taken_for_the_whole_body() -> None:
    # no length: the body ends when the connection does, and the cut ends it too
    holder: list[HostileServer] = []
    with HostileServer(lambda seen: Reply(200, _drip(holder[0], [b"[1, ", b"2]"], 10))) as server:
        holder.append(server)
        with Client(server.url, KEY, timeout=30, deadline=0.5) as client:
            with pytest.raises(DeadlineError):
                client.send("GET", "/api/category")
            assert client.stats.total == 1


def test_headers_dripped_byte_by_byte_end_at_the_deadline() -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Pad: " + b"a" * 400
    holder: list[HostileServer] = []

    def route(seen: Seen) -> Reply:
        pieces = [bytes([b]) for b in head] + [b"\r\nContent-Length: 2\r\n\r\n[]"]
        return Reply(raw=_drip(holder[0], pieces, 0.02))

    with HostileServer(route) as server:
        holder.append(server)
        with Client(server.url, KEY, deadline=0.5) as client, pytest.raises(DeadlineError):
            client.request("GET", "/api/task")
    assert server.sent < len(head)


def _endless(server: list[HostileServer]) -> Iterator[bytes]:
    piece = b" " * 65536
    for _ in range(BOUND // len(piece)):
        if server[0].stopping.is_set():
            return
        yield piece


def test_an_endless_answer_stops_at_the_cap_without_being_held() -> None:
    holder: list[HostileServer] = []
    with HostileServer(lambda seen: Reply(200, _endless(holder))) as server:
        holder.append(server)
        client = Client(server.url, KEY, max_answer_bytes=CAP, retry=RetryPolicy(retries=0))
        tracemalloc.start()
        try:
            with client, pytest.raises(UnexpectedAnswerError) as caught:
                client.request("GET", "/api/task")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert server.hung_up.wait(10)  # the client closed the connection
    assert "GET /api/task: the answer is larger than 1 MiB" in str(caught.value)
    assert peak < 4 * CAP  # the cap and a piece, not the answer
    assert server.sent < BOUND // 2


def test_a_declared_huge_answer_is_refused_before_reading() -> None:
    holder: list[HostileServer] = []
    huge = {"Content-Length": str(600 * 1024 * 1024)}
    with HostileServer(lambda seen: Reply(200, _endless(holder), huge)) as server:
        holder.append(server)
        with Client(server.url, KEY, max_answer_bytes=CAP) as client:
            with pytest.raises(UnexpectedAnswerError, match="larger than 1 MiB"):
                client.request("GET", "/api/task")
            assert client.stats.total == 1


def test_answers_read_within_the_limits_keep_the_connection_alive() -> None:
    with (
        HostileServer(lambda seen: Reply.json([{"id": 1, "short_name": "x"}])) as server,
        Client(server.url, KEY, deadline=5, max_answer_bytes=CAP) as client,
    ):
        for _ in range(3):
            assert client.categories.find() == client.categories.find()
    assert len(server.seen) == 6
    assert len({s.peer for s in server.seen}) == 1  # one connection for all six
