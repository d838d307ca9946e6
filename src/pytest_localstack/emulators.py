"""Emulator profiles: what differs between LocalStack and moto, and nothing about where they run.

A profile knows how to tell the emulator which port to listen on, how to probe readiness, how a
request selects an AWS account, and what its exit means.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from typing import Any

from pytest_localstack import _http
from pytest_localstack._redact import register as register_secrets
from pytest_localstack.config import DEFAULT_LOCALSTACK_IMAGE, DEFAULT_MOTO_IMAGE, Settings
from pytest_localstack.exceptions import ConfigurationError, EndpointUnreachableError

_READY_STATES = ("available", "running")
#: LocalStack's health states of a service that holds nothing: not loaded yet, or turned off.
_S3_ABSENT_STATES = ("available", "disabled")
#: LocalStack emulators (by URL) seen with S3 loaded: it stays loaded.
_s3_loaded: set[str] = set()
_LICENSE_EXIT_CODE = 55
_LICENSE_LOG = re.compile(r"licen[cs]e|LOCALSTACK_AUTH_TOKEN|auth token", re.IGNORECASE)


@dataclasses.dataclass(frozen=True)
class Probe:
    """One readiness check: ready or not, the version seen, and the services it serves."""

    ready: bool
    version: str = ""
    services: frozenset[str] | None = None
    detail: str = ""


@dataclasses.dataclass(frozen=True)
class Emulator:
    """The behaviour of one AWS emulator."""

    name: str
    default_image: str
    container_port: int
    health_path: str
    #: How many ports of its own it may open for services (on the host network they need a
    #: range that no other run uses).
    service_ports: int = 0

    def container_environment(
        self,
        settings: Settings,
        listen_port: int | None,
        advertised: str = "",
        service_ports: range | None = None,
    ) -> dict[str, str]:
        """Environment for a container.

        :param listen_port: the port to listen on, on the host network (else the default port).
        :param advertised: ``host:port`` where clients reach the emulator, for URLs it returns.
        :param service_ports: ports it may open for services, on the host network.
        """
        raise NotImplementedError

    def check_settings(self, settings: Settings) -> None:
        """Reject settings this emulator cannot honour, before anything starts."""

    def container_command(self, listen_port: int | None) -> list[str] | None:
        """Arguments appended to the image's entrypoint; ``None`` keeps the image's own."""
        return None

    def probe(self, base_url: str, services: tuple[str, ...] = ()) -> Probe:
        """Ask the emulator whether it is ready to serve ``services``."""
        raise NotImplementedError

    def account_headers(self, account_id: str) -> dict[str, str]:
        """Headers that make a request act in ``account_id``."""
        return {}

    def holds_no_buckets(self, base_url: str) -> bool:
        """Whether the emulator is known to hold no S3 bucket in any account (so that a clean
        slate need not list them); ``False`` when unsure."""
        return False

    def is_license_failure(self, exit_code: int | None, logs: str) -> bool:
        """Whether an exit during start-up means a missing or rejected auth token."""
        return False


class LocalStack(Emulator):
    """LocalStack: one gateway port, account selected by a 12-digit access key id."""

    def container_environment(
        self,
        settings: Settings,
        listen_port: int | None,
        advertised: str = "",
        service_ports: range | None = None,
    ) -> dict[str, str]:
        env = {
            "KINESIS_ERROR_PROBABILITY": repr(float(settings.kinesis_error_probability)),
            "DYNAMODB_ERROR_PROBABILITY": repr(float(settings.dynamodb_error_probability)),
        }
        if listen_port is not None:
            # On the host network, nothing but 127.0.0.1: the default server (twisted) ignores
            # the host of GATEWAY_LISTEN and binds every interface, and the DNS server binds
            # 0.0.0.0:53 in a container unless it is off.
            env["GATEWAY_LISTEN"] = f"127.0.0.1:{listen_port}"
            env["GATEWAY_SERVER"] = "hypercorn"
            env["DNS_ADDRESS"] = "0"
        if listen_port is not None and service_ports:
            env["EXTERNAL_SERVICE_PORTS_START"] = str(service_ports.start)
            env["EXTERNAL_SERVICE_PORTS_END"] = str(service_ports[-1])  # inclusive
        if advertised:
            # Queue URLs and the like then point where clients really reach the emulator,
            # instead of *.localhost.localstack.cloud, which needs DNS.
            env["LOCALSTACK_HOST"] = advertised
            env["SQS_ENDPOINT_STRATEGY"] = "path"
        token = os.environ.get("LOCALSTACK_AUTH_TOKEN")
        if token:
            env["LOCALSTACK_AUTH_TOKEN"] = token
            register_secrets([token])
        return env

    def health(self, base_url: str) -> tuple[int, dict[str, Any] | None]:
        """The health endpoint's status and answer; the answer is ``None`` unless it is a JSON
        object with a ``services`` object. Raises :class:`~._http.ProbeFailed` (no answer) and
        :class:`ValueError` (not JSON)."""
        status, body, _ = _http.get(base_url + self.health_path)
        health = json.loads(body) if status == 200 else None
        if not isinstance(health, dict) or not isinstance(health.get("services"), dict):
            return status, None
        return status, health

    def probe(self, base_url: str, services: tuple[str, ...] = ()) -> Probe:
        try:
            status, health = self.health(base_url)
        except (_http.ProbeFailed, ValueError) as error:
            return Probe(False, detail=str(error))
        if health is None:
            return Probe(False, detail=f"health endpoint answered {status}")
        states: dict[str, str] = health["services"]
        version = str(health.get("version", ""))
        missing = [name for name in services if name not in states]
        if missing:
            raise ConfigurationError(
                f"LocalStack {version} at {base_url} does not provide "
                f"{', '.join(map(repr, missing))}; it provides: {', '.join(sorted(states))}"
            )
        waiting = [name for name in services if states[name] not in _READY_STATES]
        return Probe(
            not waiting,
            version=version,
            services=frozenset(states),
            detail=f"waiting for {', '.join(waiting)}" if waiting else "",
        )

    def is_license_failure(self, exit_code: int | None, logs: str) -> bool:
        return exit_code == _LICENSE_EXIT_CODE or bool(_LICENSE_LOG.search(logs))

    def holds_no_buckets(self, base_url: str) -> bool:
        """True while LocalStack has not loaded S3 (health: ``available``, or ``disabled``).

        LocalStack loads a service on its first request, so until then no account has a
        bucket; listing them would load S3 just to find none (0.4 s on a fresh container, in
        a run that never uses S3). Once loaded, S3 stays loaded: that is remembered per
        emulator, and the question costs nothing after.
        """
        if base_url in _s3_loaded:
            return False
        try:
            _, health = self.health(base_url)
        except (_http.ProbeFailed, ValueError):
            return False
        state = health["services"].get("s3") if health is not None else None
        if state in _S3_ABSENT_STATES:
            return True
        if isinstance(state, str):
            _s3_loaded.add(base_url)
        return False


class Moto(Emulator):
    """moto server: any port, account selected by the ``x-moto-account-id`` header."""

    def container_environment(
        self,
        settings: Settings,
        listen_port: int | None,
        advertised: str = "",
        service_ports: range | None = None,
    ) -> dict[str, str]:
        self.check_settings(settings)
        # Clients address S3 path-style; without this, moto reads a bucket name out of a host
        # name with dots (a remote engine's, build-box.example -> bucket "build-box").
        env = {"S3_IGNORE_SUBDOMAIN_BUCKETNAME": "true"}
        return env if listen_port is None else {**env, "MOTO_PORT": str(listen_port)}

    def check_settings(self, settings: Settings) -> None:
        if settings.kinesis_error_probability or settings.dynamodb_error_probability:
            raise ConfigurationError(
                "kinesis_error_probability and dynamodb_error_probability need the localstack "
                "emulator; moto cannot inject errors. Set them to 0.0 or use LocalStack."
            )

    def container_command(self, listen_port: int | None) -> list[str] | None:
        if listen_port is None:
            return None
        return ["-H", "127.0.0.1", "-p", str(listen_port)]

    def probe(self, base_url: str, services: tuple[str, ...] = ()) -> Probe:
        try:
            status, _, _ = _http.get(base_url + self.health_path)
        except _http.ProbeFailed as error:
            return Probe(False, detail=str(error))
        return Probe(status == 200, version="unknown version", detail=f"HTTP {status}")

    def account_headers(self, account_id: str) -> dict[str, str]:
        return {"x-moto-account-id": account_id}


LOCALSTACK = LocalStack(
    "localstack", DEFAULT_LOCALSTACK_IMAGE, 4566, "/_localstack/health", service_ports=50
)
MOTO = Moto("moto", DEFAULT_MOTO_IMAGE, 5000, "/moto-api/")
EMULATORS: dict[str, Emulator] = {LOCALSTACK.name: LOCALSTACK, MOTO.name: MOTO}


def detect(base_url: str) -> tuple[Emulator, Probe]:
    """Tell which emulator answers at ``base_url``, for endpoints the plugin did not start."""
    for emulator in (LOCALSTACK, MOTO):
        probe = emulator.probe(base_url)
        if probe.ready:
            return emulator, probe
    raise EndpointUnreachableError(
        f"no LocalStack or moto emulator answers at {base_url} "
        f"(tried {LOCALSTACK.health_path} and {MOTO.health_path}); start it, or fix "
        "--localstack-endpoint"
    )
