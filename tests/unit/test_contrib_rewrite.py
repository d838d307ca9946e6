"""Unit tests for :mod:`pytest_localstack.contrib._rewrite`: which requests are redirected, how
they are rewritten and signed again, and which are refused.

The requests are the ones real botocore clients prepare (captured before they are sent); the
new signature is checked by computing it again with botocore's own signer.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import botocore.session
import pytest

from pytest_localstack.contrib import _active, _rewrite
from pytest_localstack.exceptions import RealAWSRequestError
from pytest_localstack.runtimes import Endpoint
from pytest_localstack.session import RunningSession

EMULATOR = "http://127.0.0.1:4999"


def make(emulator: str = "moto", account_id: str = "123456789012") -> RunningSession:
    endpoint = Endpoint(url=EMULATOR, emulator=emulator, version="t", engine="external")
    return RunningSession(endpoint=endpoint, account_id=account_id)


@pytest.fixture
def active() -> Iterator[RunningSession]:
    session = make()
    _active.activate(session)
    yield session
    _active.deactivate(session)


def prepared(service: str, operation: str, region: str = "us-east-1", **kwargs: Any) -> Any:
    """The request a real client of the user's (with a session token) would send."""
    client = botocore.session.Session().create_client(
        service,
        region_name=region,
        aws_access_key_id="AKIAREALREALREAL0000",
        aws_secret_access_key="real-secret",
        aws_session_token="real-token",
        **kwargs.pop("client_kwargs", {}),
    )
    captured: list[Any] = []

    def capture(request: Any, **_: Any) -> Any:
        captured.append(request)
        return botocore.awsrequest.AWSResponse(request.url, 200, {}, _Raw())

    client.meta.events.register("before-send", capture)
    with contextlib.suppress(Exception):  # the empty answer may not parse: only the request counts
        getattr(client, operation)(**kwargs)
    client.close()
    return captured[0]


class _Raw:
    def stream(self, **_: Any) -> Iterator[bytes]:
        yield b""

    def read(self, *_: Any) -> bytes:
        return b""


def header(request: Any, name: str) -> str:
    value = request.headers.get(name)
    return value.decode() if isinstance(value, bytes) else str(value)


def assert_signed_by(request: Any, session: RunningSession, region: str, service: str) -> None:
    """The Authorization header is exactly what botocore's signer computes for the session."""
    authorization = header(request, "Authorization")
    scope = f"Credential={session.access_key_id}/"
    assert scope in authorization
    assert f"/{region}/{service}/aws4_request" in authorization
    signer_class = botocore.auth.S3SigV4Auth if service == "s3" else botocore.auth.SigV4Auth
    credentials = botocore.credentials.Credentials(session.access_key_id, "test")
    signer = signer_class(credentials, service, region)
    headers = {k: v for k, v in request.headers.items() if k != "Authorization"}
    again = botocore.awsrequest.AWSRequest(request.method, request.url, headers, request.body)
    again.context["timestamp"] = header(request, "X-Amz-Date")
    canonical = signer.canonical_request(again)
    expected = signer.signature(signer.string_to_sign(again, canonical), again)
    assert authorization.endswith(f"Signature={expected}")


# -- which hosts are AWS ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "suffix"),
    [
        ("sqs.us-east-1.amazonaws.com", "amazonaws.com"),
        ("my.bucket.s3.eu-west-1.amazonaws.com", "amazonaws.com"),
        ("s3.cn-north-1.amazonaws.com.cn", "amazonaws.com.cn"),
        ("sqs.us-east-1.api.aws", "api.aws"),
        ("SQS.US-EAST-1.AMAZONAWS.COM.", "amazonaws.com"),
        ("127.0.0.1", None),
        ("amazonaws.com.evil.example", None),
        ("notamazonaws.com", None),
    ],
)
def test_aws_hosts(host: str, suffix: str | None) -> None:
    assert _rewrite.aws_suffix_of(host) == suffix


@pytest.mark.parametrize(
    ("host", "bucket"),
    [
        ("s3.amazonaws.com", ""),
        ("s3.us-west-2.amazonaws.com", ""),
        ("photos.s3.amazonaws.com", "photos"),
        ("my.dotted.bucket.s3.us-west-2.amazonaws.com", "my.dotted.bucket"),
        ("photos.s3-us-west-2.amazonaws.com", "photos"),
        ("photos.s3-external-1.amazonaws.com", "photos"),
        ("photos.s3-accelerate.dualstack.amazonaws.com", "photos"),
        ("s3.s3.amazonaws.com", "s3"),
        ("123456789012.s3-control.us-east-1.amazonaws.com", ""),
    ],
)
def test_virtual_host_buckets(host: str, bucket: str) -> None:
    assert _rewrite._virtual_host_bucket(host, "amazonaws.com") == bucket


# -- rewriting ---------------------------------------------------------------------------------


def test_a_json_request_is_sent_to_the_emulator_as_the_session(active: RunningSession) -> None:
    original = prepared("sqs", "list_queues", region="eu-central-1")
    assert original.url == "https://sqs.eu-central-1.amazonaws.com/"
    routed = _rewrite.route(original)
    assert routed is not original
    assert routed.url == f"{EMULATOR}/"
    assert header(routed, "x-moto-account-id") == active.account_id
    assert "X-Amz-Security-Token" not in routed.headers
    assert_signed_by(routed, active, "eu-central-1", "sqs")
    assert header(original, "X-Amz-Security-Token") == "real-token"  # the original is left alone


def test_s3_virtual_host_becomes_path_style(active: RunningSession) -> None:
    original = prepared("s3", "put_object", Bucket="my-bucket", Key="a/b c.txt", Body=b"data")
    assert original.url.startswith("https://my-bucket.s3.amazonaws.com/a/b%20c.txt")
    routed = _rewrite.route(original)
    assert routed.url.startswith(f"{EMULATOR}/my-bucket/a/b%20c.txt")
    assert routed.body == original.body
    assert header(routed, "X-Amz-Content-SHA256") == header(original, "X-Amz-Content-SHA256")
    assert_signed_by(routed, active, "us-east-1", "s3")


def test_s3_bucket_level_request_keeps_its_query(active: RunningSession) -> None:
    original = prepared("s3", "list_objects_v2", Bucket="my-bucket", Prefix="x/")
    routed = _rewrite.route(original)
    assert re.fullmatch(rf"{EMULATOR}/my-bucket\?list-type=2&prefix=x%2F.*", routed.url)
    assert_signed_by(routed, active, "us-east-1", "s3")


def test_a_host_prefix_is_dropped(active: RunningSession) -> None:
    original = prepared(
        "servicediscovery", "discover_instances", NamespaceName="n", ServiceName="s"
    )
    assert original.url.startswith("https://data-servicediscovery.us-east-1.amazonaws.com/")
    routed = _rewrite.route(original)
    assert routed.url == f"{EMULATOR}/"
    assert_signed_by(routed, active, "us-east-1", "servicediscovery")


def test_localstack_needs_no_account_header() -> None:
    session = make("localstack", account_id="000000000042")
    routed = _rewrite.redirect(prepared("sqs", "list_queues"), session, "amazonaws.com")
    assert "x-moto-account-id" not in routed.headers
    assert_signed_by(routed, session, "us-east-1", "sqs")


def test_an_emulator_request_is_sent_unchanged(active: RunningSession) -> None:
    original = prepared("sqs", "list_queues", client_kwargs={"endpoint_url": EMULATOR})
    assert _rewrite.route(original) is original


def test_an_account_prefix_on_the_emulators_host_is_dropped(active: RunningSession) -> None:
    """s3control's endpoint rules prefix even a custom endpoint with the account id."""
    original = prepared(
        "s3control",
        "get_public_access_block",
        AccountId=active.account_id,
        client_kwargs={"endpoint_url": EMULATOR},
    )
    assert original.url.startswith(f"http://{active.account_id}.127.0.0.1:4999/")
    routed = _rewrite.route(original)
    assert routed.url.startswith(f"{EMULATOR}/v20180820/configuration/publicAccessBlock")
    assert_signed_by(routed, active, "us-east-1", "s3")


# -- refusals ----------------------------------------------------------------------------------


def test_another_host_is_refused(active: RunningSession) -> None:
    original = prepared("sqs", "list_queues", client_kwargs={"endpoint_url": "http://10.9.9.9"})
    with pytest.raises(RealAWSRequestError, match=r"blocked a request to http://10\.9\.9\.9/"):
        _rewrite.route(original)


def test_an_access_point_is_refused(active: RunningSession) -> None:
    arn = "arn:aws:s3:us-east-1:123456789012:accesspoint/my-point"
    original = prepared("s3", "get_object", Bucket=arn, Key="k")
    with pytest.raises(RealAWSRequestError, match="S3 access points, Object Lambda"):
        _rewrite.route(original)


def test_a_request_signed_otherwise_is_refused(active: RunningSession) -> None:
    original = prepared("sqs", "list_queues")
    original.headers["Authorization"] = "AWS4-ECDSA-P256-SHA256 Credential=x/y"
    with pytest.raises(RealAWSRequestError, match="signed with AWS4-ECDSA-P256-SHA256"):
        _rewrite.route(original)


def test_an_unsigned_request_is_redirected_unsigned(active: RunningSession) -> None:
    original = prepared("sqs", "list_queues")
    del original.headers["Authorization"]
    routed = _rewrite.route(original)
    assert routed.url == f"{EMULATOR}/"
    assert "Authorization" not in routed.headers
