"""Built-in resource fixtures: ready resources (``s3_bucket``) and factories (``make_s3_bucket``).

Every fixture here works in the identity of the function-scoped ``localstack_session`` fixture,
the same one that ``localstack`` redirects botocore to, and redirects botocore to it while the
test runs: a test that asks for ``s3_bucket`` finds the bucket with plain ``boto3.client("s3")``
(its code reaches the emulator, never real AWS). Override
``localstack_session`` (for example with ``pytest_localstack.session_fixture()``) to move them
into another session. What the fixtures made is deleted at the test's teardown, also when the
test failed; deletions that fail become a
:class:`~pytest_localstack.resources.ResourceCleanupWarning`.

Registered by the ``localstack`` pytest plugin (``pytest_plugins``); it imports nothing heavy
until a fixture runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest

from pytest_localstack._marks import marks_localstack

if TYPE_CHECKING:
    from pytest_localstack.resources import (
        DynamoDBTable,
        IamRole,
        KinesisStream,
        ResourceFactory,
        S3Bucket,
        Secret,
        SnsTopic,
        SqsQueue,
        SsmParameter,
    )
    from pytest_localstack.session import LocalstackSession


@pytest.fixture
@marks_localstack
def localstack_resources(localstack_session: LocalstackSession) -> Iterator[ResourceFactory]:
    """The resource factory of ``localstack_session``; deletes what it made at teardown.

    Redirects botocore and boto3 to ``localstack_session`` while the test runs, as
    ``localstack`` does: code that uses a resource must reach the emulator it lives in.
    """
    resources = localstack_session.resources
    with localstack_session.botocore.patch_botocore():
        yield resources
    resources.cleanup()


@pytest.fixture
def make_s3_bucket(localstack_resources: ResourceFactory) -> Callable[..., S3Bucket]:
    """A factory of S3 buckets: ``make_s3_bucket(objects=None, *, name=None, **kwargs)``."""
    return localstack_resources.make_s3_bucket


@pytest.fixture
def s3_bucket(make_s3_bucket: Callable[..., S3Bucket]) -> S3Bucket:
    """An empty S3 bucket with a unique name."""
    return make_s3_bucket()


@pytest.fixture
def make_sqs_queue(localstack_resources: ResourceFactory) -> Callable[..., SqsQueue]:
    """A factory of SQS queues: ``make_sqs_queue(fifo=False, *, name=None, **attributes)``."""
    return localstack_resources.make_sqs_queue


@pytest.fixture
def sqs_queue(make_sqs_queue: Callable[..., SqsQueue]) -> SqsQueue:
    """A standard SQS queue."""
    return make_sqs_queue()


@pytest.fixture
def sqs_fifo_queue(make_sqs_queue: Callable[..., SqsQueue]) -> SqsQueue:
    """A FIFO SQS queue with content-based deduplication."""
    return make_sqs_queue(fifo=True, ContentBasedDeduplication=True)


@pytest.fixture
def make_sns_topic(localstack_resources: ResourceFactory) -> Callable[..., SnsTopic]:
    """A factory of SNS topics: ``make_sns_topic(subscribe_queue=None, *, fifo=False, ...)``."""
    return localstack_resources.make_sns_topic


@pytest.fixture
def sns_topic(make_sns_topic: Callable[..., SnsTopic]) -> SnsTopic:
    """An SNS topic without subscriptions."""
    return make_sns_topic()


@pytest.fixture
def make_dynamodb_table(localstack_resources: ResourceFactory) -> Callable[..., DynamoDBTable]:
    """A factory of DynamoDB tables: ``make_dynamodb_table(hash_key="id", ...)``."""
    return localstack_resources.make_dynamodb_table


@pytest.fixture
def dynamodb_table(make_dynamodb_table: Callable[..., DynamoDBTable]) -> DynamoDBTable:
    """An on-demand DynamoDB table with a string partition key ``id``."""
    return make_dynamodb_table()


@pytest.fixture
def make_secret(localstack_resources: ResourceFactory) -> Callable[..., Secret]:
    """A factory of Secrets Manager secrets: ``make_secret(value=None, *, name=None, ...)``."""
    return localstack_resources.make_secret


@pytest.fixture
def secret(make_secret: Callable[..., Secret]) -> Secret:
    """A Secrets Manager secret with a random string value."""
    return make_secret()


@pytest.fixture
def make_ssm_parameter(localstack_resources: ResourceFactory) -> Callable[..., SsmParameter]:
    """A factory of SSM parameters: ``make_ssm_parameter(value=None, type=None, *, path=None)``."""
    return localstack_resources.make_ssm_parameter


@pytest.fixture
def ssm_parameter(make_ssm_parameter: Callable[..., SsmParameter]) -> SsmParameter:
    """A ``String`` SSM parameter with a random value."""
    return make_ssm_parameter()


@pytest.fixture
def make_kinesis_stream(localstack_resources: ResourceFactory) -> Callable[..., KinesisStream]:
    """A factory of Kinesis streams: ``make_kinesis_stream(shard_count=1, *, name=None)``."""
    return localstack_resources.make_kinesis_stream


@pytest.fixture
def kinesis_stream(make_kinesis_stream: Callable[..., KinesisStream]) -> KinesisStream:
    """An active Kinesis stream with one shard."""
    return make_kinesis_stream()


@pytest.fixture
def make_iam_role(localstack_resources: ResourceFactory) -> Callable[..., IamRole]:
    """A factory of IAM roles: ``make_iam_role(assume_role_policy=None, *, policy_arns=())``."""
    return localstack_resources.make_iam_role


@pytest.fixture
def iam_role(make_iam_role: Callable[..., IamRole]) -> IamRole:
    """An IAM role that the session's own account may assume."""
    return make_iam_role()
