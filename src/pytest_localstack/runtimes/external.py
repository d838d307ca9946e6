"""Attach to an emulator that someone else runs: the plugin neither starts nor stops it."""

from __future__ import annotations

from collections.abc import Callable

from pytest_localstack import emulators
from pytest_localstack.config import Settings
from pytest_localstack.emulators import Emulator
from pytest_localstack.runtimes.base import Endpoint, ignore_spawn


class ExternalRuntime:
    """Detects LocalStack or moto at the configured URL; stopping it is not ours to do."""

    name = "external"

    def start(
        self,
        settings: Settings,
        emulator: Emulator,
        labels: dict[str, str],
        on_spawn: Callable[[Endpoint], None] = ignore_spawn,
    ) -> Endpoint:
        url = settings.endpoint.rstrip("/")
        detected, probe = emulators.detect(url)
        return Endpoint(url=url, emulator=detected.name, version=probe.version, engine=self.name)

    def stop(self, endpoint: Endpoint, timeout: float) -> None:
        """Leave it running: whoever started it stops it."""

    def is_alive(self, endpoint: Endpoint) -> bool:
        return emulators.EMULATORS[endpoint.emulator].probe(endpoint.url).ready

    def logs(self, endpoint: Endpoint, lines: int = 50) -> str:
        return f"(the external emulator at {endpoint.url} keeps its own logs)"

    def profile(self, settings: Settings) -> Emulator:
        """The configured profile; the one that answers is detected when attaching."""
        return emulators.EMULATORS[settings.emulator]

    def ensure_available(self) -> None:
        """Nothing to check before attaching: the probe at the URL says it all."""

    def remove_leftovers(self, run_id: str, recorded: list[Endpoint]) -> None:
        """Nothing: an external emulator is never ours to remove."""
