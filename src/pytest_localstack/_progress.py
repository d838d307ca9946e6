"""Progress lines for the terminal: image pulls, emulator starts, engine fallbacks.

Only the process that does the work reports it, once. The pytest plugin installs a writer
that reaches the terminal also from an xdist worker (whose output is captured otherwise);
without one, progress goes to the ``pytest_localstack`` logger.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

logger = logging.getLogger("pytest_localstack")

_writer: Callable[[str], None] | None = None


def set_writer(writer: Callable[[str], None] | None) -> None:
    """Send progress lines to ``writer`` (``None``: to the logger only)."""
    global _writer
    _writer = writer


def report(line: str) -> None:
    """One line of progress, prefixed ``localstack:`` on the terminal."""
    logger.info("%s", line)
    if _writer is not None:
        _writer(f"localstack: {line}")


class Throttle:
    """Lets a repeated progress line through at most once every ``interval`` seconds."""

    def __init__(self, interval: float = 5.0) -> None:
        self.interval = interval
        self._last = 0.0

    def ready(self) -> bool:
        now = time.monotonic()
        if now - self._last < self.interval:
            return False
        self._last = now
        return True


def human_bytes(count: float) -> str:
    """``1.2 GB``, ``340 MB``: sizes as a pull progress line shows them."""
    for unit in ("B", "kB", "MB", "GB"):
        if count < 1000 or unit == "GB":
            return f"{count:.0f} {unit}" if unit in ("B", "kB") else f"{count:.1f} {unit}"
        count /= 1000
    return f"{count:.1f} GB"
