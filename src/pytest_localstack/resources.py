"""Resource factories: AWS resources made for one test, with unique names, deleted afterwards.

Every session gets a :class:`ResourceFactory` as ``session.resources`` through the
``contribute_to_session`` hook. Its ``make_*`` methods create a resource in the session's
identity (account and region), give it a unique name, remember it, and return a small frozen
record of what was made (name, ARN, URL). :meth:`ResourceFactory.cleanup` deletes everything in
reverse order of creation; it runs at the teardown of the resource fixtures and, for anything
left over, when the session stops. A deletion that fails never raises: the failures are reported
together as one :class:`ResourceCleanupWarning`, after everything else has been deleted.

Names look like ``pytest-<test name>-<uuid4 hex>``, shortened to fit the service's limits
(S3: 3-63 lowercase characters; SQS: 80 characters, FIFO names end in ``.fifo``; IAM roles: 64
characters; ...). Unique names matter where an emulator keeps a namespace across accounts, as S3
does for bucket names, and they make leftovers easy to trace to their test.

Third-party plugins add factories the same way, in their own ``contribute_to_session`` hook, and
can hand their deletions to :meth:`ResourceFactory.add_cleanup` so that they are undone in the
same order and reported the same way.

.. versionadded:: 0.1
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import time
import uuid
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pytest_localstack.hookspecs import pytest_localstack_hookimpl

if TYPE_CHECKING:
    from pytest_localstack.session import RunningSession

__all__ = [
    "NAME_RULES",
    "CleanupFailure",
    "DynamoDBTable",
    "IamRole",
    "KinesisStream",
    "NameRule",
    "ResourceCleanupWarning",
    "ResourceFactory",
    "S3Bucket",
    "Secret",
    "SnsTopic",
    "SqsQueue",
    "SsmParameter",
    "unique_name",
]

#: Every generated name starts with this, so that leftovers are recognisable.
NAME_PREFIX = "pytest"
#: At most this many characters of the test name go into a generated name.
MAX_TEST_PREFIX = 40
#: Seconds to wait for a table or stream to become active.
ACTIVE_TIMEOUT = 60.0

#: Error codes that mean "already gone": a test that deleted its resource itself is fine.
_GONE_CODES = frozenset(
    {
        "404",
        "AWS.SimpleQueueService.NonExistentQueue",
        "EntityNotFound",
        "NoSuchBucket",
        "NoSuchEntity",
        "NotFound",
        "ParameterNotFound",
        "QueueDoesNotExist",
        "ResourceNotFoundException",
    }
)


# -- warnings ---------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class CleanupFailure:
    """One resource that could not be deleted, and why."""

    description: str
    error: BaseException

    def __str__(self) -> str:
        return f"{self.description}: {type(self.error).__name__}: {self.error}"


class ResourceCleanupWarning(UserWarning):
    """Some resources that a factory created could not be deleted at teardown.

    A warning, not an error, so that it never hides the test's own outcome. ``failures`` lists
    each resource and the exception its deletion raised.
    """

    def __init__(self, failures: Sequence[CleanupFailure]) -> None:
        self.failures = tuple(failures)
        lines = "\n".join(f"  {failure}" for failure in self.failures)
        super().__init__(
            f"pytest-localstack could not delete {len(self.failures)} resource(s) it "
            f"created:\n{lines}"
        )


# -- names ------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class NameRule:
    """What a service accepts as a resource name."""

    max_length: int
    invalid: re.Pattern[str]
    lowercase: bool = False


NAME_RULES: dict[str, NameRule] = {
    "s3": NameRule(63, re.compile(r"[^a-z0-9-]+"), lowercase=True),
    "sqs": NameRule(80, re.compile(r"[^A-Za-z0-9_-]+")),
    "sns": NameRule(256, re.compile(r"[^A-Za-z0-9_-]+")),
    "dynamodb": NameRule(255, re.compile(r"[^A-Za-z0-9_.-]+")),
    "secretsmanager": NameRule(512, re.compile(r"[^A-Za-z0-9/_+=.@-]+")),
    "ssm": NameRule(1011, re.compile(r"[^A-Za-z0-9_.-]+")),
    "kinesis": NameRule(128, re.compile(r"[^A-Za-z0-9_.-]+")),
    "iam": NameRule(64, re.compile(r"[^A-Za-z0-9+=,.@_-]+")),
}

_SEPARATORS = re.compile(r"-{2,}")
_HEX_LENGTH = 32


def prefix_from_current_test() -> str:
    """The running test's name (from ``PYTEST_CURRENT_TEST``) without ``test_``; or ``""``."""
    current = os.environ.get("PYTEST_CURRENT_TEST", "")
    name = current.rsplit(" (", 1)[0].rsplit("::", 1)[-1]
    return re.sub(r"^test_?", "", name)


def unique_name(kind: str, prefix: str = "", suffix: str = "") -> str:
    """A new name ``pytest-<prefix>-<uuid4 hex><suffix>`` that ``kind`` accepts.

    :param kind: a key of :data:`NAME_RULES` (``s3``, ``sqs``, ``sns``, ``dynamodb``,
        ``secretsmanager``, ``ssm``, ``kinesis``, ``iam``).
    :param prefix: usually the test's name; characters the service does not accept become
        ``-``, and it is shortened so that the whole name fits.
    :param suffix: appended as is, such as ``.fifo``.
    """
    try:
        rule = NAME_RULES[kind]
    except KeyError:
        raise ValueError(
            f"unknown resource kind {kind!r}; valid kinds are: {', '.join(sorted(NAME_RULES))}"
        ) from None
    if rule.lowercase:
        prefix = prefix.lower()
    prefix = _SEPARATORS.sub("-", rule.invalid.sub("-", prefix)).strip("-._")
    room = rule.max_length - len(NAME_PREFIX) - len(suffix) - _HEX_LENGTH - 2
    prefix = prefix[: max(0, min(room, MAX_TEST_PREFIX))].rstrip("-._")
    parts = [NAME_PREFIX, prefix, uuid.uuid4().hex] if prefix else [NAME_PREFIX, uuid.uuid4().hex]
    return "-".join(parts) + suffix


# -- what the factories return -----------------------------------------------------------------


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


# -- the factory ------------------------------------------------------------------------------


@dataclasses.dataclass
class _Tracked:
    description: str
    delete: Callable[[], object]
    resource: object = None


class ResourceFactory:
    """``session.resources``: AWS resources in the session's identity, deleted afterwards.

    Each ``make_*`` method creates one resource with a unique name (unless ``name`` is given),
    tracks it, and returns a frozen record of it. :meth:`cleanup` deletes what is tracked, newest
    first. Things a test adds inside a resource (objects in a bucket, policies on a role) are
    deleted with it; a resource the test deleted itself is skipped silently.

    :param session: the session whose identity and emulator the resources live in.
    """

    def __init__(self, session: RunningSession) -> None:
        self.session = session
        #: Test name used in generated names; ``None`` takes it from ``PYTEST_CURRENT_TEST``.
        self.prefix: str | None = None
        self._tracked: list[_Tracked] = []
        self._clients: dict[str, Any] = {}
        self._deferred: list[CleanupFailure] = []

    def __repr__(self) -> str:
        return f"<ResourceFactory of {self.session!r}: {len(self._tracked)} tracked>"

    # -- plumbing -----------------------------------------------------------------------------

    def client(self, service_name: str) -> Any:
        """A botocore client in the session's identity, cached per service."""
        if service_name not in self._clients:
            import botocore.config

            config = botocore.config.Config(retries={"mode": "standard", "max_attempts": 3})
            self._clients[service_name] = self.session.botocore.client(  # type: ignore[attr-defined]
                service_name, config=config
            )
        return self._clients[service_name]

    def unique_name(self, kind: str, suffix: str = "") -> str:
        """A fresh name for ``kind`` that carries the test's name; see :func:`unique_name`."""
        prefix = self.prefix if self.prefix is not None else prefix_from_current_test()
        return unique_name(kind, prefix, suffix)

    @property
    def created(self) -> list[object]:
        """The records of the resources made and not deleted yet, oldest first."""
        return [tracked.resource for tracked in self._tracked if tracked.resource is not None]

    def add_cleanup(
        self, description: str, delete: Callable[[], object], resource: object = None
    ) -> None:
        """Delete something at cleanup, in reverse order with everything else.

        For plugins that add their own factories. ``delete`` may raise a botocore
        ``ClientError`` whose code means "not found": that counts as deleted already.

        :param description: what it is, for the warning if ``delete`` fails.
        :param delete: called without arguments at cleanup.
        :param resource: the record to list in :attr:`created`, if any.
        """
        self._track(description, delete, resource)

    def _track(
        self, description: str, delete: Callable[[], object], resource: object = None
    ) -> _Tracked:
        tracked = _Tracked(description, delete, resource)
        self._tracked.append(tracked)
        return tracked

    def cleanup(self) -> list[CleanupFailure]:
        """Delete every tracked resource, newest first, and warn about any that failed.

        Every deletion is attempted; the failures come as one :class:`ResourceCleanupWarning`
        after the last one, and are returned too. Cleaning up twice does nothing the second
        time.
        """
        failures = self._delete_all()
        if failures:
            warnings.warn(ResourceCleanupWarning(failures), stacklevel=2)
        return failures

    def _delete_all(self) -> list[CleanupFailure]:
        failures: list[CleanupFailure] = []
        while self._tracked:
            tracked = self._tracked.pop()
            try:
                tracked.delete()
            except Exception as error:
                if not _is_gone(error):
                    failures.append(CleanupFailure(tracked.description, error))
        return failures

    # -- S3 -----------------------------------------------------------------------------------

    def make_s3_bucket(
        self,
        objects: Mapping[str, bytes | str] | None = None,
        *,
        name: str | None = None,
        **kwargs: Any,
    ) -> S3Bucket:
        """Create an S3 bucket, optionally with objects in it.

        Bucket names are global in S3 and in both emulators (across accounts), so give
        ``name`` only when the test needs that exact name.

        :param objects: key -> content (``str`` is stored UTF-8 encoded).
        :param name: the bucket name; a unique one by default.
        :param kwargs: more ``CreateBucket`` arguments (``ObjectLockEnabledForBucket``, ...).
            Outside ``us-east-1`` the location constraint is set to the session's region.
        :returns: the bucket's name, ARN, region and the keys of ``objects``.
        """
        s3 = self.client("s3")
        name = name or self.unique_name("s3")
        region = self.session.region_name
        if region != "us-east-1":
            kwargs.setdefault("CreateBucketConfiguration", {"LocationConstraint": region})
        s3.create_bucket(Bucket=name, **kwargs)
        bucket = S3Bucket(
            name=name,
            arn=f"arn:{_partition(region)}:s3:::{name}",
            region=region,
            keys=tuple(objects or ()),
        )
        self.add_cleanup(f"S3 bucket {name!r}", lambda: self._delete_bucket(name), bucket)
        for key, body in (objects or {}).items():
            data = body.encode() if isinstance(body, str) else body
            s3.put_object(Bucket=name, Key=key, Body=data)
        return bucket

    def _delete_bucket(self, name: str) -> None:
        s3 = self.client("s3")
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=name):
            doomed = [
                {"Key": item["Key"], "VersionId": item["VersionId"]}
                for item in page.get("Versions", []) + page.get("DeleteMarkers", [])
            ]
            if doomed:
                s3.delete_objects(Bucket=name, Delete={"Objects": doomed, "Quiet": True})
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name):
            doomed = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if doomed:
                s3.delete_objects(Bucket=name, Delete={"Objects": doomed, "Quiet": True})
        s3.delete_bucket(Bucket=name)

    # -- SQS ----------------------------------------------------------------------------------

    def make_sqs_queue(
        self,
        fifo: bool = False,
        *,
        name: str | None = None,
        tags: Mapping[str, str] | None = None,
        **attributes: Any,
    ) -> SqsQueue:
        """Create an SQS queue, standard or FIFO.

        :param fifo: a FIFO queue; its name ends in ``.fifo``. Pass
            ``ContentBasedDeduplication=True`` to send without deduplication ids.
        :param name: the queue name; a unique one by default.
        :param tags: queue tags.
        :param attributes: queue attributes by their AWS names (``VisibilityTimeout=5``,
            ``RedrivePolicy=...``); values are converted to the strings SQS expects (``True``
            becomes ``"true"``, a dict becomes JSON).
        :returns: the queue's name, URL and ARN.
        """
        if name is None:
            name = self.unique_name("sqs", ".fifo" if fifo else "")
        elif fifo != name.endswith(".fifo"):
            raise ValueError(
                f"SQS queue name {name!r}: FIFO queue names end in '.fifo', others must not"
            )
        if fifo:
            attributes["FifoQueue"] = True
        sqs = self.client("sqs")
        arguments: dict[str, Any] = {"QueueName": name}
        if attributes:
            arguments["Attributes"] = {k: _attribute(v) for k, v in attributes.items()}
        if tags:
            arguments["tags"] = dict(tags)
        url: str = sqs.create_queue(**arguments)["QueueUrl"]
        tracked = self._track(f"SQS queue {url!r}", lambda: sqs.delete_queue(QueueUrl=url))
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        queue = SqsQueue(name=name, url=url, arn=arn, fifo=fifo)
        tracked.resource = queue
        return queue

    def _queue(self, queue: SqsQueue | str) -> SqsQueue:
        """A queue record for a record, a queue URL or a queue ARN."""
        if isinstance(queue, SqsQueue):
            return queue
        sqs = self.client("sqs")
        if queue.startswith("arn:"):
            account, name = queue.split(":")[4], queue.split(":")[5]
            url = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
            return SqsQueue(name=name, url=url, arn=queue, fifo=name.endswith(".fifo"))
        arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        name = arn.split(":")[5]
        return SqsQueue(name=name, url=queue, arn=arn, fifo=name.endswith(".fifo"))

    # -- SNS ----------------------------------------------------------------------------------

    def make_sns_topic(
        self,
        subscribe_queue: SqsQueue | str | bool | None = None,
        *,
        fifo: bool = False,
        raw_message_delivery: bool = False,
        name: str | None = None,
        **attributes: Any,
    ) -> SnsTopic:
        """Create an SNS topic, optionally subscribed to an SQS queue.

        :param subscribe_queue: a queue to subscribe: a :class:`SqsQueue`, a queue URL or ARN,
            or ``True`` for a new queue (FIFO if the topic is) made and deleted with the topic.
            No queue policy is set: neither emulator enforces one.
        :param fifo: a FIFO topic; its name ends in ``.fifo``.
        :param raw_message_delivery: deliver the bare message instead of the SNS envelope.
        :param name: the topic name; a unique one by default.
        :param attributes: topic attributes by their AWS names (``DisplayName=...``).
        :returns: the topic's name and ARN, and the queue and subscription ARN if subscribed.
        """
        if name is None:
            name = self.unique_name("sns", ".fifo" if fifo else "")
        if fifo:
            attributes["FifoTopic"] = True
        queue: SqsQueue | None = None
        if subscribe_queue is True:
            queue = self.make_sqs_queue(fifo=fifo)
        elif subscribe_queue:
            queue = self._queue(subscribe_queue)
        sns = self.client("sns")
        arguments: dict[str, Any] = {"Name": name}
        if attributes:
            arguments["Attributes"] = {k: _attribute(v) for k, v in attributes.items()}
        arn: str = sns.create_topic(**arguments)["TopicArn"]
        topic = SnsTopic(name=name, arn=arn)
        tracked = self._track(f"SNS topic {arn!r}", lambda: sns.delete_topic(TopicArn=arn), topic)
        if queue is None:
            return topic
        subscription: str = sns.subscribe(
            TopicArn=arn,
            Protocol="sqs",
            Endpoint=queue.arn,
            Attributes={"RawMessageDelivery": _attribute(raw_message_delivery)},
            ReturnSubscriptionArn=True,
        )["SubscriptionArn"]
        self._track(
            f"SNS subscription {subscription!r}",
            lambda: sns.unsubscribe(SubscriptionArn=subscription),
        )
        topic = dataclasses.replace(topic, queue=queue, subscription_arn=subscription)
        tracked.resource = topic
        return topic

    # -- DynamoDB -----------------------------------------------------------------------------

    def make_dynamodb_table(
        self,
        hash_key: str = "id",
        hash_key_type: str = "S",
        range_key: str | None = None,
        range_key_type: str = "S",
        *,
        name: str | None = None,
        wait: bool = True,
        **kwargs: Any,
    ) -> DynamoDBTable:
        """Create a DynamoDB table (on-demand billing unless throughput is given).

        :param hash_key: name of the partition key.
        :param hash_key_type: its type: ``S``, ``N`` or ``B``.
        :param range_key: name of the sort key, if any.
        :param range_key_type: its type.
        :param name: the table name; a unique one by default.
        :param wait: return once the table is ``ACTIVE``.
        :param kwargs: more ``CreateTable`` arguments (``GlobalSecondaryIndexes``,
            ``StreamSpecification``, ...). Given ``KeySchema`` replaces the keys above; given
            ``AttributeDefinitions`` are completed with the keys' types.
        :returns: the table's name, ARN and stream ARN.
        """
        name = name or self.unique_name("dynamodb")
        if "KeySchema" not in kwargs:
            kwargs["KeySchema"] = [{"AttributeName": hash_key, "KeyType": "HASH"}]
            types = {hash_key: hash_key_type}
            if range_key is not None:
                kwargs["KeySchema"].append({"AttributeName": range_key, "KeyType": "RANGE"})
                types[range_key] = range_key_type
            definitions = list(kwargs.get("AttributeDefinitions", []))
            defined = {d["AttributeName"] for d in definitions}
            definitions += [
                {"AttributeName": k, "AttributeType": t}
                for k, t in types.items()
                if k not in defined
            ]
            kwargs["AttributeDefinitions"] = definitions
        if "ProvisionedThroughput" not in kwargs:
            kwargs.setdefault("BillingMode", "PAY_PER_REQUEST")
        dynamodb = self.client("dynamodb")
        description = dynamodb.create_table(TableName=name, **kwargs)["TableDescription"]
        table = DynamoDBTable(
            name=name,
            arn=description["TableArn"],
            stream_arn=description.get("LatestStreamArn"),
        )
        self.add_cleanup(
            f"DynamoDB table {name!r}", lambda: dynamodb.delete_table(TableName=name), table
        )
        if wait:
            _wait_until(
                lambda: dynamodb.describe_table(TableName=name)["Table"]["TableStatus"] == "ACTIVE",
                f"DynamoDB table {name!r} to become ACTIVE",
            )
        return table

    # -- Secrets Manager ----------------------------------------------------------------------

    def make_secret(
        self,
        value: str | bytes | Mapping[str, Any] | None = None,
        *,
        name: str | None = None,
        **kwargs: Any,
    ) -> Secret:
        """Create a Secrets Manager secret; it is deleted without a recovery window.

        :param value: a string (``SecretString``), bytes (``SecretBinary``) or a dict (stored
            as JSON); a random string by default.
        :param name: the secret name; a unique one by default.
        :param kwargs: more ``CreateSecret`` arguments (``Description``, ``KmsKeyId``, ...).
        :returns: the secret's name, ARN and stored value.
        """
        name = name or self.unique_name("secretsmanager")
        if value is None:
            value = uuid.uuid4().hex
        elif isinstance(value, Mapping):
            value = json.dumps(value)
        if isinstance(value, bytes):
            kwargs["SecretBinary"] = value
        else:
            kwargs["SecretString"] = value
        secrets = self.client("secretsmanager")
        arn: str = secrets.create_secret(Name=name, **kwargs)["ARN"]
        secret = Secret(name=name, arn=arn, value=value)
        self.add_cleanup(
            f"secret {arn!r}",
            lambda: secrets.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True),
            secret,
        )
        return secret

    # -- SSM Parameter Store ------------------------------------------------------------------

    def make_ssm_parameter(
        self,
        value: str | Sequence[str] | None = None,
        type: str | None = None,
        *,
        path: str | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> SsmParameter:
        """Create an SSM parameter.

        :param value: the value; a list makes a ``StringList``; a random string by default.
        :param type: ``String`` (default), ``StringList`` or ``SecureString``.
        :param path: a hierarchy such as ``/app/config`` to create the unique name under.
        :param name: the full parameter name; a unique one by default.
        :param kwargs: more ``PutParameter`` arguments (``Description``, ``Tier``, ...).
        :returns: the parameter's name, ARN, value, type and version.
        """
        if name is None:
            name = self.unique_name("ssm")
            if path is not None:
                if not path.startswith("/"):
                    raise ValueError(f"SSM parameter path {path!r} must start with '/'")
                name = f"{path.rstrip('/')}/{name}"
        if value is None:
            value = uuid.uuid4().hex
        if not isinstance(value, str):
            value = ",".join(value)
            type = type or "StringList"
        type = type or "String"
        ssm = self.client("ssm")
        version = int(ssm.put_parameter(Name=name, Value=value, Type=type, **kwargs)["Version"])
        region, account = self.session.region_name, self.session.account_id
        arn = f"arn:{_partition(region)}:ssm:{region}:{account}:parameter/{name.lstrip('/')}"
        parameter = SsmParameter(name=name, arn=arn, value=value, type=type, version=version)
        self.add_cleanup(
            f"SSM parameter {name!r}", lambda: ssm.delete_parameter(Name=name), parameter
        )
        return parameter

    # -- Kinesis ------------------------------------------------------------------------------

    def make_kinesis_stream(
        self,
        shard_count: int = 1,
        *,
        name: str | None = None,
        wait: bool = True,
        **kwargs: Any,
    ) -> KinesisStream:
        """Create a Kinesis data stream.

        :param shard_count: number of shards (ignored for ``StreamModeDetails`` on demand).
        :param name: the stream name; a unique one by default.
        :param wait: return once the stream is ``ACTIVE``.
        :param kwargs: more ``CreateStream`` arguments.
        :returns: the stream's name and ARN.
        """
        name = name or self.unique_name("kinesis")
        mode = kwargs.get("StreamModeDetails", {}).get("StreamMode", "PROVISIONED")
        if mode == "PROVISIONED":
            kwargs.setdefault("ShardCount", shard_count)
        kinesis = self.client("kinesis")
        kinesis.create_stream(StreamName=name, **kwargs)
        tracked = self._track(
            f"Kinesis stream {name!r}",
            lambda: kinesis.delete_stream(StreamName=name, EnforceConsumerDeletion=True),
        )

        def summary() -> dict[str, Any]:
            result: dict[str, Any] = kinesis.describe_stream_summary(StreamName=name)[
                "StreamDescriptionSummary"
            ]
            return result

        if wait:
            _wait_until(
                lambda: summary()["StreamStatus"] == "ACTIVE",
                f"Kinesis stream {name!r} to become ACTIVE",
            )
        stream = KinesisStream(name=name, arn=summary()["StreamARN"])
        tracked.resource = stream
        return stream

    # -- IAM ----------------------------------------------------------------------------------

    def make_iam_role(
        self,
        assume_role_policy: Mapping[str, Any] | str | None = None,
        *,
        policy_arns: Sequence[str] = (),
        inline_policies: Mapping[str, Mapping[str, Any] | str] | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> IamRole:
        """Create an IAM role, optionally with managed and inline policies.

        :param assume_role_policy: the trust policy (a dict or JSON); by default the session's
            own account may assume the role (``sts:AssumeRole`` for its root principal).
        :param policy_arns: managed policies to attach.
        :param inline_policies: inline policy name -> policy document.
        :param name: the role name; a unique one by default.
        :param kwargs: more ``CreateRole`` arguments (``Path``, ``Description``, ...).
        :returns: the role's name and ARN. At cleanup, every policy attached to the role (also
            by the test) is detached or deleted first.
        """
        name = name or self.unique_name("iam")
        if assume_role_policy is None:
            root = f"arn:{_partition(self.session.region_name)}:iam::{self.session.account_id}:root"
            assume_role_policy = {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"AWS": root}, "Action": "sts:AssumeRole"}
                ],
            }
        iam = self.client("iam")
        arn: str = iam.create_role(
            RoleName=name, AssumeRolePolicyDocument=_document(assume_role_policy), **kwargs
        )["Role"]["Arn"]
        role = IamRole(name=name, arn=arn)
        self.add_cleanup(f"IAM role {name!r}", lambda: self._delete_role(name), role)
        for policy_arn in policy_arns:
            iam.attach_role_policy(RoleName=name, PolicyArn=policy_arn)
        for policy_name, document in (inline_policies or {}).items():
            iam.put_role_policy(
                RoleName=name, PolicyName=policy_name, PolicyDocument=_document(document)
            )
        return role

    def _delete_role(self, name: str) -> None:
        iam = self.client("iam")
        for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=name):
            for policy in page["AttachedPolicies"]:
                iam.detach_role_policy(RoleName=name, PolicyArn=policy["PolicyArn"])
        for page in iam.get_paginator("list_role_policies").paginate(RoleName=name):
            for policy_name in page["PolicyNames"]:
                iam.delete_role_policy(RoleName=name, PolicyName=policy_name)
        for page in iam.get_paginator("list_instance_profiles_for_role").paginate(RoleName=name):
            for profile in page["InstanceProfiles"]:
                iam.remove_role_from_instance_profile(
                    InstanceProfileName=profile["InstanceProfileName"], RoleName=name
                )
        iam.delete_role(RoleName=name)


# -- helpers ----------------------------------------------------------------------------------


def _partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def _attribute(value: object) -> str:
    """An SQS/SNS attribute value as the string the API expects."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (Mapping, list)):
        return json.dumps(value)
    return str(value)


def _document(policy: Mapping[str, Any] | str) -> str:
    return policy if isinstance(policy, str) else json.dumps(policy)


def _is_gone(error: Exception) -> bool:
    """Whether a deletion failed only because the resource does not exist any more."""
    response = getattr(error, "response", None)
    if not isinstance(response, dict):
        return False
    code = response.get("Error", {}).get("Code", "")
    return code in _GONE_CODES


def _wait_until(check: Callable[[], bool], what: str, timeout: float = ACTIVE_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    delay = 0.02
    while not check():
        if time.monotonic() >= deadline:
            raise TimeoutError(f"gave up waiting {timeout:g} s for {what}")
        time.sleep(delay)
        delay = min(delay * 2, 0.5)


# -- hooks ------------------------------------------------------------------------------------


@pytest_localstack_hookimpl
def contribute_to_session(session: RunningSession) -> None:
    """Give every session a resource factory, ``session.resources``."""
    session.resources = ResourceFactory(session)  # type: ignore[attr-defined]


@pytest_localstack_hookimpl
def session_stopping(session: RunningSession) -> None:
    """Delete what the session's factory made and nobody cleaned up, while it still answers.

    The warning about failures waits for ``session_stopped``, so that it cannot interrupt the
    stop (under ``-W error`` a warning raises).
    """
    resources = getattr(session, "resources", None)
    if isinstance(resources, ResourceFactory) and resources._tracked:
        resources._deferred = resources._delete_all()


@pytest_localstack_hookimpl
def session_stopped(session: RunningSession) -> None:
    """Report what :func:`session_stopping` could not delete."""
    resources = getattr(session, "resources", None)
    if isinstance(resources, ResourceFactory) and resources._deferred:
        failures, resources._deferred = resources._deferred, []
        warnings.warn(ResourceCleanupWarning(failures), stacklevel=2)
