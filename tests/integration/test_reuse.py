"""Warm start: --localstack-reuse keeps the emulator for the next run with the same settings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pytest_localstack.runtimes import Endpoint, runtime_for
from tests.integration.conftest import engine_cli_args

pytestmark = [pytest.mark.slow, pytest.mark.engines("docker-moto", "process")]

INNER = """
import json, os
import boto3

def test_record(localstack):
    sqs = boto3.client("sqs")
    seen = sqs.list_queues().get("QueueUrls", [])
    sqs.create_queue(QueueName="left-behind")
    with open(os.environ["RECORD"], "w") as f:
        json.dump(dict(handle=localstack.endpoint.handle, engine=localstack.endpoint.engine,
                       url=localstack.endpoint.url, seen=seen), f)
"""


def run(pytester: pytest.Pytester, engine: dict[str, Any], *args: str) -> dict[str, Any]:
    record = pytester.path / "record.json"
    record.unlink(missing_ok=True)
    pytester.makepyfile(test_inner=INNER)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RECORD", str(record))
        result = pytester.runpytest_subprocess(*engine_cli_args(engine), *args)
    result.assert_outcomes(passed=1)
    data: dict[str, Any] = json.loads(record.read_text())
    return data


def alive(data: dict[str, Any]) -> bool:
    endpoint = Endpoint(data["url"], "moto", "", data["engine"], data["handle"])
    return runtime_for(endpoint.engine).is_alive(endpoint)


def test_second_run_attaches_with_a_fresh_account(
    pytester: pytest.Pytester, engine: dict[str, Any], registry: Path
) -> None:
    first = run(pytester, engine, "--localstack-reuse=true")
    assert alive(first), "a reused emulator outlives its run"
    second = run(pytester, engine, "--localstack-reuse=true")
    assert second["handle"] == first["handle"]
    assert second["seen"] == [], "the last run's queue is not visible to the next run's account"
    assert len(list(registry.glob("*.json"))) == 1


def test_other_settings_start_their_own(
    pytester: pytest.Pytester, engine: dict[str, Any], registry: Path
) -> None:
    first = run(pytester, engine, "--localstack-reuse=true")
    other = run(pytester, engine, "--localstack-reuse=true", "--localstack-env=FOO=bar")
    assert other["handle"] != first["handle"]
    assert alive(first)
    assert alive(other)
    assert len(list(registry.glob("*.json"))) == 2


def test_stop_reused_removes_them_all(
    pytester: pytest.Pytester, engine: dict[str, Any], registry: Path
) -> None:
    first = run(pytester, engine, "--localstack-reuse=true")
    pytester.makepyfile(test_inner="def test_nothing():\n    pass\n")
    result = pytester.runpytest_subprocess("--localstack-stop-reused")
    result.stdout.fnmatch_lines(["localstack: stopped 1 reused emulator(s)"])
    assert not alive(first)
    assert list(registry.glob("*.json")) == []


def test_without_reuse_the_emulator_stops(
    pytester: pytest.Pytester, engine: dict[str, Any], registry: Path
) -> None:
    data = run(pytester, engine, "--localstack-wait-stop")
    assert not alive(data)
    assert not registry.exists() or list(registry.glob("*.json")) == []
