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

from pytest_localstack.config import Settings
from pytest_localstack.runtimes import Endpoint, Runtimes, make_labels
from pytest_localstack.sharing.launch import launch
from pytest_localstack.sharing.registry import Registry

logger = logging.getLogger(__name__)

#: A reused emulator that no run attached to for this long is stopped by the next run.
IDLE_LIMIT_SECONDS = 24 * 3600
LABEL_REUSE = "pytest-localstack.reuse"


def registry_dir() -> Path:
    """Where reused emulators are recorded: ``$PYTEST_LOCALSTACK_REUSE_DIR`` or the user cache."""
    configured = os.environ.get("PYTEST_LOCALSTACK_REUSE_DIR")
    if configured:
        return Path(configured)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "pytest-localstack" / "reuse"


def reuse_registry() -> Registry:
    return Registry(registry_dir(), ".json", waiting_for="another run")


def acquire(settings: Settings, runtimes: Runtimes | None = None) -> Endpoint:
    """Attach to the reused emulator for ``settings``, starting (and recording) it if needed."""
    runtimes = runtimes if runtimes is not None else Runtimes()
    registry = reuse_registry()
    registry.directory.mkdir(parents=True, exist_ok=True)
    key = settings.endpoint_key()
    record = registry.path(key)
    with registry.locked(key, settings.start_timeout):
        stop_idle(exclude=record)
        endpoint = registry.answering(key, runtimes)
        if endpoint is not None:
            os.utime(record)
            logger.info("attached to reused emulator %s", endpoint.url)
            return endpoint
        if record.exists():
            logger.info("the reused emulator in %s is gone; starting a new one", record)
            registry.stop(record, runtimes, settings.stop_timeout)
        endpoint = launch(
            settings,
            {**make_labels("reuse", "", key), LABEL_REUSE: key},
            runtimes,
            on_spawn=lambda spawned: registry.write(key, spawned),
        )
        registry.write(key, endpoint)
        return endpoint


def stop_idle(
    exclude: Path | None = None, limit: float = IDLE_LIMIT_SECONDS, timeout: float = 5.0
) -> list[Endpoint]:
    """Stop reused emulators that no run has attached to for ``limit`` seconds."""
    stopped = []
    now = time.time()
    registry = reuse_registry()
    runtimes = Runtimes()
    for record in registry.paths():
        if record == exclude:
            continue
        try:
            idle = now - record.stat().st_mtime
        except OSError:
            continue
        if idle > limit:
            endpoint = registry.stop(record, runtimes, timeout)
            if endpoint is not None:
                stopped.append(endpoint)
    return stopped


def stop_all(timeout: float = 10.0) -> list[Endpoint]:
    """Stop and forget every reused emulator (``--localstack-stop-reused``)."""
    return stop_idle(limit=-1.0, timeout=timeout) if registry_dir().exists() else []
