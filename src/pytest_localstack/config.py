"""One frozen settings object, resolved once: fixture kwargs > command line > ini > env > defaults.

Every option is described once in :data:`OPTIONS`; the pytest entry module turns that table into
command-line options and ini keys, and the docs are checked against it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import logging
import math
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pytest_localstack._options import (  # the table of options, re-exported
    DEFAULT_LOCALSTACK_IMAGE,
    DEFAULT_MOTO_IMAGE,
    DEFAULT_REGION,
    EMULATORS,
    ENGINES,
    NETWORKS_WITH_PUBLISHED_PORTS,
    OPTIONS,
    OPTIONS_BY_NAME,
    SHARE_MODES,
    Option,
)
from pytest_localstack._redact import register as register_secrets
from pytest_localstack.exceptions import ConfigurationError

__all__ = [
    "DEFAULT_LOCALSTACK_IMAGE",
    "DEFAULT_MOTO_IMAGE",
    "DEFAULT_REGION",
    "EMULATORS",
    "ENGINES",
    "NETWORKS_WITH_PUBLISHED_PORTS",
    "OPTIONS",
    "OPTIONS_BY_NAME",
    "SETTING_NAMES",
    "SHARE_MODES",
    "Option",
    "Settings",
    "image_repository",
    "replace",
    "resolve",
    "resolve_classic",
    "validate_region",
]


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
    wait_stop: bool = False
    env: tuple[tuple[str, str], ...] = dataclasses.field(default=(), repr=False)
    kinesis_error_probability: float = 0.0
    dynamodb_error_probability: float = 0.0
    container_log_level: int = logging.DEBUG
    auto_remove: bool = True
    container_name: str | None = None
    use_ssl: bool = False

    def __post_init__(self) -> None:
        # Every process that knows the values hides them, also an xdist worker that did not
        # start the emulator but shows its log lines in a failing test's report.
        register_secrets(value for _, value in self.env)
        for option in OPTIONS:
            value = getattr(self, option.name)
            if option.choices and value not in option.choices:
                raise _invalid(option.name, value, f"choose from {', '.join(option.choices)}")
            if option.is_flag and not isinstance(value, bool):
                raise _invalid(option.name, value, "use true or false")
        for name in ("start_timeout", "stop_timeout"):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not math.isfinite(value)
                or value <= 0
            ):
                raise _invalid(name, value, "use a positive number of seconds")
        for name in ("kinesis_error_probability", "dynamodb_error_probability"):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not (0.0 <= value <= 1.0)
            ):
                raise _invalid(name, value, "use a probability from 0.0 to 1.0")
        if (
            isinstance(self.port, bool)
            or not isinstance(self.port, int)
            or not (0 <= self.port <= 65535)
        ):
            raise _invalid("port", self.port, "use 1 to 65535, or 0 for a free one")
        if not isinstance(self.container_log_level, int):
            raise _invalid(
                "container_log_level", self.container_log_level, "use a level like logging.DEBUG"
            )
        if self.engine == "external" and not self.endpoint:
            raise ConfigurationError(
                "engine external needs an endpoint",
                setting="engine",
                source=default_source("engine"),
                hint="set --localstack-endpoint URL (or the localstack_endpoint ini key, or "
                "PYTEST_LOCALSTACK_ENDPOINT)",
            )
        if self.endpoint and (
            not isinstance(self.endpoint, str)
            or not re.match(r"^https?://[^/\s]+/?$", self.endpoint)
        ):
            raise _invalid("endpoint", self.endpoint, "use a URL like http://host:4566")
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


def default_source(name: str) -> str:
    """How a setting is named when nobody says where its value came from: its option."""
    option = OPTIONS_BY_NAME.get(name)
    return option.flag if option is not None else f"{name}="


def _invalid(name: str, value: Any, hint: str) -> ConfigurationError:
    return ConfigurationError(
        f"invalid value {value!r}", setting=name, source=default_source(name), hint=hint
    )


@functools.cache
def _partitions() -> list[tuple[str, re.Pattern[str], frozenset[str]]]:
    """botocore's partitions (id, region pattern, named regions), read without importing
    botocore.

    ``partitions.json`` is a few KB; botocore's loader would first import half of botocore and
    then parse the 1 MB ``endpoints.json``, on every pytest start.
    """
    import importlib.util

    spec = importlib.util.find_spec("botocore")
    data_dirs = [Path(p) / "data" for p in (spec.submodule_search_locations or [])] if spec else []
    for name in ("partitions.json", "endpoints.json"):  # endpoints.json: botocore < 1.33
        for data_dir in data_dirs:
            if (data_dir / name).is_file():
                return [
                    (
                        partition.get("id") or partition.get("partition", "aws"),
                        re.compile(partition["regionRegex"]),
                        frozenset(partition.get("regions", ())),
                    )
                    for partition in json.loads((data_dir / name).read_text())["partitions"]
                ]
    return [("aws", re.compile(r"^[a-z]{2,}(-[a-z]+)+-\d+$"), frozenset())]  # the usual shape


def partition_of(region: str) -> str:
    """The AWS partition of ``region`` (``aws``, ``aws-cn``, ...), for ARNs; ``aws`` if none
    matches."""
    partitions = _partitions()
    for partition, _, regions in partitions:
        if region in regions:
            return partition
    for partition, pattern, _ in partitions:
        if pattern.match(region):
            return partition
    return "aws"


def validate_region(region: str, source: str = "--localstack-region") -> None:
    """Fail for a region name that matches no AWS partition (a typo like ``us-east1``)."""
    if not isinstance(region, str) or not any(
        pattern.match(region) for _, pattern, _ in _partitions()
    ):
        raise ConfigurationError(
            f"invalid value {region!r}",
            setting="region",
            source=source,
            hint="use an AWS region name like us-east-1 or eu-west-1",
        )


def _raw_value(option: Option, pytest_config: Any | None) -> tuple[Any, str]:
    """The first value found on the command line, in the ini file or in the environment,
    and where it was found."""
    if pytest_config is not None:
        cli = pytest_config.getoption(option.dest, default=None)
        if cli is not None:
            return cli, option.flag
        ini = pytest_config.getini(option.ini)
        if ini not in ("", None, []):
            return ini, f"ini key {option.ini}"
    return os.environ.get(option.env), f"env var {option.env}"


def _coerce(option: Option, value: Any) -> Any:
    if isinstance(value, Mapping):
        return tuple(sorted((str(k), str(v)) for k, v in value.items()))
    if isinstance(value, list):
        value = "\n".join(value)
    if isinstance(option.default, float) and type(value) is int:
        return float(value)
    if not isinstance(value, str):
        return value
    try:
        return option.parse(value)
    except ValueError as error:
        if option.sensitive:  # name the entry, never its text: it may be a secret
            problem, _, hint = str(error).partition("; ")
            raise ConfigurationError(
                problem, setting=option.name, source=option.flag, hint=hint or option.hint or None
            ) from None
        raise ConfigurationError(
            f"invalid value {value!r}",
            setting=option.name,
            source=option.flag,
            hint=option.hint or str(error),
        ) from None


@contextlib.contextmanager
def naming_sources(sources: Mapping[str, str]) -> Iterator[None]:
    """Re-raise a setting's :class:`ConfigurationError` naming where its value came from.

    ``sources`` maps a setting name to the option, ini key, environment variable or keyword
    argument it was read from.
    """
    try:
        yield
    except ConfigurationError as error:
        source = sources.get(error.setting or "")
        if source is not None and error.source != source:
            raise error.from_source(source) from None
        raise


def keyword_source(name: str, owner: str = "") -> str:
    """``engine= of patch_fixture``: how a keyword argument is named in messages."""
    return f"{name}= of {owner}" if owner else f"{name}="


def _given(
    kwargs: Mapping[str, Any], keywords_of: str = ""
) -> tuple[dict[str, Any], dict[str, str]]:
    """The keyword arguments that were given (not None), parsed and checked like options, and
    the names they are reported under."""
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for name, value in kwargs.items():
        if value is None:
            continue
        sources[name] = keyword_source(name, keywords_of)
        if name in OPTIONS_BY_NAME:
            with naming_sources(sources):
                values[name] = _coerce(OPTIONS_BY_NAME[name], value)
        elif name in _SETTINGS_FIELDS:
            values[name] = value
        else:
            raise ConfigurationError(
                f"unknown setting {name!r}",
                hint="choose from " + ", ".join(sorted(_SETTINGS_FIELDS)),
            )
    return values, sources


def resolve(pytest_config: Any | None = None, *, keywords_of: str = "", **kwargs: Any) -> Settings:
    """Build the settings: keyword arguments win over command line, ini, env and defaults.

    :param keywords_of: who passed the keyword arguments (``patch_fixture``), for messages.
    """
    values, sources = _given(kwargs, keywords_of)
    for option in OPTIONS:
        if option.name in values:
            continue
        raw, source = _raw_value(option, pytest_config)
        if raw is None:
            continue
        sources[option.name] = source
        with naming_sources(sources):
            values[option.name] = _coerce(option, raw)
    with naming_sources(sources):
        return Settings(**values)


def replace(settings: Settings, *, keywords_of: str = "", **kwargs: Any) -> Settings:
    """``settings`` (resolved once per run) with a fixture's keyword arguments on top.

    Takes the classic names too (see :func:`resolve_classic`); the result is checked like
    any settings, and a bad keyword is named as given (``engine= of patch_fixture``).
    """
    version, kwargs, classic_sources = _classic_names(kwargs, keywords_of)
    with naming_sources(classic_sources):
        values, sources = _given(kwargs, keywords_of)
        with naming_sources(sources):
            return _with_version(dataclasses.replace(settings, **values), version)


_SETTINGS_FIELDS = {field.name for field in dataclasses.fields(Settings)}

#: Keyword arguments that are settings rather than session or plugin arguments.
SETTING_NAMES = frozenset(_SETTINGS_FIELDS)


def resolve_classic(pytest_config: Any | None, *, keywords_of: str = "", **kwargs: Any) -> Settings:
    """Resolve settings from the original project's keyword arguments.

    ``region_name``, ``pull_image`` and ``localstack_version`` are the classic names of
    ``region``, ``pull`` and the image tag.
    """
    version, kwargs, classic_sources = _classic_names(kwargs, keywords_of)
    with naming_sources(classic_sources):
        return _with_version(resolve(pytest_config, keywords_of=keywords_of, **kwargs), version)


def _classic_names(
    kwargs: dict[str, Any], keywords_of: str = ""
) -> tuple[str | None, dict[str, Any], dict[str, str]]:
    """``localstack_version``, the keyword arguments with the classic names renamed, and the
    classic names a renamed value is reported under."""
    kwargs = dict(kwargs)
    version = kwargs.pop("localstack_version", None)
    region_name = kwargs.pop("region_name", None)
    pull_image = kwargs.pop("pull_image", None)
    sources = {}
    if kwargs.get("region") is None and region_name is not None:
        kwargs["region"] = region_name
        sources["region"] = keyword_source("region_name", keywords_of)
    if kwargs.get("pull") is None and pull_image is not None:
        kwargs["pull"] = pull_image
        sources["pull"] = keyword_source("pull_image", keywords_of)
    return version, kwargs, sources


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
