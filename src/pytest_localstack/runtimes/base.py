"""What every runtime shares: the :class:`Endpoint` it yields, its labels, the protocol."""

from __future__ import annotations

import dataclasses
import json
import os
import random
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from pytest_localstack.config import Settings
    from pytest_localstack.emulators import Emulator

LABEL = "pytest-localstack"
LABEL_RUN = "pytest-localstack.run"
#: The owner token (``PID:STARTED:NAMESPACE:BOOT``). Older versions wrote ``PID:STARTED`` to
#: ``pytest-localstack.owner`` and swept by it alone; under a label of its own, they leave the
#: containers of this version alone instead of judging an owner they cannot see.
LABEL_OWNER = "pytest-localstack.owner-token"
LABEL_HOST = "pytest-localstack.host"
LABEL_CONFIG = "pytest-localstack.config"
#: ``FIRST-LAST``: the ports an emulator on the host network may open for its services.
LABEL_SERVICE_PORTS = "pytest-localstack.service-ports"
#: The uid of the user whose run made it: a run stops or sweeps only its own user's emulators.
LABEL_UID = "pytest-localstack.uid"


def make_labels(run_id: str, owner: str, config_key: str = "") -> dict[str, str]:
    """Labels that tie a container or process to its run and owner, so that strays are found.

    ``owner`` is a :func:`pytest_localstack._processes.owner_token` of the process whose end
    ends the run (the xdist controller): with its PID namespace and boot, so that a sweep can
    tell an owner that is gone from one it cannot see.
    """
    return {
        LABEL: "1",
        LABEL_RUN: run_id,
        LABEL_OWNER: owner,
        LABEL_HOST: socket.gethostname(),
        LABEL_CONFIG: config_key,
        LABEL_UID: str(os.getuid()),
    }


@dataclasses.dataclass(frozen=True)
class Endpoint:
    """A running emulator: where it answers, what it is, and how to find it again to stop it.

    It is plain data so that it can be written to a state file and read by another process.
    """

    url: str
    emulator: str
    version: str
    engine: str
    handle: str = ""
    docker_host: str = ""
    log_path: str = ""
    remove_on_stop: bool = True
    #: A process's start time (see :mod:`pytest_localstack._processes`): with the pid in
    #: ``handle`` it names the process, so that a reused pid is never stopped for it.
    started: str = ""
    #: Why this engine runs instead of the one asked for (``auto`` fell back), or empty.
    note: str = ""

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Endpoint:
        data: dict[str, Any] = json.loads(text)
        return cls(**data)

    @property
    def netloc(self) -> str:
        return self.url.split("://", 1)[1].rstrip("/")


def ignore_spawn(endpoint: Endpoint) -> None:
    """The default ``on_spawn``: nothing records emulators that are still starting."""


class Runtime(Protocol):
    """Starts and stops emulators of one kind."""

    name: str

    def start(
        self,
        settings: Settings,
        emulator: Emulator,
        labels: dict[str, str],
        on_spawn: Callable[[Endpoint], None] = ignore_spawn,
    ) -> Endpoint:
        """Start an emulator and return once it answers its readiness probe.

        ``on_spawn`` is called as soon as there is something to stop (a container id, a pid), so
        that an emulator whose starter dies while it boots is still found and stopped.
        """

    def stop(self, endpoint: Endpoint, timeout: float) -> None:
        """Stop an emulator that this or another process started; a gone one is fine.

        Only one that proves to be ours: a container with our labels and uid, a process of this
        user with the recorded start time and our label in its environment. Anything else that
        a record names is left alone.
        """

    def is_alive(self, endpoint: Endpoint) -> bool:
        """Whether the emulator behind ``endpoint`` still runs."""

    def logs(self, endpoint: Endpoint, lines: int = 50) -> str:
        """The emulator's last log lines, for error messages."""

    def profile(self, settings: Settings) -> Emulator:
        """The emulator profile this runtime runs for ``settings``."""

    def ensure_available(self) -> None:
        """Raise :class:`~pytest_localstack.exceptions.EngineUnavailableError` if this runtime
        cannot start anything here (no Docker engine, no moto server)."""

    def remove_leftovers(self, run_id: str, recorded: list[Endpoint]) -> None:
        """Remove what a dead run left that no record names, found by its ``run_id`` label.

        A run killed while its emulator was created dies before it can record it; the
        container or process already carries the run's labels. ``recorded`` are the run's
        records (they tell where to look, e.g. another Docker engine). Never raises.
        """


def free_port(host: str = "127.0.0.1", wanted: int = 0) -> int:
    """``wanted`` if it is free on ``host``, or any free port when ``wanted`` is 0."""
    from pytest_localstack.exceptions import PortInUseError

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, wanted))
        except OSError:
            raise PortInUseError(host, wanted) from None
        port: int = sock.getsockname()[1]
        return port


#: Where :func:`free_port_range` looks: below Linux's ephemeral ports (32768 and up), so that
#: outgoing connections do not take them, and above LocalStack's default (4510-4559).
PORT_RANGE_AREA = range(10000, 32750)


def free_port_range(
    count: int, host: str = "127.0.0.1", attempts: int = 40, avoid: frozenset[int] = frozenset()
) -> range:
    """``count`` consecutive ports, all free on ``host`` now and none in ``avoid``, at a random
    place.

    Concurrent runs on one machine draw different ranges, skip ranges in use and the ranges
    that running emulators were given (``avoid``), so that emulators on the host network do
    not fight over the same ports.
    """
    from pytest_localstack.exceptions import StartupError

    blocks = len(PORT_RANGE_AREA) // count
    for _ in range(attempts):
        start = PORT_RANGE_AREA.start + random.randrange(blocks) * count
        candidate = range(start, start + count)
        if avoid.isdisjoint(candidate) and all(_is_free(host, port) for port in candidate):
            return candidate
    raise StartupError(
        f"found no {count} consecutive free ports on {host} in {attempts} random tries between "
        f"{PORT_RANGE_AREA.start} and {PORT_RANGE_AREA.stop - 1}, for the emulator's services on "
        "the host network; stop what holds them, or leave --localstack-network empty"
    )


def _is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


#: Why ``auto`` chose the embedded server over Docker, by settings key; read by its start.
_fallback_notes: dict[str, str] = {}


def fallback_note(settings: Settings) -> str:
    """Why ``auto`` chose another engine than Docker for ``settings`` in this process, or ''."""
    return _fallback_notes.get(settings.endpoint_key(), "")


def record_fallback(settings: Settings, note: str) -> None:
    _fallback_notes[settings.endpoint_key()] = note
