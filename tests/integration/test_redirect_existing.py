"""Clients and sessions made before the patch, threads and asyncio tasks, host prefixes.

On every engine of the matrix. Clients "from before" are made before ``patch_botocore`` starts,
as an application module makes its clients at import time; they point at real AWS. Every proxy
variable points at a sentinel on 127.0.0.1 that forwards nothing (``NO_PROXY`` covers
127.0.0.1): after the patch such a client goes to its own endpoint again, which here means the
sentinel, and nothing leaves the machine.
"""

from __future__ import annotations

import asyncio
import io
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import aiobotocore.session
import boto3
import botocore.config
import botocore.exceptions
import botocore.session
import pytest

from pytest_localstack.exceptions import RealAWSRequestError
from pytest_localstack.session import LocalstackSession, RunningSession
from tests.conftest import REAL_KEY, REAL_SECRET, unique
from tests.servers import Sentinel, serving


@pytest.fixture(autouse=True)
def _the_users_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A developer's machine: real-looking credentials, a region and a config file of their own."""
    config = tmp_path / "users-config"
    config.write_text("[default]\nregion = eu-north-1\n")
    credentials = tmp_path / "users-credentials"
    credentials.write_text(
        f"[default]\naws_access_key_id = {REAL_KEY}\naws_secret_access_key = {REAL_SECRET}\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ENDPOINT_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)


def queue_names(session: RunningSession, region: str | None = None) -> set[str]:
    sqs = session.boto3.client("sqs", region_name=region)
    return {url.rsplit("/", 1)[1] for url in sqs.list_queues().get("QueueUrls", [])}


def bucket_names(session: RunningSession) -> set[str]:
    return {bucket["Name"] for bucket in session.boto3.client("s3").list_buckets()["Buckets"]}


def access_key_of(client: Any) -> str:
    return str(client._request_signer._credentials.access_key)


# -- clients made before the patch ----------------------------------------------------------


def test_a_client_from_before_is_redirected_to_the_patchs_account(
    identity: RunningSession, sentinel: Sentinel
) -> None:
    sqs = boto3.client("sqs")  # module level in application code: the user's AWS
    s3 = boto3.client("s3")
    assert sqs.meta.endpoint_url == "https://sqs.eu-north-1.amazonaws.com"
    name, bucket = unique("before"), unique("before-bucket")
    with identity.botocore.patch_botocore():
        sqs.create_queue(QueueName=name)
        s3.create_bucket(
            Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-north-1"}
        )
        s3.put_object(Bucket=bucket, Key="a/b.txt", Body=b"hello")
        assert s3.get_object(Bucket=bucket, Key="a/b.txt")["Body"].read() == b"hello"
        # boto3's transfer manager sends from its own worker threads.
        s3.upload_fileobj(io.BytesIO(b"transferred"), bucket, "c.txt")
        listed = s3.list_objects_v2(Bucket=bucket)["Contents"]
        assert [item["Key"] for item in listed] == ["a/b.txt", "c.txt"]
    try:
        assert name in queue_names(identity, "eu-north-1")
        assert bucket in bucket_names(identity)
        assert sentinel.requests == []
        # The client is unchanged: its own endpoint and credentials again after the patch.
        assert access_key_of(sqs) == REAL_KEY
        with pytest.raises(botocore.exceptions.ProxyConnectionError):
            sqs.list_queues()
        # botocore retries: every attempt asked the proxy for the client's own endpoint.
        assert sentinel.requests
        assert {tuple(line.split()[:2]) for line in sentinel.requests} == {
            ("CONNECT", "sqs.eu-north-1.amazonaws.com:443")
        }
    finally:
        plugin_s3 = identity.boto3.client("s3")
        for key in ("a/b.txt", "c.txt"):
            plugin_s3.delete_object(Bucket=bucket, Key=key)
        plugin_s3.delete_bucket(Bucket=bucket)


def test_an_aiobotocore_client_from_before_is_redirected(
    identity: RunningSession, sentinel: Sentinel
) -> None:
    name = unique("aio-before")

    async def scenario() -> None:
        session = aiobotocore.session.get_session()
        async with session.create_client("sqs") as sqs:
            assert sqs.meta.endpoint_url == "https://sqs.eu-north-1.amazonaws.com"
            with identity.botocore.patch_botocore():
                await sqs.create_queue(QueueName=name)
            assert sentinel.requests == []
            with pytest.raises(botocore.exceptions.ProxyConnectionError):
                await sqs.list_queues()

    asyncio.run(scenario())
    assert name in queue_names(identity, "eu-north-1")
    assert sentinel.requests[0].startswith("CONNECT sqs.eu-north-1.amazonaws.com:443")


def test_a_client_from_before_with_another_endpoint_is_refused(
    identity: RunningSession, sentinel: Sentinel
) -> None:
    """Not an AWS host: it cannot be redirected, and the guard refuses it loudly."""
    with serving(Sentinel()) as elsewhere:
        before = boto3.client("sqs", endpoint_url=elsewhere.url)
        with (
            identity.botocore.patch_botocore(),
            pytest.raises(RealAWSRequestError, match=re.escape(elsewhere.url)),
        ):
            before.list_queues()
        assert elsewhere.requests == []


# -- a botocore session made before the patch -----------------------------------------------


def test_a_session_from_before_first_used_inside_keeps_the_users_settings(
    identity: RunningSession,
) -> None:
    """Children get the emulator through os.environ; this process's own sessions are not
    changed by it."""
    before = botocore.session.Session()  # made before, never used before the patch
    boto3_before = boto3.Session()
    name = unique("session-before")
    with identity.botocore.patch_botocore():
        client = before.create_client("sqs")
        client.create_queue(QueueName=name)
        assert before.get_credentials().access_key == identity.access_key_id
        assert boto3_before.region_name == identity.region_name
    assert name in queue_names(identity)
    assert before.get_config_variable("region") == "eu-north-1"
    assert before.get_credentials().access_key == REAL_KEY
    after = before.create_client("sqs")
    assert after.meta.endpoint_url == "https://sqs.eu-north-1.amazonaws.com"
    assert access_key_of(after) == REAL_KEY
    assert boto3_before.region_name == "eu-north-1"
    assert boto3_before.client("s3").meta.endpoint_url == "https://s3.eu-north-1.amazonaws.com"


# -- threads and asyncio tasks --------------------------------------------------------------


@pytest.fixture
def two_identities(aws: LocalstackSession) -> Iterator[tuple[RunningSession, RunningSession]]:
    first, second = aws.new_identity(), aws.new_identity()
    yield first, second
    first.stop()
    second.stop()


def run_in_threads(*works: Callable[[], None]) -> None:
    errors: list[BaseException] = []

    def guarded(work: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                work()
            except BaseException as error:
                errors.append(error)

        return run

    threads = [threading.Thread(target=guarded(work)) for work in works]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    if errors:
        raise errors[0]


def test_two_threads_patched_for_different_accounts(
    two_identities: tuple[RunningSession, RunningSession], empty_sentinel: Sentinel
) -> None:
    """Each thread's clients, new ones and one shared from before, act in its own account (the
    one from before in its own region)."""
    shared_from_before = boto3.client("sqs")
    user_default = boto3.DEFAULT_SESSION
    both_patched = threading.Barrier(2)
    names = {session.account_id: unique("thread") for session in two_identities}

    def work(session: RunningSession) -> Callable[[], None]:
        def run() -> None:
            with session.botocore.patch_botocore():
                both_patched.wait(60)
                for index in range(5):
                    boto3.client("sqs").create_queue(
                        QueueName=f"{names[session.account_id]}-{index}"
                    )
                    shared_from_before.create_queue(
                        QueueName=f"{names[session.account_id]}-shared-{index}"
                    )
                both_patched.wait(60)

        return run

    run_in_threads(*(work(session) for session in two_identities))
    for session in two_identities:
        mine = names[session.account_id]
        assert queue_names(session) == {f"{mine}-{i}" for i in range(5)}
        assert queue_names(session, "eu-north-1") == {f"{mine}-shared-{i}" for i in range(5)}
    assert boto3.DEFAULT_SESSION is user_default


def test_a_thread_started_by_a_patched_test_is_redirected(
    identity: RunningSession, empty_sentinel: Sentinel
) -> None:
    """A thread has a context of its own, but no patch of its own: it uses the test's."""
    name = unique("worker")
    with identity.botocore.patch_botocore():
        run_in_threads(lambda: boto3.client("sqs").create_queue(QueueName=name))
    assert queue_names(identity) == {name}


def test_two_asyncio_tasks_patched_for_different_accounts(
    two_identities: tuple[RunningSession, RunningSession], empty_sentinel: Sentinel
) -> None:
    """Tasks interleave inside their patches, and end them in the other order."""
    names = {session.account_id: unique("task") for session in two_identities}
    user_default = boto3.Session()
    boto3.DEFAULT_SESSION = user_default

    async def work(session: RunningSession, started: asyncio.Event, other: asyncio.Event) -> None:
        name = names[session.account_id]
        with session.botocore.patch_botocore():
            started.set()
            await other.wait()
            async with aiobotocore.session.get_session().create_client("sqs") as sqs:
                await sqs.create_queue(QueueName=f"{name}-aio")
            await asyncio.sleep(0)
            boto3.client("sqs").create_queue(QueueName=f"{name}-sync")

    async def both() -> None:
        first, second = asyncio.Event(), asyncio.Event()
        await asyncio.gather(
            work(two_identities[0], first, second), work(two_identities[1], second, first)
        )

    asyncio.run(both())
    for session in two_identities:
        name = names[session.account_id]
        assert queue_names(session) == {f"{name}-aio", f"{name}-sync"}
    assert boto3.DEFAULT_SESSION is user_default


# -- host-prefixed operations ---------------------------------------------------------------

#: Neither service is in LocalStack's community edition: there the proof that the request
#: reached the emulator (and not a prefixed host that does not resolve) is LocalStack's answer.
NOT_IN_LOCALSTACK = {
    "servicediscovery": "not included in your current license plan",
    "s3control": "InternalError",
}
ONCE = botocore.config.Config(retries={"total_max_attempts": 1})


def on_the_emulator(session: RunningSession, service: str, call: Callable[[], Any]) -> Any:
    """``call()``'s result on moto; on LocalStack, the error that says it reached LocalStack."""
    if session.endpoint.emulator != "localstack":
        return call()
    with pytest.raises(botocore.exceptions.ClientError, match=NOT_IN_LOCALSTACK[service]):
        call()
    return None


def test_servicediscovery_discover_instances(
    identity: RunningSession, empty_sentinel: Sentinel
) -> None:
    """DiscoverInstances has the host prefix ``data-``: not injected for the emulator."""
    before = boto3.client("servicediscovery", region_name=identity.region_name, config=ONCE)
    name = unique("ns")
    with identity.botocore.patch_botocore():
        client = boto3.client("servicediscovery", config=ONCE)

        def register() -> None:
            operation = client.create_http_namespace(Name=name)["OperationId"]
            targets = client.get_operation(OperationId=operation)["Operation"]["Targets"]
            service = client.create_service(Name="api", NamespaceId=targets["NAMESPACE"])
            client.register_instance(
                ServiceId=service["Service"]["Id"], InstanceId="i-1", Attributes={"port": "80"}
            )

        on_the_emulator(identity, "servicediscovery", register)
        for discovering in (client, before):
            found = on_the_emulator(
                identity,
                "servicediscovery",
                lambda client=discovering: client.discover_instances(  # type: ignore[misc]
                    NamespaceName=name, ServiceName="api"
                ),
            )
            if found is not None:
                assert [item["InstanceId"] for item in found["Instances"]] == ["i-1"]


def test_s3control_public_access_block(identity: RunningSession, empty_sentinel: Sentinel) -> None:
    """s3control's endpoint rules put the account id in front of any host, even a custom
    endpoint: dropped at send time for a client made while patched; a client from before the
    patch has its whole host replaced."""
    before = boto3.client("s3control", config=ONCE)
    account = identity.account_id
    with identity.botocore.patch_botocore():
        on_the_emulator(
            identity,
            "s3control",
            lambda: boto3.client("s3control", config=ONCE).put_public_access_block(
                AccountId=account,
                PublicAccessBlockConfiguration={"BlockPublicAcls": True, "IgnorePublicAcls": True},
            ),
        )
        got = on_the_emulator(
            identity, "s3control", lambda: before.get_public_access_block(AccountId=account)
        )
    if got is not None:
        assert got["PublicAccessBlockConfiguration"]["BlockPublicAcls"] is True
