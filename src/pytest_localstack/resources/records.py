"""What the factories return: small frozen records of the resources they made."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class S3Bucket:
    """An S3 bucket; ``keys`` are the objects it was created with."""

    name: str
    arn: str
    region: str
    keys: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class SqsQueue:
    """An SQS queue: pass ``url`` to SQS calls and ``arn`` to subscriptions and policies."""

    name: str
    url: str
    arn: str
    fifo: bool = False


@dataclasses.dataclass(frozen=True)
class SnsTopic:
    """An SNS topic, and its subscription when it was made with a queue."""

    name: str
    arn: str
    queue: SqsQueue | None = None
    subscription_arn: str | None = None


@dataclasses.dataclass(frozen=True)
class DynamoDBTable:
    """A DynamoDB table, active when returned."""

    name: str
    arn: str
    stream_arn: str | None = None


@dataclasses.dataclass(frozen=True)
class Secret:
    """A Secrets Manager secret and the value it was created with."""

    name: str
    arn: str
    value: str | bytes


@dataclasses.dataclass(frozen=True)
class SsmParameter:
    """An SSM parameter and the value it was created with."""

    name: str
    arn: str
    value: str
    type: str
    version: int


@dataclasses.dataclass(frozen=True)
class KinesisStream:
    """A Kinesis data stream, active when returned."""

    name: str
    arn: str


@dataclasses.dataclass(frozen=True)
class IamRole:
    """An IAM role."""

    name: str
    arn: str
