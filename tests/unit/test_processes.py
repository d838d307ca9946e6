"""Owner tokens: a pid, its start time, its PID namespace and boot; liveness through psutil."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pytest_localstack import _processes
from pytest_localstack._processes import (
    boot_id,
    command_line,
    environment_has,
    find,
    is_alive,
    namespace_id,
    owner_token,
    processes_with,
    provably_gone,
    start_time,
)
from pytest_localstack.runtimes import LABEL_OWNER, make_labels


def _exited_pid() -> tuple[int, str]:
    """The pid and start time of a process that has exited and been reaped."""
    process = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE
    )
    started = start_time(process.pid)
    process.communicate(b"")
    return process.pid, started


def test_token_names_pid_start_namespace_and_boot() -> None:
    pid, started, namespace, boot = owner_token().split(":")
    assert int(pid) == os.getpid()
    assert int(started) > 0
    assert namespace == namespace_id() != ""
    assert boot == boot_id() != ""
    if sys.platform.startswith("linux"):
        assert namespace == f"pidns-{os.stat('/proc/self/ns/pid').st_ino}"
    assert start_time(os.getpid()) == started  # stable between readings


def test_this_process_is_alive() -> None:
    assert is_alive(owner_token())
    assert not provably_gone(owner_token())


def test_an_exited_process_of_this_namespace_is_gone() -> None:
    pid, started = _exited_pid()
    token = f"{pid}:{started}:{namespace_id()}:{boot_id()}"
    assert provably_gone(token)
    assert not is_alive(token)


def test_a_reused_pid_is_gone() -> None:
    started = int(start_time(os.getpid()))
    token = f"{os.getpid()}:{started - 5}:{namespace_id()}:{boot_id()}"
    assert provably_gone(token)


def test_an_owner_that_cannot_be_seen_counts_as_alive() -> None:
    pid, started = _exited_pid()
    assert is_alive(f"{pid}:{started}:pidns-1:{boot_id()}")  # another PID namespace
    assert is_alive(f"{pid}:{started}:{namespace_id()}:another-boot")
    assert is_alive(f"{pid}:{started}::{boot_id()}")  # namespace unknown
    assert is_alive("not a token")
    assert is_alive("")


def test_a_token_without_namespace_and_boot_cannot_tell() -> None:
    """As older versions wrote them: the pid may be of any namespace."""
    pid, started = _exited_pid()
    assert is_alive(f"{pid}:{started}")


def test_unreadable_namespace_never_matches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_processes, "namespace_id", lambda: "")
    pid, started = _exited_pid()
    assert is_alive(f"{pid}:{started}::{boot_id()}")


def test_a_zombie_has_no_start_time() -> None:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        deadline = time.monotonic() + 10
        while start_time(process.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert start_time(process.pid) == ""  # exited, not reaped yet: a zombie
    finally:
        process.wait()


def test_find_checks_start_time_and_owner() -> None:
    started = start_time(os.getpid())
    assert find(os.getpid(), started) is not None
    assert find(os.getpid(), "") is not None
    assert find(os.getpid(), str(int(started) + 3)) is None
    pid, started = _exited_pid()
    assert find(pid, started) is None


def test_environment_and_command_line() -> None:
    marker = f"PLT_TEST_MARKER_{os.getpid()}"
    process = subprocess.Popen(
        [sys.executable, "-c", "print(flush=True); import sys; sys.stdin.read()", "marker-arg"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env={**os.environ, marker: "yes"},
    )
    try:
        assert process.stdout is not None
        process.stdout.readline()  # the child has exec'd: its own environment is readable
        found = find(process.pid)
        assert found is not None
        assert environment_has(found, f"{marker}=yes")
        assert not environment_has(found, f"{marker}=no")
        assert "marker-arg" in command_line(process.pid)
        assert [p.pid for p in processes_with(f"{marker}=yes")] == [process.pid]
    finally:
        process.communicate(b"")
    assert command_line(process.pid) == []
    assert list(processes_with(f"{marker}=yes")) == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="compares with Linux's /proc")
def test_start_time_is_the_kernels_count_on_linux() -> None:
    """The same value /proc reports (clock ticks since boot): the labels of older versions."""
    stat = Path(f"/proc/{os.getpid()}/stat").read_text()
    assert start_time(os.getpid()) == stat.rsplit(")", 1)[-1].split()[19]


def test_labels_carry_the_whole_owner_token_under_a_new_name() -> None:
    """Older versions swept by ``pytest-localstack.owner`` (``PID:STARTED``) alone, and would
    take an owner of another namespace for a dead one: they find no such label here."""
    labels = make_labels("run", owner_token())
    assert labels[LABEL_OWNER] == owner_token()
    assert "pytest-localstack.owner" not in labels
