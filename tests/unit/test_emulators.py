"""Unit tests for :mod:`pytest_localstack.emulators`: profiles, probes and detection.

Probes run against a tiny HTTP server on 127.0.0.1 that mimics LocalStack's health endpoint
or moto's dashboard.
"""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator

import pytest

from pytest_localstack import emulators
from pytest_localstack.config import Settings
from pytest_localstack.emulators import LOCALSTACK, MOTO, Probe
from pytest_localstack.exceptions import ConfigurationError, EndpointUnreachableError
from pytest_localstack.runtimes import free_port
from tests.servers import DEAD_PROXY, serving, set_proxies

Route = tuple[int, bytes, dict[str, str]]


class FakeEmulatorServer:
    """An HTTP server on 127.0.0.1 answering GETs from a table of path -> (status, body)."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[str] = []
        routes, requests = self.routes, self.requests

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                requests.append(self.path)
                status, body, headers = routes.get(self.path, (404, b"not found", {}))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def localstack_health(self, services: dict[str, str], version: str = "4.14.1") -> None:
        body = json.dumps({"services": services, "edition": "community", "version": version})
        self.routes["/_localstack/health"] = (200, body.encode(), {})

    def moto_dashboard(self) -> None:
        self.routes["/moto-api/"] = (200, b"<html>moto</html>", {"Server": "Werkzeug/3.1"})


@pytest.fixture
def server() -> Iterator[FakeEmulatorServer]:
    with serving(FakeEmulatorServer()) as fake:
        yield fake


@pytest.fixture(autouse=True)
def _dead_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Probes must never consult a proxy: a dead one is set, with no exception for 127.0.0.1."""
    set_proxies(monkeypatch, DEAD_PROXY, bypass_local=False)


# -- the profiles -------------------------------------------------------------------------------


def test_registry_of_emulators() -> None:
    assert emulators.EMULATORS == {"localstack": LOCALSTACK, "moto": MOTO}
    assert (LOCALSTACK.container_port, LOCALSTACK.health_path) == (4566, "/_localstack/health")
    assert (MOTO.container_port, MOTO.health_path) == (5000, "/moto-api/")
    assert LOCALSTACK.default_image == "localstack/localstack:4.14"
    assert MOTO.default_image == "motoserver/moto:latest"


def test_localstack_environment_on_host_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LOCALSTACK_AUTH_TOKEN", raising=False)
    env = LOCALSTACK.container_environment(Settings(), 45123, service_ports=range(20050, 20100))
    assert env == {
        "KINESIS_ERROR_PROBABILITY": "0.0",
        "DYNAMODB_ERROR_PROBABILITY": "0.0",
        "GATEWAY_LISTEN": "127.0.0.1:45123",
        "GATEWAY_SERVER": "hypercorn",  # twisted ignores the host of GATEWAY_LISTEN
        "DNS_ADDRESS": "0",  # else a DNS server on 0.0.0.0:53
        "EXTERNAL_SERVICE_PORTS_START": "20050",
        "EXTERNAL_SERVICE_PORTS_END": "20099",  # LocalStack's end is inclusive
    }


def test_localstack_environment_with_published_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LOCALSTACK_AUTH_TOKEN", raising=False)
    settings = Settings(kinesis_error_probability=0.25, dynamodb_error_probability=1)
    env = LOCALSTACK.container_environment(settings, None)
    for name in ("GATEWAY_LISTEN", "GATEWAY_SERVER", "DNS_ADDRESS", "EXTERNAL_SERVICE_PORTS_START"):
        assert name not in env  # inside its own network namespace, the image's defaults hold
    assert env["KINESIS_ERROR_PROBABILITY"] == "0.25"
    assert env["DYNAMODB_ERROR_PROBABILITY"] == "1.0"


def test_localstack_auth_token_is_forwarded_when_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCALSTACK_AUTH_TOKEN", "ls-secret-token")
    env = LOCALSTACK.container_environment(Settings(), None)
    assert env["LOCALSTACK_AUTH_TOKEN"] == "ls-secret-token"


@pytest.mark.parametrize("value", [None, ""])
def test_localstack_auth_token_is_not_invented(
    monkeypatch: pytest.MonkeyPatch, value: str | None
) -> None:
    if value is None:
        monkeypatch.delenv("LOCALSTACK_AUTH_TOKEN", raising=False)
    else:
        monkeypatch.setenv("LOCALSTACK_AUTH_TOKEN", value)
    assert "LOCALSTACK_AUTH_TOKEN" not in LOCALSTACK.container_environment(Settings(), None)


def test_moto_environment() -> None:
    path_style = {"S3_IGNORE_SUBDOMAIN_BUCKETNAME": "true"}
    settings = Settings(emulator="moto")
    assert MOTO.container_environment(settings, 5123) == {**path_style, "MOTO_PORT": "5123"}
    assert MOTO.container_environment(settings, None) == path_style


def test_moto_never_receives_the_auth_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCALSTACK_AUTH_TOKEN", "ls-secret-token")
    env = MOTO.container_environment(Settings(emulator="moto"), 5123)
    assert not [name for name in env if "TOKEN" in name]


@pytest.mark.parametrize("name", ["kinesis_error_probability", "dynamodb_error_probability"])
def test_moto_rejects_error_probabilities(name: str) -> None:
    settings = Settings(emulator="moto", **{name: 0.1})  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError) as excinfo:
        MOTO.container_environment(settings, None)
    assert str(excinfo.value) == (
        "kinesis_error_probability and dynamodb_error_probability need the localstack "
        "emulator; moto cannot inject errors. Set them to 0.0 or use LocalStack."
    )


def test_container_command() -> None:
    assert MOTO.container_command(5123) == ["-H", "127.0.0.1", "-p", "5123"]
    assert MOTO.container_command(None) is None
    assert LOCALSTACK.container_command(5123) is None
    assert LOCALSTACK.container_command(None) is None


@pytest.mark.parametrize(
    ("exit_code", "logs", "expected"),
    [
        (55, "", True),
        (1, "ERROR: License activation failed!", True),
        (1, "no valid licence found", True),
        (3, "please set LOCALSTACK_AUTH_TOKEN", True),
        (1, "Invalid Auth Token", True),
        (1, "OSError: [Errno 98] Address already in use", False),
        (0, "Ready.", False),
        (None, "", False),
    ],
)
def test_localstack_license_failure(exit_code: int | None, logs: str, expected: bool) -> None:
    assert LOCALSTACK.is_license_failure(exit_code, logs) is expected


@pytest.mark.parametrize(("exit_code", "logs"), [(55, ""), (1, "license"), (None, "")])
def test_moto_is_never_a_license_failure(exit_code: int | None, logs: str) -> None:
    assert MOTO.is_license_failure(exit_code, logs) is False


def test_account_headers() -> None:
    assert MOTO.account_headers("123456789012") == {"x-moto-account-id": "123456789012"}
    assert LOCALSTACK.account_headers("123456789012") == {}


# -- probes -------------------------------------------------------------------------------------


def test_localstack_probe_ready(server: FakeEmulatorServer) -> None:
    server.localstack_health({"s3": "available", "sqs": "running", "kinesis": "initializing"})
    probe = LOCALSTACK.probe(server.url)
    assert probe == Probe(True, version="4.14.1", services=frozenset({"s3", "sqs", "kinesis"}))
    assert server.requests == ["/_localstack/health"]


def test_localstack_probe_waits_for_requested_services(server: FakeEmulatorServer) -> None:
    server.localstack_health({"s3": "available", "sqs": "running", "kinesis": "initializing"})
    assert LOCALSTACK.probe(server.url, ("s3", "sqs")).ready is True
    probe = LOCALSTACK.probe(server.url, ("s3", "kinesis"))
    assert probe.ready is False
    assert probe.detail == "waiting for kinesis"
    assert probe.version == "4.14.1"


def test_localstack_probe_disabled_service_is_not_ready(server: FakeEmulatorServer) -> None:
    server.localstack_health({"s3": "available", "lambda": "disabled"})
    probe = LOCALSTACK.probe(server.url, ("lambda",))
    assert (probe.ready, probe.detail) == (False, "waiting for lambda")


def test_localstack_probe_missing_service_is_a_configuration_error(
    server: FakeEmulatorServer,
) -> None:
    server.localstack_health({"sqs": "available", "s3": "available"}, version="3.0.0")
    with pytest.raises(ConfigurationError) as excinfo:
        LOCALSTACK.probe(server.url, ("s3", "nosuchservice"))
    assert str(excinfo.value) == (
        f"LocalStack 3.0.0 at {server.url} does not provide 'nosuchservice'; it provides: s3, sqs"
    )


@pytest.mark.parametrize(
    ("route", "detail"),
    [
        ((503, b'{"services": {}}', {}), "health endpoint answered 503"),
        ((200, b'{"status": "ok"}', {}), "health endpoint answered 200"),
        ((200, b'["s3"]', {}), "health endpoint answered 200"),
    ],
)
def test_localstack_probe_not_ready(server: FakeEmulatorServer, route: Route, detail: str) -> None:
    server.routes["/_localstack/health"] = route
    probe = LOCALSTACK.probe(server.url)
    assert (probe.ready, probe.detail) == (False, detail)


def test_localstack_probe_not_json(server: FakeEmulatorServer) -> None:
    server.routes["/_localstack/health"] = (200, b"<html>not json</html>", {})
    probe = LOCALSTACK.probe(server.url)
    assert probe.ready is False
    assert probe.detail  # the JSON error is kept for the timeout message


def test_moto_probe(server: FakeEmulatorServer) -> None:
    server.moto_dashboard()
    probe = MOTO.probe(server.url, ("s3", "anything"))
    assert probe.ready is True
    assert probe.detail == "HTTP 200"
    assert probe.version == "unknown version"  # moto's server does not report its version
    assert server.requests == ["/moto-api/"]


def test_moto_probe_not_ready(server: FakeEmulatorServer) -> None:
    probe = MOTO.probe(server.url)
    assert (probe.ready, probe.detail) == (False, "HTTP 404")


@pytest.mark.parametrize("emulator", [LOCALSTACK, MOTO], ids=["localstack", "moto"])
def test_probe_where_nothing_listens(emulator: emulators.Emulator) -> None:
    probe = emulator.probe(f"http://127.0.0.1:{free_port()}")
    assert probe.ready is False
    assert "refused" in probe.detail.lower()


# -- detect -------------------------------------------------------------------------------------


def test_detect_localstack(server: FakeEmulatorServer) -> None:
    server.localstack_health({"s3": "available"}, version="4.14.0")
    server.moto_dashboard()  # LocalStack is tried first
    emulator, probe = emulators.detect(server.url)
    assert emulator is LOCALSTACK
    assert probe.version == "4.14.0"


def test_detect_localstack_before_services_are_up(server: FakeEmulatorServer) -> None:
    server.localstack_health({"s3": "initializing"})
    emulator, _ = emulators.detect(server.url)
    assert emulator is LOCALSTACK


def test_detect_moto(server: FakeEmulatorServer) -> None:
    server.moto_dashboard()
    emulator, probe = emulators.detect(server.url)
    assert emulator is MOTO
    assert probe.ready is True
    assert server.requests == ["/_localstack/health", "/moto-api/"]


def test_detect_nothing_listening() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(EndpointUnreachableError) as excinfo:
        emulators.detect(url)
    assert str(excinfo.value) == (
        f"no LocalStack or moto emulator answers at {url} "
        "(tried /_localstack/health and /moto-api/); start it, or fix --localstack-endpoint"
    )


def test_detect_something_else_listening(server: FakeEmulatorServer) -> None:
    with pytest.raises(EndpointUnreachableError, match=f"no LocalStack or moto .* {server.url} "):
        emulators.detect(server.url)
    assert server.requests == ["/_localstack/health", "/moto-api/"]


# -- whether a clean slate needs to list buckets -----------------------------------------------


@pytest.mark.parametrize("state", ["available", "disabled"])
def test_localstack_without_s3_loaded_holds_no_buckets(
    server: FakeEmulatorServer, state: str
) -> None:
    server.localstack_health({"s3": state, "sqs": "running"})
    assert LOCALSTACK.holds_no_buckets(server.url) is True
    assert LOCALSTACK.holds_no_buckets(server.url) is True  # asked again: not loaded yet
    assert server.requests == ["/_localstack/health"] * 2


def test_localstack_with_s3_loaded_is_asked_once(server: FakeEmulatorServer) -> None:
    server.localstack_health({"s3": "running"})
    assert LOCALSTACK.holds_no_buckets(server.url) is False
    server.localstack_health({"s3": "available"})  # cannot happen: S3 stays loaded
    assert LOCALSTACK.holds_no_buckets(server.url) is False
    assert server.requests == ["/_localstack/health"]


@pytest.mark.parametrize(
    "route", [(503, b"{}", {}), (200, b'{"status": "ok"}', {}), (200, b'["s3"]', {})]
)
def test_unsure_means_list_them(server: FakeEmulatorServer, route: Route) -> None:
    server.routes["/_localstack/health"] = route
    assert LOCALSTACK.holds_no_buckets(server.url) is False
    server.localstack_health({"s3": "available"})  # an unsure answer is not remembered
    assert LOCALSTACK.holds_no_buckets(server.url) is True
    assert LOCALSTACK.holds_no_buckets("http://127.0.0.1:1") is False  # refused
    assert MOTO.holds_no_buckets(server.url) is False
