"""Ctrl-C during a push: the process ends at once (even while waiting for a rate-limit window),
says how to resume in one line, and the re-run creates exactly what is missing."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

from pbclient.client import Client
from pbsync.server import LocalServer

N_TASKS = 8
WINDOW = 600  # the first run would wait this long for the next window without the fix
TIMEOUT = 30


def _push(server: LocalServer, folder: Path, home: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "HOME": str(home)}
    env.pop("PYBOSSA_ENDPOINT", None)
    env.pop("PYBOSSA_API_KEY", None)
    command = [sys.executable, "-m", "pbsync", "--endpoint", server.url]
    command += ["--api-key", server.api_key, "push", str(folder)]
    return subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )


def _reader(stream: IO[str], found: queue.Queue[str]) -> threading.Thread:
    """A thread putting each line of `stream` on `found` until the end of the stream."""

    def read() -> None:
        with stream:
            for line in stream:
                found.put(line)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread


def _interrupt_while_waiting(push: subprocess.Popen[str]) -> str:
    """SIGINT `push` once it announces a rate-limit wait; its stderr once it has ended."""
    assert push.stderr is not None and push.stdout is not None
    found: queue.Queue[str] = queue.Queue()
    reader = _reader(push.stderr, found)
    seen: list[str] = []
    while not any("tasks left" in line for line in seen):  # the run is waiting for a window
        seen.append(found.get(timeout=TIMEOUT))
    started = time.monotonic()
    push.send_signal(signal.SIGINT)
    push.wait(timeout=TIMEOUT)
    assert time.monotonic() - started < TIMEOUT / 2
    push.stdout.close()
    reader.join(timeout=TIMEOUT)
    while not found.empty():
        seen.append(found.get())
    return "".join(seen)


def test_ctrl_c_in_a_rate_limit_wait_exits_at_once_and_the_rerun_converges(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "project.toml").write_text(
        '[project]\nname = "Interrupt"\nshort_name = "pbsynctest_sigint"\ndescription = "d"\n',
        encoding="utf-8",
    )
    rows = "\n".join(f"https://example.org/{i}.png" for i in range(N_TASKS))
    (folder / "tasks.csv").write_text(f"url\n{rows}\n", encoding="utf-8")
    offset = [0.0]
    with LocalServer(rate_limit=(N_TASKS, WINDOW)) as server:
        server.state.limiter.clock = lambda: time.time() + offset[0]
        first = _push(server, folder, tmp_path)
        try:
            text = _interrupt_while_waiting(first)
        finally:
            if first.poll() is None:  # the assertion failed: do not leave it behind
                first.kill()
                first.wait(timeout=TIMEOUT)
        assert first.returncode == 130, text
        assert "error: interrupted; run the command again to resume" in text
        assert "Traceback" not in text and "Exception in thread" not in text

        offset[0] += WINDOW  # a new window: the re-run is not paced
        second = _push(server, folder, tmp_path)
        _, err = second.communicate(timeout=TIMEOUT)
        assert second.returncode == 0, err
        with Client(server.url, server.api_key) as client:
            [project] = client.projects.find(short_name="pbsynctest_sigint")
            tasks = client.tasks.find(project_id=project.id, limit=100)
        urls = sorted(t.info["url"] for t in tasks)
        assert urls == sorted(f"https://example.org/{i}.png" for i in range(N_TASKS))
