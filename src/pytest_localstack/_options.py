"""Every setting that comes from the command line, an ini key or the environment, described once.

The pytest entry module turns :data:`OPTIONS` into command-line options (with readable metavars
and defaults for ``--help``) and ini keys; :mod:`pytest_localstack.config` resolves them; the
docs are checked against the table.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any

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
    """One setting that can come from the command line, an ini key or the environment.

    ``metavar`` and ``shown_default`` are what ``pytest --help`` shows; ``hint`` says what a
    valid value looks like when one cannot be parsed; ``sensitive`` values may be secrets, so
    messages never repeat them.
    """

    name: str
    help: str
    default: Any
    parse: Callable[[str], Any] = str
    choices: tuple[str, ...] = ()
    metavar: str = ""
    shown_default: str = ""
    hint: str = ""
    sensitive: bool = False

    @property
    def flag(self) -> str:
        return "--localstack-" + self.name.replace("_", "-")

    @property
    def negative_flag(self) -> str:
        """``--no-localstack-reuse``: the off switch of a boolean option."""
        return "--no-localstack-" + self.name.replace("_", "-")

    @property
    def is_flag(self) -> bool:
        """A boolean: a command-line flag with a ``--no-...`` form."""
        return isinstance(self.default, bool)

    @property
    def is_list(self) -> bool:
        """A list: the flag repeats, the ini key and the environment variable take one per line."""
        return isinstance(self.default, tuple)

    @property
    def ini(self) -> str:
        return "localstack_" + self.name

    @property
    def env(self) -> str:
        return "PYTEST_LOCALSTACK_" + self.name.upper()

    @property
    def dest(self) -> str:
        return "localstack_" + self.name

    @property
    def help_metavar(self) -> str:
        if self.metavar:
            return self.metavar
        if self.choices:
            return "{" + ",".join(self.choices) + "}"
        return self.name.upper()

    @property
    def help_default(self) -> str:
        if self.shown_default:
            return self.shown_default
        if self.is_flag:
            return "on" if self.default else "off"
        return str(self.default)


OPTIONS: tuple[Option, ...] = (
    Option(
        "engine",
        "where the emulator runs: auto (external if an endpoint is set, else Docker if it has "
        "the image or can pull it, else the embedded moto server), docker, process or external",
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
        f"Docker image as repository[:tag] ({DEFAULT_MOTO_IMAGE} for the moto emulator)",
        "",
        metavar="IMAGE",
        shown_default=DEFAULT_LOCALSTACK_IMAGE,
    ),
    Option(
        "network",
        "Docker network mode: bridge publishes the emulator port on a free 127.0.0.1 port, "
        "host runs the emulator on the host network listening on a free 127.0.0.1 port",
        "",
        metavar="NETWORK",
        shown_default="bridge",
    ),
    Option(
        "endpoint",
        "URL of an emulator that someone else runs (engine external)",
        "",
        metavar="URL",
        shown_default="none",
        hint="use a URL like http://host:4566",
    ),
    Option(
        "port",
        "host port the emulator listens on (0 picks a free port; a fixed one must be free)",
        0,
        parse=int,
        metavar="PORT",
        shown_default="0, a free port",
        hint="use 1 to 65535, or 0 for a free one",
    ),
    Option(
        "start_timeout",
        "seconds to wait for the emulator to become ready",
        120.0,
        parse=_parse_seconds,
        metavar="SECONDS",
        shown_default="120 s",
        hint="use a positive number of seconds",
    ),
    Option(
        "stop_timeout",
        "seconds to wait for the emulator to stop before it is killed",
        10.0,
        parse=_parse_seconds,
        metavar="SECONDS",
        shown_default="10 s",
        hint="use a positive number of seconds",
    ),
    Option(
        "region",
        "AWS region of the sessions' identities",
        DEFAULT_REGION,
        metavar="REGION",
        hint="use an AWS region name like us-east-1 or eu-west-1",
    ),
    Option(
        "pull",
        "pull the image when it is missing locally, or fail",
        True,
        parse=_parse_bool,
        hint="use true or false",
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
        hint="use true or false",
    ),
    Option(
        "subprocess_env",
        "while patched, point child processes (the AWS CLI, other SDKs) at the emulator "
        "through the environment: endpoint, the session's credentials and region, generated "
        "config files, or leave their environment alone (--no-...)",
        True,
        parse=_parse_bool,
        hint="use true or false",
    ),
    Option(
        "env",
        "extra environment for the emulator container or process: KEY=VALUE, the value may "
        "hold commas; repeat the flag for more (one per line in the ini key and in the "
        "environment variable)",
        (),
        parse=_parse_environment,
        metavar="KEY=VALUE",
        shown_default="none",
        sensitive=True,
    ),
    Option(
        "wait_stop",
        "at the end of the run, wait until its emulators are removed (for jobs that check for "
        "leftovers right after pytest); by default pytest exits at once and the run's watchdog "
        "removes them",
        False,
        parse=_parse_bool,
        hint="use true or false",
    ),
)

OPTIONS_BY_NAME = {option.name: option for option in OPTIONS}
