"""What the plugin tells the user: progress on the terminal, a failed start said fully once,
and the emulator's log lines of a failing test attached to its report.

A pytest plugin module beside the entry module; it imports the runtimes only when a test uses
the emulator.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from pytest_localstack import _progress
from pytest_localstack._marks import MARKER
from pytest_localstack.exceptions import LocalstackError, StartFailedEarlierError

if TYPE_CHECKING:
    from pytest_localstack.runtimes.base import Endpoint
    from pytest_localstack.runtimes.logs import LogMark


@dataclasses.dataclass(frozen=True)
class StartFailure:
    """The first failed start this process reported, and the test that reported it."""

    nodeid: str
    message: str


START_FAILURE_KEY = pytest.StashKey[StartFailure]()
USED_ENDPOINTS_KEY = pytest.StashKey[dict[str, "Endpoint"]]()
RUN_FAILURES_KEY = pytest.StashKey[list[str]]()
_LOG_MARKS_KEY = pytest.StashKey[dict[str, "LogMark"]]()
_STARTED_KEY = pytest.StashKey[float]()


def pytest_configure(config: pytest.Config) -> None:
    _progress.set_writer(terminal_writer(config))
    config.add_cleanup(lambda: _progress.set_writer(None))


def terminal_writer(config: pytest.Config) -> Callable[[str], None]:
    """Write a line to the terminal past output capturing; from an xdist worker via stderr,
    which the worker shares with the controller's terminal."""
    in_worker = hasattr(config, "workerinput")

    def write(line: str) -> None:
        capture = config.pluginmanager.getplugin("capturemanager")
        suspended = (
            capture.global_and_fixture_disabled()
            if capture is not None
            else contextlib.nullcontext()
        )
        with suspended:
            reporter = config.pluginmanager.getplugin("terminalreporter")
            if reporter is not None and not in_worker:
                reporter.write_line(line)
            else:
                sys.stderr.write(line + "\n")
                sys.stderr.flush()

    return write


# -- a failed start -------------------------------------------------------------------------


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def start_failure_message(config: pytest.Config, error: LocalstackError) -> str:
    """The text a test fails with when the emulator cannot start: all of it for the first
    test of this process that met the failure, one line that points there for the rest."""
    current = os.environ.get("PYTEST_CURRENT_TEST", "").split(" ")[0]
    first = config.stash.get(START_FAILURE_KEY, None)
    if isinstance(error, StartFailedEarlierError) or first is not None:
        where = f"the error of {first.nodeid}" if first is not None else "the first error"
        return (
            f"the emulator failed to start earlier in this run: see {where} and the "
            "localstack summary"
        )
    message = f"{type(error).__name__}: {error}"
    config.stash[START_FAILURE_KEY] = StartFailure(current, message)
    return message


def remember_failures(config: pytest.Config, failures: list[str]) -> None:
    """Keep the run's failed starts (read before the run directory goes) for the summary."""
    config.stash[RUN_FAILURES_KEY] = failures


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    failures = config.stash.get(RUN_FAILURES_KEY, [])
    first = config.stash.get(START_FAILURE_KEY, None)
    if not failures and first is not None:
        failures = [first.message]
    for failure in failures:
        terminalreporter.write_line(
            f"localstack: the emulator did not start, so every test that needs it failed: "
            f"{_first_line(failure)}",
            red=True,
        )
        terminalreporter.write_line(
            "localstack: the first of those tests shows the whole error; "
            "see docs/troubleshooting.md",
            red=True,
        )


# -- the emulator's log lines of a failing test ---------------------------------------------


def note_endpoint(config: pytest.Config, endpoint: Endpoint) -> None:
    """Remember an emulator this process talks to, to attach its logs to failing tests."""
    if endpoint.url:
        config.stash.setdefault(USED_ENDPOINTS_KEY, {})[endpoint.url] = endpoint


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    item.stash[_STARTED_KEY] = time.time()
    used = item.config.stash.get(USED_ENDPOINTS_KEY, {})
    if used:
        from pytest_localstack.runtimes.logs import log_mark

        item.stash[_LOG_MARKS_KEY] = {url: log_mark(endpoint) for url, endpoint in used.items()}


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> None:
    """Attach the emulator's log lines of a failing test's time span as a report section."""
    if call.excinfo is None or call.excinfo.errisinstance(pytest.skip.Exception):
        return
    if item.get_closest_marker(MARKER) is None:
        return
    used = item.config.stash.get(USED_ENDPOINTS_KEY, {})
    if not used:
        return
    from pytest_localstack.runtimes.logs import LogMark, logs_since

    marks = item.stash.get(_LOG_MARKS_KEY, {})
    started = item.stash.get(_STARTED_KEY, time.time())
    for url, endpoint in used.items():
        text = logs_since(endpoint, marks.get(url, LogMark(started)))
        if text.strip():
            title = "localstack log" if len(used) == 1 else f"localstack log {url}"
            item.add_report_section(call.when, title, text)
