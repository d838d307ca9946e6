"""The resource factory of a session: every service family's ``make_*`` methods in one class."""

from __future__ import annotations

from pytest_localstack.resources._messaging import MessagingFactory
from pytest_localstack.resources._security import SecurityFactory
from pytest_localstack.resources._storage import StorageFactory


class ResourceFactory(StorageFactory, MessagingFactory, SecurityFactory):
    """``session.resources``: AWS resources in the session's identity, deleted afterwards.

    Each ``make_*`` method creates one resource with a unique name (unless ``name`` is given),
    tracks it, and returns a frozen record of it. :meth:`cleanup` deletes what is tracked, newest
    first. Things a test adds inside a resource (objects in a bucket, policies on a role) are
    deleted with it; a resource the test deleted itself is skipped silently.

    :param session: the session whose identity and emulator the resources live in.
    """
