"""The one way to start an emulator: settings + labels -> a ready :class:`Endpoint`.

Used alike by a standalone :class:`~pytest_localstack.LocalstackSession`, the run's
coordinator and warm reuse.
"""

from __future__ import annotations

from collections.abc import Callable

from pytest_localstack.config import Settings
from pytest_localstack.runtimes import Endpoint, Runtimes, ignore_spawn


def _nothing(engine: str) -> None:
    """The default ``before_start``."""


def launch(
    settings: Settings,
    labels: dict[str, str],
    runtimes: Runtimes | None = None,
    on_spawn: Callable[[Endpoint], None] = ignore_spawn,
    before_start: Callable[[str], None] = _nothing,
) -> Endpoint:
    """Choose the engine, take its runtime and emulator profile, start, wait until ready.

    ``before_start`` is told the chosen engine before anything starts (the coordinator starts
    its watchdog there); ``on_spawn`` is the runtime's, see :class:`~.runtimes.Runtime`.
    """
    runtimes = runtimes if runtimes is not None else Runtimes()
    engine = runtimes.choose_engine(settings)
    before_start(engine)
    runtime = runtimes[engine]
    return runtime.start(settings, runtime.profile(settings), labels, on_spawn=on_spawn)
