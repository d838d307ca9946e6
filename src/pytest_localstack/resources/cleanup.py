"""Undoing what the factories made: newest first, every deletion attempted, failures reported.

A deletion that fails never raises: the failures are collected and reported together as one
:class:`ResourceCleanupWarning`, after everything else has been deleted. A resource that is gone
already (the test deleted it itself) counts as deleted.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

#: Error codes that mean "already gone": a test that deleted its resource itself is fine.
GONE_CODES = frozenset(
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


def is_gone(error: Exception) -> bool:
    """Whether a deletion failed only because the resource does not exist any more."""
    response = getattr(error, "response", None)
    if not isinstance(response, dict):
        return False
    code = response.get("Error", {}).get("Code", "")
    return code in GONE_CODES


@dataclasses.dataclass
class Tracked:
    """One deletion to run at cleanup, and the record of what it deletes (if any)."""

    description: str
    delete: Callable[[], object]
    resource: object = None


class Cleanups:
    """The deletions of one factory, run newest first."""

    def __init__(self) -> None:
        self._tracked: list[Tracked] = []

    def __len__(self) -> int:
        return len(self._tracked)

    def add(
        self, description: str, delete: Callable[[], object], resource: object = None
    ) -> Tracked:
        """Remember a deletion; the returned entry's ``resource`` may be set later."""
        tracked = Tracked(description, delete, resource)
        self._tracked.append(tracked)
        return tracked

    @property
    def resources(self) -> list[object]:
        """The records of what is still to be deleted, oldest first."""
        return [tracked.resource for tracked in self._tracked if tracked.resource is not None]

    def run(self) -> list[CleanupFailure]:
        """Run every deletion, newest first; return the ones that failed."""
        failures: list[CleanupFailure] = []
        while self._tracked:
            tracked = self._tracked.pop()
            try:
                tracked.delete()
            except Exception as error:
                if not is_gone(error):
                    failures.append(CleanupFailure(tracked.description, error))
        return failures
