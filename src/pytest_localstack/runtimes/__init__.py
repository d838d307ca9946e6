"""Where an emulator runs: each runtime starts one and yields an :class:`Endpoint`.

Nothing above this package knows about Docker or processes; it only sees endpoints and asks
:class:`Runtimes` for the runtime of an engine.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pytest_localstack.runtimes.base import (
    LABEL,
    LABEL_CONFIG,
    LABEL_HOST,
    LABEL_OWNER,
    LABEL_RUN,
    LABEL_SERVICE_PORTS,
    LABEL_UID,
    Endpoint,
    Runtime,
    fallback_note,
    free_port,
    free_port_range,
    ignore_spawn,
    make_labels,
    record_fallback,
)

if TYPE_CHECKING:
    from pytest_localstack.config import Settings

__all__ = [
    "ENGINES",
    "LABEL",
    "LABEL_CONFIG",
    "LABEL_HOST",
    "LABEL_OWNER",
    "LABEL_RUN",
    "LABEL_SERVICE_PORTS",
    "LABEL_UID",
    "Endpoint",
    "Runtime",
    "Runtimes",
    "fallback_note",
    "free_port",
    "free_port_range",
    "ignore_spawn",
    "make_labels",
    "runtime_for",
]

#: The engines that start something (``auto`` is resolved by :meth:`Runtimes.choose_engine`).
ENGINES = ("docker", "process", "external")


class Runtimes:
    """One runtime per engine, made on first use.

    ``docker_client`` (the classic ``docker_client=`` argument) is handed, opaque, to the
    Docker runtime and nowhere else; without it the Docker runtime makes its own client.
    """

    def __init__(self, docker_client: object = None) -> None:
        self._docker_client = docker_client
        self._made: dict[str, Runtime] = {}

    def __getitem__(self, engine: str) -> Runtime:
        if engine not in self._made:
            self._made[engine] = _make(engine, self._docker_client)
        return self._made[engine]

    def __iter__(self) -> Iterator[Runtime]:
        """Every runtime, for the sweeps that look for what a dead run left."""
        return (self[engine] for engine in ENGINES)

    def choose_engine(self, settings: Settings) -> str:
        """Resolve ``auto``: external if an endpoint is set, else Docker if it answers and has
        the image (present or pullable), else the embedded moto server."""
        if settings.engine != "auto":
            return settings.engine
        if settings.endpoint:
            return "external"
        from pytest_localstack.exceptions import EngineUnavailableError

        try:
            self["docker"].ensure_available()
        except EngineUnavailableError as docker_error:
            try:
                self["process"].ensure_available()
                return "process"
            except EngineUnavailableError:
                pass
            raise EngineUnavailableError(
                "no AWS emulator can run here. Either start a Docker engine (or set DOCKER_HOST), "
                'or install the embedded emulator: pip install "pytest-localstack[moto]", or '
                f"attach to a running one: --localstack-endpoint URL. (Docker: {docker_error})"
            ) from None
        return self._docker_or_fallback(settings)

    def _docker_or_fallback(self, settings: Settings) -> str:
        """Docker answers: use it if it has the image or can pull it, else the embedded server
        (when installed), saying why."""
        from pytest_localstack import _progress
        from pytest_localstack.exceptions import EngineUnavailableError, ImageNotFoundError

        try:
            self["process"].ensure_available()
        except EngineUnavailableError:
            return "docker"  # nothing to fall back to: the Docker start reports a missing image
        from pytest_localstack.runtimes.docker import DockerRuntime

        docker_runtime = self["docker"]
        if not isinstance(docker_runtime, DockerRuntime):
            return "docker"
        try:
            docker_runtime.ensure_image(settings.image_for_emulator, settings.pull)
        except ImageNotFoundError as error:
            note = (
                f"engine auto: {error}; the embedded moto server runs instead "
                "(--localstack-engine=docker makes this an error)"
            )
            _progress.report(note)
            record_fallback(settings, note)
            return "process"
        return "docker"


def _make(engine: str, docker_client: object) -> Runtime:
    if engine == "docker":
        from pytest_localstack.runtimes.docker import DockerRuntime

        return DockerRuntime(docker_client)
    if engine == "process":
        from pytest_localstack.runtimes.process import ProcessRuntime

        return ProcessRuntime()
    from pytest_localstack.runtimes.external import ExternalRuntime

    return ExternalRuntime()


def runtime_for(engine: str) -> Runtime:
    """The runtime that handles ``engine`` (docker, process or external), with its defaults."""
    return Runtimes()[engine]
