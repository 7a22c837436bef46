"""CPU seconds spent by every PostgreSQL process on this machine, backends that come and go
included (an import's writer thread has a connection, so a backend, of its own).

Run as a child process (``PostgresCpu``), not a thread: the import parses in a forked
process only when the importing process has a single thread. The child polls
``/proc/*/stat`` and remembers each process's last reading, so a backend that exits between
two readings still counts (less its last poll interval).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

POLL_SECONDS = 0.1


def _postgres_ticks() -> dict[int, int]:
    ticks: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() != "postgres":
                continue
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        ticks[int(entry.name)] = int(fields[11]) + int(fields[12])  # utime + stime
    return ticks


def _serve() -> None:
    """The child: prints the seconds used since it started, each time a line arrives."""
    first = _postgres_ticks()
    last = dict(first)
    lock = threading.Lock()

    def poll() -> None:
        while True:
            current = _postgres_ticks()
            with lock:
                last.update(current)
            threading.Event().wait(POLL_SECONDS)

    threading.Thread(target=poll, daemon=True).start()
    per_second = os.sysconf("SC_CLK_TCK")
    for _ in sys.stdin:
        current = _postgres_ticks()
        with lock:
            last.update(current)
            used = sum(value - first.get(pid, 0) for pid, value in last.items())
        print(used / per_second, flush=True)


class PostgresCpu:
    """``seconds()``: CPU seconds of all PostgreSQL processes since this was created."""

    def __init__(self) -> None:
        self._child = subprocess.Popen(
            [sys.executable, "-m", "bench.postgres_cpu"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def seconds(self) -> float:
        assert self._child.stdin is not None and self._child.stdout is not None
        self._child.stdin.write("\n")
        self._child.stdin.flush()
        return float(self._child.stdout.readline())


if __name__ == "__main__":
    _serve()
