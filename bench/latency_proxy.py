"""A TCP proxy adding network round-trip time, so a local benchmark sees what a remote server costs.

A client talking to a PYBOSSA across the internet pays one round trip to open a connection (plain
TCP; TLS adds one or two more, not modelled here) and one round trip per request. On localhost both
are ~0, which hides exactly what keep-alive and concurrency save. This proxy delays a new connection
by one RTT and every chunk by half an RTT in each direction (chunks are pipelined, not serialised).

Run it as `python bench/latency_proxy.py TARGET_HOST TARGET_PORT RTT_MS`: it prints its own port and
serves until stdin closes. Each line written to its stdin sets a new RTT in ms for the connections
opened after it (answered with `ok`), so a benchmark can set a project up at 0 ms and measure it at
50 ms through the same address (pbsync's sync record is kept per endpoint).
"""

from __future__ import annotations

import queue
import socket
import sys
import threading
import time

CHUNK = 65536


def _reader(
    src: socket.socket, lane: queue.Queue[tuple[float, bytes | None]], delay: float
) -> None:
    try:
        while data := src.recv(CHUNK):
            lane.put((time.monotonic() + delay, data))
    except OSError:
        pass
    lane.put((time.monotonic() + delay, None))


def _writer(dst: socket.socket, lane: queue.Queue[tuple[float, bytes | None]]) -> None:
    while True:
        due, data = lane.get()
        pause = due - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        try:
            if data is None:
                dst.shutdown(socket.SHUT_WR)
                return
            dst.sendall(data)
        except OSError:
            return


def _pipe(src: socket.socket, dst: socket.socket, delay: float) -> list[threading.Thread]:
    lane: queue.Queue[tuple[float, bytes | None]] = queue.Queue()
    threads = [
        threading.Thread(target=_reader, args=(src, lane, delay), daemon=True),
        threading.Thread(target=_writer, args=(dst, lane), daemon=True),
    ]
    for thread in threads:
        thread.start()
    return threads


def _serve(client: socket.socket, target: tuple[str, int], rtt: float) -> None:
    time.sleep(rtt)  # the connection handshake a remote client waits for
    with client, socket.create_connection(target) as upstream:
        upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threads = _pipe(client, upstream, rtt / 2) + _pipe(upstream, client, rtt / 2)
        for thread in threads:
            thread.join()


def serve(target: tuple[str, int], rtt: float | list[float]) -> int:
    """Listen on 127.0.0.1:0 in a daemon thread; return the port.

    `rtt` in seconds, or a one-item list whose value a new connection reads when it opens.
    """
    listener = socket.create_server(("127.0.0.1", 0), backlog=128)
    current = rtt if isinstance(rtt, list) else [rtt]

    def accept() -> None:
        while True:
            client, _ = listener.accept()
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            args = (client, target, current[0])
            threading.Thread(target=_serve, args=args, daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return int(listener.getsockname()[1])


if __name__ == "__main__":
    host, port, rtt_ms = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    rtt_now = [rtt_ms / 1000.0]
    print(serve((host, port), rtt_now), flush=True)
    for line in sys.stdin:
        rtt_now[0] = float(line) / 1000.0
        print("ok", flush=True)
