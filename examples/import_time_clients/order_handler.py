"""A Lambda-style handler whose AWS clients are made when the module is imported.

This is how most Lambda handlers and service modules are written: the clients are module
globals, created once per container at import time, long before any test fixture runs.
"""

from __future__ import annotations

import json
import os
from typing import Any

import boto3

REGION = os.environ.get("AWS_REGION", "us-east-1")

s3 = boto3.client("s3", region_name=REGION)
sqs = boto3.client("sqs", region_name=REGION)


def handler(event: dict[str, Any], context: object = None) -> dict[str, int]:
    """Store every order of an SQS batch as JSON in S3 and announce its key on a queue."""
    bucket = os.environ["ORDERS_BUCKET"]
    done_queue_url = os.environ["DONE_QUEUE_URL"]
    for record in event["Records"]:
        order = json.loads(record["body"])
        key = f"orders/{order['id']}.json"
        s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(order).encode())
        sqs.send_message(QueueUrl=done_queue_url, MessageBody=key)
    return {"processed": len(event["Records"])}
