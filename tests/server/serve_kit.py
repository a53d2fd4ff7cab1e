"""`pbsync serve` as a subprocess, for tests: start it, read its banner, stop it with SIGINT."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys


def start(
    *args: str, sigint_ignored: bool = False, verbose: bool = False, options: tuple[str, ...] = ()
) -> tuple[subprocess.Popen[str], str, list[str]]:
    """Run `pbsync serve ARGS` and return the process, its URL and the banner lines.

    With `sigint_ignored` it starts the way `pbsync serve &` in a shell script does: with SIGINT
    ignored, which Python would keep. `verbose` adds `-vv` (debug logging);
    `options` go before the command.
    """
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    before = [*options, *(["-vv"] if verbose else [])]
    command = [sys.executable, "-m", "pbsync", *before, "serve", "--port", "0", *args]
    if sigint_ignored:
        command = ["sh", "-c", 'trap "" INT; exec "$@"', "sh", *command]
    proc = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    while not any("Ctrl-C" in line for line in lines):
        line = proc.stdout.readline()
        if not line:
            raise AssertionError("server exited: " + "".join(lines))
        lines.append(line)
    match = re.search(r"http://127\.0\.0\.1:\d+", "".join(lines))
    assert match is not None
    return proc, match.group(0), lines


def stop(proc: subprocess.Popen[str]) -> str:
    """Send SIGINT and return the output after the banner; a server that ignores it is killed."""
    proc.send_signal(signal.SIGINT)
    try:
        out, _ = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise AssertionError("the server did not stop on SIGINT") from None
    assert proc.returncode == 0, out
    return out
