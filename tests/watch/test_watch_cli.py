"""`pbsync watch` as a user runs it: a real process on the embedded server, Ctrl-C ends it (130)."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO

TIMEOUT = 30


def _lines(stream: IO[str]) -> queue.Queue[str]:
    """Every line of `stream`, as it comes, on a queue (read by a daemon thread)."""
    found: queue.Queue[str] = queue.Queue()

    def read() -> None:
        with stream:
            for line in stream:
                found.put(line)

    threading.Thread(target=read, daemon=True).start()
    return found


def _wait_for(found: queue.Queue[str], pattern: str, seen: list[str]) -> re.Match[str]:
    while True:
        try:
            line = found.get(timeout=TIMEOUT)
        except queue.Empty:
            raise AssertionError(f"no line matching {pattern!r} in {seen}") from None
        seen.append(line)
        match = re.search(pattern, line)
        if match:
            return match


def test_watch_prints_the_preview_syncs_each_save_and_stops_with_130(tmp_path: Path) -> None:
    env = {**os.environ, "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data")}
    env.pop("PYBOSSA_ENDPOINT", None)
    env.pop("PYBOSSA_API_KEY", None)
    pbsync = [sys.executable, "-m", "pbsync"]
    init = subprocess.run(
        [*pbsync, "init", "demo"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert init.returncode == 0, init.stderr
    watch = subprocess.Popen(
        [*pbsync, "watch", "demo", "--preview"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert watch.stdout is not None and watch.stderr is not None
        out, err = _lines(watch.stdout), _lines(watch.stderr)
        seen_out: list[str] = []
        seen_err: list[str] = []
        first = _wait_for(out, r"^\d\d:\d\d:\d\d start: .*created", seen_out)
        assert first
        url = _wait_for(err, r"Preview: (http://127\.0\.0\.1:\d+/project/demo/newtask)", seen_err)
        assert url.group(1)
        presenter = tmp_path / "demo" / "presenter.html"
        presenter.write_text(presenter.read_text(encoding="utf-8") + "<!-- edit -->\n")
        saved = _wait_for(
            out, r"^\d\d:\d\d:\d\d presenter\.html: 1 project updated \(2 req", seen_out
        )
        assert saved
        watch.send_signal(signal.SIGINT)
        assert watch.wait(timeout=TIMEOUT) == 130
    finally:
        if watch.poll() is None:
            watch.kill()
            watch.wait(timeout=TIMEOUT)


def test_watch_started_with_sigint_ignored_still_stops_on_it(tmp_path: Path) -> None:
    # `pbsync watch demo &` in a script: the shell starts it with SIGINT ignored
    env = {**os.environ, "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data")}
    env.pop("PYBOSSA_ENDPOINT", None)
    env.pop("PYBOSSA_API_KEY", None)
    pbsync = [sys.executable, "-m", "pbsync"]
    subprocess.run(
        [*pbsync, "init", "demo"], cwd=tmp_path, env=env, check=True, capture_output=True
    )
    watch = subprocess.Popen(
        [*pbsync, "watch", "demo"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    try:
        assert watch.stdout is not None
        _wait_for(_lines(watch.stdout), r"start: ", [])
        watch.send_signal(signal.SIGINT)
        assert watch.wait(timeout=TIMEOUT) == 130
    finally:
        if watch.poll() is None:
            watch.kill()
            watch.wait(timeout=TIMEOUT)
