"""Errors raised by pytest-localstack.

Every error derives from :class:`LocalstackError`, and every message says what to do next.
"""

from __future__ import annotations

from collections.abc import Iterable


class LocalstackError(Exception):
    """Base class of every pytest-localstack error."""


#: The original project's name for the base class.
Error = LocalstackError


class ConfigurationError(LocalstackError, ValueError):
    """A setting has a bad value; the message names it and lists the valid ones."""


class ServiceError(ConfigurationError):
    """An AWS service name that the emulator does not know."""

    def __init__(self, service_name: str, valid: Iterable[str]) -> None:
        self.service_name = service_name
        self.valid = sorted(valid)
        super().__init__(
            f"unknown AWS service {service_name!r}; valid service names are: "
            + ", ".join(self.valid)
        )


class EngineUnavailableError(LocalstackError):
    """The runtime that should run the emulator is not available (no Docker, no moto)."""


class PortInUseError(LocalstackError):
    """The fixed port asked for with ``--localstack-port`` is taken."""

    def __init__(self, host: str, port: int) -> None:
        self.port = port
        super().__init__(
            f"port {port} on {host} is already in use (another emulator?); stop what listens "
            "there, choose another --localstack-port, or leave it unset (0) for a free port"
        )


class ImageNotFoundError(LocalstackError):
    """The emulator image is missing and could not (or may not) be pulled."""

    def __init__(self, image: str, reason: str) -> None:
        self.image = image
        super().__init__(f"Docker image {image!r} is not available: {reason}")


class StartupError(LocalstackError):
    """The emulator did not become ready; ``log_tail`` holds its last log lines."""

    def __init__(self, message: str, log_tail: str = "") -> None:
        self.log_tail = log_tail
        if log_tail:
            message = f"{message}\n--- last emulator log lines ---\n{log_tail}"
        super().__init__(message)


class StartTimeoutError(StartupError, TimeoutError):
    """The emulator did not answer its readiness probe within the start timeout."""


#: The original project's name for the start timeout error.
TimeoutError = StartTimeoutError


class EmulatorExitedError(StartupError):
    """The emulator exited while it was starting."""

    def __init__(self, message: str, exit_code: int | None, log_tail: str = "") -> None:
        self.exit_code = exit_code
        super().__init__(message, log_tail)


class LicenseError(EmulatorExitedError):
    """LocalStack refused to start without a valid auth token."""


class EndpointUnreachableError(LocalstackError):
    """An emulator endpoint (external or recorded by another worker) does not answer."""


class RealAWSRequestError(LocalstackError):
    """A request tried to leave for a host other than the emulator while botocore was patched."""


class ContainerNotStartedError(LocalstackError):
    """The session has not been started (or was stopped already)."""


class ContainerAlreadyStartedError(LocalstackError):
    """``start()`` was called on a session that is already running."""
