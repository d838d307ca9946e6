"""One behavioural module, run on every engine: Docker with LocalStack, Docker with moto, the
embedded moto server, and an external moto server that the tests start themselves.

Differences between the engines are stated here, not hidden:

* LocalStack on this test machine cannot run DynamoDB or Kinesis (they download a JDK or a
  runtime at first use, and the machine is offline), so those tests run on moto engines only.
* Everything else runs everywhere, through ``boto3.client(...)`` with the patch active.
"""

from __future__ import annotations

import json

import boto3
import pytest

from pytest_localstack.session import RunningSession
from tests.conftest import unique


def test_s3_objects(patched: RunningSession) -> None:
    s3 = boto3.resource("s3")
    bucket = s3.Bucket(unique("bucket"))
    bucket.create()
    bucket.put_object(Key="hello.txt", Body=b"hello")
    assert bucket.Object("hello.txt").get()["Body"].read() == b"hello"
    assert [b.name for b in s3.buckets.all()] == [bucket.name]


def test_sqs_send_receive(patched: RunningSession) -> None:
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="work")
    messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"]
    assert [m["Body"] for m in messages] == ["work"]


def test_sns_to_sqs(patched: RunningSession) -> None:
    sns, sqs = boto3.client("sns"), boto3.client("sqs")
    topic = sns.create_topic(Name="events")["TopicArn"]
    queue_url = sqs.create_queue(QueueName="events-sink")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    sns.publish(TopicArn=topic, Message="ping")
    messages = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=5)["Messages"]
    assert json.loads(messages[0]["Body"])["Message"] == "ping"


def test_ssm_parameter(patched: RunningSession) -> None:
    ssm = boto3.client("ssm")
    ssm.put_parameter(Name="/app/db", Value="secret", Type="SecureString")
    value = ssm.get_parameter(Name="/app/db", WithDecryption=True)["Parameter"]["Value"]
    assert value == "secret"


def test_secretsmanager(patched: RunningSession) -> None:
    secrets = boto3.client("secretsmanager")
    secrets.create_secret(Name="api-key", SecretString="s3cr3t")
    assert secrets.get_secret_value(SecretId="api-key")["SecretString"] == "s3cr3t"


def test_sts_caller_is_the_sessions_account(patched: RunningSession) -> None:
    assert boto3.client("sts").get_caller_identity()["Account"] == patched.account_id


def test_iam_role(patched: RunningSession) -> None:
    iam = boto3.client("iam")
    policy = {"Version": "2012-10-17", "Statement": []}
    iam.create_role(RoleName="worker", AssumeRolePolicyDocument=json.dumps(policy))
    assert iam.get_role(RoleName="worker")["Role"]["Arn"].split(":")[4] == patched.account_id


def test_cloudwatch_logs(patched: RunningSession) -> None:
    logs = boto3.client("logs")
    logs.create_log_group(logGroupName="/app")
    groups = logs.describe_log_groups()["logGroups"]
    assert [g["logGroupName"] for g in groups] == ["/app"]


def test_step_functions(patched: RunningSession) -> None:
    sfn = boto3.client("stepfunctions")
    definition = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}
    role = f"arn:aws:iam::{patched.account_id}:role/sfn"
    machine = sfn.create_state_machine(
        name="flow", definition=json.dumps(definition), roleArn=role
    )["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    assert sfn.describe_execution(executionArn=execution)["stateMachineArn"] == machine


@pytest.mark.emulators("moto")
def test_dynamodb(patched: RunningSession) -> None:
    dynamodb = boto3.resource("dynamodb")
    table = dynamodb.create_table(
        TableName="items",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    table.put_item(Item={"id": "1", "name": "one"})
    assert table.get_item(Key={"id": "1"})["Item"]["name"] == "one"


@pytest.mark.emulators("moto")
def test_kinesis(patched: RunningSession) -> None:
    kinesis = boto3.client("kinesis")
    kinesis.create_stream(StreamName="clicks", ShardCount=1)
    kinesis.put_record(StreamName="clicks", Data=b"click", PartitionKey="p")
    assert kinesis.describe_stream(StreamName="clicks")["StreamDescription"]["StreamName"] == (
        "clicks"
    )


def test_accounts_do_not_see_each_other(identity: RunningSession) -> None:
    other = identity.new_identity()
    try:
        for session, value in ((identity, "mine"), (other, "theirs")):
            session.boto3.client("sqs").create_queue(QueueName="shared-name")
            session.boto3.client("ssm").put_parameter(Name="/shared", Value=value, Type="String")
        for session, value in ((identity, "mine"), (other, "theirs")):
            urls = session.boto3.client("sqs").list_queues()["QueueUrls"]
            assert len(urls) == 1
            assert urls[0].endswith(f"/{session.account_id}/shared-name")
            ssm = session.boto3.client("ssm")
            assert ssm.get_parameter(Name="/shared")["Parameter"]["Value"] == value
    finally:
        other.stop()


def test_fresh_identity_sees_nothing(identity: RunningSession) -> None:
    sqs = identity.boto3.client("sqs")
    assert sqs.list_queues().get("QueueUrls", []) == []
