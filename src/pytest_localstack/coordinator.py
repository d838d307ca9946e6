"""Share one emulator between the processes of a run (xdist workers) through a file lock.

The first process that needs an emulator takes the lock, starts it, and records its endpoint in
a state file; the others wait on the lock and attach. The process that owns the run directory
(the xdist controller, or the only process) stops everything recorded there when the run ends;
if that process is killed, the run's watchdog does it instead; if the watchdog is killed too,
the next run on this machine does it (:func:`sweep_stale_runs`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from pytest_localstack._processes import is_alive, owner_token
from pytest_localstack.config import Settings
from pytest_localstack.emulators import EMULATORS
from pytest_localstack.exceptions import LocalstackError, StartupError
from pytest_localstack.runtimes import Endpoint, choose_engine, make_labels, runtime_for

logger = logging.getLogger("pytest_localstack.coordinator")

_STATE_SUFFIX = ".endpoint.json"
_PENDING_SUFFIX = ".pending.json"
_FAILED_SUFFIX = ".failed.txt"
_SPAWNED_FILE = "spawned.jsonl"
_OWNER_FILE = "owner"
_WATCHDOG_FILE = "watchdog.pid"
_RUN_DIR_PREFIX = "pytest-localstack-run-"
_LOCK_MARGIN = 60.0


class Coordinator:
    """Hands out endpoints for settings, starting each distinct emulator once per run."""

    def __init__(self, run_dir: Path, run_id: str, worker_id: str = "") -> None:
        self.run_dir = run_dir
        self.run_id = run_id
        self.worker_id = worker_id
        self._endpoints: dict[str, Endpoint] = {}
        self.stopped: list[Endpoint] = []

    @classmethod
    def create(cls) -> Coordinator:
        """A coordinator with a fresh run directory, owned by this process."""
        sweep_stale_runs()
        run_dir = Path(tempfile.mkdtemp(prefix=_RUN_DIR_PREFIX))
        # Atomically: the sweep of other runs must never read half a token.
        _write_atomically(run_dir / _OWNER_FILE, owner_token())
        return cls(run_dir, run_id=uuid.uuid4().hex[:12])

    @property
    def owner(self) -> str:
        """The owner token of the process whose end ends the run."""
        return (self.run_dir / _OWNER_FILE).read_text()

    def key(self, settings: Settings) -> str:
        key = settings.endpoint_key()
        return f"{key}-{self.worker_id or 'main'}" if settings.share == "worker" else key

    def endpoint(self, settings: Settings, docker_client: Any = None) -> Endpoint:
        """The endpoint for ``settings``: recorded by any process of the run, or started now."""
        key = self.key(settings)
        if key in self._endpoints:
            return self._endpoints[key]
        if settings.reuse and settings.engine != "external":
            from pytest_localstack import reuse

            self._endpoints[key] = reuse.acquire(settings, docker_client)
            return self._endpoints[key]
        state = self.run_dir / (key + _STATE_SUFFIX)
        failed = self.run_dir / (key + _FAILED_SUFFIX)
        lock = FileLock(str(self.run_dir / (key + ".lock")))
        try:
            with lock.acquire(timeout=settings.start_timeout + _LOCK_MARGIN):
                if failed.exists():
                    raise StartupError(
                        "the emulator failed to start earlier in this run:\n" + failed.read_text()
                    )
                endpoint = self._recorded(state, docker_client)
                if endpoint is None:
                    endpoint = self._start(settings, key, docker_client, failed)
                    _write_atomically(state, endpoint.to_json())
                    (self.run_dir / (key + _PENDING_SUFFIX)).unlink(missing_ok=True)
        except Timeout:
            raise StartupError(
                f"waited {settings.start_timeout + _LOCK_MARGIN:g} s for another worker to start "
                "the emulator; raise --localstack-start-timeout"
            ) from None
        self._endpoints[key] = endpoint
        return endpoint

    def _recorded(self, state: Path, docker_client: Any) -> Endpoint | None:
        """The endpoint in a state file, if the file is sound and its emulator still runs."""
        if not state.exists():
            return None
        try:
            endpoint = Endpoint.from_json(state.read_text())
            emulator = EMULATORS[endpoint.emulator]
        except (ValueError, TypeError, KeyError) as error:
            logger.warning("ignoring unreadable state file %s: %s", state, error)
            return None
        runtime = runtime_for(endpoint.engine, docker_client)
        if runtime.is_alive(endpoint):
            if emulator.probe(endpoint.url).ready:
                return endpoint
            # Still running (the spawn ledger keeps it recorded, so the run's end stops it).
            logger.warning("the emulator recorded in %s does not answer; starting a new one", state)
            return None
        logger.warning("the emulator recorded in %s is gone; starting a new one", state)
        try:  # what is left of it: an exited container, a log file
            runtime.stop(endpoint, 1.0)
        except LocalstackError as error:
            logger.warning("could not remove %s: %s", endpoint.handle, error)
        return None

    def _start(self, settings: Settings, key: str, docker_client: Any, failed: Path) -> Endpoint:
        engine = choose_engine(settings, docker_client)
        runtime = runtime_for(engine, docker_client)
        pending = self.run_dir / (key + _PENDING_SUFFIX)
        if engine != "external":
            self._ensure_watchdog()
        try:
            return runtime.start(
                settings,
                EMULATORS[settings.emulator],
                make_labels(self.run_id, self.owner, key),
                on_spawn=lambda endpoint: self._record_spawn(pending, endpoint),
            )
        except LocalstackError as error:
            _write_atomically(failed, str(error))
            raise

    def _record_spawn(self, pending: Path, endpoint: Endpoint) -> None:
        """Record an emulator as soon as it exists: as pending until its state is written, and
        for good in the spawn ledger, so that it is stopped at the end even if its state file
        is replaced (it stopped answering) or corrupted."""
        _write_atomically(pending, endpoint.to_json())
        with (self.run_dir / _SPAWNED_FILE).open("a") as ledger:
            ledger.write(endpoint.to_json() + "\n")

    def _ensure_watchdog(self) -> None:
        """Start the run's watchdog once: it stops the run's emulators if the owner is killed."""
        if (self.run_dir / _WATCHDOG_FILE).exists():
            return
        subprocess.run(
            [sys.executable, "-m", "pytest_localstack._watchdog", str(self.run_dir), self.run_id],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=True,
            timeout=30,
        )

    def recorded_endpoints(self) -> list[Endpoint]:
        """Every emulator that a process of this run started or is starting, once each."""
        texts = []
        for path in sorted(self.run_dir.glob("*.json")):
            if path.name.endswith((_STATE_SUFFIX, _PENDING_SUFFIX)):
                with contextlib.suppress(OSError):
                    texts.append(path.read_text())
        with contextlib.suppress(OSError):
            texts += (self.run_dir / _SPAWNED_FILE).read_text().splitlines()
        endpoints: dict[tuple[str, str, str], Endpoint] = {}
        for text in texts:
            try:
                endpoint = Endpoint.from_json(text)
            except (ValueError, TypeError):
                continue
            identity = (endpoint.engine, endpoint.handle or endpoint.url, endpoint.docker_host)
            if identity not in endpoints or (endpoint.url and not endpoints[identity].url):
                endpoints[identity] = endpoint
        return list(endpoints.values())

    def stop_all(self, timeout: float = 10.0) -> list[Endpoint]:
        """Stop every emulator that any process of this run recorded, then forget the run."""
        stopped = []
        for endpoint in self.recorded_endpoints():
            try:
                runtime_for(endpoint.engine).stop(endpoint, timeout)
            except LocalstackError as error:
                logger.warning("could not stop %s: %s", endpoint.url or endpoint.handle, error)
            if endpoint.url:
                stopped.append(endpoint)
        self.stopped.extend(stopped)
        self._endpoints.clear()
        shutil.rmtree(self.run_dir, ignore_errors=True)
        return stopped


def sweep_stale_runs(directory: Path | None = None) -> list[Path]:
    """Stop the emulators of runs whose owner and watchdog are both gone, and remove their
    run directories (lock, state and pending files).

    That is what is left of a run killed with SIGKILL together with its watchdog (``kill -9``
    of everything, an OOM kill). Docker containers of such a run are also removed by the orphan
    sweep of the next Docker start; moto server processes and run directories only by this.
    """
    swept = []
    for run_dir in Path(directory or tempfile.gettempdir()).glob(_RUN_DIR_PREFIX + "*"):
        try:
            owner = (run_dir / _OWNER_FILE).read_text()
        except OSError:
            continue  # being created, or another user's
        if not owner or is_alive(owner) or _watchdog_alive(run_dir):
            continue
        logger.info("cleaning up after killed run %s", run_dir)
        try:
            Coordinator(run_dir, run_id="").stop_all(timeout=5)
        except Exception as error:  # never fail this run for what another one left
            logger.warning("could not clean up after killed run %s: %s", run_dir, error)
            continue
        swept.append(run_dir)
    return swept


def _watchdog_alive(run_dir: Path) -> bool:
    try:
        pid = int((run_dir / _WATCHDOG_FILE).read_text())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return False
    return b"pytest_localstack._watchdog" in cmdline and str(run_dir).encode() in cmdline


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(text)
    os.replace(temporary, path)
