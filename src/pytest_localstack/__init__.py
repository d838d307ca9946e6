"""pytest-localstack: AWS emulators for pytest, one per run, an identity per worker and test."""

import sys

from pytest_localstack import plugin
from pytest_localstack._version import __version__
from pytest_localstack.exceptions import LocalstackError
from pytest_localstack.fixtures import patch_fixture, session_fixture
from pytest_localstack.hookspecs import pytest_localstack_hookimpl
from pytest_localstack.session import LocalstackSession, RunningSession

__all__ = [
    "LocalstackError",
    "LocalstackSession",
    "RunningSession",
    "__version__",
    "patch_fixture",
    "plugin",
    "pytest_localstack_hookimpl",
    "session_fixture",
]

# As in the original: the built-in plugins (loaded lazily) and the entry-point plugins are
# registered at import, before anything can create a session.
plugin.register_builtin_plugins()
plugin.manager.hook.contribute_to_module.call_historic(
    kwargs={"pytest_localstack": sys.modules[__name__]}
)
