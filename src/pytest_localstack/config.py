"""One frozen settings object, resolved once: fixture kwargs > command line > ini > env > defaults.

Every option is described once in :data:`OPTIONS`; the pytest entry module turns that table into
command-line options and ini keys, and the docs are checked against it.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import logging
import math
import os
import re
from collections.abc import Callable, Mapping
from typing import Any

from pytest_localstack.exceptions import ConfigurationError

ENGINES = ("auto", "docker", "process", "external")
EMULATORS = ("localstack", "moto")
SHARE_MODES = ("run", "worker")
NETWORKS_WITH_PUBLISHED_PORTS = ("", "bridge")

DEFAULT_LOCALSTACK_IMAGE = "localstack/localstack:4.14"
DEFAULT_MOTO_IMAGE = "motoserver/moto:latest"
DEFAULT_REGION = "us-east-1"


def _parse_bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{value!r} is not a boolean; use true or false")


def _parse_seconds(value: str) -> float:
    return float(value)


_VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _parse_environment(value: str) -> tuple[tuple[str, str], ...]:
    """One ``KEY=VALUE`` per line; a value may hold commas and ``=``.

    Errors name the entry and at most its key, never a value: values are often tokens.
    """
    pairs = []
    for number, item in enumerate(value.splitlines(), start=1):
        if not item.strip():
            continue
        key, sep, val = item.partition("=")
        key = key.strip()
        if not sep:
            raise ValueError(
                f"entry {number} is not KEY=VALUE (its text is not shown, it may be a secret); "
                "give one KEY=VALUE per flag, per ini line or per line of PYTEST_LOCALSTACK_ENV"
            )
        if not _VARIABLE_NAME.match(key):
            raise ValueError(
                f"entry {number}: {key!r} is not a variable name; use letters, digits and "
                "underscores, not starting with a digit"
            )
        pairs.append((key, val.strip()))
    return tuple(pairs)


@dataclasses.dataclass(frozen=True)
class Option:
    """One setting that can come from the command line, an ini key or the environment."""

    name: str
    help: str
    default: Any
    parse: Callable[[str], Any] = str
    choices: tuple[str, ...] = ()
    #: Its values may be secrets: messages never repeat them.
    sensitive: bool = False

    @property
    def flag(self) -> str:
        return "--localstack-" + self.name.replace("_", "-")

    @property
    def ini(self) -> str:
        return "localstack_" + self.name

    @property
    def env(self) -> str:
        return "PYTEST_LOCALSTACK_" + self.name.upper()

    @property
    def dest(self) -> str:
        return "localstack_" + self.name


OPTIONS: tuple[Option, ...] = (
    Option(
        "engine",
        "where the emulator runs: auto (external if an endpoint is set, else Docker if it "
        "answers, else the embedded moto server), docker, process or external",
        "auto",
        choices=ENGINES,
    ),
    Option(
        "emulator",
        "what the Docker image runs, which decides the readiness probe, the port setting and "
        "how an account is chosen: localstack or moto",
        "localstack",
        choices=EMULATORS,
    ),
    Option(
        "image",
        f"Docker image as repository[:tag] (default {DEFAULT_LOCALSTACK_IMAGE}, or "
        f"{DEFAULT_MOTO_IMAGE} for the moto emulator)",
        "",
    ),
    Option(
        "network",
        "Docker network mode; empty publishes the emulator port on a free 127.0.0.1 port, "
        "'host' runs the emulator on the host network listening on a free 127.0.0.1 port",
        "",
    ),
    Option("endpoint", "URL of an emulator that someone else runs (engine external)", ""),
    Option(
        "port",
        "host port the emulator listens on (0 picks a free port; a fixed one must be free)",
        0,
        parse=int,
    ),
    Option(
        "start_timeout",
        "seconds to wait for the emulator to become ready",
        120.0,
        parse=_parse_seconds,
    ),
    Option(
        "stop_timeout",
        "seconds to wait for the emulator to stop before it is killed",
        10.0,
        parse=_parse_seconds,
    ),
    Option("region", "AWS region of the sessions' identities", DEFAULT_REGION),
    Option(
        "pull",
        "pull the image when it is missing locally (true) or fail (false)",
        True,
        parse=_parse_bool,
    ),
    Option(
        "share",
        "run: one emulator for the whole run, shared by all xdist workers; "
        "worker: one emulator per worker (the original plugin's behaviour)",
        "run",
        choices=SHARE_MODES,
    ),
    Option(
        "reuse",
        "keep the emulator running after the run and attach to it in the next run with the "
        "same settings (each session still gets a fresh account)",
        False,
        parse=_parse_bool,
    ),
    Option(
        "subprocess_env",
        "while patched, point child processes (the AWS CLI, other SDKs) at the emulator "
        "through the environment: endpoint, the session's credentials and region, generated "
        "config files (true), or leave their environment alone (false)",
        True,
        parse=_parse_bool,
    ),
    Option(
        "env",
        "extra environment for the emulator container or process: KEY=VALUE, the value may "
        "hold commas; repeat the flag for more (one per line in the ini key and in the "
        "environment variable)",
        (),
        parse=_parse_environment,
        sensitive=True,
    ),
)

OPTIONS_BY_NAME = {option.name: option for option in OPTIONS}


@dataclasses.dataclass(frozen=True)
class Settings:
    """Everything that decides which emulator runs and how sessions talk to it."""

    engine: str = "auto"
    emulator: str = "localstack"
    image: str = ""
    network: str = ""
    endpoint: str = ""
    port: int = 0
    start_timeout: float = 120.0
    stop_timeout: float = 10.0
    region: str = DEFAULT_REGION
    pull: bool = True
    share: str = "run"
    reuse: bool = False
    subprocess_env: bool = True
    env: tuple[tuple[str, str], ...] = dataclasses.field(default=(), repr=False)
    kinesis_error_probability: float = 0.0
    dynamodb_error_probability: float = 0.0
    container_log_level: int = logging.DEBUG
    auto_remove: bool = True
    container_name: str | None = None
    use_ssl: bool = False

    def __post_init__(self) -> None:
        for option in OPTIONS:
            if option.choices and getattr(self, option.name) not in option.choices:
                raise ConfigurationError(
                    f"{option.flag}: invalid value {getattr(self, option.name)!r}; "
                    f"choose from {', '.join(option.choices)}"
                )
        for name in ("start_timeout", "stop_timeout"):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not math.isfinite(value)
                or value <= 0
            ):
                raise ConfigurationError(
                    f"{OPTIONS_BY_NAME[name].flag}: {value!r} is not a positive number of seconds"
                )
        for name in ("kinesis_error_probability", "dynamodb_error_probability"):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not (0.0 <= value <= 1.0)
            ):
                raise ConfigurationError(
                    f"{name}: {value!r} is not a probability; use a number from 0.0 to 1.0"
                )
        if (
            isinstance(self.port, bool)
            or not isinstance(self.port, int)
            or not (0 <= self.port <= 65535)
        ):
            raise ConfigurationError(
                f"--localstack-port: {self.port!r} is not a port; use 1 to 65535, or 0 for a "
                "free one"
            )
        if not isinstance(self.container_log_level, int):
            raise ConfigurationError(
                f"container_log_level: {self.container_log_level!r} is not a logging level; "
                "use e.g. logging.DEBUG"
            )
        if self.engine == "external" and not self.endpoint:
            raise ConfigurationError(
                "--localstack-engine=external needs an endpoint: set --localstack-endpoint URL "
                "(or the localstack_endpoint ini key)"
            )
        if self.endpoint and not re.match(r"^https?://[^/\s]+/?$", self.endpoint):
            raise ConfigurationError(
                f"--localstack-endpoint: {self.endpoint!r} is not a URL like http://host:4566"
            )
        validate_region(self.region)

    @property
    def image_for_emulator(self) -> str:
        """The image to run: the configured one, or the emulator's official default."""
        if self.image:
            return self.image
        return DEFAULT_MOTO_IMAGE if self.emulator == "moto" else DEFAULT_LOCALSTACK_IMAGE

    def endpoint_key(self) -> str:
        """A short hash of everything that makes two emulators different.

        Region, services and timeouts are left out: every identity, region and service is
        served by one emulator, so fixtures that differ only in those share it.
        """
        relevant = {
            "engine": self.engine,
            "emulator": self.emulator,
            "image": self.image_for_emulator,
            "network": self.network,
            "endpoint": self.endpoint,
            "port": self.port,
            "env": sorted(self.env),
            "kinesis_error_probability": self.kinesis_error_probability,
            "dynamodb_error_probability": self.dynamodb_error_probability,
            "use_ssl": self.use_ssl,
            "reuse": self.reuse,
        }
        encoded = json.dumps(relevant, sort_keys=True).encode()
        return hashlib.sha256(encoded).hexdigest()[:16]


@functools.cache
def _known_region_patterns() -> list[re.Pattern[str]]:
    from botocore.loaders import Loader

    data = Loader().load_data("endpoints")
    return [re.compile(partition["regionRegex"]) for partition in data["partitions"]]


def validate_region(region: str) -> None:
    """Fail for a region name that matches no AWS partition (a typo like ``us-east1``)."""
    if not isinstance(region, str) or not any(
        pattern.match(region) for pattern in _known_region_patterns()
    ):
        raise ConfigurationError(
            f"--localstack-region: {region!r} is not an AWS region name; "
            "use one like us-east-1 or eu-west-1"
        )


def _raw_value(option: Option, pytest_config: Any | None) -> Any:
    """The first value found on the command line, in the ini file or in the environment."""
    if pytest_config is not None:
        cli = pytest_config.getoption(option.dest, default=None)
        if cli is not None:
            return cli
        ini = pytest_config.getini(option.ini)
        if ini not in ("", None, []):
            return ini
    return os.environ.get(option.env)


def _coerce(option: Option, value: Any) -> Any:
    if isinstance(value, Mapping):
        return tuple(sorted((str(k), str(v)) for k, v in value.items()))
    if isinstance(value, list):
        value = "\n".join(value)
    if not isinstance(value, str):
        return value
    try:
        return option.parse(value)
    except ValueError as error:
        if option.sensitive:
            raise ConfigurationError(f"{option.flag}: {error}") from None
        raise ConfigurationError(f"{option.flag}: invalid value {value!r}: {error}") from None


def _given(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The keyword arguments that were given (not None), parsed and checked like options."""
    values: dict[str, Any] = {}
    for name, value in kwargs.items():
        if value is None:
            continue
        if name in OPTIONS_BY_NAME:
            values[name] = _coerce(OPTIONS_BY_NAME[name], value)
        elif name in _SETTINGS_FIELDS:
            values[name] = value
        else:
            raise ConfigurationError(f"unknown setting {name!r}")
    return values


def resolve(pytest_config: Any | None = None, **kwargs: Any) -> Settings:
    """Build the settings: keyword arguments win over command line, ini, env and defaults."""
    values = _given(kwargs)
    for option in OPTIONS:
        if option.name in values:
            continue
        raw = _raw_value(option, pytest_config)
        if raw is not None:
            values[option.name] = _coerce(option, raw)
    return Settings(**values)


def replace(settings: Settings, **kwargs: Any) -> Settings:
    """``settings`` (resolved once per run) with a fixture's keyword arguments on top.

    Takes the classic names too (see :func:`resolve_classic`); the result is checked like
    any settings.
    """
    version, kwargs = _classic_names(kwargs)
    return _with_version(dataclasses.replace(settings, **_given(kwargs)), version)


_SETTINGS_FIELDS = {field.name for field in dataclasses.fields(Settings)}

#: Keyword arguments that are settings rather than session or plugin arguments.
SETTING_NAMES = frozenset(_SETTINGS_FIELDS)


def resolve_classic(pytest_config: Any | None, **kwargs: Any) -> Settings:
    """Resolve settings from the original project's keyword arguments.

    ``region_name``, ``pull_image`` and ``localstack_version`` are the classic names of
    ``region``, ``pull`` and the image tag.
    """
    version, kwargs = _classic_names(kwargs)
    return _with_version(resolve(pytest_config, **kwargs), version)


def _classic_names(kwargs: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    """``localstack_version``, and the keyword arguments with the classic names renamed."""
    kwargs = dict(kwargs)
    version = kwargs.pop("localstack_version", None)
    region_name = kwargs.pop("region_name", None)
    pull_image = kwargs.pop("pull_image", None)
    if kwargs.get("region") is None:
        kwargs["region"] = region_name
    if kwargs.get("pull") is None:
        kwargs["pull"] = pull_image
    return version, kwargs


def _with_version(settings: Settings, localstack_version: str | None) -> Settings:
    if not localstack_version:
        return settings
    repository = image_repository(settings.image_for_emulator)
    return dataclasses.replace(settings, image=f"{repository}:{localstack_version}")


def image_repository(image: str) -> str:
    """``registry:5000/repo:tag`` -> ``registry:5000/repo``: drop tag and digest, keep a port."""
    head, _, last = image.split("@", 1)[0].rpartition("/")
    name = last.split(":", 1)[0]
    return f"{head}/{name}" if head else name
