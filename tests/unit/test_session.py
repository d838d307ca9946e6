"""Unit tests for :mod:`pytest_localstack.session`: services, identities, lifecycle and hooks.

The emulator is a tiny HTTP server on 127.0.0.1 that answers LocalStack's health endpoint.
"""

from __future__ import annotations

import http.server
import json
import re
import sys
import threading
import time
import types
from collections.abc import Iterator
from typing import Any

import pytest

from pytest_localstack import plugin, session
from pytest_localstack.config import Settings
from pytest_localstack.exceptions import (
    ConfigurationError,
    ContainerAlreadyStartedError,
    ContainerNotStartedError,
    EndpointUnreachableError,
    ServiceError,
    StartTimeoutError,
)
from pytest_localstack.hookspecs import pytest_localstack_hookimpl
from pytest_localstack.runtimes import Endpoint, Runtimes, free_port
from pytest_localstack.session import LocalstackSession, RunningSession


class FakeLocalStack:
    """Answers ``GET /_localstack/health`` with the service states in :attr:`services`."""

    def __init__(self) -> None:
        self.services: dict[str, str] = {"s3": "available", "sqs": "running"}
        self.health_requests = 0
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/_localstack/health":
                    fake.health_requests += 1
                    status = 200
                    body = json.dumps({"services": fake.services, "version": "4.14.0"}).encode()
                else:
                    status, body = 404, b"{}"
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port: int = self.server.server_address[1]
        self.netloc = f"127.0.0.1:{self.port}"
        self.url = f"http://{self.netloc}"


@pytest.fixture
def fake_localstack() -> Iterator[FakeLocalStack]:
    fake = FakeLocalStack()
    thread = threading.Thread(
        target=fake.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield fake
    finally:
        fake.server.shutdown()
        fake.server.server_close()
        thread.join()


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("REGION", "ENGINE", "ENDPOINT", "START_TIMEOUT"):
        monkeypatch.delenv("PYTEST_LOCALSTACK_" + name, raising=False)


# -- services -----------------------------------------------------------------------------------


def test_known_services_come_from_botocore() -> None:
    known = session.known_services()
    assert {"s3", "sqs", "sns", "dynamodb", "lambda", "kinesis"} <= known
    assert "nosuchservice" not in known


@pytest.mark.parametrize(
    "name", ["s3", "sqs", "dynamodbstreams", "s3control", "nosuchservice", "S3", "../s3", "s3/"]
)
def test_a_service_name_is_known_exactly_when_botocore_lists_it(name: str) -> None:
    """The quick look into one service's data folder agrees with botocore's whole list."""
    assert session.is_known_service(name) is (name in session.known_services())


@pytest.mark.parametrize(
    ("services", "expected"),
    [
        (None, {}),
        ([], {}),
        (["s3", "sqs"], {"s3": None, "sqs": None}),
        (("sqs",), {"sqs": None}),
        (iter(["sns"]), {"sns": None}),
        ({"s3": 4572, "sqs": None}, {"s3": 4572, "sqs": None}),
    ],
)
def test_normalize_services(services: Any, expected: dict[str, int | None]) -> None:
    assert session.normalize_services(services) == expected


@pytest.mark.parametrize("services", [["s3", "nosuchservice"], {"nosuchservice": 4566}])
def test_normalize_services_unknown_name(services: Any) -> None:
    with pytest.raises(ServiceError) as excinfo:
        session.normalize_services(services)
    error = excinfo.value
    assert isinstance(error, ConfigurationError)
    assert error.service_name == "nosuchservice"
    assert error.valid == sorted(session.known_services())
    assert str(error) == (
        "unknown service 'nosuchservice' (from services=); use a botocore service name such as "
        "'s3', 'sqs' or 'dynamodb'"
    )


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [
        ("s4", "'s3'"),
        ("dynamdb", "'dynamodb'"),
        ("lamda", "'lambda'"),
        ("ec3", "'ec2' or 'ecr' or 'ecs'"),
    ],
)
def test_unknown_service_suggests_close_names(name: str, suggestion: str) -> None:
    with pytest.raises(ServiceError) as excinfo:
        session.normalize_services([name], source="services= of patch_fixture")
    assert str(excinfo.value) == (
        f"unknown service {name!r} (from services= of patch_fixture); did you mean {suggestion}?"
    )


@pytest.mark.parametrize("services", ["s3", 42, 4.5, object()])
def test_normalize_services_wrong_type(services: Any) -> None:
    with pytest.raises(TypeError) as excinfo:
        session.normalize_services(services)
    assert str(excinfo.value) == (
        f"services must be a list of AWS service names or a dict of name -> port, not {services!r}"
    )


# -- identities ---------------------------------------------------------------------------------


def test_new_account_id_is_twelve_digits() -> None:
    for _ in range(200):
        account = session.new_account_id()
        assert re.fullmatch(r"[1-9][0-9]{11}", account), account


def test_new_account_id_is_random() -> None:
    assert len({session.new_account_id() for _ in range(50)}) == 50


def test_identity_of_a_session() -> None:
    one = RunningSession("127.0.0.1:4566", region_name="eu-west-1")
    assert one.region_name == "eu-west-1"
    assert re.fullmatch(r"[0-9]{12}", one.account_id)
    assert one.access_key_id == one.account_id  # LocalStack picks the account by access key
    assert one.secret_access_key == "test"
    assert one.credentials() == {
        "aws_access_key_id": one.account_id,
        "aws_secret_access_key": "test",
    }
    assert RunningSession("127.0.0.1:4566").account_id != one.account_id
    assert RunningSession("127.0.0.1:4566", account_id="000000000042").account_id == (
        "000000000042"
    )


def test_default_region() -> None:
    assert RunningSession("127.0.0.1:4566").region_name == "us-east-1"


def test_bad_region_fails_at_construction() -> None:
    with pytest.raises(ConfigurationError, match="invalid value 'us-east1'"):
        RunningSession("127.0.0.1:4566", region_name="us-east1")


def test_bad_service_fails_at_construction() -> None:
    with pytest.raises(ServiceError, match="unknown service 'nosuchservice'"):
        RunningSession("127.0.0.1:4566", services=["nosuchservice"])


def test_extra_kwargs_are_kept() -> None:
    assert RunningSession("127.0.0.1:4566", colour="blue").kwargs == {"colour": "blue"}


def test_every_session_has_its_factories() -> None:
    one = RunningSession("127.0.0.1:4566")
    assert one.botocore.localstack_session is one
    assert one.boto3.localstack_session is one
    assert one.aiobotocore.localstack_session is one
    assert one.aioboto3.localstack_session is one
    assert one.resources.session is one
    assert one.botocore is one.botocore, "built once per session"
    assert RunningSession("127.0.0.1:4566").botocore is not one.botocore


def test_a_plugin_may_still_set_a_factory() -> None:
    """``contribute_to_session`` runs in ``__init__``; what it sets wins over the built-in."""
    marker = object()

    class Contributor:
        @pytest_localstack_hookimpl
        def contribute_to_session(self, session: RunningSession) -> None:
            session.boto3 = marker  # type: ignore[assignment]
            session.queues = "queues"  # type: ignore[attr-defined]

    contributor = Contributor()
    plugin.load_builtin_plugins()
    plugin.manager.register(contributor)
    try:
        contributed = RunningSession("127.0.0.1:4566")
    finally:
        plugin.manager.unregister(contributor)
    assert contributed.boto3 is marker
    assert contributed.queues == "queues"  # type: ignore[attr-defined]
    assert contributed.botocore.localstack_session is contributed


def test_without_the_aio_extra_the_aio_factories_are_absent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``sys.modules[name] = None`` makes ``import name`` fail, as if it were not installed."""
    for name in ("aiobotocore", "aioboto3"):
        monkeypatch.setitem(sys.modules, f"pytest_localstack.contrib.{name}", None)
    plain = RunningSession("127.0.0.1:4566")
    assert not hasattr(plain, "aioboto3")
    with pytest.raises(AttributeError, match=r"pip install \"pytest-localstack\[aio\]\""):
        plain.aiobotocore  # noqa: B018


# -- where the emulator is ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hostname", "use_ssl", "url"),
    [
        ("localhost", False, "http://localhost:4566"),
        ("localhost", True, "https://localhost:4566"),
        ("127.0.0.1:4566", False, "http://127.0.0.1:4566"),
        ("http://h:1", False, "http://h:1"),
        ("http://h:1/", False, "http://h:1"),
        ("https://h:1", False, "https://h:1"),
        ("h", False, "http://h:4566"),
    ],
)
def test_hostname_variants(hostname: str, use_ssl: bool, url: str) -> None:
    one = RunningSession(hostname, use_ssl=use_ssl)
    assert repr(one) == f"<RunningSession account={one.account_id} {url}>"


def test_repr_without_endpoint() -> None:
    one = RunningSession()
    assert repr(one) == f"<RunningSession account={one.account_id} not started>"


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.endpoint_url(),
        lambda s: s.endpoint_url("s3"),
        lambda s: s.service_hostname("s3"),
        lambda s: s.map_port(4566),
        lambda s: s.hostname,
        lambda s: s.endpoint,
        lambda s: s.emulator,
        lambda s: s.request_headers,
        lambda s: s.new_identity(),
    ],
    ids=[
        "endpoint_url",
        "endpoint_url-service",
        "service_hostname",
        "map_port",
        "hostname",
        "endpoint",
        "emulator",
        "request_headers",
        "new_identity",
    ],
)
def test_before_start_without_a_host_raises(call: Any) -> None:
    one = RunningSession()
    with pytest.raises(ContainerNotStartedError) as excinfo:
        call(one)
    assert str(excinfo.value) == f"{one!r} has not been started"


@pytest.mark.parametrize(
    "call", [lambda s: s.endpoint, lambda s: s.new_identity()], ids=["endpoint", "new_identity"]
)
def test_before_start_with_a_host_the_emulator_is_not_attached(call: Any) -> None:
    """Addresses and clients work before ``start()`` (as in the original); the attached
    endpoint, and identities on it, need ``start()``."""
    one = RunningSession("127.0.0.1:4566")
    with pytest.raises(ContainerNotStartedError) as excinfo:
        call(one)
    assert str(excinfo.value) == f"{one!r} has not been started"


def test_before_start_with_a_host_addresses_are_known() -> None:
    one = RunningSession("127.0.0.1:4566")
    assert (one.endpoint_url(), one.endpoint_url("s3")) == ("http://127.0.0.1:4566",) * 2
    assert (one.service_hostname("s3"), one.hostname, one.map_port(4572)) == (
        "127.0.0.1:4566",
        "127.0.0.1",
        4566,
    )
    assert one.emulator.name == "localstack"  # assumed until start() asks
    assert one.request_headers == {}


def test_start_without_hostname() -> None:
    with pytest.raises(ContainerNotStartedError, match="needs a hostname or an endpoint"):
        RunningSession().start()


@pytest.mark.parametrize("form", ["{netloc}", "http://{netloc}", "http://{netloc}/"])
def test_started_session_locates_the_emulator(fake_localstack: FakeLocalStack, form: str) -> None:
    with RunningSession(form.format(netloc=fake_localstack.netloc), services=["s3"]) as one:
        assert one.endpoint_url() == fake_localstack.url
        assert one.endpoint_url("sqs") == fake_localstack.url
        assert one.service_hostname("s3") == fake_localstack.netloc
        assert one.hostname == "127.0.0.1"
        assert one.map_port(4566) == fake_localstack.port
        assert one.map_port() == fake_localstack.port
        assert one.endpoint.emulator == "localstack"
        assert one.endpoint.version == "4.14.0"
        assert one.endpoint.engine == "external"
        assert one.emulator.name == "localstack"
        assert one.request_headers == {}


def test_started_session_checks_service_names(fake_localstack: FakeLocalStack) -> None:
    with RunningSession(fake_localstack.netloc) as one:
        with pytest.raises(ServiceError, match="unknown service 'nosuchservice'"):
            one.endpoint_url("nosuchservice")
        with pytest.raises(ServiceError, match="unknown service 'nosuchservice'"):
            one.service_hostname("nosuchservice")


def test_start_twice(fake_localstack: FakeLocalStack) -> None:
    one = RunningSession(fake_localstack.netloc)
    one.start()
    try:
        with pytest.raises(ContainerAlreadyStartedError, match="is already started"):
            one.start()
    finally:
        one.stop()


def test_stop_without_start_is_harmless() -> None:
    RunningSession("127.0.0.1:4566").stop()


def test_restart_after_stop(fake_localstack: FakeLocalStack) -> None:
    one = RunningSession(fake_localstack.netloc)
    one.start()
    one.stop()
    one.start()
    try:
        assert one.endpoint_url() == fake_localstack.url
    finally:
        one.stop()


def test_start_waits_for_services(fake_localstack: FakeLocalStack) -> None:
    fake_localstack.services = {"s3": "initializing", "sqs": "available"}
    timer = threading.Timer(0.3, fake_localstack.services.update, kwargs={"s3": "available"})
    timer.start()
    try:
        started = time.monotonic()
        with RunningSession(fake_localstack.netloc, services=["s3", "sqs"]):
            assert time.monotonic() - started >= 0.25
            assert fake_localstack.health_requests >= 3  # detect, then polls until s3 is up
    finally:
        timer.cancel()


def test_start_times_out_on_services(fake_localstack: FakeLocalStack) -> None:
    fake_localstack.services = {"s3": "initializing"}
    one = RunningSession(fake_localstack.netloc, services={"s3": 4572})
    with pytest.raises(StartTimeoutError) as excinfo:
        one.start(timeout=0.3)
    assert str(excinfo.value) == (
        f"services s3 did not become ready at {fake_localstack.url} (waiting for s3)"
    )
    with pytest.raises(StartTimeoutError):
        one.start(timeout=0.01)  # not "already started": the failed start detached


def test_start_where_nothing_listens() -> None:
    one = RunningSession(f"127.0.0.1:{free_port()}")
    with pytest.raises(EndpointUnreachableError, match="no LocalStack or moto emulator answers"):
        one.start()


def test_new_identity(fake_localstack: FakeLocalStack) -> None:
    with RunningSession(fake_localstack.netloc, services=["s3"], colour="blue") as one:
        other = one.new_identity(region_name="eu-west-1")
        try:
            assert other.account_id != one.account_id
            assert other.endpoint == one.endpoint
            assert other.region_name == "eu-west-1"
            assert other.services == {"s3": None}
            assert other.kwargs == {"colour": "blue"}
        finally:
            other.stop()
        chosen = one.new_identity(account_id="111122223333")
        try:
            assert chosen.account_id == "111122223333"
            assert chosen.region_name == one.region_name
        finally:
            chosen.stop()


def test_moto_endpoint_headers() -> None:
    endpoint = Endpoint(url="http://127.0.0.1:5000", emulator="moto", version="", engine="x")
    one = RunningSession(endpoint=endpoint, account_id="123456789012")
    assert one.request_headers == {"x-moto-account-id": "123456789012"}


# -- hooks --------------------------------------------------------------------------------------


@pytest.fixture
def recorded_hooks() -> Iterator[list[tuple[str, Any, bool]]]:
    """Register a plugin module that records every session hook; unregister it after."""
    events: list[tuple[str, Any, bool]] = []

    def endpoint_known(one: RunningSession) -> bool:
        try:
            one.endpoint  # noqa: B018 - the attached emulator, known once started
        except ContainerNotStartedError:
            return False
        return True

    module = types.ModuleType("recording_hooks_plugin")

    @pytest_localstack_hookimpl
    def contribute_to_session(session: RunningSession) -> None:
        events.append(("contribute_to_session", session, endpoint_known(session)))

    @pytest_localstack_hookimpl
    def session_starting(session: RunningSession) -> None:
        events.append(("session_starting", session, endpoint_known(session)))

    @pytest_localstack_hookimpl
    def session_started(session: RunningSession) -> None:
        events.append(("session_started", session, endpoint_known(session)))

    @pytest_localstack_hookimpl
    def session_stopping(session: RunningSession) -> None:
        events.append(("session_stopping", session, endpoint_known(session)))

    @pytest_localstack_hookimpl
    def session_stopped(session: RunningSession) -> None:
        events.append(("session_stopped", session, endpoint_known(session)))

    for function in (
        contribute_to_session,
        session_starting,
        session_started,
        session_stopping,
        session_stopped,
    ):
        setattr(module, function.__name__, function)
    plugin.manager.register(module)
    try:
        yield events
    finally:
        plugin.manager.unregister(module)
        assert not plugin.manager.is_registered(module)


def test_hooks_fire_in_order(
    fake_localstack: FakeLocalStack, recorded_hooks: list[tuple[str, Any, bool]]
) -> None:
    one = RunningSession(fake_localstack.netloc)
    one.start()
    one.stop()
    assert [(name, known) for name, _, known in recorded_hooks] == [
        ("contribute_to_session", False),
        ("session_starting", False),
        ("session_started", True),
        ("session_stopping", True),
        ("session_stopped", True),
    ]
    assert all(hook_session is one for _, hook_session, _ in recorded_hooks)


def test_hooks_on_failed_start(
    fake_localstack: FakeLocalStack, recorded_hooks: list[tuple[str, Any, bool]]
) -> None:
    fake_localstack.services = {"s3": "initializing"}
    one = RunningSession(fake_localstack.netloc, services=["s3"])
    with pytest.raises(StartTimeoutError):
        one.start(timeout=0.1)
    assert [name for name, _, _ in recorded_hooks] == [
        "contribute_to_session",
        "session_starting",
        "session_stopping",
        "session_stopped",
    ]


def test_hooks_not_fired_by_a_stop_without_start(
    recorded_hooks: list[tuple[str, Any, bool]],
) -> None:
    RunningSession("127.0.0.1:4566").stop()
    assert [name for name, _, _ in recorded_hooks] == ["contribute_to_session"]


# -- LocalstackSession --------------------------------------------------------------------------


def test_localstack_session_classic_arguments() -> None:
    one = LocalstackSession(
        services=["s3"],
        region_name="eu-west-1",
        kinesis_error_probability=0.5,
        localstack_version="3.8",
        auto_remove=False,
        pull_image=False,
        container_name="my-ls",
        engine="docker",
        colour="blue",
    )
    assert one.settings.region == "eu-west-1"
    assert one.settings.engine == "docker"
    assert one.settings.image == "localstack/localstack:3.8"
    assert one.kinesis_error_probability == 0.5
    assert one.auto_remove is False
    assert one.pull_image is False
    assert one.container_name == "my-ls"
    assert one.region_name == "eu-west-1"
    assert one.kwargs == {"colour": "blue"}


def test_localstack_session_moto_rejects_probabilities_at_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The classic error probabilities cannot reach moto: the start fails with the reason."""
    one = LocalstackSession(emulator="moto", engine="process", dynamodb_error_probability=0.1)
    with pytest.raises(ConfigurationError, match="moto cannot inject errors"):
        one.start()


def test_localstack_session_with_endpoint_provider(fake_localstack: FakeLocalStack) -> None:
    asked: list[Settings] = []
    endpoint = Endpoint(url=fake_localstack.url, emulator="localstack", version="4", engine="x")

    def provide(settings: Settings) -> Endpoint:
        asked.append(settings)
        return endpoint

    one = LocalstackSession(services=["s3"], start_timeout=33, endpoint_provider=provide)
    one.start(timeout=12)
    try:
        assert one.endpoint is endpoint
        assert [s.start_timeout for s in asked] == [12]
    finally:
        one.stop()
    assert len(asked) == 1  # stopping a shared endpoint asks nothing and stops nothing


def test_localstack_session_owns_and_stops_its_emulator(
    fake_localstack: FakeLocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[str, Any]] = []
    endpoint = Endpoint(url=fake_localstack.url, emulator="localstack", version="4", engine="fake")

    class FakeRuntime:
        name = "fake"

        def start(
            self, settings: Settings, emulator: Any, labels: dict[str, str], on_spawn: Any
        ) -> Endpoint:
            calls.append(("start", labels["pytest-localstack.run"]))
            return endpoint

        def profile(self, settings: Settings) -> Any:
            return None

        def stop(self, stopped: Endpoint, timeout: float) -> None:
            calls.append(("stop", (stopped, timeout)))

    monkeypatch.setattr(Runtimes, "choose_engine", lambda self, settings: "fake")
    monkeypatch.setattr(Runtimes, "__getitem__", lambda self, engine: FakeRuntime())
    with LocalstackSession(services=["sqs"], stop_timeout=4) as one:
        assert one.endpoint_url() == fake_localstack.url
        assert calls == [("start", "standalone")]
    assert calls == [("start", "standalone"), ("stop", (endpoint, 4))]
