"""Per-test isolation on every engine: a fresh account per test in one shared emulator.

Inner pytester runs start their emulator like a user's run does (``engine_cli_args``): tests that
use the same queue and parameter names pass in either order and under ``-n 2``, with one
emulator for the run; what one test made is invisible to the next, and what the resource
fixtures made is deleted. The in-process tests pin what is *not* isolated: S3 bucket names are
global, and moto lets other accounts reach some resources by name or ARN.
"""

from __future__ import annotations

import json
from typing import Any

import botocore.exceptions
import pytest

from pytest_localstack.resources import ResourceFactory
from pytest_localstack.session import RunningSession
from tests.integration.conftest import engine_cli_args

# -- in one process, two identities ------------------------------------------------------------


def client(session: RunningSession, service: str) -> Any:
    return session.boto3.client(service)


def factory(session: RunningSession) -> ResourceFactory:
    resources: ResourceFactory = session.resources
    return resources


@pytest.fixture
def other(identity: RunningSession) -> Any:
    """A second fresh account in the same emulator."""
    session = identity.new_identity()
    yield session
    session.stop()


def test_same_names_in_two_accounts(identity: RunningSession, other: RunningSession) -> None:
    made = {}
    for session in (identity, other):
        resources = factory(session)
        made[session.account_id] = (
            resources.make_sqs_queue(name="orders"),
            resources.make_ssm_parameter(session.account_id, name="/app/setting"),
            resources.make_secret(session.account_id, name="db-password"),
            resources.make_sns_topic(name="events"),
        )
    for session in (identity, other):
        queue, parameter, secret, topic = made[session.account_id]
        assert session.account_id in queue.arn
        assert session.account_id in parameter.arn
        assert session.account_id in secret.arn
        assert session.account_id in topic.arn
        assert client(session, "sqs").list_queues()["QueueUrls"] == [queue.url]
        value = client(session, "ssm").get_parameter(Name="/app/setting")["Parameter"]["Value"]
        assert value == session.account_id
        secrets = client(session, "secretsmanager")
        assert secrets.get_secret_value(SecretId="db-password")["SecretString"] == (
            session.account_id
        )
        assert [t["TopicArn"] for t in client(session, "sns").list_topics()["Topics"]] == [
            topic.arn
        ]
        assert client(session, "sts").get_caller_identity()["Account"] == session.account_id
    for session in (identity, other):
        assert factory(session).cleanup() == []


def test_bucket_names_are_global_so_the_helpers_make_unique_ones(
    identity: RunningSession, other: RunningSession
) -> None:
    mine = factory(identity).make_s3_bucket()
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        client(other, "s3").create_bucket(Bucket=mine.name)
    assert excinfo.value.response["Error"]["Code"] == "BucketAlreadyExists"
    theirs = factory(other).make_s3_bucket()
    assert theirs.name != mine.name
    for session, bucket in ((identity, mine), (other, theirs)):
        names = [b["Name"] for b in client(session, "s3").list_buckets()["Buckets"]]
        assert names == [bucket.name], "each account lists only its own buckets"


@pytest.mark.emulators("moto")
def test_moto_lets_other_accounts_reach_buckets_and_topics(
    identity: RunningSession, other: RunningSession
) -> None:
    """Not isolation: moto enforces no policies, so a bucket name or topic ARN is enough."""
    bucket = factory(identity).make_s3_bucket({"k": "mine"})
    topic = factory(identity).make_sns_topic()
    s3 = client(other, "s3")
    assert s3.get_object(Bucket=bucket.name, Key="k")["Body"].read() == b"mine"
    attributes = client(other, "sns").get_topic_attributes(TopicArn=topic.arn)["Attributes"]
    assert attributes["Owner"] == identity.account_id
    queue = factory(identity).make_sqs_queue()
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        client(other, "sqs").send_message(QueueUrl=queue.url, MessageBody="x")
    assert excinfo.value.response["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"


# -- inner runs: any order, -n 2, gone for the next test ---------------------------------------

INNER_CONFTEST = """
import json, os, time, uuid
import pytest

def pytest_collection_modifyitems(items):
    if os.environ.get("INNER_ORDER") == "reverse":
        items.reverse()

@pytest.fixture
def record(request):
    def write(session):
        path = os.path.join(os.environ["RECORD_DIR"], uuid.uuid4().hex + ".json")
        with open(path, "w") as f:
            json.dump(dict(
                test=request.node.name, account=session.account_id, url=session.endpoint.url,
                handle=session.endpoint.handle, time=time.monotonic_ns(),
                worker=os.environ.get("PYTEST_XDIST_WORKER", "main"),
            ), f)
    return write
"""

SAME_NAMES = """
import boto3, pytest, pytest_localstack

classic = pytest_localstack.session_fixture()

def use_the_same_names(session, who):
    sqs, ssm = session.boto3.client("sqs"), session.boto3.client("ssm")
    assert sqs.list_queues().get("QueueUrls", []) == [], "another test's queue is visible"
    assert ssm.describe_parameters()["Parameters"] == [], "another test's parameter is visible"
    url = sqs.create_queue(QueueName="shared-queue")["QueueUrl"]
    ssm.put_parameter(Name="/shared/parameter", Value=who, Type="String")
    sqs.send_message(QueueUrl=url, MessageBody=who)
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
    assert [m["Body"] for m in messages["Messages"]] == [who]
    assert ssm.get_parameter(Name="/shared/parameter")["Parameter"]["Value"] == who
    assert sqs.list_queues()["QueueUrls"] == [url]

@pytest.mark.parametrize("n", range(4))
def test_builtin_session(localstack_session, record, request, n):
    use_the_same_names(localstack_session, request.node.name)
    record(localstack_session)

@pytest.mark.parametrize("n", range(4))
def test_classic_session_fixture(classic, record, request, n):
    use_the_same_names(classic, request.node.name)
    record(classic)

@pytest.mark.parametrize("n", range(4))
def test_resource_fixtures(localstack, make_sqs_queue, make_ssm_parameter, record, request, n):
    sqs, ssm = boto3.client("sqs"), boto3.client("ssm")
    assert sqs.list_queues().get("QueueUrls", []) == []
    queue = make_sqs_queue(name="shared-queue")
    make_ssm_parameter(request.node.name, name="/shared/parameter")
    assert sqs.list_queues()["QueueUrls"] == [queue.url]
    assert ssm.get_parameter(Name="/shared/parameter")["Parameter"]["Value"] == request.node.name
    record(localstack)
"""

FIRST_TESTS = ["test_builtin_session[0]", "test_resource_fixtures[3]"]


def run_inner(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    engine: dict[str, Any],
    source: str,
    *args: str,
    order: str = "forward",
) -> tuple[pytest.RunResult, list[dict[str, Any]]]:
    records = pytester.path / "records"
    records.mkdir()
    monkeypatch.setenv("RECORD_DIR", str(records))
    monkeypatch.setenv("INNER_ORDER", order)
    pytester.makeconftest(INNER_CONFTEST)
    pytester.makepyfile(test_inner=source)
    result = pytester.runpytest_subprocess(*engine_cli_args(engine), *args)
    found = [json.loads(p.read_text()) for p in records.glob("*.json")]
    return result, sorted(found, key=lambda r: r["time"])


@pytest.mark.parametrize("order", ["forward", "reverse", "xdist"])
def test_same_names_pass_in_any_order_and_in_parallel(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    engine: dict[str, Any],
    order: str,
) -> None:
    args = ["-n", "2"] if order == "xdist" else ["-p", "no:xdist"]
    result, records = run_inner(pytester, monkeypatch, engine, SAME_NAMES, *args, order=order)
    result.assert_outcomes(passed=12)
    assert len(records) == 12
    assert len({r["account"] for r in records}) == 12, "a fresh account for every test"
    assert len({(r["url"], r["handle"]) for r in records}) == 1, "one emulator, no restarts"
    if order == "xdist":
        assert {r["worker"] for r in records} == {"gw0", "gw1"}
    else:
        assert records[0]["test"] == FIRST_TESTS[order == "reverse"]


GONE_FOR_THE_NEXT = """
import botocore.exceptions, pytest

MADE = {}

def test_first_makes_things(localstack_session, s3_bucket, sqs_queue, ssm_parameter, secret,
                            sns_topic):
    sqs = localstack_session.boto3.client("sqs")
    by_hand = sqs.create_queue(QueueName="made-by-hand")["QueueUrl"]
    MADE.update(account=localstack_session.account_id, bucket=s3_bucket.name, by_hand=by_hand)

def test_second_sees_none_of_it(localstack_session):
    assert MADE, "test_first_makes_things ran first"
    assert localstack_session.account_id != MADE["account"]
    owner = localstack_session.new_identity(account_id=MADE["account"])
    try:
        for session in (localstack_session, owner):
            client = session.boto3.client
            queues = client("sqs").list_queues().get("QueueUrls", [])
            # the fixtures' queue is deleted; the one made by hand stays in the old account
            assert queues == ([MADE["by_hand"]] if session is owner else [])
            assert client("s3").list_buckets()["Buckets"] == []
            assert client("ssm").describe_parameters()["Parameters"] == []
            assert client("secretsmanager").list_secrets()["SecretList"] == []
            assert client("sns").list_topics()["Topics"] == []
        with pytest.raises(botocore.exceptions.ClientError) as excinfo:
            owner.boto3.client("s3").head_bucket(Bucket=MADE["bucket"])
        assert excinfo.value.response["Error"]["Code"] == "404"
    finally:
        owner.stop()
"""


def test_a_resource_made_in_one_test_is_gone_for_the_next(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, engine: dict[str, Any]
) -> None:
    result, _ = run_inner(pytester, monkeypatch, engine, GONE_FOR_THE_NEXT, "-p", "no:xdist")
    result.assert_outcomes(passed=2)
