"""``--localstack-env`` end to end: a value with commas reaches the emulator whole, and no value
shows up in what the run prints, the emulator's log lines in a failing test's report included.

Real pytest subprocesses against real emulators (LocalStack and moto in Docker, on both network
paths, and the embedded moto server).
"""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from tests.integration.conftest import engine_cli_args

pytestmark = pytest.mark.slow

SERVICES_TEST = """
import json, urllib.request

import boto3

def test_only_the_named_services(localstack):
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(localstack.endpoint.url + "/_localstack/health", timeout=10) as answer:
        services = json.load(answer)["services"]
    assert services["s3"] != "disabled" and services["sqs"] != "disabled", services
    assert services["sns"] == "disabled", services
    boto3.client("sqs").list_queues()
"""

LOGGED_SECRET_TEST = """
import os, urllib.request

def test_fails_after_a_request_that_the_emulator_logs(localstack):
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    token = os.environ["PLT_INNER_SECRET"]
    opener.open(localstack.endpoint.url + "/moto-api/?token=" + token, timeout=10).read()
    assert False, "fails on purpose, so that the report shows the emulator's log lines"
"""


@pytest.mark.engines("docker-localstack")
def test_a_value_with_commas_reaches_the_emulator_whole(
    pytester: pytest.Pytester, engine: dict[str, Any]
) -> None:
    pytester.makepyfile(test_inner=SERVICES_TEST)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", *engine_cli_args(engine), "--localstack-env=SERVICES=s3,sqs"
    )
    output = result.stdout.str() + result.stderr.str()
    assert result.ret == 0, output
    result.assert_outcomes(passed=1)


@pytest.mark.engines("docker-moto", "process")
@pytest.mark.parametrize("how", ["flag", "ini"])
def test_values_never_show_in_the_output(
    pytester: pytest.Pytester, engine: dict[str, Any], how: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = f"plt-{secrets.token_hex(12)}"
    monkeypatch.setenv("PLT_INNER_SECRET", secret)  # not in the test's source, which pytest shows
    pytester.makepyfile(test_inner=LOGGED_SECRET_TEST)
    args = ["-p", "no:cacheprovider", "-rA", *engine_cli_args(engine)]
    if how == "flag":
        args += ["--localstack-env", f"PLT_TOKEN={secret}", "--localstack-env", "DEBUG=1"]
    else:
        pytester.makeini(f"[pytest]\nlocalstack_env =\n    PLT_TOKEN={secret}\n    DEBUG=1\n")
    result = pytester.runpytest_subprocess(*args)
    output = result.stdout.str() + result.stderr.str()
    result.assert_outcomes(failed=1)
    # The request line with the value is in the report, masked: the log lines were there.
    assert "/moto-api/?token=***" in output, output
    assert secret not in output
