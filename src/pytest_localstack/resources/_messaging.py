"""Messaging resources: SQS queues, SNS topics (optionally subscribed), Kinesis streams."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from pytest_localstack.resources._aws import attribute, wait_until
from pytest_localstack.resources._base import FactoryBase
from pytest_localstack.resources.records import KinesisStream, SnsTopic, SqsQueue


class MessagingFactory(FactoryBase):
    """``make_sqs_queue``, ``make_sns_topic`` and ``make_kinesis_stream``."""

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
            arguments["Attributes"] = {k: attribute(v) for k, v in attributes.items()}
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
            arguments["Attributes"] = {k: attribute(v) for k, v in attributes.items()}
        arn: str = sns.create_topic(**arguments)["TopicArn"]
        topic = SnsTopic(name=name, arn=arn)
        tracked = self._track(f"SNS topic {arn!r}", lambda: sns.delete_topic(TopicArn=arn), topic)
        if queue is None:
            return topic
        subscription: str = sns.subscribe(
            TopicArn=arn,
            Protocol="sqs",
            Endpoint=queue.arn,
            Attributes={"RawMessageDelivery": attribute(raw_message_delivery)},
            ReturnSubscriptionArn=True,
        )["SubscriptionArn"]
        self._track(
            f"SNS subscription {subscription!r}",
            lambda: sns.unsubscribe(SubscriptionArn=subscription),
        )
        topic = dataclasses.replace(topic, queue=queue, subscription_arn=subscription)
        tracked.resource = topic
        return topic

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
            wait_until(
                lambda: summary()["StreamStatus"] == "ACTIVE",
                f"Kinesis stream {name!r} to become ACTIVE",
            )
        stream = KinesisStream(name=name, arn=summary()["StreamARN"])
        tracked.resource = stream
        return stream
