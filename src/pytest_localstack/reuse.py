"""Warm start: emulators that outlive the run, found again by a hash of their configuration.

With ``--localstack-reuse`` the emulator is recorded in a per-user registry instead of the
run's directory, so the run's end (and its watchdog) leave it running. The next run with the
same configuration finds the record, checks that the emulator still answers, and attaches; every
session still gets a fresh account, so nothing of the last run is visible (but S3 bucket names,
which are global). A reused emulator has no owner process, so the orphan sweep leaves it alone;
instead, one that no run has used for :data:`IDLE_LIMIT_SECONDS` is stopped by the next run that
uses the registry. ``--localstack-stop-reused`` stops them all.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

from filelock import FileLock

from pytest_localstack.config import Settings
from pytest_localstack.emulators import EMULATORS
from pytest_localstack.exceptions import LocalstackError
from pytest_localstack.runtimes import Endpoint, choose_engine, make_labels, runtime_for

logger = logging.getLogger("pytest_localstack.reuse")

#: A reused emulator that no run attached to for this long is stopped by the next run.
IDLE_LIMIT_SECONDS = 24 * 3600
_LOCK_MARGIN = 60.0


def registry_dir() -> Path:
    """Where reused emulators are recorded: ``$PYTEST_LOCALSTACK_REUSE_DIR`` or the user cache."""
    configured = os.environ.get("PYTEST_LOCALSTACK_REUSE_DIR")
    if configured:
        return Path(configured)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "pytest-localstack" / "reuse"


def _read(record: Path) -> Endpoint | None:
    try:
        return Endpoint.from_json(record.read_text())
    except (OSError, ValueError, TypeError):
        return None


def _stop(record: Path, timeout: float) -> Endpoint | None:
    endpoint = _read(record)
    if endpoint is not None:
        try:
            runtime_for(endpoint.engine).stop(endpoint, timeout)
        except LocalstackError as error:
            logger.warning("could not stop reused emulator %s: %s", endpoint.url, error)
    record.unlink(missing_ok=True)
    return endpoint


def acquire(settings: Settings, docker_client: Any = None) -> Endpoint:
    """Attach to the reused emulator for ``settings``, starting (and recording) it if needed."""
    directory = registry_dir()
    directory.mkdir(parents=True, exist_ok=True)
    key = settings.endpoint_key()
    record = directory / f"{key}.json"
    with FileLock(str(directory / f"{key}.lock"), timeout=settings.start_timeout + _LOCK_MARGIN):
        stop_idle(exclude=record)
        endpoint = _read(record)
        if endpoint is not None and endpoint.url and _answers(endpoint, docker_client):
            os.utime(record)
            logger.info("attached to reused emulator %s", endpoint.url)
            return endpoint
        if record.exists():
            logger.info("the reused emulator in %s is gone; starting a new one", record)
            _stop(record, settings.stop_timeout)

        def remember(spawned: Endpoint) -> None:
            record.write_text(spawned.to_json())

        engine = choose_engine(settings, docker_client)
        endpoint = runtime_for(engine, docker_client).start(
            settings,
            EMULATORS[settings.emulator],
            {**make_labels("reuse", "", key), "pytest-localstack.reuse": key},
            on_spawn=remember,
        )
        record.write_text(endpoint.to_json())
        return endpoint


def _answers(endpoint: Endpoint, docker_client: Any) -> bool:
    runtime = runtime_for(endpoint.engine, docker_client)
    return runtime.is_alive(endpoint) and EMULATORS[endpoint.emulator].probe(endpoint.url).ready


def stop_idle(
    exclude: Path | None = None, limit: float = IDLE_LIMIT_SECONDS, timeout: float = 5.0
) -> list[Endpoint]:
    """Stop reused emulators that no run has attached to for ``limit`` seconds."""
    stopped = []
    now = time.time()
    for record in registry_dir().glob("*.json"):
        if record == exclude:
            continue
        try:
            idle = now - record.stat().st_mtime
        except OSError:
            continue
        if idle > limit:
            endpoint = _stop(record, timeout)
            if endpoint is not None:
                stopped.append(endpoint)
    return stopped


def stop_all(timeout: float = 10.0) -> list[Endpoint]:
    """Stop and forget every reused emulator (``--localstack-stop-reused``)."""
    return stop_idle(limit=-1.0, timeout=timeout) if registry_dir().exists() else []
