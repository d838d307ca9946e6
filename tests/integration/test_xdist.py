"""One emulator per ``pytest -n`` run: shared by all workers, each worker in its own account.

Each inner run records, from every test, which emulator it talked to (the container id or the
pid) and as which account; the outer test then checks the records and what is left running.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import engine_cli_args

pytestmark = pytest.mark.slow

INNER_TESTS = """
import json, os, uuid
import boto3, pytest

@pytest.mark.parametrize("n", range({count}))
def test_worker_sees_only_its_queues(localstack, n):
    sqs = boto3.client("sqs")
    sqs.create_queue(QueueName="same-name")
    urls = sqs.list_queues()["QueueUrls"]
    assert urls == [u for u in urls if u.endswith(f"/{{localstack.account_id}}/same-name")]
    assert len(urls) == 1
    record = dict(
        worker=os.environ.get("PYTEST_XDIST_WORKER", "main"),
        handle=localstack.endpoint.handle,
        engine=localstack.endpoint.engine,
        account=localstack.account_id,
        pid=os.getpid(),
    )
    path = os.path.join(os.environ["RECORD_DIR"], uuid.uuid4().hex + ".json")
    with open(path, "w") as f:
        json.dump(record, f)
"""


def run_inner(
    pytester: pytest.Pytester,
    tmp_path: Path,
    engine: dict[str, Any],
    *args: str,
    source: str,
) -> tuple[pytest.RunResult, list[dict[str, Any]]]:
    records = tmp_path / "records"
    records.mkdir(exist_ok=True)
    pytester.makepyfile(test_inner=source)
    os.environ["RECORD_DIR"] = str(records)
    try:
        result = pytester.runpytest_subprocess(*engine_cli_args(engine), *args)
    finally:
        del os.environ["RECORD_DIR"]
    found = [json.loads(p.read_text()) for p in records.glob("*.json")]
    return result, found


def docker_client_for(engine: dict[str, Any], request: pytest.FixtureRequest) -> Any:
    """The Docker client when the engine runs containers (to check that they are gone), else
    None."""
    return request.getfixturevalue("docker_client") if engine["engine"] == "docker" else None


def assert_gone(records: list[dict[str, Any]], docker_client: Any = None) -> None:
    """Nothing that the inner run started is still running, once the run's watchdog has had
    up to 30 s to remove it (the run exits without waiting for that)."""
    deadline = time.monotonic() + 30
    for handle in {r["handle"] for r in records}:
        while True:
            if records[0]["engine"] == "docker":
                # the low-level list: containers.list() inspects each one, and fails on one
                # that the watchdog removes meanwhile
                ids = [c["Id"] for c in docker_client.api.containers(all=True)]
                left = handle in ids
                what = f"container {handle[:12]} was left behind"
            elif records[0]["engine"] == "process":
                cmdline = Path(f"/proc/{handle}/cmdline")
                left = cmdline.exists() and b"moto.server" in cmdline.read_bytes()
                what = f"moto server pid {handle} was left running"
            else:
                left, what = False, ""
            if not left:
                break
            assert time.monotonic() < deadline, what
            time.sleep(0.2)


@pytest.mark.engines("docker-localstack", "docker-moto", "process")
@pytest.mark.parametrize("workers", [2, 4])
def test_one_emulator_per_run(
    pytester: pytest.Pytester,
    tmp_path: Path,
    engine: dict[str, Any],
    workers: int,
    request: pytest.FixtureRequest,
) -> None:
    docker_client = docker_client_for(engine, request)
    result, records = run_inner(
        pytester, tmp_path, engine, "-n", str(workers), source=INNER_TESTS.format(count=12)
    )
    result.assert_outcomes(passed=12)
    assert len({r["handle"] for r in records}) == 1, records
    assert len({r["worker"] for r in records}) == workers
    assert len({r["account"] for r in records}) == 12, "every test gets a fresh account"
    assert_gone(records, docker_client)


SESSION_SCOPED = """
import json, os, uuid
import boto3, pytest_localstack

localstack = pytest_localstack.patch_fixture(scope="session", autouse=True, services=["sqs"])

def record(n):
    session = localstack_session_of_worker()
    path = os.path.join(os.environ["RECORD_DIR"], uuid.uuid4().hex + ".json")
    with open(path, "w") as f:
        json.dump(dict(worker=os.environ.get("PYTEST_XDIST_WORKER", "main"),
                       handle=session.endpoint.handle, engine=session.endpoint.engine,
                       account=boto3.client("sts").get_caller_identity()["Account"]), f)

def localstack_session_of_worker():
    from pytest_localstack.contrib import _active
    return _active.current()
""" + "".join(
    f"""
def test_{i}():
    record({i})
"""
    for i in range(8)
)


@pytest.mark.engines("docker-moto", "process")
def test_session_scoped_patch_fixture_is_one_identity_per_worker(
    pytester: pytest.Pytester, tmp_path: Path, engine: dict[str, Any]
) -> None:
    result, records = run_inner(pytester, tmp_path, engine, "-n", "2", source=SESSION_SCOPED)
    result.assert_outcomes(passed=8)
    assert len({r["handle"] for r in records}) == 1
    by_worker: dict[str, set[str]] = {}
    for r in records:
        by_worker.setdefault(r["worker"], set()).add(r["account"])
    assert sorted(by_worker) == ["gw0", "gw1"]
    assert all(len(accounts) == 1 for accounts in by_worker.values()), by_worker
    assert by_worker["gw0"] != by_worker["gw1"]


CRASHING = (
    INNER_TESTS
    + """

def test_crash(localstack):
    boto3.client("sqs").list_queues()
    os._exit(3)
"""
)


@pytest.mark.engines("docker-moto", "process")
def test_a_crashed_worker_does_not_break_the_run(
    pytester: pytest.Pytester,
    tmp_path: Path,
    engine: dict[str, Any],
    request: pytest.FixtureRequest,
) -> None:
    docker_client = docker_client_for(engine, request)
    result, records = run_inner(
        pytester, tmp_path, engine, "-n", "2", source=CRASHING.format(count=10)
    )
    result.assert_outcomes(passed=10, failed=1)
    result.stdout.fnmatch_lines(["*crashed*"])
    assert len({r["handle"] for r in records}) == 1
    assert_gone(records, docker_client)


@pytest.mark.engines("process")
def test_share_worker_starts_one_emulator_per_worker(
    pytester: pytest.Pytester, tmp_path: Path, engine: dict[str, Any]
) -> None:
    result, records = run_inner(
        pytester,
        tmp_path,
        engine,
        "-n",
        "2",
        "--localstack-share=worker",
        source=INNER_TESTS.format(count=8),
    )
    result.assert_outcomes(passed=8)
    handles_by_worker = {r["worker"]: r["handle"] for r in records}
    assert len(set(handles_by_worker.values())) == 2
    assert_gone(records)


CONFLICTS = """
import os, json, uuid, pytest_localstack

plain = pytest_localstack.session_fixture(services=["sqs"])
other_services = pytest_localstack.session_fixture(services=["s3", "ssm"])
other_env = pytest_localstack.session_fixture(env={"FOO": "bar"})

def test_sessions(plain, other_services, other_env):
    handles = [s.endpoint.handle for s in (plain, other_services, other_env)]
    path = os.path.join(os.environ["RECORD_DIR"], "handles.json")
    with open(path, "w") as f:
        json.dump(dict(handles=handles, engine=plain.endpoint.engine, handle=handles[0]), f)
"""


@pytest.mark.engines("process")
def test_conflicting_settings(
    pytester: pytest.Pytester, tmp_path: Path, engine: dict[str, Any]
) -> None:
    """Services are served by one emulator; settings that change the emulator get their own."""
    result, records = run_inner(pytester, tmp_path, engine, source=CONFLICTS)
    result.assert_outcomes(passed=1)
    plain, other_services, other_env = records[0]["handles"]
    assert plain == other_services
    assert plain != other_env
    assert_gone([dict(records[0], handle=h) for h in records[0]["handles"]])


def test_a_run_without_aws_tests_starts_nothing(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain="def test_nothing():\n    assert True\n")
    result = pytester.runpytest_subprocess("-n", "2", "--localstack-engine=process")
    result.assert_outcomes(passed=1)
    assert "served" not in result.stdout.str()


@pytest.mark.engines("docker-moto", "process")
def test_two_concurrent_runs_do_not_share(
    pytester: pytest.Pytester,
    tmp_path: Path,
    engine: dict[str, Any],
    request: pytest.FixtureRequest,
) -> None:
    docker_client = docker_client_for(engine, request)
    pytester.makepyfile(test_inner=INNER_TESTS.format(count=6))
    runs = []
    for index in range(2):
        records = tmp_path / f"records-{index}"
        records.mkdir()
        env = dict(os.environ, RECORD_DIR=str(records))
        command = [sys.executable, "-m", "pytest", "-n", "2", "-p", "no:cacheprovider"]
        command += [*engine_cli_args(engine), f"--basetemp={tmp_path / f'base-{index}'}"]
        runs.append(
            (
                records,
                subprocess.Popen(
                    command,
                    cwd=pytester.path,
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                ),
            )
        )
    handles = []
    for records, process in runs:
        output = process.communicate(timeout=300)[0].decode()
        assert process.returncode == 0, output
        found = [json.loads(p.read_text()) for p in records.glob("*.json")]
        assert len(found) == 6
        assert len({r["handle"] for r in found}) == 1
        handles.append(found[0]["handle"])
        assert_gone(found, docker_client)
    assert handles[0] != handles[1]
