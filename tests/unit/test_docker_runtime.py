"""Unit tests for :mod:`pytest_localstack.runtimes.docker` with a fake docker client.

The fake client records what the runtime asks Docker for (published ports, labels,
environment) and "runs" a container by serving the emulator's readiness probe on the host port
the runtime asked for, on the address it asked for, so the real wait is exercised. The test
machine's engine has no bridge network, so this is where the bridge-mode port binding is tested.
"""

from __future__ import annotations

import builtins
import dataclasses
import http.server
import json
import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import docker.errors
import pytest

from pytest_localstack import _progress
from pytest_localstack._processes import owner_token
from pytest_localstack.config import Settings
from pytest_localstack.emulators import LOCALSTACK, MOTO
from pytest_localstack.exceptions import (
    ConfigurationError,
    EmulatorExitedError,
    EngineUnavailableError,
    ImageNotFoundError,
    LicenseError,
    StartupError,
)
from pytest_localstack.runtimes import (
    LABEL,
    LABEL_HOST,
    LABEL_OWNER,
    LABEL_RUN,
    LABEL_SERVICE_PORTS,
    LABEL_UID,
    Endpoint,
    Runtimes,
    fallback_note,
    free_port,
    make_labels,
)
from pytest_localstack.runtimes.docker import DockerRuntime, connect, sweep_orphans

SECRETS = {
    "AWS_ACCESS_KEY_ID": "AKIAREALREALREAL0000",
    "AWS_SECRET_ACCESS_KEY": "real-secret-access-key",
    "AWS_SESSION_TOKEN": "real-session-token",
    "AWS_PROFILE": "production",
}


class _Probe(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/moto-api/":
            body = b"moto"
        elif self.path == "/_localstack/health":
            body = json.dumps({"version": "4.14.0", "services": {"sqs": "running"}}).encode()
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


class FakeContainer:
    def __init__(self, client: FakeClient, number: int, image: str, kwargs: dict[str, Any]):
        self.client = client
        self.id = f"{number:064x}"
        self.short_id = self.id[:12]
        self.image = image
        self.kwargs = kwargs
        self.labels: dict[str, str] = dict(kwargs.get("labels") or {})
        self.status = "created"
        self.exit_code = 0
        self.ports: dict[str, list[dict[str, str]]] = {}
        self.removed = False
        self.server: http.server.ThreadingHTTPServer | None = None

    @property
    def attrs(self) -> dict[str, Any]:
        return {"State": {"ExitCode": self.exit_code}}

    def start(self) -> None:
        self.client.events.append(("start", self.id))
        if self.client.start_error is not None:
            raise self.client.start_error
        self.status = "running"
        if self.client.exit_on_start is not None:
            self.status, self.exit_code = "exited", self.client.exit_on_start
            return
        for container_port, (host, port) in (self.kwargs.get("ports") or {}).items():
            # What Docker does for a published port: listen on host:port.
            self.server = http.server.ThreadingHTTPServer((host, port or 0), _Probe)
            threading.Thread(
                target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
            ).start()
            bound = str(self.server.server_address[1])
            self.ports[container_port] = [{"HostIp": host, "HostPort": bound}]

    def reload(self) -> None:
        pass

    def logs(self, tail: int = 50, stream: bool = False, follow: bool = False) -> Any:
        lines = self.client.log_lines
        return iter(lines) if stream else b"".join(lines)

    def stop(self, timeout: int = 10) -> None:
        self.status = "exited"

    def remove(self, force: bool = False) -> None:
        self.client.events.append(("remove", self.id))
        self.removed = True
        self.status = "removed"
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
        self.client.containers.all.remove(self)


class FakeContainers:
    def __init__(self, client: FakeClient) -> None:
        self.client = client
        self.all: list[FakeContainer] = []
        self.created: list[FakeContainer] = []
        self.vanishing: list[FakeContainer] = []

    def create(self, image: str, **kwargs: Any) -> FakeContainer:
        container = FakeContainer(self.client, len(self.created) + 1, image, kwargs)
        self.all.append(container)
        self.created.append(container)
        self.client.events.append(("create", container.id))
        if self.client.create_interrupt:
            raise KeyboardInterrupt  # Docker made it; the caller never learnt its id
        return container

    def run(self, image: str, **kwargs: Any) -> FakeContainer:
        raise AssertionError("run() creates and starts in one call: nothing can record between")

    def get(self, container_id: str) -> FakeContainer:
        for container in self.all:
            if container.id == container_id:
                return container
        raise docker.errors.NotFound(container_id)

    def list(
        self,
        all: bool = False,
        filters: dict[str, Any] | None = None,
        ignore_removed: bool = False,
    ) -> list[FakeContainer]:
        # The SDK lists, then inspects each: a container removed in between (by a concurrent
        # run) raises NotFound unless ignore_removed.
        if self.vanishing and not ignore_removed:
            raise docker.errors.NotFound(f"No such container: {self.vanishing[0].id}")
        wanted = (filters or {}).get("label", [])
        wanted = [wanted] if isinstance(wanted, str) else wanted

        def matches(container: FakeContainer, label: str) -> bool:
            name, sep, value = label.partition("=")
            return name in container.labels and (not sep or container.labels[name] == value)

        return [
            c
            for c in self.all
            if c not in self.vanishing and builtins.all(matches(c, label) for label in wanted)
        ]


class FakeImages:
    def __init__(self) -> None:
        self.present = {"pytest-localstack-test/moto:latest", "localstack/localstack:4.14"}
        self.pulled: list[tuple[str, str]] = []
        self.pull_error: Exception | None = None

    def get(self, image: str) -> object:
        if image not in self.present:
            raise docker.errors.ImageNotFound(f"No such image: {image}")
        return object()

    def pull(self, repository: str, tag: str = "latest") -> object:
        self.pulled.append((repository, tag))
        if self.pull_error is not None:
            raise self.pull_error
        self.present.add(f"{repository}:{tag}")
        return object()


class FakeApi:
    base_url = "http+docker://localhost"

    def __init__(self, images: FakeImages) -> None:
        self.images = images

    def pull(
        self, repository: str, tag: str = "latest", stream: bool = False, decode: bool = False
    ) -> Iterator[dict[str, Any]]:
        """The low-level streamed pull: progress events of two layers, as the engine sends."""
        assert stream
        assert decode
        self.images.pulled.append((repository, tag))
        if self.images.pull_error is not None:
            raise self.images.pull_error
        for current in (0, 300_000_000, 600_000_000):
            for layer in ("a", "b"):
                yield {
                    "status": "Downloading",
                    "id": layer,
                    "progressDetail": {"current": current, "total": 600_000_000},
                }
        self.images.present.add(f"{repository}:{tag}")


class FakeClient:
    def __init__(self) -> None:
        self.images = FakeImages()
        self.api = FakeApi(self.images)
        self.containers = FakeContainers(self)
        self.events: list[tuple[str, str]] = []
        self.start_error: BaseException | None = None
        self.exit_on_start: int | None = None
        self.create_interrupt = False
        self.ping_error: Exception | None = None
        self.log_lines = [b"emulator says hello\n"]

    def ping(self) -> bool:
        if self.ping_error is not None:
            raise self.ping_error
        return True


@pytest.fixture(autouse=True)
def _quiet_progress(monkeypatch: pytest.MonkeyPatch) -> None:
    """Progress lines of the fake starts stay out of this run's terminal."""
    monkeypatch.setattr(_progress, "_writer", None)


@pytest.fixture
def client() -> Iterator[FakeClient]:
    fake = FakeClient()
    yield fake
    for container in list(fake.containers.all):
        container.remove(force=True)


@pytest.fixture
def real_looking_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("DOCKER_HOST", raising=False)


LABELS = make_labels("run1", owner_token(), "config1")
MOTO_SETTINGS = Settings(
    engine="docker", emulator="moto", image="pytest-localstack-test/moto:latest", start_timeout=10
)


def start(client: FakeClient, settings: Settings = MOTO_SETTINGS, **kwargs: Any) -> Endpoint:
    emulator = MOTO if settings.emulator == "moto" else LOCALSTACK
    return DockerRuntime(client).start(settings, emulator, LABELS, **kwargs)


# -- ports, labels, environment -------------------------------------------------------------


@pytest.mark.usefixtures("real_looking_credentials")
@pytest.mark.parametrize("emulator", ["moto", "localstack"])
def test_bridge_mode_publishes_on_127_0_0_1_only(client: FakeClient, emulator: str) -> None:
    settings = Settings(
        engine="docker",
        emulator=emulator,
        image="pytest-localstack-test/moto:latest" if emulator == "moto" else "",
        start_timeout=10,
    )
    endpoint = start(client, settings)
    (container,) = client.containers.created
    container_port = 5000 if emulator == "moto" else 4566
    ((published, (host, port)),) = container.kwargs["ports"].items()
    assert published == f"{container_port}/tcp"
    assert host == "127.0.0.1"  # never 0.0.0.0: nobody else on the network reaches it
    assert isinstance(port, int)
    assert endpoint.url == f"http://127.0.0.1:{port}"
    assert "network_mode" not in container.kwargs
    assert endpoint.handle == container.id


@pytest.mark.usefixtures("real_looking_credentials")
def test_labels_are_passed(client: FakeClient) -> None:
    start(client)
    (container,) = client.containers.created
    assert container.kwargs["labels"] == LABELS
    assert container.labels[LABEL] == "1"
    assert container.labels[LABEL_RUN] == "run1"
    assert container.labels[LABEL_OWNER] == owner_token()
    assert container.labels[LABEL_HOST] == socket.gethostname()


@pytest.mark.usefixtures("real_looking_credentials")
@pytest.mark.parametrize("emulator", ["moto", "localstack"])
@pytest.mark.parametrize("network", ["", "host"])
def test_real_aws_credentials_never_reach_the_container(
    client: FakeClient, emulator: str, network: str
) -> None:
    assert os.environ["AWS_SECRET_ACCESS_KEY"] == SECRETS["AWS_SECRET_ACCESS_KEY"]
    settings = Settings(
        engine="docker",
        emulator=emulator,
        image="pytest-localstack-test/moto:latest" if emulator == "moto" else "",
        network=network,
        env=(("FOO", "bar"),),
        start_timeout=10,
    )
    if network == "host":
        # Nothing serves on the host network here: stop at the readiness wait.
        settings = dataclasses.replace(settings, start_timeout=0.2)
        with pytest.raises(StartupError):
            start(client, settings)
    else:
        start(client, settings)
    (container,) = client.containers.created
    environment: dict[str, str] = container.kwargs["environment"]
    assert environment["FOO"] == "bar"
    assert [name for name in environment if name.startswith("AWS_")] == []
    for secret in SECRETS.values():
        assert all(secret not in value for value in environment.values())


def test_host_network_listens_on_127_0_0_1(client: FakeClient) -> None:
    settings = dataclasses.replace(MOTO_SETTINGS, network="host", start_timeout=0.2)
    with pytest.raises(StartupError):
        start(client, settings)
    (container,) = client.containers.created
    assert container.kwargs["network_mode"] == "host"
    assert "ports" not in container.kwargs
    command = container.kwargs["command"]
    assert command[:2] == ["-H", "127.0.0.1"]
    assert container.removed


def test_localstack_on_the_host_network_gets_a_free_range_of_its_own(client: FakeClient) -> None:
    settings = Settings(engine="docker", network="host", start_timeout=0.2)
    with pytest.raises(StartupError):
        start(client, settings)
    env = client.containers.created[-1].kwargs["environment"]
    first = int(env["EXTERNAL_SERVICE_PORTS_START"])
    last = int(env["EXTERNAL_SERVICE_PORTS_END"])
    assert last - first == 49
    assert first >= 10000  # above LocalStack's default range
    assert last < 32768  # below the kernel's ephemeral ports
    assert env["GATEWAY_LISTEN"].startswith("127.0.0.1:")
    assert env["GATEWAY_SERVER"] == "hypercorn"
    assert env["DNS_ADDRESS"] == "0"


def test_a_second_emulator_avoids_the_service_ports_of_the_first(
    client: FakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_localstack.runtimes import base as runtimes

    client.containers.create("other-run", labels={LABEL_SERVICE_PORTS: "10000-10049"})
    draws = iter([0, 0, 1])  # the first block twice (it is taken), then the second
    monkeypatch.setattr(runtimes.random, "randrange", lambda n: next(draws))
    with pytest.raises(StartupError):
        start(client, Settings(engine="docker", network="host", start_timeout=0.2))
    created = client.containers.created[-1]
    assert created.kwargs["environment"]["EXTERNAL_SERVICE_PORTS_START"] == "10050"
    assert created.kwargs["labels"][LABEL_SERVICE_PORTS] == "10050-10099"


def test_a_port_range_skips_ports_in_use(monkeypatch: pytest.MonkeyPatch) -> None:
    from pytest_localstack.runtimes import base as runtimes

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        busy = taken.getsockname()[1]
        start_of_busy_block = busy - busy % 50
        draws = iter([start_of_busy_block, 10000])
        monkeypatch.setattr(runtimes, "PORT_RANGE_AREA", range(0, 65000))
        monkeypatch.setattr(runtimes.random, "randrange", lambda n: next(draws) // 50)
        chosen = runtimes.free_port_range(50)
    assert busy not in chosen
    assert chosen == range(10000, 10050)


def test_no_free_port_range_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from pytest_localstack.runtimes import base as runtimes

    monkeypatch.setattr(runtimes, "_is_free", lambda host, port: False)
    with pytest.raises(StartupError) as raised:
        runtimes.free_port_range(50, attempts=3)
    assert str(raised.value) == (
        "found no 50 consecutive free ports on 127.0.0.1 in 3 random tries between 10000 and "
        "32749, for the emulator's services on the host network; stop what holds them, or leave "
        "--localstack-network empty"
    )


# -- recorded before it starts --------------------------------------------------------------


def test_the_container_is_recorded_before_it_starts(client: FakeClient) -> None:
    """A run killed while Docker starts the container has it recorded already."""
    spawned: list[Endpoint] = []

    def on_spawn(endpoint: Endpoint) -> None:
        spawned.append(endpoint)
        client.events.append(("recorded", endpoint.handle))

    endpoint = start(client, on_spawn=on_spawn)
    assert [e.handle for e in spawned] == [endpoint.handle]
    assert [kind for kind, _ in client.events] == ["create", "recorded", "start"]


@pytest.mark.parametrize(
    "error",
    [KeyboardInterrupt(), docker.errors.APIError("500", explanation="port is already allocated")],
    ids=["interrupted", "api-error"],
)
def test_a_failed_start_removes_the_container(client: FakeClient, error: BaseException) -> None:
    client.start_error = error
    expected = KeyboardInterrupt if isinstance(error, KeyboardInterrupt) else StartupError
    with pytest.raises(expected) as raised:
        start(client)
    if expected is StartupError:
        assert str(raised.value) == (
            "Docker could not start pytest-localstack-test/moto:latest: port is already "
            "allocated. Check the image, --localstack-network and --localstack-env."
        )
    assert client.containers.all == []
    assert client.events[-1][0] == "remove"


def test_an_interrupted_create_removes_what_docker_made(client: FakeClient) -> None:
    # A container of another run of the same owner and configuration: not ours to remove.
    bystander = client.containers.create("x", labels=make_labels("run2", owner_token(), "config1"))
    client.create_interrupt = True
    with pytest.raises(KeyboardInterrupt):
        start(client)
    assert client.containers.all == [bystander]


def test_an_emulator_that_exits_while_starting(client: FakeClient) -> None:
    client.exit_on_start = 3
    with pytest.raises(EmulatorExitedError) as raised:
        start(client)
    assert raised.value.exit_code == 3
    assert "exited with code 3 while starting; see its log below" in str(raised.value)
    assert "emulator says hello" in str(raised.value)
    assert client.containers.all == []


def test_a_licence_failure_at_once_in_bridge_mode(client: FakeClient) -> None:
    """An exited container publishes no port: the licence failure is still what is reported."""
    client.exit_on_start = 55
    client.log_lines = [b"License activation failed! Reason: no credentials\n"]
    settings = Settings(engine="docker", emulator="localstack", start_timeout=10)
    with pytest.raises(LicenseError) as raised:
        start(client, settings)
    assert raised.value.exit_code == 55
    assert "Set LOCALSTACK_AUTH_TOKEN in the environment" in str(raised.value)
    assert "License activation failed!" in str(raised.value)
    assert client.containers.all == []


# -- images ---------------------------------------------------------------------------------


def test_missing_image_without_pulling(client: FakeClient) -> None:
    settings = dataclasses.replace(MOTO_SETTINGS, image="example/missing:1", pull=False)
    with pytest.raises(ImageNotFoundError) as raised:
        start(client, settings)
    assert str(raised.value) == (
        "Docker image 'example/missing:1' is not available: it is not present locally and "
        "pulling is disabled (--no-localstack-pull); run `docker pull example/missing:1`, "
        "build it, or choose another --localstack-image"
    )
    assert raised.value.image == "example/missing:1"
    assert client.images.pulled == []
    assert client.containers.created == []


def test_pull_failure(client: FakeClient) -> None:
    client.images.pull_error = docker.errors.APIError(
        "500", explanation="Get https://registry:5000/v2/: proxyconnect tcp: connection refused"
    )
    settings = dataclasses.replace(MOTO_SETTINGS, image="registry:5000/team/moto:2")
    with pytest.raises(ImageNotFoundError) as raised:
        start(client, settings)
    assert str(raised.value) == (
        "Docker image 'registry:5000/team/moto:2' is not available: it is not present locally "
        "and pulling it failed (Get https://registry:5000/v2/: proxyconnect tcp: connection "
        "refused); check the name and your registry access, or choose another "
        "--localstack-image"
    )
    assert client.images.pulled == [("registry:5000/team/moto", "2")]
    assert client.containers.created == []


def test_missing_image_is_pulled_when_allowed(
    client: FakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines: list[str] = []
    monkeypatch.setattr(_progress, "_writer", lines.append)
    monkeypatch.setattr(_progress.Throttle, "ready", lambda self: True)
    settings = dataclasses.replace(MOTO_SETTINGS, image="example/moto")
    start(client, settings)
    assert client.images.pulled == [("example/moto", "latest")]
    pulling = [line for line in lines if "pull" in line]
    assert pulling[0] == "localstack: pulling example/moto (missing locally)"
    assert "localstack: pulling example/moto: 600.0 MB of 1.2 GB" in pulling
    assert "localstack: pulling example/moto: 1.2 GB of 1.2 GB" in pulling
    assert re.fullmatch(r"localstack: pulled example/moto in \d+ s", pulling[-1])


def test_pull_error_event_is_a_pull_failure(
    client: FakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing_pull(*args: Any, **kwargs: Any) -> Iterator[dict[str, Any]]:
        yield {"error": "manifest for example/moto:9 not found"}

    monkeypatch.setattr(client.api, "pull", failing_pull)
    settings = dataclasses.replace(MOTO_SETTINGS, image="example/moto:9")
    with pytest.raises(ImageNotFoundError) as raised:
        start(client, settings)
    assert "pulling it failed (manifest for example/moto:9 not found)" in str(raised.value)


# -- the engine -----------------------------------------------------------------------------


def test_auto_uses_docker_when_the_image_is_present(client: FakeClient) -> None:
    assert Runtimes(client).choose_engine(Settings()) == "docker"
    assert client.images.pulled == []


def test_auto_uses_docker_when_the_image_can_be_pulled(client: FakeClient) -> None:
    settings = Settings(image="example/localstack:9")
    assert Runtimes(client).choose_engine(settings) == "docker"
    assert client.images.pulled == [("example/localstack", "9")]
    assert fallback_note(settings) == ""


@pytest.mark.parametrize("pull", [True, False])
def test_auto_falls_back_when_docker_has_no_image(client: FakeClient, pull: bool) -> None:
    client.images.pull_error = docker.errors.APIError("500", explanation="no registry")
    settings = Settings(image=f"example/absent:{pull}", pull=pull)
    assert Runtimes(client).choose_engine(settings) == "process"
    reason = (
        "it is not present locally and pulling it failed (no registry); check the name and "
        "your registry access"
        if pull
        else "it is not present locally and pulling is disabled (--no-localstack-pull)"
    )
    assert fallback_note(settings).startswith(
        f"engine auto: Docker image 'example/absent:{pull}' is not available: {reason}"
    )
    assert fallback_note(settings).endswith(
        "; the embedded moto server runs instead (--localstack-engine=docker makes this an error)"
    )


def test_explicit_docker_engine_does_not_fall_back(client: FakeClient) -> None:
    settings = Settings(engine="docker", image="example/absent:1")
    assert Runtimes(client).choose_engine(settings) == "docker"
    client.images.pull_error = docker.errors.APIError("500", explanation="no registry")
    with pytest.raises(ImageNotFoundError):
        start(client, settings)


def test_unreachable_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:1")
    with pytest.raises(EngineUnavailableError) as raised:
        connect()
    message = str(raised.value)
    assert message.startswith("cannot reach a Docker engine at tcp://127.0.0.1:1 (DOCKER_HOST): ")
    assert message.endswith(
        ". Start Docker (or set DOCKER_HOST), or run without it: --localstack-engine=process "
        'runs the embedded moto server (pip install "pytest-localstack[moto]"), '
        "--localstack-endpoint URL attaches to a running emulator."
    )


def test_unreachable_given_client(client: FakeClient) -> None:
    client.api.base_url = "http://127.0.0.1:1"
    client.ping_error = ConnectionRefusedError(111, "Connection refused")
    with pytest.raises(EngineUnavailableError) as raised:
        connect(client)
    assert str(raised.value).startswith(
        "cannot reach a Docker engine at http://127.0.0.1:1 (the given client): [Errno 111] "
        "Connection refused. Start Docker"
    )


def test_an_unresolvable_engine_host_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "tcp://docker:2375")  # GitLab's dind, outside GitLab
    with pytest.raises(EngineUnavailableError) as raised:
        connect()
    assert str(raised.value).startswith(
        "the Docker engine's host 'docker' (from DOCKER_HOST: tcp://docker:2375) does not resolve: "
    )


@pytest.fixture
def engine_named_docker(client: FakeClient, monkeypatch: pytest.MonkeyPatch) -> FakeClient:
    """The fake engine at tcp://docker:2375, a name (not a loopback name) for 127.0.0.1 here."""
    real = socket.getaddrinfo

    def resolve(host: Any, *args: Any, **kwargs: Any) -> Any:
        return real("127.0.0.1" if host == "docker" else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    client.api.base_url = "http://docker:2375"
    return client


@pytest.mark.parametrize("port", [0, 45871])
def test_a_remote_engine_publishes_on_its_address_and_is_reached_by_name(
    engine_named_docker: FakeClient, port: int
) -> None:
    settings = dataclasses.replace(MOTO_SETTINGS, port=port)
    endpoint = start(engine_named_docker, settings)
    (container,) = engine_named_docker.containers.created
    ((_, (host, published)),) = container.kwargs["ports"].items()
    assert host == "127.0.0.1"  # what "docker" resolves to, not the client's own loopback
    assert published == (port or None)  # the remote engine picks a free port of its own
    bound = container.ports["5000/tcp"][0]["HostPort"]
    assert endpoint.url == f"http://docker:{bound}"


def test_a_remote_engine_advertises_its_name_to_localstack(engine_named_docker: FakeClient) -> None:
    port = free_port()  # a fixed port must be free
    settings = Settings(engine="docker", port=port, start_timeout=10)
    start(engine_named_docker, settings)
    (container,) = engine_named_docker.containers.created
    assert container.kwargs["environment"]["LOCALSTACK_HOST"] == f"docker:{port}"


def test_host_network_on_a_remote_engine_is_refused(engine_named_docker: FakeClient) -> None:
    settings = dataclasses.replace(MOTO_SETTINGS, network="host")
    with pytest.raises(ConfigurationError) as raised:
        start(engine_named_docker, settings)
    assert str(raised.value) == (
        "--localstack-network=host needs a local Docker engine, but the engine is "
        "http://docker:2375 (the given client): the emulator would listen on that machine's "
        "loopback address. Leave --localstack-network empty to publish its port there."
    )
    assert engine_named_docker.containers.created == []


# -- the orphan sweep -----------------------------------------------------------------------


def _finished_process_token() -> str:
    """The owner token of a process that has exited (and been reaped)."""
    process = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE
    )
    token = owner_token(process.pid)
    process.communicate(b"")
    assert token.partition(":")[2], "the token names a start time"
    return token


def test_sweep_removes_only_dead_owners_of_this_host(client: FakeClient) -> None:
    host = socket.gethostname()
    dead = _finished_process_token()
    pid, started, namespace, boot = owner_token().split(":")
    # this pid, but another process's start time
    reused_pid = f"{pid}:{int(started) + 2}:{namespace}:{boot}"

    def make(owner: str, on_host: str = host, **extra: str) -> FakeContainer:
        labels = {**make_labels("run", owner, "config"), LABEL_HOST: on_host, **extra}
        return client.containers.create("x", labels=labels)

    orphan = make(dead)
    orphan_of_reused_pid = make(reused_pid)
    live = make(owner_token())
    reused = make("", **{"pytest-localstack.reuse": "config"})  # --localstack-reuse: no owner
    other_host = make(dead, on_host=host + "-elsewhere")
    unlabelled = client.containers.create("x", labels={"com.example": "1"})
    # A CI job in a container on the host network: same host name, its own PID namespace.
    dead_pid, dead_started, _, _ = dead.split(":")
    other_namespace = make(f"{dead_pid}:{dead_started}:pidns-1:{boot}")
    other_boot = make(f"{dead_pid}:{dead_started}:{namespace}:another-boot")
    unknown_namespace = make(f"{dead_pid}:{dead_started}")  # no namespace: cannot tell
    another_user = make(dead, **{LABEL_UID: str(os.getuid() + 1)})

    removed = sweep_orphans(client)
    assert sorted(removed) == sorted([orphan.id, orphan_of_reused_pid.id])
    assert orphan.removed
    assert orphan_of_reused_pid.removed
    assert client.containers.all == [
        live,
        reused,
        other_host,
        unlabelled,
        other_namespace,
        other_boot,
        unknown_namespace,
        another_user,
    ]


def test_stop_leaves_containers_without_our_labels(client: FakeClient) -> None:
    """A record naming a container that is not ours (a planted state file) removes nothing."""
    foreign = client.containers.create("x", labels={"com.example": "1"})
    other_user = client.containers.create(
        "x", labels={**make_labels("run", owner_token()), LABEL_UID: str(os.getuid() + 1)}
    )
    ours = client.containers.create("x", labels=make_labels("run", owner_token()))
    runtime = DockerRuntime(client)
    for container in (foreign, other_user, ours):
        runtime.stop(Endpoint("", "moto", "", "docker", handle=container.id), 1.0)
    assert not foreign.removed
    assert not other_user.removed
    assert ours.removed


def test_a_start_sweeps_first(client: FakeClient) -> None:
    orphan = client.containers.create(
        "x", labels=make_labels("old-run", _finished_process_token(), "config")
    )
    start(client)
    assert orphan.removed
    assert client.events.index(("remove", orphan.id)) < client.events.index(
        ("create", client.containers.created[-1].id)
    )


def test_sweep_ignores_containers_removed_meanwhile(client: FakeClient) -> None:
    """Concurrent runs: another run's sweep or stop removes a container while this one lists."""
    gone = client.containers.create("x", labels=make_labels("other", owner_token(), "config"))
    client.containers.vanishing.append(gone)
    assert sweep_orphans(client) == []
    start(client)  # sweeps first, and starts all the same
