"""Which processes still run: a pid plus its start time, so that a reused pid is not mistaken."""

from __future__ import annotations

import os
from pathlib import Path

_HAS_PROCFS = Path("/proc/self/stat").exists()


def _exists(pid: int) -> str:
    """Without /proc (macOS, BSD): "?" while ``pid`` exists; a reused pid is not detected."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return ""
    except PermissionError:
        pass  # it exists, but belongs to another user
    return "?"


def start_time(pid: int) -> str:
    """The kernel's start time of ``pid`` (clock ticks since boot), or "" if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return "" if _HAS_PROCFS else _exists(pid)
    fields = stat.rsplit(")", 1)[-1].split()
    if fields[0] == "Z":  # a zombie has finished; only its exit status is left
        return ""
    return fields[19]


def owner_token(pid: int | None = None) -> str:
    """``pid:start-time`` of a process (this one by default), for labels and state files."""
    pid = os.getpid() if pid is None else pid
    return f"{pid}:{start_time(pid)}"


def is_alive(token: str) -> bool:
    """Whether the process named by an :func:`owner_token` still runs."""
    pid, _, started = token.partition(":")
    if not pid.isdigit():
        return False
    now = start_time(int(pid))
    return bool(now) and (not started or now == started)
