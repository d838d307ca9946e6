"""Tests of order_handler.py, whose clients were made at import, before the patch began.

The classic ``patch_fixture`` redirects them to the emulator while it is active, with the
fixture's account and credentials, exactly like clients made inside the test.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import boto3
import pytest

import order_handler  # its clients are created now, at collection time
import pytest_localstack

localstack = pytest_localstack.patch_fixture(services=["s3", "sqs"], autouse=True)


@pytest.fixture
def resources(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str]]:
    """A fresh bucket and queue, made with clients created inside the test; the handler's
    configuration points at them."""
    bucket = f"orders-{uuid.uuid4().hex[:12]}"  # bucket names are global: keep them unique
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=bucket)
    queue_url = boto3.client("sqs").create_queue(QueueName="orders-done")["QueueUrl"]
    monkeypatch.setenv("ORDERS_BUCKET", bucket)
    monkeypatch.setenv("DONE_QUEUE_URL", queue_url)
    yield bucket, queue_url
    for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
        s3.delete_object(Bucket=bucket, Key=item["Key"])
    s3.delete_bucket(Bucket=bucket)


def sqs_event(*orders: dict[str, object]) -> dict[str, object]:
    return {"Records": [{"body": json.dumps(order)} for order in orders]}


def test_handler_stores_each_order_and_announces_it(resources: tuple[str, str]) -> None:
    bucket, queue_url = resources
    result = order_handler.handler(sqs_event({"id": "7", "sku": "apple"}, {"id": "8"}))
    assert result == {"processed": 2}
    body = boto3.client("s3").get_object(Bucket=bucket, Key="orders/7.json")["Body"].read()
    assert json.loads(body) == {"id": "7", "sku": "apple"}
    messages = boto3.client("sqs").receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1
    )["Messages"]
    assert sorted(m["Body"] for m in messages) == ["orders/7.json", "orders/8.json"]


def test_import_time_clients_act_in_the_fixtures_account(
    localstack: pytest_localstack.LocalstackSession, resources: tuple[str, str]
) -> None:
    bucket, _ = resources
    names = [b["Name"] for b in order_handler.s3.list_buckets()["Buckets"]]
    assert bucket in names
    queue_urls = order_handler.sqs.list_queues().get("QueueUrls", [])
    assert any(localstack.account_id in url for url in queue_urls)
