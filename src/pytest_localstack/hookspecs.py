"""Hook specifications of pytest-localstack's own plugin system (pluggy).

Plugins add client factories and resource helpers to sessions, or react to sessions starting
and stopping. Register one with :func:`pytest_localstack.plugin.register_plugin_module` or the
``localstack`` entry-point group, and mark its functions with :data:`pytest_localstack_hookimpl`.
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from pytest_localstack.session import RunningSession

PROJECT_NAME = "pytest-localstack"

pytest_localstack_hookspec = pluggy.HookspecMarker(PROJECT_NAME)
pytest_localstack_hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@pytest_localstack_hookspec(historic=True)
def contribute_to_module(pytest_localstack: ModuleType) -> None:
    """Add names to the :mod:`pytest_localstack` module, e.g. fixture factories.

    Historic: a plugin registered after the module was imported is still called.

    .. versionadded:: 0.1
    """


@pytest_localstack_hookspec
def contribute_to_session(session: RunningSession) -> None:
    """Add attributes to a new session, e.g. ``session.queues`` for a helper of your own.

    Called once per session object, before it starts. The built-in factories
    (``session.botocore``, ``session.boto3``, ``session.resources``, ...) are attributes of every
    session already; setting one of them here replaces it for that session.

    .. versionadded:: 0.1
    """


@pytest_localstack_hookspec
def session_starting(session: RunningSession) -> None:
    """Called when a session starts, before its emulator is started or attached.

    .. versionadded:: 0.1
    """


@pytest_localstack_hookspec
def session_started(session: RunningSession) -> None:
    """Called when a session's emulator answers and its services are ready.

    .. versionadded:: 0.1
    """


@pytest_localstack_hookspec
def session_stopping(session: RunningSession) -> None:
    """Called when a session is about to stop.

    .. versionadded:: 0.1
    """


@pytest_localstack_hookspec
def session_stopped(session: RunningSession) -> None:
    """Called after a session stopped (and its emulator, if the session owned it).

    .. versionadded:: 0.1
    """
