"""Helpers that scripts/bench.py and scripts/soak.py share for running the
`api` binary as a child process: a free loopback port, the process's
resident memory, a graceful stop, and the lines of its JSON log.

Python 3 standard library only, like the scripts that import it (they run
as `python3 scripts/<name>.py`, so this directory is on `sys.path`).
"""

import json
import signal
import socket
import subprocess

# How long a SIGTERMed server may drain before it is killed: above the
# server's own default SHUTDOWN_TIMEOUT_SECONDS (30).
STOP_GRACE_S = 35


def free_port():
    """A port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid):
    """The process's VmRSS in KiB, or None once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def stop(proc):
    """SIGTERM (the server drains), then SIGKILL after STOP_GRACE_S."""
    if proc and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def json_log_records(path):
    """Each line of a JSON log as `(record, line)`; `record` is None for a
    line that is not JSON. Nothing when the file cannot be read."""
    try:
        with open(path, errors="replace") as f:
            for line in f:
                try:
                    yield json.loads(line), line
                except ValueError:
                    yield None, line
    except OSError:
        return
