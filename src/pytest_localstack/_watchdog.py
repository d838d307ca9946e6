"""The run's watchdog: stops the run's emulators when the process that owns the run dies.

``pytest_sessionfinish`` of the owner stops them in every normal end, on Ctrl-C and on SIGTERM;
nothing runs in a process killed with SIGKILL, so this small process, started in its own
session with the first emulator, outlives it and cleans up. It exits by itself once the run
directory is gone (the owner cleaned up).

Usage: ``python -m pytest_localstack._watchdog RUN_DIR RUN_ID``
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

POLL_SECONDS = 0.5


def watch(run_dir: Path, run_id: str) -> None:
    from pytest_localstack._processes import is_alive
    from pytest_localstack.coordinator import Coordinator

    coordinator = Coordinator(run_dir, run_id)
    owner = coordinator.owner
    while run_dir.exists():
        if not is_alive(owner):
            hosts = {
                e.docker_host for e in coordinator.recorded_endpoints() if e.engine == "docker"
            }
            coordinator.stop_all(timeout=5)
            remove_labelled_containers(run_id, hosts)
            kill_labelled_processes(run_id)
            return
        time.sleep(POLL_SECONDS)


def remove_labelled_containers(run_id: str, docker_hosts: set[str]) -> None:
    """Remove containers labelled with the run id that no record names.

    A run killed while Docker created its container dies before it can record it; the
    container already carries the run's labels.
    """
    try:
        import docker
    except ImportError:
        return
    from pytest_localstack.runtimes import LABEL_RUN

    for base_url in {"", *docker_hosts}:
        try:
            if base_url:
                client = docker.DockerClient(base_url=base_url, timeout=10)
            else:
                client = docker.from_env(timeout=10)
        except Exception:
            continue
        try:
            for container in client.containers.list(
                all=True, filters={"label": f"{LABEL_RUN}={run_id}"}, ignore_removed=True
            ):
                container.remove(force=True)
        except Exception:
            pass  # no engine there, or it went away: nothing of ours to remove
        finally:
            client.close()


def kill_labelled_processes(run_id: str) -> None:
    """Kill moto servers labelled with the run id that no record names (see above)."""
    from pytest_localstack.runtimes import LABEL_RUN

    marker = f"PYTEST_LOCALSTACK_LABEL_{LABEL_RUN.replace('.', '_').replace('-', '_').upper()}"
    wanted = f"{marker}={run_id}".encode()
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if wanted in (proc / "environ").read_bytes().split(b"\0"):
                os.kill(int(proc.name), signal.SIGKILL)
        except (OSError, ValueError):
            continue


def main(run_dir: Path, run_id: str) -> None:
    """Detach (the launcher returns at once, so nobody has to reap this process), then watch."""
    child = os.fork()
    if child > 0:
        (run_dir / "watchdog.pid").write_text(str(child))
        os._exit(0)
    os.setsid()
    watch(run_dir, run_id)


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2])
