"""pytest-localstack: AWS emulators for pytest, one per run, an identity per worker and test.

The fixture factories and sessions are imported on first use: the run's watchdog and other
small helper processes import this package too, and need none of pytest.
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING, Any

from pytest_localstack import plugin
from pytest_localstack._version import __version__
from pytest_localstack.exceptions import LocalstackError
from pytest_localstack.hookspecs import pytest_localstack_hookimpl

if TYPE_CHECKING:
    from pytest_localstack.fixtures import patch_fixture, session_fixture
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

_LAZY = {
    "LocalstackSession": "pytest_localstack.session",
    "RunningSession": "pytest_localstack.session",
    "patch_fixture": "pytest_localstack.fixtures",
    "session_fixture": "pytest_localstack.fixtures",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


# As in the original: the built-in plugins (loaded lazily) and the entry-point plugins are
# registered at import, before anything can create a session.
plugin.register_builtin_plugins()
plugin.manager.hook.contribute_to_module.call_historic(
    kwargs={"pytest_localstack": sys.modules[__name__]}
)
