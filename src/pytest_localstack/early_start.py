"""Start the run's emulator while pytest still collects and starts its workers.

On first use, a fixture would start the emulator after collection, and under xdist after every
worker started: a cold LocalStack then puts its whole start-up, and the loading of each service
on its first request, in front of the first test. Instead, once collection shows that a
selected test uses a fixture of this plugin, a background thread asks the run's coordinator for
the emulator (under its file lock, so the run still starts it once; under xdist the first
worker to finish collecting starts it, the others wait for it) and then warms the services the
fixtures name (:mod:`pytest_localstack.warmup`). The fixture asks the coordinator as before and
finds it started or starting. A run that selects no such test starts nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pytest

    from pytest_localstack.runtimes import Endpoint

logger = logging.getLogger(__name__)

#: Set on the function of every fixture that needs the emulator: the fixture factory's
#: arguments (an empty dict for the built-in fixtures, which use the run's settings).
FIXTURE_ATTRIBUTE = "_pytest_localstack_arguments"


def uses_emulator(
    arguments: dict[str, Any] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a fixture function (before ``pytest.fixture`` wraps it) as one that needs the
    emulator, with the arguments of the factory that made it."""

    def mark(function: Callable[..., Any]) -> Callable[..., Any]:
        function.__dict__[FIXTURE_ATTRIBUTE] = dict(arguments or {})
        return function

    return mark


def fixture_arguments(items: Iterable[pytest.Item]) -> list[dict[str, Any]]:
    """The arguments of every distinct fixture that the items use and that needs the emulator."""
    found: dict[int, dict[str, Any]] = {}
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        if info is None:
            continue
        for name in info.names_closure:
            for definition in info.name2fixturedefs.get(name, ()):
                arguments = getattr(definition.func, FIXTURE_ATTRIBUTE, None)
                if arguments is not None:
                    found.setdefault(id(definition), arguments)
    return list(found.values())


def warm_services(services: Iterable[str], region: str) -> Callable[[Endpoint], None]:
    """What to do once the emulator answers: warm ``services`` (in the background thread)."""
    names = sorted(services)

    def warm(endpoint: Endpoint) -> None:
        if names:
            from pytest_localstack.warmup import warm as warm_all

            took = warm_all(endpoint.url, names, region)
            logger.debug("warmed %s", ", ".join(f"{n} ({s:.2f} s)" for n, s in took.items()))

    return warm
