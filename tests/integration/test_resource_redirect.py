"""A test that asks for a resource fixture reaches the emulator with plain boto3, on every engine.

The inner runs go through the dead proxy (set by the outer run's environment) and a sentinel
proxy: a request that is not redirected fails there instead of leaving the machine. An unpatched
``localstack_session`` redirects nothing; what its users get is pinned too.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.conftest import engine_cli_args
from tests.servers import Sentinel

INNER = """
import boto3
import botocore.exceptions
import pytest

def test_bucket_fixture_and_plain_boto3(s3_bucket):
    s3 = boto3.client("s3")
    s3.put_object(Bucket=s3_bucket.name, Key="k", Body=b"x")
    assert s3.get_object(Bucket=s3_bucket.name, Key="k")["Body"].read() == b"x"

def test_queue_fixture_and_plain_boto3(sqs_queue):
    sqs = boto3.client("sqs")
    sqs.send_message(QueueUrl=sqs_queue.url, MessageBody="hello")
    got = sqs.receive_message(QueueUrl=sqs_queue.url, WaitTimeSeconds=1)["Messages"]
    assert got[0]["Body"] == "hello"

def test_factory_fixture_and_plain_boto3_resource(make_s3_bucket, localstack_session):
    bucket = make_s3_bucket({"a.txt": "a"})
    keys = [o.key for o in boto3.resource("s3").Bucket(bucket.name).objects.all()]
    assert keys == ["a.txt"]
    account = boto3.client("sts").get_caller_identity()["Account"]
    assert account == localstack_session.account_id

def test_with_localstack_too(localstack, s3_bucket):
    assert [b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]] == [s3_bucket.name]

def test_unpatched_session_redirects_nothing(localstack_session):
    explicit = localstack_session.boto3.client("s3")
    assert explicit.meta.endpoint_url == localstack_session.endpoint.url
    # Not redirected: such a client would go to AWS (it is never used here).
    plain = boto3.client("s3", region_name="us-east-1", aws_access_key_id="x",
                         aws_secret_access_key="y")
    assert plain.meta.endpoint_url == "https://s3.amazonaws.com"
"""


def test_resource_fixtures_redirect_plain_boto3(
    pytester: pytest.Pytester, engine: dict[str, Any], empty_sentinel: Sentinel
) -> None:
    pytester.makepyfile(test_inner=INNER)
    result = pytester.runpytest_subprocess(*engine_cli_args(engine))
    result.assert_outcomes(passed=5)
