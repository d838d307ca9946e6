"""Unit tests for :mod:`pytest_localstack.resources.factory` without an emulator.

Cleanup order and warnings, the stop hooks, and the arguments sent to the services. The service
calls are checked with botocore's Stubber, which fails on any unexpected call or argument;
tests/integration/test_resources.py runs the same factories against real emulators.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import botocore.exceptions
import botocore.session
import pytest
from botocore.stub import ANY, Stubber

from pytest_localstack import plugin
from pytest_localstack.resources import ResourceCleanupWarning, ResourceFactory
from pytest_localstack.session import RunningSession


@pytest.fixture
def session() -> RunningSession:
    """A session that is never started: the factory's calls go to stubbed clients."""
    return RunningSession(hostname="127.0.0.1:1", region_name="eu-west-1", account_id="1" * 12)


@pytest.fixture
def resources(session: RunningSession) -> ResourceFactory:
    factory = session.resources
    factory.prefix = "unit"
    return factory


def stub(resources: ResourceFactory, service: str) -> Iterator[Stubber]:
    client = botocore.session.get_session().create_client(
        service,
        region_name=resources.session.region_name,
        endpoint_url="http://127.0.0.1:1",
        aws_access_key_id="x",
        aws_secret_access_key="y",
    )
    resources._clients[service] = client
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


@pytest.fixture
def s3(resources: ResourceFactory) -> Iterator[Stubber]:
    yield from stub(resources, "s3")


@pytest.fixture
def sqs(resources: ResourceFactory) -> Iterator[Stubber]:
    yield from stub(resources, "sqs")


@pytest.fixture
def ssm(resources: ResourceFactory) -> Iterator[Stubber]:
    yield from stub(resources, "ssm")


@pytest.fixture
def dynamodb(resources: ResourceFactory) -> Iterator[Stubber]:
    yield from stub(resources, "dynamodb")


def test_every_session_gets_a_factory(session: RunningSession) -> None:
    assert ("pytest_localstack.resources._hooks", True) in plugin.BUILTIN_PLUGINS
    assert isinstance(session.resources, ResourceFactory)
    assert session.resources.session is session
    other = RunningSession(hostname="127.0.0.1:1")
    assert other.resources is not session.resources


def test_cleanup_runs_in_reverse_order_once(resources: ResourceFactory) -> None:
    calls: list[str] = []
    for name in ("first", "second", "third"):
        resources.add_cleanup(name, lambda name=name: calls.append(name), resource=name)  # type: ignore[misc]
    assert resources.created == ["first", "second", "third"]
    assert resources.cleanup() == []
    assert calls == ["third", "second", "first"]
    assert resources.created == []
    resources.cleanup()
    assert calls == ["third", "second", "first"]


def client_error(code: str) -> botocore.exceptions.ClientError:
    return botocore.exceptions.ClientError({"Error": {"Code": code, "Message": code}}, "Delete")


def test_failed_deletions_become_one_warning_after_the_rest(resources: ResourceFactory) -> None:
    calls: list[str] = []

    def fail(error: Exception) -> None:
        raise error

    resources.add_cleanup("A", lambda: calls.append("A"))
    resources.add_cleanup("B", lambda: fail(client_error("AccessDenied")))
    resources.add_cleanup("C", lambda: calls.append("C"))
    resources.add_cleanup("D", lambda: fail(RuntimeError("emulator gone")))
    with pytest.warns(ResourceCleanupWarning) as record:
        failures = resources.cleanup()
    assert calls == ["C", "A"], "every deletion is attempted"
    assert [f.description for f in failures] == ["D", "B"]
    assert len(record) == 1
    warning = record[0].message
    assert isinstance(warning, ResourceCleanupWarning)
    assert warning.failures == tuple(failures)
    assert str(warning) == (
        "pytest-localstack could not delete 2 resource(s) it created:\n"
        "  D: RuntimeError: emulator gone\n"
        "  B: ClientError: An error occurred (AccessDenied) when calling the Delete operation: "
        "AccessDenied"
    )
    assert record[0].filename == __file__


@pytest.mark.parametrize(
    "code",
    [
        "NoSuchBucket",
        "AWS.SimpleQueueService.NonExistentQueue",
        "ParameterNotFound",
        "ResourceNotFoundException",
        "NoSuchEntity",
        "NotFound",
    ],
)
def test_resources_already_gone_are_not_failures(resources: ResourceFactory, code: str) -> None:
    def gone() -> None:
        raise client_error(code)

    resources.add_cleanup("deleted by the test", gone)
    assert resources.cleanup() == []


def test_a_stopping_session_deletes_leftovers_and_warns_after_it_stopped(
    session: RunningSession, resources: ResourceFactory
) -> None:
    calls: list[str] = []

    def fail() -> None:
        raise RuntimeError("no")

    resources.add_cleanup("ok", lambda: calls.append("ok"))
    resources.add_cleanup("bad", fail)
    plugin.manager.hook.session_stopping(session=session)
    assert calls == ["ok"]
    assert resources.created == []
    with pytest.warns(ResourceCleanupWarning, match="bad: RuntimeError: no"):
        plugin.manager.hook.session_stopped(session=session)
    plugin.manager.hook.session_stopped(session=session)  # reported once


# -- arguments sent to the services ----------------------------------------------------------


def test_bucket_outside_us_east_1_gets_a_location_and_objects(
    resources: ResourceFactory, s3: Stubber
) -> None:
    s3.add_response(
        "create_bucket",
        {},
        {
            "Bucket": ANY,
            "CreateBucketConfiguration": {"LocationConstraint": "eu-west-1"},
        },
    )
    s3.add_response("put_object", {}, {"Bucket": ANY, "Key": "a.txt", "Body": b"text"})
    s3.add_response("put_object", {}, {"Bucket": ANY, "Key": "b.bin", "Body": b"\x00"})
    bucket = resources.make_s3_bucket({"a.txt": "text", "b.bin": b"\x00"})
    assert re.fullmatch(r"pytest-unit-[0-9a-f]{32}", bucket.name)
    assert bucket.arn == f"arn:aws:s3:::{bucket.name}"
    assert bucket.keys == ("a.txt", "b.bin")
    assert bucket.region == "eu-west-1"
    assert resources.created == [bucket]


def test_bucket_cleanup_empties_versions_then_deletes(
    resources: ResourceFactory, s3: Stubber
) -> None:
    s3.add_response("create_bucket", {}, {"Bucket": "b", "CreateBucketConfiguration": ANY})
    resources.make_s3_bucket(name="b")
    s3.add_response(
        "list_object_versions",
        {
            "Versions": [{"Key": "k", "VersionId": "v1"}],
            "DeleteMarkers": [{"Key": "k", "VersionId": "v2"}],
        },
        {"Bucket": "b"},
    )
    s3.add_response(
        "delete_objects",
        {},
        {
            "Bucket": "b",
            "Delete": {
                "Objects": [{"Key": "k", "VersionId": "v1"}, {"Key": "k", "VersionId": "v2"}],
                "Quiet": True,
            },
        },
    )
    s3.add_response("list_objects_v2", {}, {"Bucket": "b"})
    s3.add_response("delete_bucket", {}, {"Bucket": "b"})
    assert resources.cleanup() == []


def test_fifo_queue_attributes_are_strings(resources: ResourceFactory, sqs: Stubber) -> None:
    url = "http://127.0.0.1:1/111111111111/q.fifo"
    sqs.add_response(
        "create_queue",
        {"QueueUrl": url},
        {
            "QueueName": ANY,
            "Attributes": {
                "VisibilityTimeout": "5",
                "ContentBasedDeduplication": "true",
                "RedrivePolicy": '{"maxReceiveCount": 2}',
                "FifoQueue": "true",
            },
            "tags": {"team": "a"},
        },
    )
    sqs.add_response(
        "get_queue_attributes",
        {"Attributes": {"QueueArn": "arn:aws:sqs:eu-west-1:111111111111:q.fifo"}},
        {"QueueUrl": url, "AttributeNames": ["QueueArn"]},
    )
    queue = resources.make_sqs_queue(
        fifo=True,
        tags={"team": "a"},
        VisibilityTimeout=5,
        ContentBasedDeduplication=True,
        RedrivePolicy={"maxReceiveCount": 2},
    )
    assert queue.fifo
    assert queue.name.endswith(".fifo")
    assert len(queue.name) <= 80
    assert queue.url == url
    sqs.add_response("delete_queue", {}, {"QueueUrl": url})
    assert resources.cleanup() == []


@pytest.mark.parametrize(("name", "fifo"), [("plain", True), ("odd.fifo", False)])
def test_explicit_queue_names_must_match_fifo(
    resources: ResourceFactory, name: str, fifo: bool
) -> None:
    with pytest.raises(ValueError, match=r"FIFO queue names end in '\.fifo', others must not"):
        resources.make_sqs_queue(fifo=fifo, name=name)
    assert resources.created == []


def test_ssm_list_values_and_paths(resources: ResourceFactory, ssm: Stubber) -> None:
    ssm.add_response(
        "put_parameter",
        {"Version": 1},
        {"Name": ANY, "Value": "a,b", "Type": "StringList"},
    )
    parameter = resources.make_ssm_parameter(["a", "b"], path="/app/config/")
    assert re.fullmatch(r"/app/config/pytest-unit-[0-9a-f]{32}", parameter.name)
    assert parameter.type == "StringList"
    assert parameter.arn == f"arn:aws:ssm:eu-west-1:111111111111:parameter{parameter.name}"
    with pytest.raises(ValueError, match="SSM parameter path 'app' must start with '/'"):
        resources.make_ssm_parameter("x", path="app")


def test_dynamodb_keys_and_billing(resources: ResourceFactory, dynamodb: Stubber) -> None:
    description = {"TableArn": "arn:aws:dynamodb:eu-west-1:111111111111:table/tbl"}
    dynamodb.add_response(
        "create_table",
        {"TableDescription": description},
        {
            "TableName": "tbl",
            "KeySchema": [
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            "AttributeDefinitions": [
                {"AttributeName": "gsi", "AttributeType": "S"},
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "N"},
            ],
            "BillingMode": "PAY_PER_REQUEST",
        },
    )
    dynamodb.add_response(
        "describe_table", {"Table": {"TableStatus": "CREATING"}}, {"TableName": "tbl"}
    )
    dynamodb.add_response(
        "describe_table", {"Table": {"TableStatus": "ACTIVE"}}, {"TableName": "tbl"}
    )
    table = resources.make_dynamodb_table(
        "pk",
        range_key="sk",
        range_key_type="N",
        name="tbl",
        AttributeDefinitions=[{"AttributeName": "gsi", "AttributeType": "S"}],
    )
    assert table.arn == description["TableArn"]
    assert table.stream_arn is None
