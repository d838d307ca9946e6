"""Which processes still run, and which are ours, through psutil (Linux, macOS, BSD alike).

A process is named by an *owner token* ``PID:STARTED:NAMESPACE:BOOT``: its pid, its start time
(clock ticks since boot, so that a reused pid is not mistaken for it), the PID namespace it lives in
and the boot it belongs to. A pid means something only in its own namespace and boot: a CI job
in a container that shares ``/tmp`` or the Docker socket has pids of its own, which look dead
(or like another process) from here. So an owner is *provably gone* only when its token names
this namespace and this boot, and its pid is gone or now belongs to another process; an owner
that cannot be seen from here counts as alive.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import psutil

#: Two start times this close (clock ticks) name the same process: they are the kernel's exact
#: count on Linux, and stable readings elsewhere.
START_TOLERANCE = 0
#: The namespace of platforms without PID namespaces (macOS, BSD): one for the whole machine.
NO_NAMESPACES = "host"


@functools.cache
def namespace_id() -> str:
    """This process's PID namespace: ``pidns-INODE`` on Linux, ``host`` where there are none,
    "" where it cannot be read (then no owner is ever taken for one of this namespace)."""
    if not sys.platform.startswith("linux"):
        return NO_NAMESPACES
    try:
        return f"pidns-{os.stat('/proc/self/ns/pid').st_ino}"
    except OSError:
        return ""


@functools.cache
def boot_id() -> str:
    """This boot of this machine: the kernel's boot id on Linux (the host's, also inside a
    container), else the boot time."""
    with contextlib.suppress(OSError):
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    try:
        return f"boot-{int(psutil.boot_time())}"
    except Exception:  # pragma: no cover - a platform psutil cannot read
        return ""


def _clock_ticks() -> int:
    try:
        return os.sysconf("SC_CLK_TCK")
    except (AttributeError, ValueError, OSError):  # pragma: no cover - no sysconf
        return 100


def start_time(pid: int) -> str:
    """The start time of ``pid`` in clock ticks since boot (the kernel's own count on Linux),
    or "" if it is gone or a zombie."""
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return ""  # it has finished; only its exit status is left
        for _ in range(3):
            # Both in seconds since the epoch, from one reading of the boot time (a clock step
            # between the two readings moves it; then read again).
            booted = psutil.boot_time()
            created = process.create_time()
            if psutil.boot_time() == booted:
                break
        return str(round((created - booted) * _clock_ticks()))
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return ""
    except psutil.AccessDenied:  # pragma: no cover - another user's process, where hidden
        return "?"


def same_start(recorded: str, now: str) -> bool:
    """Whether two :func:`start_time` readings name the same process."""
    try:
        return abs(int(recorded) - int(now)) <= START_TOLERANCE
    except ValueError:
        return recorded == now


def owner_token(pid: int | None = None) -> str:
    """``PID:STARTED:NAMESPACE:BOOT`` of a process of this namespace (this one by default)."""
    pid = os.getpid() if pid is None else pid
    return f"{pid}:{start_time(pid)}:{namespace_id()}:{boot_id()}"


def visible_here(token: str) -> bool:
    """Whether the pid in ``token`` means a process of this namespace and this boot.

    A token without namespace and boot (``PID:STARTED``, as older versions wrote) cannot tell.
    """
    fields = token.split(":")
    if len(fields) != 4:
        return False
    namespace, boot = fields[2], fields[3]
    return bool(namespace) and namespace == namespace_id() and bool(boot) and boot == boot_id()


def is_alive(token: str) -> bool:
    """Whether the process named by ``token`` may still run: True unless it is provably gone.

    An owner in another PID namespace or of another boot cannot be seen from here, so it counts
    as alive; so does a token that cannot be read. A zombie has finished.
    """
    return not provably_gone(token)


def provably_gone(token: str) -> bool:
    """Whether the process named by ``token`` has ended, seen from its own namespace and boot."""
    fields = token.split(":")
    if not fields[0].isdigit() or not visible_here(token):
        return False
    now = start_time(int(fields[0]))
    started = fields[1] if len(fields) > 1 else ""
    if not now:
        return True
    return bool(started) and now != "?" and not same_start(started, now)


def find(pid: int, started: str = "") -> psutil.Process | None:
    """The running process ``pid`` of the current user, if it still is the one that started at
    ``started`` (any start time when ""); None if it is gone, a zombie, or not ours."""
    now = start_time(pid)
    if not now or now == "?" or (started and not same_start(started, now)):
        return None
    try:
        process = psutil.Process(pid)
        if process.uids().real != os.getuid():
            return None
    except psutil.Error:
        return None
    return process


def environment_has(process: psutil.Process, entry: str) -> bool:
    """Whether ``NAME=VALUE`` is in the environment of ``process`` (False if unreadable)."""
    name, _, value = entry.partition("=")
    try:
        return process.environ().get(name) == value
    except psutil.Error:
        return False


def command_line(pid: int) -> list[str]:
    """The command line of ``pid``, or [] if it is gone or cannot be read."""
    try:
        return psutil.Process(pid).cmdline()
    except psutil.Error:
        return []


def processes_with(entry: str) -> Iterator[psutil.Process]:
    """The running processes of the current user whose environment has ``NAME=VALUE``."""
    uid = os.getuid()
    for process in psutil.process_iter():
        try:
            if process.uids().real != uid or process.status() == psutil.STATUS_ZOMBIE:
                continue
        except psutil.Error:
            continue
        if environment_has(process, entry):
            yield process
