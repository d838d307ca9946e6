"""Run moto's server as a child process: the embedded emulator for machines without Docker."""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psutil

from pytest_localstack._processes import environment_has, find, processes_with, start_time
from pytest_localstack._redact import redact
from pytest_localstack._state_dir import is_own_file, log_dir
from pytest_localstack.config import Settings
from pytest_localstack.emulators import MOTO, Emulator
from pytest_localstack.exceptions import EngineUnavailableError
from pytest_localstack.runtimes._wait import wait_until_ready
from pytest_localstack.runtimes.base import (
    LABEL,
    LABEL_RUN,
    Endpoint,
    fallback_note,
    free_port,
    ignore_spawn,
)

logger = logging.getLogger("pytest_localstack.process")

#: Children started by this process, so that they are reaped and not left as zombies.
_children: dict[int, subprocess.Popen[bytes]] = {}


def moto_available() -> bool:
    """Whether the moto server and its web dependencies are importable."""
    return all(importlib.util.find_spec(name) is not None for name in ("moto", "flask", "werkzeug"))


def _moto_version() -> str:
    from importlib.metadata import version

    return "moto " + version("moto")


def _label_variable(label: str) -> str:
    """The environment variable that carries ``label``: how a process is found by its labels."""
    return "PYTEST_LOCALSTACK_LABEL_" + label.replace(".", "_").replace("-", "_").upper()


def _child_environment(settings: Settings, labels: dict[str, str]) -> dict[str, str]:
    """The parent's environment without AWS credentials, plus the extra settings and labels."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update(dict(settings.env))
    env.update({_label_variable(key): value for key, value in labels.items()})
    return env


class ProcessRuntime:
    """Starts ``python -m moto.server`` on a free 127.0.0.1 port; the pid is the handle."""

    name = "process"

    def profile(self, settings: Settings) -> Emulator:
        """Always moto: it is the emulator that runs as a local process."""
        return MOTO

    def ensure_available(self) -> None:
        if not moto_available():
            raise EngineUnavailableError(
                "the embedded emulator needs moto's server: "
                'pip install "pytest-localstack[moto]" (or use Docker, or --localstack-endpoint)'
            )

    def remove_leftovers(self, run_id: str, recorded: list[Endpoint]) -> None:
        """Kill this user's moto servers whose environment carries the run's label."""
        for process in processes_with(f"{_label_variable(LABEL_RUN)}={run_id}"):
            with contextlib.suppress(psutil.Error):
                process.kill()

    def start(
        self,
        settings: Settings,
        emulator: Emulator,
        labels: dict[str, str],
        on_spawn: Callable[[Endpoint], None] = ignore_spawn,
    ) -> Endpoint:
        self.ensure_available()
        emulator.check_settings(settings)
        port = free_port(wanted=settings.port)
        version = _moto_version()  # before the spawn: nothing may delay its record
        log_fd, log_name = tempfile.mkstemp(prefix=f"moto-{port}-", suffix=".log", dir=log_dir())
        log_path = Path(log_name)
        with os.fdopen(log_fd, "wb") as log_file:
            process = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                env=_child_environment(settings, labels),
                start_new_session=True,
            )
        _children[process.pid] = process
        url = f"http://127.0.0.1:{port}"
        endpoint = Endpoint(
            url=url,
            emulator=emulator.name,
            version=version,
            engine=self.name,
            handle=str(process.pid),
            started=start_time(process.pid),  # so that a reused pid is not taken for it
            log_path=str(log_path),
            note=fallback_note(settings),
        )
        on_spawn(endpoint)
        try:
            wait_until_ready(
                emulator,
                url,
                settings.start_timeout,
                exit_code=process.poll,
                logs=lambda: self.logs(endpoint),
                what=f"moto server (pid {process.pid})",
            )
        except BaseException:
            self.stop(endpoint, settings.stop_timeout)
            raise
        _forward_logs(log_path, process, settings.container_log_level)
        logger.info("moto server pid %s ready at %s", process.pid, url)
        return endpoint

    def stop(self, endpoint: Endpoint, timeout: float) -> None:
        """Stop the server's process group, if the process is ours (see :meth:`is_alive`), and
        delete its log file if it lies where this runtime puts logs."""
        pid = int(endpoint.handle)
        if self.is_alive(endpoint):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while self.is_alive(endpoint) and time.monotonic() < deadline:
                time.sleep(0.05)
            if self.is_alive(endpoint):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
        child = _children.pop(pid, None)
        if child is not None:
            child.wait(timeout)
        if endpoint.log_path and is_own_file(Path(endpoint.log_path), log_dir()):
            with contextlib.suppress(OSError):
                Path(endpoint.log_path).unlink()

    def is_alive(self, endpoint: Endpoint) -> bool:
        """Whether the recorded server runs: a process of this user with the recorded start
        time, running moto's server, with the plugin's label in its environment (a zombie, a
        reused pid or another user's process is not ours)."""
        pid = int(endpoint.handle)
        child = _children.get(pid)
        if child is not None:
            return child.poll() is None
        process = find(pid, endpoint.started)
        if process is None:
            return False
        try:
            running_moto = "moto.server" in process.cmdline()
        except psutil.Error:
            return False
        return running_moto and environment_has(process, f"{_label_variable(LABEL)}=1")

    def logs(self, endpoint: Endpoint, lines: int = 50) -> str:
        try:
            text = Path(endpoint.log_path).read_text(errors="replace")
        except OSError as error:
            return f"(logs unavailable: {error})"
        return redact("\n".join(text.splitlines()[-lines:]))


def _forward_logs(log_path: Path, process: subprocess.Popen[bytes], level: int) -> None:
    """Copy new lines of the server's log file to Python logging while it runs."""
    child = logger.getChild(f"moto.{process.pid}")

    def pump() -> None:
        try:
            with log_path.open("rb") as log_file:
                while True:
                    line = log_file.readline()
                    if line:
                        text = line.decode("utf-8", "replace").rstrip()
                        child.log(level, "%s", redact(text))
                    elif process.poll() is not None:
                        return
                    else:
                        time.sleep(0.2)
        except OSError:
            return

    threading.Thread(target=pump, name=f"localstack-logs-{process.pid}", daemon=True).start()
