"""The original project's behaviours that its users rely on, on real emulators."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from pytest_localstack import service_checks
from pytest_localstack.exceptions import ServiceError
from pytest_localstack.runtimes import Endpoint
from pytest_localstack.service_checks import SERVICE_CHECKS
from pytest_localstack.session import LocalstackSession, RunningSession
from tests.conftest import unique
from tests.integration.conftest import engine_cli_args

#: Services both emulators serve on this machine (LocalStack cannot run DynamoDB or Lambda here).
CHECKED_SERVICES = (
    "apigateway",
    "cloudwatch",
    "events",
    "iam",
    "logs",
    "route53",
    "s3",
    "secretsmanager",
    "sns",
    "sqs",
    "ssm",
    "sts",
)


def wait_for_service(session: RunningSession, service: str, timeout: float = 60) -> int:
    """Run the service's check until it passes, as the original's ``start()`` did; the number
    of failed attempts (LocalStack starts a service at its first request)."""
    deadline = time.monotonic() + timeout
    failures = 0
    while True:
        try:
            SERVICE_CHECKS[service](session)
            return failures
        except ServiceError:
            failures += 1
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.mark.parametrize("service", CHECKED_SERVICES)
def test_service_checks_pass_on_a_running_emulator(identity: RunningSession, service: str) -> None:
    wait_for_service(identity, service)
    SERVICE_CHECKS[service](identity)  # and keeps passing


@pytest.mark.engines("docker-localstack", "docker-moto", "process")
def test_a_service_check_fails_once_the_emulator_is_gone(engine: dict[str, Any]) -> None:
    session = LocalstackSession(**engine)
    session.start()
    wait_for_service(session, "s3")
    address = RunningSession(session.endpoint.url)
    session.stop()
    with pytest.raises(ServiceError, match="s3 isn't responding"):
        SERVICE_CHECKS["s3"](address)


def test_running_session_clients_work_before_start(aws: LocalstackSession) -> None:
    """As in the original: a RunningSession made with a host name gives addresses and working
    clients at once; ``start()`` then only waits for the services."""
    session = RunningSession(aws.endpoint.url, services=["s3"])
    assert session.endpoint_url("s3") == aws.endpoint.url
    assert session.service_hostname("s3") == aws.endpoint.netloc
    assert session.hostname == aws.hostname
    s3 = session.boto3.client("s3")
    bucket = unique("before-start")
    s3.create_bucket(Bucket=bucket)
    try:
        assert bucket in [b["Name"] for b in s3.list_buckets()["Buckets"]]
        session.start()
        assert session.endpoint.emulator == aws.endpoint.emulator
        assert session.emulator is aws.emulator
    finally:
        s3.delete_bucket(Bucket=bucket)
        session.stop()


def test_contrib_botocore_patch_fixture(pytester: pytest.Pytester, engine: dict[str, Any]) -> None:
    """The original's ``pytest_localstack.contrib.botocore.patch_fixture``, its README test."""
    pytester.makeini("[pytest]\nfilterwarnings = error\n")
    pytester.makepyfile(
        test_contrib="""
        import boto3
        from pytest_localstack.contrib.botocore import patch_fixture

        localstack = patch_fixture(services=["s3"], scope="module", autouse=True)

        def test_s3_bucket_creation(localstack):
            s3 = boto3.resource("s3")
            assert len(list(s3.buckets.all())) == 0
            s3.Bucket("foobar").create()
            assert len(list(s3.buckets.all())) == 1
            account = boto3.client("sts").get_caller_identity()["Account"]
            assert account == localstack.account_id
            s3.Bucket("foobar").delete()
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *engine_cli_args(engine))
    result.assert_outcomes(passed=1)


# -- a session that is never stopped ------------------------------------------------------------

NEVER_STOPPED = """
import json, sys
from pytest_localstack.session import LocalstackSession

session = LocalstackSession(**json.loads(sys.argv[1]))
session.start()
print(session.endpoint.to_json(), flush=True)
if sys.argv[2] == "collect":
    del session
    import gc
    gc.collect()
    print("collected", flush=True)
sys.stdin.read()  # wait until the test closes stdin (or kills us)
"""


def start_never_stopped(
    engine: dict[str, Any], mode: str
) -> tuple[subprocess.Popen[str], Endpoint]:
    child = subprocess.Popen(
        [sys.executable, "-c", NEVER_STOPPED, json.dumps(engine), mode],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert child.stdout is not None
    endpoint = Endpoint.from_json(child.stdout.readline())
    return child, endpoint


def emulator_is_running(endpoint: Endpoint, docker_client: Any) -> bool:
    if endpoint.engine == "process":
        try:
            os.kill(int(endpoint.handle), 0)
        except ProcessLookupError:
            return False
        return b"moto.server" in Path(f"/proc/{endpoint.handle}/cmdline").read_bytes()
    import docker.errors

    try:
        container = docker_client.containers.get(endpoint.handle)
    except docker.errors.NotFound:
        return False
    return bool(container.status == "running")


@pytest.fixture
def docker_client_if_needed(engine: dict[str, Any], request: pytest.FixtureRequest) -> Any:
    if engine.get("engine") == "docker":
        return request.getfixturevalue("docker_client")
    return None


@pytest.mark.engines("process", "docker-moto")
def test_a_session_never_stopped_is_stopped_at_interpreter_exit(
    engine: dict[str, Any], docker_client_if_needed: Any
) -> None:
    child, endpoint = start_never_stopped(engine, "exit")
    with child:
        try:
            assert emulator_is_running(endpoint, docker_client_if_needed)
            assert service_checks.is_port_open(endpoint.url)
            child.communicate(timeout=60)  # closing stdin ends the script without stop()
            assert child.returncode == 0
        finally:
            if child.poll() is None:
                child.kill()
    assert not emulator_is_running(endpoint, docker_client_if_needed)
    assert not service_checks.is_port_open(endpoint.url)


@pytest.mark.engines("process")
def test_a_session_garbage_collected_stops_its_emulator(engine: dict[str, Any]) -> None:
    """The original stopped a collected session's container (``__del__``); so do we."""
    child, endpoint = start_never_stopped(engine, "collect")
    with child:
        try:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "collected"
            assert not emulator_is_running(endpoint, None)
        finally:
            child.kill()


@pytest.mark.engines("docker-moto")
def test_a_killed_sessions_container_is_removed_by_the_next_sweep(
    engine: dict[str, Any], docker_client: Any
) -> None:
    """SIGKILL runs no exit handler: the next Docker start's orphan sweep removes the container,
    found by its owner label."""
    from pytest_localstack.runtimes.docker import sweep_orphans

    child, endpoint = start_never_stopped(engine, "exit")
    with child:
        child.kill()
    assert emulator_is_running(endpoint, docker_client)
    deadline = time.monotonic() + 10
    removed: list[str] = []
    while endpoint.handle not in removed and time.monotonic() < deadline:
        removed += sweep_orphans(docker_client)  # the owner's pid may take a moment to vanish
        time.sleep(0.1)
    assert not emulator_is_running(endpoint, docker_client)
