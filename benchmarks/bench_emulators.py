"""The emulators themselves, without the plugin: their own start-to-ready, and their memory.

* :func:`own_start_to_ready`: create and start the emulator (a container through the docker SDK,
  or ``python -m moto.server``) and poll its health URL until it answers; the floor that any
  plugin's cold start is compared with;
* :class:`MemorySampler`: the peak resident memory of every emulator a pytest run started
  (found by the run's owner label), sampled while the run goes on;
* :func:`wait_until_gone`: wait until a finished run's emulators are gone, so that the next
  timed run does not share the machine with a previous run's teardown.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from typing import Any

import psutil

_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
_OWNER_LABEL = "pytest-localstack.owner-token"
_PROCESS_OWNER_VARIABLE = "PYTEST_LOCALSTACK_LABEL_PYTEST_LOCALSTACK_OWNER_TOKEN"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_for(url: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with _opener.open(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise SystemExit(f"benchmark: {url} did not answer within {timeout:g} s")


def _docker() -> Any:
    import docker

    return docker.from_env()


def own_start_to_ready(settings: dict[str, str]) -> float:
    """Seconds from nothing to an answering emulator, started by hand; then it is removed."""
    port = _free_port()
    if settings["engine"] == "process":
        began = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_for(f"http://127.0.0.1:{port}/moto-api/")
            return time.perf_counter() - began
        finally:
            process.kill()
            process.wait()
    client = _docker()
    localstack = settings["emulator"] == "localstack"
    environment = (
        {"GATEWAY_LISTEN": f"127.0.0.1:{port}", "LOCALSTACK_HOST": f"127.0.0.1:{port}"}
        if localstack
        else {"MOTO_PORT": str(port)}
    )
    command = None if localstack else ["-H", "127.0.0.1", "-p", str(port)]
    health = "/_localstack/health" if localstack else "/moto-api/"
    began = time.perf_counter()
    container = client.containers.create(
        settings["image"],
        environment=environment,
        command=command,
        network_mode="host",
        labels={"pytest-localstack-benchmark": "own-start"},
    )
    try:
        container.start()
        _wait_for(f"http://127.0.0.1:{port}{health}")
        return time.perf_counter() - began
    finally:
        container.remove(force=True)
        client.close()


def _emulator_memory(root: int) -> int:
    """Summed resident memory of ``root`` and its descendants (0 once it is gone)."""
    try:
        process = psutil.Process(root)
        tree = [process, *process.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for member in tree:
        with contextlib.suppress(psutil.Error):
            total += member.memory_info().rss
    return total


def _owned_processes(owner_pid: int) -> list[int]:
    """moto servers started by the run whose controller is ``owner_pid``."""
    found = []
    for process in psutil.process_iter():
        with contextlib.suppress(psutil.Error):
            token = process.environ().get(_PROCESS_OWNER_VARIABLE, "")
            if token.startswith(f"{owner_pid}:"):
                found.append(process.pid)
    return found


def _owned_containers(client: Any, owner_pid: int) -> list[Any]:
    listed = client.containers.list(all=True, filters={"label": _OWNER_LABEL}, ignore_removed=True)
    prefix = f"{owner_pid}:"
    return [c for c in listed if (c.labels or {}).get(_OWNER_LABEL, "").startswith(prefix)]


class MemorySampler:
    """Peak summed RSS of the emulators of the run whose controller is ``owner_pid``."""

    def __init__(self, owner_pid: int, docker: bool, interval: float = 0.3) -> None:
        self.owner_pid = owner_pid
        self.peak = 0
        self._docker = _docker() if docker else None
        self._interval = interval
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _sample(self) -> int:
        if self._docker is None:
            roots = _owned_processes(self.owner_pid)
        else:
            roots = []
            for container in _owned_containers(self._docker, self.owner_pid):
                pid = int(container.attrs.get("State", {}).get("Pid") or 0)
                if pid:
                    roots.append(pid)
        return sum(_emulator_memory(root) for root in roots)

    def _run(self) -> None:
        while not self._done.is_set():
            # A container may go away between its listing and its inspection.
            with contextlib.suppress(Exception):
                self.peak = max(self.peak, self._sample())
            self._done.wait(self._interval)

    def stop(self) -> int:
        self._done.set()
        self._thread.join()
        if self._docker is not None:
            self._docker.close()
        return self.peak


def wait_until_gone(owner_pid: int, docker: bool, timeout: float = 60.0) -> float:
    """Seconds until nothing of the run is left (its teardown may go on after pytest exits)."""
    began = time.perf_counter()
    client = _docker() if docker else None
    try:
        while time.perf_counter() - began < timeout:
            left = (
                _owned_containers(client, owner_pid)
                if client is not None
                else _owned_processes(owner_pid)
            )
            if not left:
                return time.perf_counter() - began
            time.sleep(0.1)
    finally:
        if client is not None:
            client.close()
    raise SystemExit(f"benchmark: the emulators of run {owner_pid} were not removed in {timeout} s")


def megabytes(size: int) -> str:
    return f"{size / 2**20:.0f} MB"
