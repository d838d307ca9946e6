"""The resource factories' part in a session's stop: delete what nobody cleaned up."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_localstack.hookspecs import pytest_localstack_hookimpl
from pytest_localstack.resources.factory import ResourceFactory

if TYPE_CHECKING:
    from pytest_localstack.session import RunningSession


@pytest_localstack_hookimpl
def session_stopping(session: RunningSession) -> None:
    """Delete what the session's factory made and nobody cleaned up, while it still answers.

    The warning about failures waits for ``session_stopped``, so that it cannot interrupt the
    stop (under ``-W error`` a warning raises).
    """
    resources = getattr(session, "resources", None)
    if isinstance(resources, ResourceFactory):
        resources.delete_leftovers()


@pytest_localstack_hookimpl
def session_stopped(session: RunningSession) -> None:
    """Report what :func:`session_stopping` could not delete."""
    resources = getattr(session, "resources", None)
    if isinstance(resources, ResourceFactory):
        resources.warn_about_leftovers()
