"""The ``localstack`` marker: tests that use the plugin's fixtures get it automatically.

The plugin's fixture functions carry an attribute; a test whose fixture closure holds one of
them is marked, so ``-m "not localstack"`` runs everything that needs no emulator.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

MARKER = "localstack"
MARKER_HELP = (
    "localstack: the test uses an AWS emulator through pytest-localstack "
    "(added automatically to tests that use its fixtures)"
)
_ATTRIBUTE = "_pytest_localstack_fixture"

F = TypeVar("F", bound=Callable[..., Any])


def marks_localstack(function: F) -> F:
    """Tag a fixture function (below ``@pytest.fixture``) as one of the plugin's."""
    setattr(function, _ATTRIBUTE, True)
    return function


def uses_localstack(item: Any) -> bool:
    """Whether a collected test's fixture closure holds one of the plugin's fixtures."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return False
    definitions: Iterable[Any] = (
        definition for chain in info.name2fixturedefs.values() for definition in chain
    )
    return any(getattr(definition.func, _ATTRIBUTE, False) for definition in definitions)
