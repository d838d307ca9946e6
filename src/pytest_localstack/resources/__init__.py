"""Resource factories: AWS resources made for one test, with unique names, deleted afterwards.

Every session has a :class:`ResourceFactory` as ``session.resources``. Its ``make_*`` methods
create a resource in the session's identity (account and region), give it a unique name,
remember it, and return a small frozen record of what was made (name, ARN, URL).
:meth:`ResourceFactory.cleanup` deletes everything in reverse order of creation; it runs at the
teardown of the resource fixtures and, for anything left over, when the session stops. A
deletion that fails never raises: the failures are reported together as one
:class:`ResourceCleanupWarning`, after everything else has been deleted.

Names look like ``pytest-<test name>-<uuid4 hex>``, shortened to fit the service's limits
(S3: 3-63 lowercase characters; SQS: 80 characters, FIFO names end in ``.fifo``; IAM roles: 64
characters; ...). Unique names matter where an emulator keeps a namespace across accounts, as S3
does for bucket names, and they make leftovers easy to trace to their test.

Third-party plugins add factories in their own ``contribute_to_session`` hook, and can hand
their deletions to :meth:`ResourceFactory.add_cleanup` so that they are undone in the same order
and reported the same way.

The package, by concern: :mod:`.naming` (unique names), :mod:`.records` (what the factories
return), :mod:`.cleanup` (undoing, and the warning), :mod:`.factory` (the factory, assembled
from one module per service family), :mod:`.fixtures` (the built-in pytest fixtures).

.. versionadded:: 0.1
"""

from __future__ import annotations

from pytest_localstack.resources.cleanup import CleanupFailure, ResourceCleanupWarning
from pytest_localstack.resources.factory import ResourceFactory
from pytest_localstack.resources.naming import (
    NAME_RULES,
    NameRule,
    unique_name,
)
from pytest_localstack.resources.records import (
    DynamoDBTable,
    IamRole,
    KinesisStream,
    S3Bucket,
    Secret,
    SnsTopic,
    SqsQueue,
    SsmParameter,
)

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
