"""A tiny application that talks to AWS through boto3, as the code under test would."""

from __future__ import annotations

import json

import boto3


def archive_order(bucket: str, order_id: str, order: dict[str, object]) -> str:
    """Store an order as JSON in S3 and return its key."""
    key = f"orders/{order_id}.json"
    boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=json.dumps(order).encode())
    return key


def enqueue_order(queue_url: str, order_id: str) -> None:
    """Ask the workers to process an order."""
    boto3.client("sqs").send_message(QueueUrl=queue_url, MessageBody=order_id)


def announce(topic_arn: str, order_id: str) -> None:
    boto3.client("sns").publish(TopicArn=topic_arn, Message=json.dumps({"order": order_id}))


def save_stock(table: str, sku: str, count: int) -> None:
    boto3.resource("dynamodb").Table(table).put_item(Item={"sku": sku, "count": count})


def load_stock(table: str, sku: str) -> int:
    item = boto3.resource("dynamodb").Table(table).get_item(Key={"sku": sku})["Item"]
    return int(item["count"])


def database_url() -> str:
    """Build the database URL from configuration kept in SSM and Secrets Manager."""
    host = boto3.client("ssm").get_parameter(Name="/orders/db-host")["Parameter"]["Value"]
    password = boto3.client("secretsmanager").get_secret_value(SecretId="orders/db")["SecretString"]
    return f"postgresql://orders:{password}@{host}/orders"
