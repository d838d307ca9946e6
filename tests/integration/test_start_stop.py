"""When the emulator starts and stops: early, in the background, and without holding pytest up.

* a run starts its emulator as soon as collection shows a selected test that needs it, while
  other tests run; a run that selects no such test starts nothing;
* at the end, pytest exits without waiting for the emulator: the run's watchdog removes it
  (polled here until it is gone, within a bound); ``--localstack-wait-stop`` waits;
* a throwaway container is removed with force, a kept one (``auto_remove=False``) is stopped.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from pytest_localstack._processes import owner_token
from pytest_localstack.runtimes import LABEL_OWNER
from pytest_localstack.session import LocalstackSession
from tests.integration.conftest import engine_cli_args

pytestmark = pytest.mark.slow

#: Seconds within which the watchdog must have removed what a finished run left.
GONE_BOUND = 30.0

OWNED = """
import os, subprocess

import psutil

def owned_containers():
    listed = subprocess.run(
        ["docker", "ps", "-a", "--format", '{{.ID}} {{.Label "pytest-localstack.owner-token"}}'],
        capture_output=True, text=True, check=True,
    ).stdout.split("\\n")
    return [line for line in listed if line.split(" ")[-1].startswith(f"{os.getpid()}:")]

def owned_processes():
    found = []
    for process in psutil.process_iter():
        try:
            environment = process.environ()
        except psutil.Error:
            continue
        token = environment.get("PYTEST_LOCALSTACK_LABEL_PYTEST_LOCALSTACK_OWNER_TOKEN", "")
        if token.startswith(f"{os.getpid()}:"):
            found.append(process.pid)
    return found

def owned():
    return owned_containers() + owned_processes()
"""

EARLY = (
    OWNED
    + """
import time, boto3

def test_0_no_aws():
    deadline = time.monotonic() + 60
    while not owned():
        assert time.monotonic() < deadline, "nothing was started while this test ran"
        time.sleep(0.1)

def test_1_aws(localstack):
    boto3.client("sqs").list_queues()
"""
)

NONE_SELECTED = (
    OWNED
    + """
import time, boto3

def test_plain():
    time.sleep(2)  # time enough for a start that should not happen
    assert owned() == []

def test_aws(localstack):
    boto3.client("sqs").list_queues()
"""
)

ONE_S3_TEST = """
import boto3

def test_s3(localstack):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="one-bucket")
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["one-bucket"]
"""


def run_inner(
    tmp_path: Path, engine: dict[str, Any], source: str, *args: str
) -> tuple[subprocess.CompletedProcess[str], str, float]:
    """Run pytest on ``source``; return its result, its owner token and when it ended."""
    (tmp_path / "test_inner.py").write_text(source)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST_XDIST", "PYTEST_ADDOPTS", "PYTEST_LOCALSTACK_"))
    }
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q"]
    command += [*engine_cli_args(engine), f"--basetemp={tmp_path / 'base'}", *args]
    process = subprocess.Popen(
        command,
        cwd=tmp_path,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    owner = owner_token(process.pid)
    output, _ = process.communicate(timeout=300)
    ended = time.monotonic()
    result = subprocess.CompletedProcess(command, process.returncode, output, "")
    return result, owner, ended


def containers_of(owner: str) -> list[str]:
    listed = subprocess.run(
        ["docker", "ps", "-aq", "--filter", f"label={LABEL_OWNER}={owner}"],
        capture_output=True,
        text=True,
        check=True,
    )
    return listed.stdout.split()


def wait_until_gone(owner: str) -> float:
    """Poll until no container of the run is left; fail after :data:`GONE_BOUND` seconds."""
    began = time.monotonic()
    while containers_of(owner):
        if time.monotonic() - began > GONE_BOUND:
            pytest.fail(f"{GONE_BOUND:g} s after the run, its containers are still there")
        time.sleep(0.1)
    return time.monotonic() - began


@pytest.mark.engines("docker-moto", "process")
def test_the_emulator_starts_while_other_tests_run(tmp_path: Path, engine: dict[str, Any]) -> None:
    result, owner, _ = run_inner(tmp_path, engine, EARLY, "--localstack-wait-stop")
    assert result.returncode == 0, result.stdout
    assert "2 passed" in result.stdout
    assert containers_of(owner) == []


@pytest.mark.engines("docker-moto", "process")
def test_a_run_that_selects_no_aws_test_starts_nothing(
    tmp_path: Path, engine: dict[str, Any]
) -> None:
    result, owner, _ = run_inner(tmp_path, engine, NONE_SELECTED, "-k", "plain")
    assert result.returncode == 0, result.stdout
    assert "1 passed, 1 deselected" in result.stdout
    assert " served " not in result.stdout
    assert containers_of(owner) == []


@pytest.mark.engines("docker-localstack")
def test_pytest_exits_before_the_emulator_is_removed_and_nothing_is_left(
    tmp_path: Path, engine: dict[str, Any]
) -> None:
    result, owner, _ = run_inner(tmp_path, engine, ONE_S3_TEST)
    assert result.returncode == 0, result.stdout
    assert "localstack: docker localstack" in result.stdout
    assert " served " in result.stdout
    wait_until_gone(owner)


@pytest.mark.engines("docker-localstack")
def test_wait_stop_removes_the_emulator_before_pytest_exits(
    tmp_path: Path, engine: dict[str, Any]
) -> None:
    result, owner, _ = run_inner(tmp_path, engine, ONE_S3_TEST, "--localstack-wait-stop")
    assert result.returncode == 0, result.stdout
    assert containers_of(owner) == []


@pytest.mark.engines("docker-moto")
def test_a_kept_container_is_stopped_not_removed(engine: dict[str, Any]) -> None:
    session = LocalstackSession(auto_remove=False, **engine)
    session.start()
    handle = session.endpoint.handle
    try:
        session.stop()
        state = subprocess.run(
            ["docker", "inspect", "--format", "{{.State.Status}}", handle],
            capture_output=True,
            text=True,
            check=True,
        )
        assert state.stdout.strip() == "exited"
    finally:
        subprocess.run(["docker", "rm", "-f", handle], capture_output=True, check=False)


@pytest.mark.engines("docker-moto")
def test_liveness_is_asked_of_the_local_socket_without_the_sdk(
    engine: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_localstack.runtimes._local_socket import running_on_local_socket

    session = LocalstackSession(**engine)
    session.start()
    handle = session.endpoint.handle
    try:
        assert running_on_local_socket(handle) is True
        assert running_on_local_socket("no-such-container") is False
        with monkeypatch.context() as remote:
            remote.setenv("DOCKER_HOST", "tcp://127.0.0.1:9")
            assert running_on_local_socket(handle) is None  # a remote engine: the SDK asks
    finally:
        session.stop()
    assert running_on_local_socket(handle) is False
