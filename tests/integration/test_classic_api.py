"""The original project's API, unchanged test code, configured from the command line only."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.conftest import engine_cli_args

README_EXAMPLE = """
import boto3
import pytest_localstack

localstack = pytest_localstack.patch_fixture(services=["s3"], scope="module", autouse=True)

def test_s3_bucket_creation():
    s3 = boto3.resource("s3")
    assert len(list(s3.buckets.all())) == 0
    s3.Bucket("foobar").create()
    assert len(list(s3.buckets.all())) == 1
"""

SCOPES = """
import boto3
import pytest_localstack

patch_function = pytest_localstack.patch_fixture(scope="function", services=["sqs"])
patch_module = pytest_localstack.patch_fixture(scope="module", services=["sqs"])
patch_session = pytest_localstack.patch_fixture(scope="session", services=["sqs"])
session_function = pytest_localstack.session_fixture(scope="function", services=["sqs"])
session_module = pytest_localstack.session_fixture(scope="module", services=["sqs"])
session_session = pytest_localstack.session_fixture(scope="session", services=["sqs"])

def check_patched(session):
    sqs = boto3.client("sqs")
    sqs.create_queue(QueueName="q")
    assert boto3.client("sts").get_caller_identity()["Account"] == session.account_id
    assert len(sqs.list_queues()["QueueUrls"]) >= 1

def check_session(session):
    sqs = session.boto3.client("sqs")
    sqs.create_queue(QueueName="q")
    assert session.botocore.client("sts").get_caller_identity()["Account"] == session.account_id
    assert len(sqs.list_queues()["QueueUrls"]) >= 1

def test_patch_function(patch_function):
    check_patched(patch_function)

def test_patch_module(patch_module):
    check_patched(patch_module)

def test_patch_session(patch_session):
    check_patched(patch_session)

def test_session_function(session_function):
    check_session(session_function)

def test_session_module(session_module):
    check_session(session_module)

def test_session_session(session_session):
    check_session(session_session)

def test_identities(patch_function, patch_module, patch_session,
                    session_function, session_module, session_session):
    accounts = {s.account_id for s in (patch_function, patch_module, patch_session,
                                       session_function, session_module, session_session)}
    assert len(accounts) == 6
"""


@pytest.mark.engines("docker-localstack", "docker-moto", "process")
def test_readme_example_passes_unchanged(pytester: pytest.Pytester, engine: dict[str, Any]) -> None:
    pytester.makepyfile(test_readme=README_EXAMPLE)
    result = pytester.runpytest_subprocess(*engine_cli_args(engine))
    result.assert_outcomes(passed=1)


@pytest.mark.engines("docker-localstack", "docker-moto", "process")
def test_both_factories_at_every_scope(pytester: pytest.Pytester, engine: dict[str, Any]) -> None:
    pytester.makepyfile(test_scopes=SCOPES)
    result = pytester.runpytest_subprocess(*engine_cli_args(engine))
    result.assert_outcomes(passed=7)
    assert len([line for line in result.outlines if " served " in line]) == 1
