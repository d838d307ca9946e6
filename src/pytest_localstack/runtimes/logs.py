"""An emulator's log lines since a point in time, for the report of a failing test.

Any process of the run can read them: a container's logs through Docker, the embedded
server's from its log file; an external emulator's are out of reach.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import time

from pytest_localstack._redact import redact
from pytest_localstack.exceptions import LocalstackError
from pytest_localstack.runtimes.base import Endpoint

_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


@dataclasses.dataclass(frozen=True)
class LogMark:
    """A point in an emulator's log: a wall time, and the size of its log file if it has one."""

    time: float
    offset: int = 0


def log_mark(endpoint: Endpoint) -> LogMark:
    """Where the emulator's log stands now, to read what it writes from here on."""
    offset = 0
    if endpoint.log_path:
        with contextlib.suppress(OSError):
            offset = os.path.getsize(endpoint.log_path)
    return LogMark(time.time(), offset)


def logs_since(endpoint: Endpoint, mark: LogMark, max_lines: int = 200) -> str:
    """The emulator's log lines written since ``mark`` (the last ``max_lines``), without ANSI
    escapes; empty for an emulator whose logs this process cannot read (external)."""
    text = ""
    try:
        if endpoint.log_path:
            with open(endpoint.log_path, "rb") as log_file:
                log_file.seek(mark.offset)
                text = log_file.read().decode(errors="replace")
        elif endpoint.engine == "docker" and endpoint.handle:
            from pytest_localstack.runtimes.docker import logs_since_time

            text = logs_since_time(endpoint, mark.time)
    except (OSError, LocalstackError) as error:
        text = f"(emulator logs unavailable: {error})"
    lines = _ANSI_ESCAPE.sub("", redact(text)).splitlines()
    return "\n".join(lines[-max_lines:])
