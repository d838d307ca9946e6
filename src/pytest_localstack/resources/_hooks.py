"""The resource factories' part in a session's stop: delete what nobody cleaned up."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_localstack.hookspecs import pytest_localstack_hookimpl

if TYPE_CHECKING:
    from pytest_localstack.resources.factory import ResourceFactory
    from pytest_localstack.session import RunningSession


def _factory(session: RunningSession) -> ResourceFactory | None:
    """The session's resource factory, if it made one: ``session.resources`` is built on first
    use, and asking for it here would build (and import) one for every session."""
    resources = getattr(session, "__dict__", {}).get("resources")
    if resources is None:
        return None
    from pytest_localstack.resources.factory import ResourceFactory

    return resources if isinstance(resources, ResourceFactory) else None


@pytest_localstack_hookimpl
def session_stopping(session: RunningSession) -> None:
    """Delete what the session's factory made and nobody cleaned up, while it still answers.

    The warning about failures waits for ``session_stopped``, so that it cannot interrupt the
    stop (under ``-W error`` a warning raises).
    """
    resources = _factory(session)
    if resources is not None:
        resources.delete_leftovers()


@pytest_localstack_hookimpl
def session_stopped(session: RunningSession) -> None:
    """Report what :func:`session_stopping` could not delete."""
    resources = _factory(session)
    if resources is not None:
        resources.warn_about_leftovers()
