"""Tests of orders.py: unchanged application code, redirected to the emulator by the plugin."""

from __future__ import annotations

import json
import uuid

import boto3

import orders
import pytest_localstack

# Every test gets a fresh AWS account in one emulator, and boto3 is redirected while it runs.
localstack = pytest_localstack.patch_fixture(
    services=["s3", "sqs", "sns", "dynamodb", "ssm", "secretsmanager"], autouse=True
)


def test_archive_order_writes_json_to_s3() -> None:
    bucket = f"orders-{uuid.uuid4().hex[:12]}"  # bucket names are global: keep them unique
    boto3.client("s3").create_bucket(Bucket=bucket)
    key = orders.archive_order(bucket, "42", {"sku": "apple", "count": 3})
    body = boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    assert json.loads(body) == {"sku": "apple", "count": 3}


def test_enqueue_order_sends_the_id() -> None:
    sqs = boto3.client("sqs")
    queue_url = sqs.create_queue(QueueName="orders")["QueueUrl"]
    orders.enqueue_order(queue_url, "42")
    messages = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1)["Messages"]
    assert [m["Body"] for m in messages] == ["42"]


def test_announce_reaches_subscribed_queue() -> None:
    sns, sqs = boto3.client("sns"), boto3.client("sqs")
    topic_arn = sns.create_topic(Name="orders")["TopicArn"]
    queue_url = sqs.create_queue(QueueName="audit")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    orders.announce(topic_arn, "42")
    message = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=5)["Messages"][0]
    assert json.loads(json.loads(message["Body"])["Message"]) == {"order": "42"}


def test_stock_round_trips_through_dynamodb() -> None:
    boto3.client("dynamodb").create_table(
        TableName="stock",
        KeySchema=[{"AttributeName": "sku", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "sku", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    orders.save_stock("stock", "apple", 7)
    assert orders.load_stock("stock", "apple") == 7


def test_database_url_from_ssm_and_secrets_manager() -> None:
    boto3.client("ssm").put_parameter(Name="/orders/db-host", Value="db.internal", Type="String")
    boto3.client("secretsmanager").create_secret(Name="orders/db", SecretString="hunter2")
    assert orders.database_url() == "postgresql://orders:hunter2@db.internal/orders"


def test_every_test_starts_from_an_empty_account() -> None:
    assert boto3.client("sqs").list_queues().get("QueueUrls", []) == []
    assert boto3.client("ssm").describe_parameters()["Parameters"] == []
