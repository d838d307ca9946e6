"""aiobotocore and aioboto3 against a real moto server: redirected while patched, guarded, and
the ``session.aiobotocore`` / ``session.aioboto3`` factories.

Every test runs on the embedded moto server and on moto in Docker. The escape tests use clients
that would go to AWS (their endpoint says so; nothing is sent to find out). Every proxy variable
points at a sentinel server on 127.0.0.1 that records whatever reaches it and forwards nothing:
it must stay empty, so the guard stopped the request before it left the client.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import aioboto3
import aiobotocore.session
import boto3
import pytest

from pytest_localstack.exceptions import RealAWSRequestError
from pytest_localstack.session import RunningSession
from tests.conftest import unique
from tests.servers import Sentinel

pytestmark = [pytest.mark.anyio, pytest.mark.engines("process", "docker-moto")]


@pytest.fixture(autouse=True)
def _real_looking_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Credentials that must never be used: every client below has to get the session's."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREALREALREAL0000")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "real-secret")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "real-session-token")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)


def access_key_of(client: Any) -> str:
    key: str = client._request_signer._credentials.access_key
    return key


def bucket_names(session: RunningSession) -> list[str]:
    s3 = session.boto3.client("s3")
    return [bucket["Name"] for bucket in s3.list_buckets()["Buckets"]]


# -- aiobotocore, redirected by the patch -----------------------------------------------------


async def test_aiobotocore_s3(patched: RunningSession) -> None:
    name = unique("aio-bucket")
    async with aiobotocore.session.get_session().create_client("s3") as s3:
        assert access_key_of(s3) == patched.access_key_id
        assert s3.meta.endpoint_url == patched.endpoint_url()
        await s3.create_bucket(Bucket=name)
        await s3.put_object(Bucket=name, Key="hello.txt", Body=b"hello")
        response = await s3.get_object(Bucket=name, Key="hello.txt")
        async with response["Body"] as body:
            assert await body.read() == b"hello"
        listed = await s3.list_buckets()
    assert [b["Name"] for b in listed["Buckets"]] == [name]
    assert bucket_names(patched) == [name]  # the session's account, seen by a sync client


async def test_aiobotocore_sqs(patched: RunningSession) -> None:
    async with aiobotocore.session.get_session().create_client("sqs") as sqs:
        url = (await sqs.create_queue(QueueName="jobs"))["QueueUrl"]
        await sqs.send_message(QueueUrl=url, MessageBody="work")
        messages = (await sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1))["Messages"]
    assert url.endswith(f"/{patched.account_id}/jobs")
    assert [m["Body"] for m in messages] == ["work"]


async def test_aiobotocore_dynamodb(patched: RunningSession) -> None:
    async with aiobotocore.session.get_session().create_client("dynamodb") as dynamodb:
        await dynamodb.create_table(
            TableName="items",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        await dynamodb.put_item(TableName="items", Item={"id": {"S": "1"}, "n": {"S": "one"}})
        item = (await dynamodb.get_item(TableName="items", Key={"id": {"S": "1"}}))["Item"]
        arn = (await dynamodb.describe_table(TableName="items"))["Table"]["TableArn"]
    assert item["n"] == {"S": "one"}
    assert arn.split(":")[4] == patched.account_id


async def test_aiobotocore_keeps_the_callers_config(patched: RunningSession) -> None:
    from aiobotocore.config import AioConfig

    config = AioConfig(connector_args={"keepalive_timeout": 3}, retries={"max_attempts": 2})
    async with aiobotocore.session.get_session().create_client("s3", config=config) as s3:
        assert isinstance(s3.meta.config, AioConfig)
        assert s3.meta.config.connector_args["keepalive_timeout"] == 3
        assert s3.meta.config.s3 == {"addressing_style": "path"}
        await s3.list_buckets()


async def test_aiobotocore_caller_is_the_sessions_account(patched: RunningSession) -> None:
    async with aiobotocore.session.get_session().create_client("sts") as sts:
        assert (await sts.get_caller_identity())["Account"] == patched.account_id


# -- aioboto3, redirected by the patch --------------------------------------------------------


async def test_aioboto3_client_and_resource(patched: RunningSession) -> None:
    session = aioboto3.Session()
    name = unique("aioboto3-bucket")
    async with session.resource("s3") as s3:
        bucket = await s3.create_bucket(Bucket=name)
        await bucket.put_object(Key="k", Body=b"v")
        assert [b.name async for b in s3.buckets.all()] == [name]
    async with session.client("sqs") as sqs:
        assert access_key_of(sqs) == patched.access_key_id
        url = (await sqs.create_queue(QueueName="aioboto3"))["QueueUrl"]
    async with session.resource("dynamodb") as dynamodb:
        table = await dynamodb.create_table(
            TableName="things",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        await table.put_item(Item={"id": "1", "name": "one"})
        assert (await table.get_item(Key={"id": "1"}))["Item"]["name"] == "one"
    assert url.endswith(f"/{patched.account_id}/aioboto3")
    assert bucket_names(patched) == [name]


# -- the factories, without the patch ---------------------------------------------------------


async def test_factories_without_the_patch(identity: RunningSession) -> None:
    name = unique("factory")
    async with identity.aiobotocore.client("s3") as s3:
        assert access_key_of(s3) == identity.access_key_id
        await s3.create_bucket(Bucket=name)
    async with identity.aioboto3.client("sqs") as sqs:
        url = (await sqs.create_queue(QueueName="factory"))["QueueUrl"]
    async with identity.aioboto3.resource("dynamodb") as dynamodb:
        table = await dynamodb.create_table(
            TableName="factory",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        await table.put_item(Item={"id": "x"})
    async with identity.aiobotocore.session().create_client("sts") as sts:
        assert (await sts.get_caller_identity())["Account"] == identity.account_id
    assert url.endswith(f"/{identity.account_id}/factory")
    assert bucket_names(identity) == [name]


async def test_factories_ignore_the_profile_of_real_aws(
    identity: RunningSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")
    async with identity.aiobotocore.client("sts") as sts:
        assert (await sts.get_caller_identity())["Account"] == identity.account_id
    async with identity.aioboto3.client("sts") as sts:
        assert (await sts.get_caller_identity())["Account"] == identity.account_id


def test_factories_serve_one_event_loop_after_another(identity: RunningSession) -> None:
    """The factories keep one session each; a test per event loop must still work."""

    async def count_queues() -> int:
        async with identity.aiobotocore.client("sqs") as sqs:
            aiobotocore_count = len((await sqs.list_queues()).get("QueueUrls", []))
        async with identity.aioboto3.client("sqs") as sqs:
            aioboto3_count = len((await sqs.list_queues()).get("QueueUrls", []))
        assert aiobotocore_count == aioboto3_count
        return aiobotocore_count

    identity.boto3.client("sqs").create_queue(QueueName="loops")
    assert asyncio.run(count_queues()) == 1
    assert asyncio.run(count_queues()) == 1


async def test_accounts_do_not_see_each_other(identity: RunningSession) -> None:
    other = identity.new_identity()
    try:
        for session in (identity, other):
            async with session.aioboto3.client("sqs") as sqs:
                await sqs.create_queue(QueueName=f"only-{session.account_id}")
        for session in (identity, other):
            async with session.aiobotocore.client("sqs") as sqs:
                urls = (await sqs.list_queues())["QueueUrls"]
            assert [u.rsplit("/", 1)[1] for u in urls] == [f"only-{session.account_id}"]
    finally:
        other.stop()


# -- clients made before the patch for AWS: redirected; other endpoints: refused ------------


async def test_aiobotocore_client_from_before_the_patch_is_redirected(
    identity: RunningSession, sentinel: Sentinel
) -> None:
    name = unique("aio-before")
    async with aiobotocore.session.get_session().create_client("sqs") as before:
        assert before.meta.endpoint_url == "https://sqs.us-east-1.amazonaws.com"
        with identity.botocore.patch_botocore():
            url = (await before.create_queue(QueueName=name))["QueueUrl"]
    assert identity.account_id in url
    assert sentinel.requests == []


async def test_aioboto3_client_from_before_the_patch_is_redirected(
    identity: RunningSession, sentinel: Sentinel
) -> None:
    """S3 in virtual-host style (``bucket.s3.amazonaws.com``) becomes path style."""
    bucket = unique("aio-before")
    async with aioboto3.Session().client("s3") as before:
        assert before.meta.endpoint_url == "https://s3.amazonaws.com"
        with identity.botocore.patch_botocore():
            await before.create_bucket(Bucket=bucket)
            await before.put_object(Bucket=bucket, Key="k", Body=b"v")
            got = await before.get_object(Bucket=bucket, Key="k")
            assert await got["Body"].read() == b"v"
            await before.delete_object(Bucket=bucket, Key="k")
    try:
        assert bucket in bucket_names(identity)
    finally:
        identity.boto3.client("s3").delete_bucket(Bucket=bucket)
    assert sentinel.requests == []


async def test_aioboto3_resource_from_before_the_patch_is_redirected(
    identity: RunningSession, sentinel: Sentinel
) -> None:
    async with aioboto3.Session().resource("dynamodb") as before:
        assert before.meta.client.meta.endpoint_url == "https://dynamodb.us-east-1.amazonaws.com"
        with identity.botocore.patch_botocore():
            tables = await before.meta.client.list_tables()
    assert tables["TableNames"] == []
    assert sentinel.requests == []


async def test_aiobotocore_client_given_another_endpoint_is_blocked(
    patched: RunningSession, sentinel: Sentinel
) -> None:
    """An explicit endpoint_url is the caller's, but while patched only an emulator is allowed:
    here the sentinel itself stands for a real endpoint, and a request would reach it."""
    session = aiobotocore.session.get_session()
    async with session.create_client("sqs", endpoint_url=sentinel.url) as sqs:
        with pytest.raises(RealAWSRequestError, match=re.escape(sentinel.url)):
            await sqs.list_queues()
    assert sentinel.requests == []


async def test_guard_and_redirection_end_with_the_patch(identity: RunningSession) -> None:
    from aiobotocore.httpsession import AIOHTTPSession

    create_client = aiobotocore.session.AioSession.create_client
    send = AIOHTTPSession.send
    with identity.botocore.patch_botocore():
        assert aiobotocore.session.AioSession.create_client is not create_client
        assert AIOHTTPSession.send is not send
    assert aiobotocore.session.AioSession.create_client is create_client
    assert AIOHTTPSession.send is send
    async with aiobotocore.session.get_session().create_client("sqs") as after:
        assert after.meta.endpoint_url == "https://sqs.us-east-1.amazonaws.com"
