"""Wait for an emulator to become ready, watching for an early exit."""

from __future__ import annotations

import time
from collections.abc import Callable

from pytest_localstack import _progress
from pytest_localstack.emulators import Emulator, Probe
from pytest_localstack.exceptions import EmulatorExitedError, LicenseError, StartTimeoutError

#: Seconds between probes while an emulator starts: short at first, where most starts end (a
#: probe is one local HTTP request; a longer wait would add to every start), longer once it is
#: clearly slow.
FAST_POLL, SLOW_POLL, FAST_FOR = 0.05, 0.5, 15.0


def poll_interval(elapsed: float) -> float:
    """How long to sleep before the next probe, ``elapsed`` seconds into the start."""
    return FAST_POLL if elapsed < FAST_FOR else SLOW_POLL


def wait_until_ready(
    emulator: Emulator,
    url: str,
    timeout: float,
    exit_code: Callable[[], int | None],
    logs: Callable[[], str],
    what: str,
) -> Probe:
    """Poll the readiness probe until it passes; raise with the log tail if it never does.

    ``exit_code`` returns ``None`` while the emulator runs, so an emulator that dies is
    reported at once instead of after the whole timeout.
    """
    started = time.monotonic()
    deadline = started + timeout
    probe = Probe(False, detail="not probed yet")
    still_waiting = _progress.Throttle(15.0)
    still_waiting.ready()  # the first "still waiting" line after 15 s
    while True:
        code = exit_code()
        if code is not None:
            tail = logs()
            if emulator.is_license_failure(code, tail):
                raise LicenseError(
                    f"{what} exited with code {code}: LocalStack needs an auth token for this "
                    "image. Set LOCALSTACK_AUTH_TOKEN in the environment (it is forwarded), or "
                    "use --localstack-image=localstack/localstack:4.14, the last tag that runs "
                    "without one.",
                    code,
                    tail,
                )
            raise EmulatorExitedError(
                f"{what} exited with code {code} while starting; see its log below", code, tail
            )
        probe = emulator.probe(url)
        if probe.ready:
            _progress.report(f"{what} ready at {url} in {time.monotonic() - started:.1f} s")
            return probe
        if still_waiting.ready():
            _progress.report(
                f"waiting for {what}: {time.monotonic() - started:.0f} s of {timeout:g} s "
                f"({probe.detail})"
            )
        if time.monotonic() >= deadline:
            raise StartTimeoutError(
                f"{what} did not become ready at {url} within {timeout:g} s "
                f"({probe.detail}); raise --localstack-start-timeout if it is just slow",
                logs(),
            )
        time.sleep(poll_interval(time.monotonic() - started))
