"""Share one emulator between the processes of a run (xdist workers) through a file lock.

The first process that needs an emulator takes the lock, starts it, and records its endpoint in
the run's directory; the others wait on the lock and attach. The process that owns the run
directory (the xdist controller, or the only process) stops everything recorded there when the
run ends; if that process is killed, the run's watchdog does it instead
(:mod:`~pytest_localstack.sharing.watchdog`); if the watchdog is killed too, the next run on
this machine does it (:func:`~pytest_localstack.sharing.sweep.sweep_stale_runs`).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import logging
import os
import shutil
import sys
import tempfile
import threading
import uuid
from collections.abc import Callable
from pathlib import Path

from pytest_localstack._processes import command_line, owner_token
from pytest_localstack._state_dir import user_state_dir
from pytest_localstack.config import Settings
from pytest_localstack.exceptions import LocalstackError, StartFailedEarlierError, StartupError
from pytest_localstack.runtimes import Endpoint, Runtimes, make_labels
from pytest_localstack.sharing import registry
from pytest_localstack.sharing.launch import launch
from pytest_localstack.sharing.registry import Registry, write_atomically

logger = logging.getLogger(__name__)

STATE_SUFFIX = ".endpoint.json"
PENDING_SUFFIX = ".pending.json"
FAILED_SUFFIX = ".failed.txt"
SPAWNED_FILE = "spawned.jsonl"
OWNER_FILE = "owner"
WATCHDOG_FILE = "watchdog.pid"
#: Written by the owner when its tests are done: the watchdog then removes the run's emulators.
FINISHED_FILE = "finished"
RUN_DIR_PREFIX = "pytest-localstack-run-"
WATCHDOG_MODULE = "pytest_localstack.sharing.watchdog"


class Coordinator:
    """Hands out endpoints for settings, starting each distinct emulator once per run."""

    def __init__(self, run_dir: Path, run_id: str, worker_id: str = "") -> None:
        self.run_dir = run_dir
        self.run_id = run_id
        self.worker_id = worker_id
        self.registry = Registry(run_dir, STATE_SUFFIX, waiting_for="another worker")
        self._endpoints: dict[str, Endpoint] = {}
        self._early: dict[str, concurrent.futures.Future[Endpoint]] = {}
        self._threads: list[threading.Thread] = []
        self.stopped: list[Endpoint] = []

    @classmethod
    def create(cls) -> Coordinator:
        """A coordinator with a fresh run directory (0700, in the per-user state directory),
        owned by this process.

        Sweep stale runs first (:func:`~pytest_localstack.sharing.sweep.sweep_stale_runs`).
        """
        run_dir = Path(tempfile.mkdtemp(prefix=RUN_DIR_PREFIX, dir=user_state_dir()))
        # Atomically: the sweep of other runs must never read half a token.
        write_atomically(run_dir / OWNER_FILE, owner_token())
        return cls(run_dir, run_id=uuid.uuid4().hex[:12])

    @property
    def owner(self) -> str:
        """The owner token of the process whose end ends the run."""
        return (self.run_dir / OWNER_FILE).read_text()

    def key(self, settings: Settings) -> str:
        key = settings.endpoint_key()
        return f"{key}-{self.worker_id or 'main'}" if settings.share == "worker" else key

    def endpoint(self, settings: Settings, runtimes: Runtimes | None = None) -> Endpoint:
        """The endpoint for ``settings``: recorded by any process of the run, or started now.

        If :meth:`start_early` is starting it, wait for that start: its error, if it failed,
        is raised here once (later calls find the failure recorded in the run directory).
        """
        key = self.key(settings)
        early = self._early.pop(key, None)
        if early is not None:
            return early.result()
        return self._endpoint(settings, key, runtimes)

    def start_early(
        self,
        settings: Settings,
        runtimes: Runtimes,
        then: Callable[[Endpoint], None] = lambda endpoint: None,
    ) -> None:
        """Start (or find) the emulator for ``settings`` in a background thread, then call
        ``then`` with it there; :meth:`endpoint` waits for it."""
        key = self.key(settings)
        if key in self._endpoints or key in self._early:
            return
        future: concurrent.futures.Future[Endpoint] = concurrent.futures.Future()
        self._early[key] = future

        def run() -> None:
            try:
                endpoint = self._endpoint(settings, key, runtimes)
            except BaseException as error:
                future.set_exception(error)
                return
            future.set_result(endpoint)
            try:
                then(endpoint)
            except Exception as error:
                logger.debug("after the early start of %s: %s", endpoint.url, error)

        thread = threading.Thread(target=run, name=f"localstack-start-{key}", daemon=True)
        self._threads.append(thread)
        thread.start()

    def wait_for_early_starts(self, timeout: float) -> None:
        """Let the background starts finish, so that nothing is being created when the run's
        emulators are stopped (or this process exits)."""
        for thread in self._threads:
            thread.join(timeout)

    def _endpoint(self, settings: Settings, key: str, runtimes: Runtimes | None) -> Endpoint:
        if key in self._endpoints:
            return self._endpoints[key]
        runtimes = runtimes if runtimes is not None else Runtimes()
        if settings.reuse and settings.engine != "external":
            from pytest_localstack.sharing import reuse

            self._endpoints[key] = reuse.acquire(settings, runtimes)
            return self._endpoints[key]
        failed = self.run_dir / (key + FAILED_SUFFIX)
        with self.registry.locked(key, settings.start_timeout):
            if failed.exists():
                raise StartFailedEarlierError(failed.read_text())
            endpoint = self.registry.answering(key, runtimes)
            if endpoint is None:
                endpoint = self._start(settings, key, runtimes, failed)
                self.registry.write(key, endpoint)
                (self.run_dir / (key + PENDING_SUFFIX)).unlink(missing_ok=True)
        self._endpoints[key] = endpoint
        return endpoint

    def _start(self, settings: Settings, key: str, runtimes: Runtimes, failed: Path) -> Endpoint:
        pending = self.run_dir / (key + PENDING_SUFFIX)
        try:
            return launch(
                settings,
                make_labels(self.run_id, self.owner, key),
                runtimes,
                on_spawn=lambda endpoint: self._record_spawn(pending, endpoint),
                before_start=self._ensure_watchdog,
            )
        except LocalstackError as error:
            write_atomically(failed, str(error))
            raise

    def _record_spawn(self, pending: Path, endpoint: Endpoint) -> None:
        """Record an emulator as soon as it exists: as pending until its state is written, and
        for good in the spawn ledger, so that it is stopped at the end even if its state file
        is replaced (it stopped answering) or corrupted."""
        write_atomically(pending, endpoint.to_json())
        with (self.run_dir / SPAWNED_FILE).open("a") as ledger:
            ledger.write(endpoint.to_json() + "\n")

    def _ensure_watchdog(self, engine: str) -> None:
        """Start the run's watchdog once: it stops the run's emulators if the owner is killed.

        Not for an external emulator: there is nothing of ours to clean up after it. Emulators
        of different settings start at the same time (threads, xdist workers): the first to
        create the watchdog's pid file launches it, the others find it there.
        """
        if engine == "external":
            return
        try:
            descriptor = os.open(
                self.run_dir / WATCHDOG_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600
            )
        except FileExistsError:
            return
        with open(descriptor, "w") as pid_file:
            try:
                pid_file.write(str(self._start_watchdog()))
            except BaseException:
                (self.run_dir / WATCHDOG_FILE).unlink(missing_ok=True)  # the next start tries
                raise

    def _start_watchdog(self) -> int:
        """Launch the watchdog without waiting for it (its start-up overlaps the emulator's);
        return its pid. A failure to launch is a :class:`StartupError`, recorded like a failed
        start, so that the run's later tests fail at once instead of each trying again."""
        try:
            return spawn_detached(
                [sys.executable, "-m", WATCHDOG_MODULE, str(self.run_dir), self.run_id]
            )
        except OSError as error:
            raise StartupError(
                f"could not launch the run's watchdog ({sys.executable} -m {WATCHDOG_MODULE}): "
                f"{error}; it stops the emulators if pytest is killed, so nothing was started"
            ) from None

    def failures(self) -> list[str]:
        """The messages of the emulator starts that failed in this run, by any process."""
        texts = []
        for path in sorted(self.run_dir.glob("*" + FAILED_SUFFIX)):
            with contextlib.suppress(OSError):
                texts.append(path.read_text())
        return texts

    def recorded_endpoints(self) -> list[Endpoint]:
        """Every emulator that a process of this run started or is starting, once each."""
        texts = []
        for path in sorted(self.run_dir.glob("*.json")):
            if path.name.endswith((STATE_SUFFIX, PENDING_SUFFIX)):
                with contextlib.suppress(OSError):
                    texts.append(path.read_text())
        with contextlib.suppress(OSError):
            texts += (self.run_dir / SPAWNED_FILE).read_text().splitlines()
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

    def hand_off(self) -> bool:
        """Leave the stopping of the run's emulators to its watchdog, so that this process can
        exit at once; False (and nothing done) if no watchdog runs."""
        if not watchdog_alive(self.run_dir):
            return False
        self.stopped.extend(e for e in self.recorded_endpoints() if e.url)
        self._endpoints.clear()
        write_atomically(self.run_dir / FINISHED_FILE, owner_token())
        return True

    def stop_all(self, timeout: float = 10.0) -> list[Endpoint]:
        """Stop every emulator that any process of this run recorded, then forget the run."""
        stopped = []
        runtimes = Runtimes()
        for endpoint in self.recorded_endpoints():
            registry.stop(endpoint, runtimes, timeout)
            if endpoint.url:
                stopped.append(endpoint)
        self.stopped.extend(stopped)
        self._endpoints.clear()
        shutil.rmtree(self.run_dir, ignore_errors=True)
        return stopped


def spawn_detached(command: list[str]) -> int:
    """Start ``command`` in a session of its own (Ctrl-C in the terminal does not reach it),
    with its standard streams on the null device (a pipe of ours would be held open by a
    process that outlives us); return its pid. Nothing waits for it: it outlives this process,
    which leaves no handle behind to be reported as a subprocess still running."""
    null = os.devnull
    return os.posix_spawn(
        command[0],
        command,
        os.environ,
        setsid=True,
        file_actions=[
            (os.POSIX_SPAWN_OPEN, 0, null, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_OPEN, 1, null, os.O_WRONLY, 0),
            (os.POSIX_SPAWN_DUP2, 1, 2),
        ],
    )


def watchdog_alive(run_dir: Path) -> bool:
    """Whether the watchdog of ``run_dir`` still runs (its pid, running the watchdog module)."""
    try:
        pid = int((run_dir / WATCHDOG_FILE).read_text())
    except (OSError, ValueError):
        return False
    cmdline = command_line(pid)
    return WATCHDOG_MODULE in cmdline and str(run_dir) in cmdline
