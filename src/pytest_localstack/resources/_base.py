"""What every resource factory shares: its session, clients, names and the cleanup list."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pytest_localstack.resources.cleanup import (
    CleanupFailure,
    Cleanups,
    ResourceCleanupWarning,
    Tracked,
)
from pytest_localstack.resources.naming import prefix_from_current_test, unique_name

if TYPE_CHECKING:
    from pytest_localstack.session import RunningSession


class FactoryBase:
    """The plumbing under the ``make_*`` methods of :class:`~.factory.ResourceFactory`.

    :param session: the session whose identity and emulator the resources live in.
    """

    def __init__(self, session: RunningSession) -> None:
        self.session = session
        #: Test name used in generated names; ``None`` takes it from ``PYTEST_CURRENT_TEST``.
        self.prefix: str | None = None
        self._cleanups = Cleanups()
        self._clients: dict[str, Any] = {}
        self._deferred: list[CleanupFailure] = []

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self.session!r}: {len(self._cleanups)} tracked>"

    def client(self, service_name: str) -> Any:
        """A botocore client in the session's identity, cached per service."""
        if service_name not in self._clients:
            import botocore.config

            config = botocore.config.Config(retries={"mode": "standard", "max_attempts": 3})
            self._clients[service_name] = self.session.botocore.client(service_name, config=config)
        return self._clients[service_name]

    def unique_name(self, kind: str, suffix: str = "") -> str:
        """A fresh name for ``kind`` that carries the test's name; see :func:`unique_name`."""
        prefix = self.prefix if self.prefix is not None else prefix_from_current_test()
        return unique_name(kind, prefix, suffix)

    @property
    def created(self) -> list[object]:
        """The records of the resources made and not deleted yet, oldest first."""
        return self._cleanups.resources

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
    ) -> Tracked:
        return self._cleanups.add(description, delete, resource)

    def cleanup(self) -> list[CleanupFailure]:
        """Delete every tracked resource, newest first, and warn about any that failed.

        Every deletion is attempted; the failures come as one :class:`ResourceCleanupWarning`
        after the last one, and are returned too. Cleaning up twice does nothing the second
        time.
        """
        failures = self._cleanups.run()
        if failures:
            warnings.warn(ResourceCleanupWarning(failures), stacklevel=2)
        return failures

    def delete_leftovers(self) -> None:
        """Delete what is still tracked, keeping the failures for :meth:`warn_about_leftovers`.

        For a session that stops: the warning must wait until the stop is over, because under
        ``-W error`` a warning raises and would interrupt it.
        """
        if len(self._cleanups):
            self._deferred.extend(self._cleanups.run())

    def warn_about_leftovers(self) -> None:
        """Warn once about what :meth:`delete_leftovers` could not delete."""
        failures, self._deferred = self._deferred, []
        if failures:
            warnings.warn(ResourceCleanupWarning(failures), stacklevel=2)
