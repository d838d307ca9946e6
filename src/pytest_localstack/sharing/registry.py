"""Endpoint records in a directory: one per configuration key, each behind a file lock.

Two homes use it: the run's directory (the emulators of one run, see
:mod:`~pytest_localstack.sharing.coordinator`) and the per-user reuse registry (emulators
that outlive runs, see :mod:`~pytest_localstack.sharing.reuse`). Every write is atomic, so
that a process that reads a record never sees half of one.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path

from filelock import FileLock, Timeout

from pytest_localstack.emulators import EMULATORS
from pytest_localstack.exceptions import LocalstackError, StartupError
from pytest_localstack.runtimes import Endpoint, Runtimes

logger = logging.getLogger(__name__)

#: How much longer than the start timeout to wait for the process that starts an emulator.
LOCK_MARGIN = 60.0


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, then rename it over ``path``."""
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(text)
    os.replace(temporary, path)


class Registry:
    """Records of emulators by key in ``directory``: ``<key><suffix>`` and ``<key>.lock``.

    :param waiting_for: who holds the lock while an emulator starts, for the timeout message.
    """

    def __init__(self, directory: Path, suffix: str, waiting_for: str) -> None:
        self.directory = directory
        self.suffix = suffix
        self.waiting_for = waiting_for

    def path(self, key: str) -> Path:
        return self.directory / (key + self.suffix)

    def paths(self) -> list[Path]:
        """Every record, sorted."""
        return sorted(self.directory.glob("*" + self.suffix))

    @contextlib.contextmanager
    def locked(self, key: str, start_timeout: float) -> Iterator[None]:
        """Hold ``key``'s lock: while one process starts its emulator, the others wait."""
        wait = start_timeout + LOCK_MARGIN
        lock = FileLock(str(self.directory / (key + ".lock")))
        try:
            lock.acquire(timeout=wait)
        except Timeout:
            raise StartupError(
                f"waited {wait:g} s for {self.waiting_for} to start the emulator; "
                "raise --localstack-start-timeout"
            ) from None
        try:
            yield
        finally:
            lock.release()

    def read(self, path: Path) -> Endpoint | None:
        """The endpoint in a record, or None (with a warning) if it is missing or unreadable."""
        try:
            text = path.read_text()
        except OSError:
            return None
        try:
            endpoint = Endpoint.from_json(text)
            if endpoint.emulator not in EMULATORS:
                raise KeyError(f"unknown emulator {endpoint.emulator!r}")
        except (ValueError, TypeError, KeyError) as error:
            logger.warning("ignoring unreadable state file %s: %s", path, error)
            return None
        return endpoint

    def write(self, key: str, endpoint: Endpoint) -> None:
        write_atomically(self.path(key), endpoint.to_json())

    def answering(self, key: str, runtimes: Runtimes) -> Endpoint | None:
        """The recorded endpoint if its emulator still answers, else None.

        What is left of an emulator that is gone (an exited container, a log file) is removed;
        one that runs but does not answer is left to its owner (the run's end stops it).
        """
        path = self.path(key)
        endpoint = self.read(path)
        if endpoint is None:
            return None
        runtime = runtimes[endpoint.engine]
        if runtime.is_alive(endpoint):
            # Asked once: a warm start attaches after one liveness check and one probe.
            if endpoint.url and EMULATORS[endpoint.emulator].probe(endpoint.url).ready:
                return endpoint
            logger.warning("the emulator recorded in %s does not answer; starting a new one", path)
            return None
        logger.warning("the emulator recorded in %s is gone; starting a new one", path)
        stop(endpoint, runtimes, 1.0)
        return None

    def stop(self, path: Path, runtimes: Runtimes, timeout: float) -> Endpoint | None:
        """Stop the emulator recorded in ``path`` and forget it."""
        endpoint = self.read(path)
        if endpoint is not None:
            stop(endpoint, runtimes, timeout)
        path.unlink(missing_ok=True)
        return endpoint


def stop(endpoint: Endpoint, runtimes: Runtimes, timeout: float) -> None:
    """Stop an emulator; a failure is logged, never raised (cleanup goes on with the next)."""
    try:
        runtimes[endpoint.engine].stop(endpoint, timeout)
    except LocalstackError as error:
        logger.warning("could not stop %s: %s", endpoint.url or endpoint.handle, error)
