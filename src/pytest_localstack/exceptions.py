"""Errors raised by pytest-localstack.

Every error derives from :class:`LocalstackError`, and every message says what to do next.
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Iterable
from typing import Any

from pytest_localstack._redact import redact


class LocalstackError(Exception):
    """Base class of every pytest-localstack error."""

    def __str__(self) -> str:
        # An emulator's log tail or Docker's reason may quote an environment value.
        return redact(super().__str__())


#: The original project's name for the base class.
Error = LocalstackError


class ConfigurationError(LocalstackError, ValueError):
    """A setting has a bad value; the message names it, where it came from, and what is valid.

    For a named setting, ``problem`` says what is wrong, ``source`` where the value came from
    (an option, an ini key, an environment variable or a keyword argument) and ``hint`` what
    to use instead: ``"invalid engine 'dokcer' (from --localstack-engine); choose from ..."``.
    """

    def __init__(
        self,
        problem: str,
        *,
        setting: str | None = None,
        source: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.problem = problem
        self.setting = setting
        self.source = source
        self.hint = hint
        super().__init__(self._message())

    def _message(self) -> str:
        message = f"{self.problem} (from {self.source})" if self.source else self.problem
        return f"{message}; {self.hint}" if self.hint else message

    def from_source(self, source: str) -> ConfigurationError:
        """The same error, naming ``source`` as where the bad value came from."""
        error = Exception.__new__(type(self))
        error.__dict__.update(self.__dict__)
        error.source = source
        error.args = (error._message(),)
        return error


class ServiceError(ConfigurationError):
    """An AWS service name that the emulator does not know, or a service that does not answer.

    The signature is the original project's, so that code raising it the old way keeps working:
    ``ServiceError("message")`` or ``ServiceError(service_name="s3")`` (the message is then
    "s3 isn't responding"). :meth:`unknown` builds the error for a bad service name.
    """

    def __init__(
        self,
        msg: str | None = None,
        service_name: str | None = None,
        *args: Any,
        valid: Iterable[str] = (),
        source: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.service_name = service_name
        self.valid = sorted(valid)
        if not msg:
            msg = f"{service_name} isn't responding" if service_name else "Service error"
        super().__init__(msg, setting="services", source=source, hint=hint)
        if args:
            self.args = (*self.args, *args)

    @classmethod
    def unknown(
        cls, service_name: str, valid: Iterable[str], source: str | None = None
    ) -> ServiceError:
        """The error for a service name that is not one of ``valid``; it suggests close ones."""
        valid = sorted(valid)
        close = close_names(service_name, valid)
        if close:
            hint = "did you mean " + " or ".join(repr(name) for name in close) + "?"
        else:
            hint = "use a botocore service name such as 's3', 'sqs' or 'dynamodb'"
        return cls(
            f"unknown service {service_name!r}", service_name, valid=valid, source=source, hint=hint
        )


def close_names(name: str, valid: Iterable[str]) -> list[str]:
    """The valid names closest to a misspelt one, best first; names that start alike win."""
    lowered = name.lower()
    scored = sorted(
        (-difflib.SequenceMatcher(None, lowered, candidate).ratio(), candidate)
        for candidate in valid
    )
    alike = [(-score, c) for score, c in scored if c[:1] == lowered[:1] and -score >= 0.5]
    other = [(-score, c) for score, c in scored if -score >= 0.75]
    chosen = alike or other
    if not chosen:
        return []
    best = chosen[0][0]
    return [candidate for ratio, candidate in chosen[:3] if ratio >= best - 0.1]


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


class StartFailedEarlierError(StartupError):
    """The run's emulator failed to start before, in this or another process of the run.

    ``cause`` holds the message of that first failure, which was reported in full once.
    """

    def __init__(self, cause: str) -> None:
        self.cause = cause
        super().__init__("the emulator failed to start earlier in this run:\n" + cause)


class StartTimeoutError(StartupError, TimeoutError):
    """The emulator did not answer its readiness probe within the start timeout."""


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


class _UnsupportedPartitionError(LocalstackError):
    """Never raised: the original's endpoint resolver refused partitions other than ``aws``.

    Kept so that ``except`` clauses written for the original still import.
    """


class _RegionError(LocalstackError):
    """Never raised: the original's sessions served one region; every region works now.

    Kept so that ``except`` clauses written for the original still import.
    """


class LocalstackDeprecationWarning(DeprecationWarning):
    """A name or keyword argument of the original project that no longer means anything.

    A :class:`DeprecationWarning`, so that pytest shows it and ``filterwarnings = error`` turns
    it into an error; filter it by this class to silence only pytest-localstack's.
    """


def warn_deprecated(message: str, stacklevel: int = 2) -> None:
    """Emit a :class:`LocalstackDeprecationWarning` for the caller's caller (by default)."""
    warnings.warn(message, LocalstackDeprecationWarning, stacklevel=stacklevel + 1)


#: Names of the original project whose objects live on under another name, with a deprecation
#: message when the name no longer fits (``None``: no warning). The package itself never uses
#: these names, so the builtin ``TimeoutError`` is never shadowed inside it.
_RENAMED: dict[str, tuple[str, str | None]] = {
    "TimeoutError": ("StartTimeoutError", None),
    "UnsupportedPartitionError": (
        "_UnsupportedPartitionError",
        "pytest_localstack.exceptions.UnsupportedPartitionError is never raised: every "
        "partition's endpoints are redirected; remove the except clause",
    ),
    "RegionError": (
        "_RegionError",
        "pytest_localstack.exceptions.RegionError is never raised: a session serves every "
        "region; remove the except clause",
    ),
}


def __getattr__(name: str) -> Any:
    """The original's ``TimeoutError`` (and the never-raised errors) on attribute access."""
    if name in _RENAMED:
        target, message = _RENAMED[name]
        if message:
            warn_deprecated(message)
        return globals()[target]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
