"""Unit tests for :mod:`pytest_localstack.runtimes.process`: which process is ours, and the log
file's descriptor."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_localstack._processes import start_time
from pytest_localstack.config import Settings
from pytest_localstack.emulators import MOTO
from pytest_localstack.runtimes import Endpoint
from pytest_localstack.runtimes.process import ProcessRuntime, moto_available
from tests.conftest import require

#: Sleeps; its command line names moto.server, as the emulator's does.
LOOKALIKE = [sys.executable, "-c", "import time; time.sleep(60)", "moto.server"]
#: The label that the runtime puts in the environment of every server it starts.
OUR_LABEL = {"PYTEST_LOCALSTACK_LABEL_PYTEST_LOCALSTACK": "1"}


@pytest.fixture
def lookalike() -> Iterator[subprocess.Popen[bytes]]:
    """A process started by another process of this run (not a child the runtime knows)."""
    process = subprocess.Popen(LOOKALIKE, env={**os.environ, **OUR_LABEL}, start_new_session=True)
    yield process
    process.kill()
    process.wait()


def endpoint_for(pid: int, started: str) -> Endpoint:
    return Endpoint(
        url="http://127.0.0.1:1", emulator="moto", version="", engine="process",
        handle=str(pid), started=started,
    )  # fmt: skip


def test_a_recorded_process_is_alive_with_its_start_time(
    lookalike: subprocess.Popen[bytes],
) -> None:
    endpoint = endpoint_for(lookalike.pid, start_time(lookalike.pid))
    assert ProcessRuntime().is_alive(endpoint)


def test_a_reused_pid_is_not_ours(lookalike: subprocess.Popen[bytes]) -> None:
    """Same pid, same command line, another start time: another process; never stopped."""
    endpoint = endpoint_for(lookalike.pid, str(int(start_time(lookalike.pid)) - 1))
    runtime = ProcessRuntime()
    assert not runtime.is_alive(endpoint)
    runtime.stop(endpoint, timeout=1)
    assert lookalike.poll() is None  # not killed


def test_a_process_without_our_label_is_not_ours() -> None:
    """Same user, moto.server on its command line, the recorded start time, but no label."""
    process = subprocess.Popen(LOOKALIKE, start_new_session=True)
    try:
        endpoint = endpoint_for(process.pid, start_time(process.pid))
        runtime = ProcessRuntime()
        assert not runtime.is_alive(endpoint)
        runtime.stop(endpoint, timeout=1)
        assert process.poll() is None  # not killed
    finally:
        process.kill()
        process.wait()


def test_a_log_file_outside_our_log_directory_is_not_deleted(
    lookalike: subprocess.Popen[bytes], tmp_path: Path
) -> None:
    precious = tmp_path / "precious.log"
    precious.write_text("not the emulator's")
    endpoint = dataclasses.replace(
        endpoint_for(lookalike.pid, start_time(lookalike.pid)), log_path=str(precious)
    )
    ProcessRuntime().stop(endpoint, timeout=5)
    assert lookalike.wait(5) is not None  # ours: stopped
    assert precious.read_text() == "not the emulator's"


def test_another_program_is_not_ours() -> None:
    endpoint = endpoint_for(os.getpid(), start_time(os.getpid()))
    assert not ProcessRuntime().is_alive(endpoint)


def _descriptors_of(path: str) -> int:
    """How many descriptors of this process point at ``path`` (also once it is deleted)."""
    targets = []
    for fd in Path("/proc/self/fd").iterdir():
        try:
            targets.append(os.readlink(fd))
        except OSError:
            continue
    return sum(1 for target in targets if target.startswith(path))


def test_the_log_file_descriptor_is_closed() -> None:
    require(moto_available(), "the embedded emulator needs the moto extra")
    runtime = ProcessRuntime()
    endpoint = runtime.start(Settings(engine="process", emulator="moto"), MOTO, {})
    try:
        assert endpoint.started == start_time(int(endpoint.handle))
    finally:
        runtime.stop(endpoint, timeout=5)
    assert not Path(endpoint.log_path).exists()
    deadline = time.monotonic() + 5  # the log pump closes its own when the server is gone
    while _descriptors_of(endpoint.log_path) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _descriptors_of(endpoint.log_path) == 0
