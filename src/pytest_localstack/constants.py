"""The original project's documented constants, with the values they have today.

Constants that still describe the plugin are plain names. Those that no longer mean anything
(fixed credentials, per-service ports) are served by the module's ``__getattr__`` with a
:class:`~pytest_localstack.exceptions.LocalstackDeprecationWarning` that names the replacement.
Nothing in the package reads them: the settings live in :mod:`pytest_localstack.config`.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from pytest_localstack.config import DEFAULT_REGION, Settings
from pytest_localstack.exceptions import warn_deprecated

#: The address every emulator this plugin starts listens on.
LOCALHOST = "127.0.0.1"

#: The region of a session unless ``region_name`` or ``--localstack-region`` says otherwise.
DEFAULT_AWS_REGION = DEFAULT_REGION

#: Alternative endpoint prefixes of some services, mapped to botocore's service name.
SERVICE_ALIASES = MappingProxyType(
    {
        "email": "ses",
        "monitoring": "cloudwatch",
        "states": "stepfunctions",
        "streams.dynamodb": "dynamodbstreams",
    }
)

#: Seconds to wait for an emulator to become ready (``--localstack-start-timeout``).
DEFAULT_CONTAINER_START_TIMEOUT = Settings.start_timeout

#: Seconds to wait for an emulator to stop (``--localstack-stop-timeout``).
DEFAULT_CONTAINER_STOP_TIMEOUT = Settings.stop_timeout

#: The services the original project knew, which :data:`.service_checks.SERVICE_CHECKS` covers.
ORIGINAL_SERVICES = (
    "apigateway",
    "cloudformation",
    "cloudwatch",
    "dynamodb",
    "dynamodbstreams",
    "ec2",
    "es",
    "events",
    "firehose",
    "iam",
    "kinesis",
    "lambda",
    "logs",
    "redshift",
    "route53",
    "s3",
    "secretsmanager",
    "ses",
    "sns",
    "sqs",
    "ssm",
    "stepfunctions",
    "sts",
)

_LEGACY_PORTS: tuple[int, ...] = (4567, 4581, 4582, 4569, 4570, 4597, 4578, 4587, 4573, 4593)
_LEGACY_PORTS += (4568, 4574, 4586, 4577, 4580, 4572, 4584, 4579, 4575, 4576, 4583, 4585, 4592)

_PER_SESSION_CREDENTIALS = (
    "there are no fixed credentials any more: every session has its own account, and its "
    "access key id is that account id; use session.credentials(), session.access_key_id and "
    "session.secret_access_key"
)


def _botocore_version() -> tuple[int, ...]:
    import botocore

    return tuple(int(part) for part in botocore.__version__.split(".")[:3] if part.isdigit())


#: name -> (value factory, deprecation message or None)
_LAZY: dict[str, tuple[Any, str | None]] = {
    "DEFAULT_AWS_ACCESS_KEY_ID": (
        lambda: "accesskey",
        f"DEFAULT_AWS_ACCESS_KEY_ID is not used: {_PER_SESSION_CREDENTIALS}",
    ),
    "DEFAULT_AWS_SECRET_ACCESS_KEY": (
        lambda: "test",
        f"DEFAULT_AWS_SECRET_ACCESS_KEY is deprecated: {_PER_SESSION_CREDENTIALS}",
    ),
    "DEFAULT_AWS_SESSION_TOKEN": (
        lambda: None,
        "DEFAULT_AWS_SESSION_TOKEN is not used: sessions send no session token; use "
        "session.credentials()",
    ),
    "SERVICE_PORTS": (
        lambda: MappingProxyType(dict.fromkeys(ORIGINAL_SERVICES, 4566)),
        "SERVICE_PORTS is deprecated: every service shares the emulator's one port, which is "
        "chosen at start; use session.endpoint_url(service) or session.map_port()",
    ),
    "LEGACY_SERVICE_PORTS": (
        lambda: MappingProxyType(dict(zip(ORIGINAL_SERVICES, _LEGACY_PORTS, strict=True))),
        "LEGACY_SERVICE_PORTS is not used: LocalStack before 0.11 is not supported; use "
        "session.endpoint_url(service)",
    ),
    "BOTOCORE_VERSION": (_botocore_version, None),
}


def __getattr__(name: str) -> Any:
    """Deprecated constants (with a warning) and ``BOTOCORE_VERSION`` (imports botocore)."""
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    factory, message = _LAZY[name]
    if message:
        warn_deprecated(message)
    return factory()


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
