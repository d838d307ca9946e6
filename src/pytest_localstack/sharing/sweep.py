"""Clean up after runs that were killed: by the run's watchdog, or by the next run.

A run killed with SIGKILL runs no cleanup of its own. Its watchdog stops what it recorded and
asks every runtime to remove what carries its label (:func:`remove_run`); if the watchdog was
killed too, the next run finds the run directory without a live owner (:func:`sweep_stale_runs`).
"""

from __future__ import annotations

import logging
from pathlib import Path

from pytest_localstack._processes import is_alive
from pytest_localstack._state_dir import user_state_dir, why_not_private
from pytest_localstack.runtimes import Runtimes
from pytest_localstack.sharing.coordinator import (
    OWNER_FILE,
    RUN_DIR_PREFIX,
    Coordinator,
    watchdog_alive,
)

logger = logging.getLogger(__name__)


def remove_run(run_dir: Path, run_id: str, timeout: float = 5.0) -> None:
    """Stop everything the run recorded, then what only its labels tell of, on every runtime."""
    coordinator = Coordinator(run_dir, run_id)
    recorded = coordinator.recorded_endpoints()
    coordinator.stop_all(timeout=timeout)
    if run_id:
        for runtime in Runtimes():
            runtime.remove_leftovers(run_id, recorded)


def sweep_stale_runs(directory: Path | None = None) -> list[Path]:
    """Stop the emulators of runs whose owner and watchdog are both gone, and remove their
    run directories (lock, state and pending files).

    That is what is left of a run killed with SIGKILL together with its watchdog (``kill -9``
    of everything, an OOM kill). Docker containers of such a run are also removed by the orphan
    sweep of the next Docker start; moto server processes and run directories only by this.

    Only run directories in the current user's private state directory, themselves private to
    this user, are read; a run whose owner cannot be seen from here (another PID namespace,
    another boot) counts as alive (see :mod:`pytest_localstack._processes`).
    """
    swept = []
    for run_dir in (directory or user_state_dir()).glob(RUN_DIR_PREFIX + "*"):
        problem = why_not_private(run_dir)
        if problem:
            logger.debug("not sweeping %s: %s", run_dir, problem)
            continue
        try:
            owner = (run_dir / OWNER_FILE).read_text()
        except OSError:
            continue  # being created
        if not owner or is_alive(owner) or watchdog_alive(run_dir):
            continue
        logger.info("cleaning up after killed run %s", run_dir)
        try:
            Coordinator(run_dir, run_id="").stop_all(timeout=5)
        except Exception as error:  # never fail this run for what another one left
            logger.warning("could not clean up after killed run %s: %s", run_dir, error)
            continue
        swept.append(run_dir)
    return swept
