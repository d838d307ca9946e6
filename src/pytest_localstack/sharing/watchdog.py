"""The run's watchdog: stops the run's emulators when the process that owns the run dies.

It also removes them at every normal end: ``pytest_sessionfinish`` of the owner writes the run's
``finished`` file and exits without waiting for the removal (unless asked to wait with
``--localstack-wait-stop``; it then stops them itself). Nothing runs in a process killed with
SIGKILL, so this small process, started in its own session with the first emulator, outlives
it and cleans up. It exits by itself once the run directory is gone.

Usage: ``python -m pytest_localstack.sharing.watchdog RUN_DIR RUN_ID``
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

POLL_SECONDS = 0.2


def watch(run_dir: Path, run_id: str) -> None:
    from pytest_localstack._processes import is_alive
    from pytest_localstack.sharing.coordinator import FINISHED_FILE, Coordinator
    from pytest_localstack.sharing.sweep import remove_run

    owner = Coordinator(run_dir, run_id).owner
    finished = run_dir / FINISHED_FILE
    while run_dir.exists():
        if finished.exists() or not is_alive(owner):
            remove_run(run_dir, run_id)
            return
        time.sleep(POLL_SECONDS)


def main(run_dir: Path, run_id: str) -> None:
    """Watch; the launcher started this process in a session of its own and does not wait."""
    watch(run_dir, run_id)


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2])
