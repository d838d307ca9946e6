"""Redirection against a real moto server running in this process (moto's ThreadedMotoServer).

No Docker: the server listens on a free 127.0.0.1 port, a :class:`RunningSession` attaches to
it (and detects moto), and boto3 calls inside ``patch_botocore`` land in that server under the
session's account, selected by the ``x-moto-account-id`` header.
"""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import botocore.exceptions
import pytest

from pytest_localstack.exceptions import RealAWSRequestError
from pytest_localstack.session import RunningSession
from tests.servers import DEAD_PROXY, set_proxies

pytestmark = pytest.mark.integration

moto_server = pytest.importorskip("moto.server")


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    set_proxies(monkeypatch, DEAD_PROXY)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)


@pytest.fixture
def session(moto_url: str) -> Iterator[RunningSession]:
    with RunningSession(moto_url.removeprefix("http://"), services=["sqs"]) as started:
        yield started


def _queues_in_moto(account_id: str, region: str = "us-east-1") -> set[str]:
    from moto.sqs.models import sqs_backends

    return set(sqs_backends[account_id][region].queues)


def test_session_detects_moto(session: RunningSession, moto_url: str) -> None:
    assert session.endpoint.emulator == "moto"
    assert session.endpoint.engine == "external"
    assert session.endpoint_url("sqs") == moto_url
    assert session.request_headers == {"x-moto-account-id": session.account_id}


def test_boto3_client_creates_queues_in_the_sessions_account(session: RunningSession) -> None:
    with session.botocore.patch_botocore():
        sqs = boto3.client("sqs")
        url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
    assert url.endswith(f"/{session.account_id}/jobs")
    assert arn == f"arn:aws:sqs:us-east-1:{session.account_id}:jobs"
    assert _queues_in_moto(session.account_id) == {"jobs"}


def test_two_accounts_do_not_see_each_other(session: RunningSession) -> None:
    other = session.new_identity()
    try:
        with session.botocore.patch_botocore():
            boto3.client("sqs").create_queue(QueueName="mine")
            mine = boto3.client("sqs").list_queues().get("QueueUrls", [])
        with other.botocore.patch_botocore():
            boto3.client("sqs").create_queue(QueueName="theirs")
            theirs = boto3.client("sqs").list_queues().get("QueueUrls", [])
    finally:
        other.stop()
    assert [url.rsplit("/", 1)[1] for url in mine] == ["mine"]
    assert [url.rsplit("/", 1)[1] for url in theirs] == ["theirs"]
    assert _queues_in_moto(session.account_id) == {"mine"}
    assert _queues_in_moto(other.account_id) == {"theirs"}


def test_factory_clients_without_the_patch(session: RunningSession) -> None:
    sqs = session.boto3.client("sqs")
    sqs.create_queue(QueueName="factory")
    assert _queues_in_moto(session.account_id) == {"factory"}


def test_client_from_before_the_patch_is_redirected(session: RunningSession) -> None:
    """A client made before the patch for real AWS acts in the session's account while patched,
    and goes to its own endpoint again afterwards (here the dead proxy stops it)."""
    before = boto3.session.Session(
        aws_access_key_id="AKIAOUTSIDE", aws_secret_access_key="x", region_name="eu-west-1"
    ).client("sqs")
    with session.botocore.patch_botocore():
        before.create_queue(QueueName="from-before")
    assert _queues_in_moto(session.account_id, "eu-west-1") == {"from-before"}
    with pytest.raises(botocore.exceptions.ProxyConnectionError, match=DEAD_PROXY):
        before.list_queues()
    before.close()


def test_client_from_before_the_patch_with_another_endpoint_is_blocked(
    session: RunningSession,
) -> None:
    before = boto3.session.Session(
        aws_access_key_id="AKIAOUTSIDE", aws_secret_access_key="x", region_name="us-east-1"
    ).client("sqs", endpoint_url="http://127.0.0.1:9")
    with (
        session.botocore.patch_botocore(),
        pytest.raises(RealAWSRequestError, match=r"127\.0\.0\.1:9"),
    ):
        before.list_queues()
    before.close()
