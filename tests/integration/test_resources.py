"""Resource factories on every engine: what they make works, and cleanup removes all of it.

The factory is ``identity.resources`` (a fresh account per test). The pytester runs at the end
drive the fixtures (``s3_bucket``, ``make_sqs_queue``, ...) in an inner run attached to this
module's emulator as an external endpoint, so that the outer test can look into the inner
tests' accounts after their teardown: what the fixtures made is gone, whether the inner test
passed, failed or errored in setup.
LocalStack on the test machine cannot run DynamoDB or Kinesis; those tests run on moto only.
"""

from __future__ import annotations

import json
from typing import Any

import botocore.exceptions
import pytest

from pytest_localstack.resources import ResourceCleanupWarning, ResourceFactory
from pytest_localstack.session import LocalstackSession, RunningSession


@pytest.fixture
def resources(identity: RunningSession) -> ResourceFactory:
    factory: ResourceFactory = identity.resources
    return factory


def client(session: RunningSession, service: str) -> Any:
    return session.boto3.client(service)


def error_code(excinfo: pytest.ExceptionInfo[botocore.exceptions.ClientError]) -> str:
    code: str = excinfo.value.response["Error"]["Code"]
    return code


def assert_bucket_gone(session: RunningSession, name: str) -> None:
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        client(session, "s3").head_bucket(Bucket=name)
    assert error_code(excinfo) in ("404", "NoSuchBucket")


# -- each kind ----------------------------------------------------------------------------------


def test_s3_bucket_with_objects(identity: RunningSession, resources: ResourceFactory) -> None:
    s3 = client(identity, "s3")
    bucket = resources.make_s3_bucket({"a.txt": "hello", "dir/b.bin": b"\x00\x01"})
    assert bucket.name.startswith("pytest-s3-bucket-with-objects-")
    assert s3.get_object(Bucket=bucket.name, Key="a.txt")["Body"].read() == b"hello"
    assert s3.get_object(Bucket=bucket.name, Key="dir/b.bin")["Body"].read() == b"\x00\x01"
    s3.put_object(Bucket=bucket.name, Key="added-by-the-test", Body=b"x")

    versioned = resources.make_s3_bucket()
    s3.put_bucket_versioning(Bucket=versioned.name, VersioningConfiguration={"Status": "Enabled"})
    for body in (b"1", b"2"):
        s3.put_object(Bucket=versioned.name, Key="k", Body=body)
    s3.delete_object(Bucket=versioned.name, Key="k")  # leaves a delete marker

    assert resources.cleanup() == []
    assert_bucket_gone(identity, bucket.name)
    assert_bucket_gone(identity, versioned.name)
    assert s3.list_buckets()["Buckets"] == []


def test_s3_bucket_in_another_region(identity: RunningSession) -> None:
    elsewhere = identity.new_identity(region_name="eu-west-1")
    try:
        bucket = elsewhere.resources.make_s3_bucket()
        assert bucket.region == "eu-west-1"
        location = client(elsewhere, "s3").get_bucket_location(Bucket=bucket.name)
        assert location["LocationConstraint"] == "eu-west-1"
    finally:
        elsewhere.stop()
    assert_bucket_gone(identity, bucket.name)


def test_sqs_standard_and_fifo_queues(identity: RunningSession, resources: ResourceFactory) -> None:
    sqs = client(identity, "sqs")
    queue = resources.make_sqs_queue(VisibilityTimeout=7)
    fifo = resources.make_sqs_queue(fifo=True, ContentBasedDeduplication=True)
    assert queue.url.endswith(f"/{identity.account_id}/{queue.name}")
    assert queue.arn == f"arn:aws:sqs:{identity.region_name}:{identity.account_id}:{queue.name}"
    attributes = sqs.get_queue_attributes(QueueUrl=queue.url, AttributeNames=["All"])
    assert attributes["Attributes"]["VisibilityTimeout"] == "7"
    assert fifo.name.endswith(".fifo")
    assert fifo.fifo
    for body in ("one", "two"):
        sqs.send_message(QueueUrl=fifo.url, MessageBody=body, MessageGroupId="g")
    received = sqs.receive_message(QueueUrl=fifo.url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in received] == ["one", "two"]

    assert resources.cleanup() == []
    assert sqs.list_queues().get("QueueUrls", []) == []


def test_sns_topic_subscribed_to_queues(
    identity: RunningSession, resources: ResourceFactory
) -> None:
    sns, sqs = client(identity, "sns"), client(identity, "sqs")
    raw = resources.make_sns_topic(subscribe_queue=True, raw_message_delivery=True)
    assert raw.queue is not None
    assert raw.subscription_arn is not None
    sns.publish(TopicArn=raw.arn, Message="ping")
    messages = sqs.receive_message(QueueUrl=raw.queue.url, WaitTimeSeconds=5)["Messages"]
    assert [m["Body"] for m in messages] == ["ping"]

    queue = resources.make_sqs_queue()
    by_url = resources.make_sns_topic(subscribe_queue=queue.url)
    by_arn = resources.make_sns_topic(subscribe_queue=queue.arn)
    plain = resources.make_sns_topic(DisplayName="plain")
    assert by_url.queue == by_arn.queue == queue
    assert plain.queue is None
    assert plain.subscription_arn is None
    sns.publish(TopicArn=by_arn.arn, Message="enveloped")
    messages = sqs.receive_message(QueueUrl=queue.url, WaitTimeSeconds=5)["Messages"]
    assert json.loads(messages[0]["Body"])["Message"] == "enveloped"
    topic_attributes = sns.get_topic_attributes(TopicArn=plain.arn)["Attributes"]
    assert topic_attributes["DisplayName"] == "plain"

    assert resources.cleanup() == []
    assert sns.list_topics()["Topics"] == []
    assert sns.list_subscriptions()["Subscriptions"] == []
    assert sqs.list_queues().get("QueueUrls", []) == []


def test_secrets(identity: RunningSession, resources: ResourceFactory) -> None:
    secrets = client(identity, "secretsmanager")
    generated = resources.make_secret()
    as_json = resources.make_secret({"user": "u", "password": "p"})
    binary = resources.make_secret(b"\x00bin")
    assert secrets.get_secret_value(SecretId=generated.arn)["SecretString"] == generated.value
    value = secrets.get_secret_value(SecretId=as_json.name)["SecretString"]
    assert json.loads(value) == {"user": "u", "password": "p"}
    assert secrets.get_secret_value(SecretId=binary.arn)["SecretBinary"] == b"\x00bin"

    assert resources.cleanup() == []
    assert secrets.list_secrets()["SecretList"] == []


def test_ssm_parameters(identity: RunningSession, resources: ResourceFactory) -> None:
    ssm = client(identity, "ssm")
    plain = resources.make_ssm_parameter("v")
    secure = resources.make_ssm_parameter("s3cr3t", "SecureString", path="/app")
    listed = resources.make_ssm_parameter(["a", "b"])
    assert secure.name.startswith("/app/pytest-ssm_parameters-")
    got = ssm.get_parameter(Name=secure.name, WithDecryption=True)["Parameter"]
    assert (got["Value"], got["Type"]) == ("s3cr3t", "SecureString")
    assert got["ARN"] == secure.arn
    got = ssm.get_parameter(Name=listed.name)["Parameter"]
    assert (got["Value"], got["Type"]) == ("a,b", "StringList")
    assert ssm.get_parameter(Name=plain.name)["Parameter"]["Value"] == "v"

    assert resources.cleanup() == []
    assert ssm.describe_parameters()["Parameters"] == []


def test_iam_role_and_its_policies(identity: RunningSession, resources: ResourceFactory) -> None:
    iam = client(identity, "iam")
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}],
    }
    policy_arn = iam.create_policy(
        PolicyName="made-by-the-test", PolicyDocument=json.dumps(document)
    )["Policy"]["Arn"]
    role = resources.make_iam_role(policy_arns=[policy_arn], inline_policies={"inline": document})
    assert role.arn == f"arn:aws:iam::{identity.account_id}:role/{role.name}"
    assert len(role.name) <= 64
    attached = iam.list_attached_role_policies(RoleName=role.name)["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [policy_arn]
    assert iam.list_role_policies(RoleName=role.name)["PolicyNames"] == ["inline"]
    iam.put_role_policy(RoleName=role.name, PolicyName="added", PolicyDocument=json.dumps(document))
    assumed = client(identity, "sts").assume_role(RoleArn=role.arn, RoleSessionName="test")
    assert assumed["AssumedRoleUser"]["Arn"].split(":")[4] == identity.account_id

    assert resources.cleanup() == []
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        iam.get_role(RoleName=role.name)
    assert error_code(excinfo) == "NoSuchEntity"
    policy = iam.get_policy(PolicyArn=policy_arn)["Policy"]
    assert policy["AttachmentCount"] == 0, "the managed policy was detached, not deleted"
    iam.delete_policy(PolicyArn=policy_arn)


@pytest.mark.emulators("moto")
def test_dynamodb_table(identity: RunningSession, resources: ResourceFactory) -> None:
    dynamodb = client(identity, "dynamodb")
    table = resources.make_dynamodb_table(
        "pk",
        range_key="sk",
        range_key_type="N",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )
    assert table.stream_arn
    described = dynamodb.describe_table(TableName=table.name)["Table"]
    assert described["TableStatus"] == "ACTIVE"
    assert described["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    dynamodb.put_item(TableName=table.name, Item={"pk": {"S": "a"}, "sk": {"N": "1"}})
    item = dynamodb.get_item(TableName=table.name, Key={"pk": {"S": "a"}, "sk": {"N": "1"}})
    assert item["Item"]["pk"] == {"S": "a"}

    assert resources.cleanup() == []
    assert dynamodb.list_tables()["TableNames"] == []


@pytest.mark.emulators("moto")
def test_kinesis_stream(identity: RunningSession, resources: ResourceFactory) -> None:
    kinesis = client(identity, "kinesis")
    stream = resources.make_kinesis_stream(shard_count=2)
    summary = kinesis.describe_stream_summary(StreamName=stream.name)["StreamDescriptionSummary"]
    assert (summary["StreamStatus"], summary["OpenShardCount"]) == ("ACTIVE", 2)
    assert summary["StreamARN"] == stream.arn
    kinesis.put_record(StreamName=stream.name, Data=b"click", PartitionKey="p")

    assert resources.cleanup() == []
    assert kinesis.list_streams()["StreamNames"] == []


# -- cleanup semantics on a real emulator -----------------------------------------------------


def test_resources_the_test_deleted_itself_are_fine(
    identity: RunningSession, resources: ResourceFactory
) -> None:
    queue = resources.make_sqs_queue()
    bucket = resources.make_s3_bucket()
    parameter = resources.make_ssm_parameter()
    client(identity, "sqs").delete_queue(QueueUrl=queue.url)
    client(identity, "s3").delete_bucket(Bucket=bucket.name)
    client(identity, "ssm").delete_parameter(Name=parameter.name)
    assert resources.cleanup() == []  # and no warning: filterwarnings = error


def test_leftovers_are_deleted_when_the_session_stops(identity: RunningSession) -> None:
    other = identity.new_identity()
    queue = other.resources.make_sqs_queue()
    bucket = other.resources.make_s3_bucket({"k": "v"})
    assert client(other, "sqs").list_queues()["QueueUrls"] == [queue.url]
    other.stop()
    owner = identity.new_identity(account_id=other.account_id)
    try:
        assert client(owner, "sqs").list_queues().get("QueueUrls", []) == []
        assert_bucket_gone(owner, bucket.name)
    finally:
        owner.stop()


def test_one_failed_deletion_does_not_stop_the_others(
    identity: RunningSession, resources: ResourceFactory
) -> None:
    s3 = client(identity, "s3")
    queue = resources.make_sqs_queue()
    full = resources.make_s3_bucket({"k": "v"})
    resources.add_cleanup("a bucket, unemptied", lambda: s3.delete_bucket(Bucket=full.name))
    empty = resources.make_s3_bucket()
    assert client(identity, "sqs").list_queues()["QueueUrls"] == [queue.url]
    with pytest.warns(ResourceCleanupWarning, match="a bucket, unemptied: ClientError") as record:
        failures = resources.cleanup()
    assert len(record) == 1
    assert [f.description for f in failures] == ["a bucket, unemptied"]
    error = failures[0].error
    assert isinstance(error, botocore.exceptions.ClientError)
    assert error.response["Error"]["Code"] == "BucketNotEmpty"
    assert client(identity, "sqs").list_queues().get("QueueUrls", []) == []
    assert_bucket_gone(identity, full.name)
    assert_bucket_gone(identity, empty.name)


# -- the fixtures, in an inner run attached to this module's emulator -------------------------

INNER_CONFTEST = """
import json, os, uuid
import pytest

@pytest.fixture
def record(localstack_session):
    made = {"account": localstack_session.account_id}
    yield made
    path = os.path.join(os.environ["RECORD_DIR"], uuid.uuid4().hex + ".json")
    with open(path, "w") as f:
        json.dump(made, f)
"""

INNER_TESTS = """
import boto3, pytest

def make_everything(record, s3_bucket, make_s3_bucket, sqs_queue, sqs_fifo_queue,
                    make_sns_topic, secret, ssm_parameter, iam_role, request):
    topic = make_sns_topic(subscribe_queue=True)
    with_objects = make_s3_bucket({"a.txt": "a"})
    boto3.client("s3").put_object(Bucket=s3_bucket.name, Key="by-test", Body=b"x")
    record["buckets"] = [s3_bucket.name, with_objects.name]
    if {moto}:
        record["table"] = request.getfixturevalue("dynamodb_table").name
        record["stream"] = request.getfixturevalue("kinesis_stream").name
    record["queues"] = [sqs_queue.name, sqs_fifo_queue.name, topic.queue.name]

@pytest.fixture
def broken_after_a_bucket(record, s3_bucket):
    record["buckets"] = [s3_bucket.name]
    raise RuntimeError("setup broke after making a bucket")

def test_passes(localstack, record, s3_bucket, make_s3_bucket, sqs_queue, sqs_fifo_queue,
                make_sns_topic, secret, ssm_parameter, iam_role, request):
    make_everything(record, s3_bucket, make_s3_bucket, sqs_queue, sqs_fifo_queue,
                    make_sns_topic, secret, ssm_parameter, iam_role, request)

def test_fails(localstack, record, s3_bucket, make_s3_bucket, sqs_queue, sqs_fifo_queue,
               make_sns_topic, secret, ssm_parameter, iam_role, request):
    make_everything(record, s3_bucket, make_s3_bucket, sqs_queue, sqs_fifo_queue,
                    make_sns_topic, secret, ssm_parameter, iam_role, request)
    assert False, "the test's own failure"

def test_errors_in_setup(broken_after_a_bucket):
    pass
"""


def run_inner_attached(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    aws: LocalstackSession,
    source: str,
    *args: str,
) -> tuple[pytest.RunResult, list[dict[str, Any]]]:
    """Run ``source`` against the module's emulator; return the result and the records."""
    records = pytester.path / "records"
    records.mkdir()
    monkeypatch.setenv("RECORD_DIR", str(records))
    pytester.makeconftest(INNER_CONFTEST)
    pytester.makepyfile(test_inner=source)
    result = pytester.runpytest_subprocess(
        "--localstack-engine=external", f"--localstack-endpoint={aws.endpoint.url}", *args
    )
    return result, [json.loads(p.read_text()) for p in sorted(records.glob("*.json"))]


def assert_account_is_empty(aws: LocalstackSession, account_id: str, made: dict[str, Any]) -> None:
    owner = aws.new_identity(account_id=account_id)
    try:
        assert client(owner, "s3").list_buckets()["Buckets"] == []
        for name in made.get("buckets", []):
            assert_bucket_gone(owner, name)
        assert client(owner, "sqs").list_queues().get("QueueUrls", []) == []
        assert client(owner, "sns").list_topics()["Topics"] == []
        assert client(owner, "sns").list_subscriptions()["Subscriptions"] == []
        assert client(owner, "secretsmanager").list_secrets()["SecretList"] == []
        assert client(owner, "ssm").describe_parameters()["Parameters"] == []
        roles = client(owner, "iam").list_roles()["Roles"]
        assert [r["RoleName"] for r in roles if r["RoleName"].startswith("pytest-")] == []
        if "table" in made:
            assert client(owner, "dynamodb").list_tables()["TableNames"] == []
        if "stream" in made:
            assert client(owner, "kinesis").list_streams()["StreamNames"] == []
    finally:
        owner.stop()


def test_fixtures_delete_what_they_made_whatever_the_outcome(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    aws: LocalstackSession,
) -> None:
    source = INNER_TESTS.replace("{moto}", repr(aws.endpoint.emulator == "moto"))
    result, records = run_inner_attached(pytester, monkeypatch, aws, source)
    result.assert_outcomes(passed=1, failed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*RuntimeError: setup broke after making a bucket*",
            "*AssertionError: the test's own failure*",
        ]
    )
    assert "ResourceCleanupWarning" not in result.stdout.str()
    assert len(records) == 3
    assert len({r["account"] for r in records}) == 3, "a fresh account per test"
    assert sum(len(r.get("queues", [])) for r in records) == 6
    for made in records:
        assert made["buckets"], made
        assert_account_is_empty(aws, made["account"], made)


FAILING_CLEANUP = """
def test_fails_and_so_does_its_cleanup(localstack_resources, sqs_queue):
    def broken():
        raise RuntimeError("cannot delete")
    localstack_resources.add_cleanup("something odd", broken)
    assert False, "the test's own failure"
"""


@pytest.mark.parametrize("warnings_as_errors", [False, True])
def test_failed_teardown_never_hides_the_tests_failure(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    aws: LocalstackSession,
    warnings_as_errors: bool,
) -> None:
    args = ["-W", "error::pytest_localstack.resources.ResourceCleanupWarning"]
    result, _ = run_inner_attached(
        pytester, monkeypatch, aws, FAILING_CLEANUP, *(args if warnings_as_errors else [])
    )
    result.stdout.fnmatch_lines(["*AssertionError: the test's own failure*"])
    result.stdout.fnmatch_lines(
        ["*ResourceCleanupWarning: pytest-localstack could not delete 1 resource(s) it created:*"]
    )
    result.stdout.fnmatch_lines(["*something odd: RuntimeError: cannot delete*"])
    if warnings_as_errors:
        result.assert_outcomes(failed=1, errors=1)
    else:
        result.assert_outcomes(failed=1, warnings=1)
