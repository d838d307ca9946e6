"""Finding and reaching the Docker engine, with the real engine behind other addresses.

``socat`` relays a TCP port on 127.0.0.1, or a Unix socket of the test's own, to the engine's
real socket and logs every connection, so each test sees which address the plugin really used:

* ``DOCKER_HOST=tcp://127.0.0.1:PORT``: a local engine over TCP; ports published on 127.0.0.1;
* ``DOCKER_HOST=tcp://docker-engine.test:PORT``, a name that is not a loopback name (it resolves
  to 127.0.0.1 only inside a mount namespace with an /etc/hosts of the test's own): the remote
  path, as GitLab's Docker-in-Docker ``tcp://docker:2375``; the tests dial the engine's name;
* a Docker context in a temporary HOME, pointing at a relayed socket: the plugin follows the
  context, as it does for Docker Desktop, colima and Podman;
* an engine host that does not resolve: one clear error.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_localstack.runtimes.docker_engines import find_engine
from tests.conftest import MOTO_IMAGE, require

INNER_TEST = """
import boto3
from pytest_localstack.runtimes.docker_client import connect

def test_s3(localstack):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="through-the-engine")
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["through-the-engine"]
    ports = connect().api.inspect_container(localstack.endpoint.handle)["NetworkSettings"]["Ports"]
    published = (ports.get("5000/tcp") or [{"HostIp": "unpublished"}])[0]["HostIp"]
    print("ENDPOINT", localstack.endpoint.url, published)
"""

MOTO_ARGS = (
    "--localstack-engine=docker",
    "--localstack-emulator=moto",
    f"--localstack-image={MOTO_IMAGE}",
    "--localstack-pull=false",
    "-s",
    "-p",
    "no:cacheprovider",
)


class Relay:
    """A socat relay to the engine's socket that logs each connection it accepts."""

    def __init__(self, listen: str, log: Path) -> None:
        # the machine's own engine's socket, not an address a test sets
        engine = find_engine(environ={}).url.removeprefix("unix://")
        self.log = log
        with log.open("wb") as log_file:
            self.process = subprocess.Popen(
                ["socat", "-d", "-d", f"{listen},fork,reuseaddr", f"UNIX-CONNECT:{engine}"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=log_file,
            )

    def connections(self) -> int:
        return self.log.read_text(errors="replace").count("accepting connection")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def _wait_for(check: Any, what: str) -> None:
    deadline = time.monotonic() + 10
    while not check():
        assert time.monotonic() < deadline, f"{what} did not come up"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def short_dir() -> Iterator[Path]:
    """A directory with a short path: a Unix socket path must stay under 108 bytes."""
    directory = Path(tempfile.mkdtemp(prefix="ple-", dir="/tmp"))
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def tcp_relay(docker_client: Any, short_dir: Path) -> Iterator[tuple[Relay, int]]:
    require(shutil.which("socat") is not None, "socat is not installed (apt-get install socat)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    relay = Relay(f"TCP-LISTEN:{port},bind=127.0.0.1", short_dir / f"tcp-{port}.log")

    def accepts() -> bool:
        with socket.socket() as sock:
            return sock.connect_ex(("127.0.0.1", port)) == 0

    _wait_for(accepts, "the TCP relay")
    yield relay, port
    relay.stop()


@pytest.fixture(scope="module")
def bridge(docker_client: Any) -> None:
    """Published ports need the engine's bridge network (absent with dockerd --bridge=none)."""
    names = [network.name for network in docker_client.networks.list()]
    require("bridge" in names, "the Docker engine has no bridge network: nothing can publish")


def _inner_environment(monkeypatch: pytest.MonkeyPatch, **values: str) -> None:
    for name in ("DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_CONFIG", "DOCKER_TLS_VERIFY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in values.items():
        monkeypatch.setenv(name, value)


def _endpoint(result: pytest.RunResult) -> tuple[str, str]:
    """The URL the tests used and the host address Docker published the port on."""
    (line,) = [line for line in result.stdout.lines if "ENDPOINT " in line]
    url, published_on = line.split("ENDPOINT ", 1)[1].split()
    return url, published_on


def test_a_local_engine_over_tcp(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    docker_client: Any,
    tcp_relay: tuple[Relay, int],
    bridge: None,
) -> None:
    relay, port = tcp_relay
    _inner_environment(monkeypatch, DOCKER_HOST=f"tcp://127.0.0.1:{port}")
    pytester.makepyfile(INNER_TEST)
    result = pytester.runpytest_subprocess(*MOTO_ARGS)
    assert result.ret == 0, result.stdout.str()
    assert f"localstack: Docker engine tcp://127.0.0.1:{port} (DOCKER_HOST)" in result.stdout.lines
    url, published_on = _endpoint(result)
    assert url.startswith("http://127.0.0.1:")
    assert published_on == "127.0.0.1"
    assert relay.connections() > 0  # the plugin went through DOCKER_HOST, not the socket


def test_a_remote_engine_is_reached_through_its_name(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    docker_client: Any,
    tcp_relay: tuple[Relay, int],
    bridge: None,
) -> None:
    require(shutil.which("unshare") is not None, "unshare is missing (util-linux)")
    relay, port = tcp_relay
    hosts = pytester.path / "hosts"
    hosts.write_text("127.0.0.1 localhost\n127.0.0.1 docker-engine.test\n")
    _inner_environment(
        monkeypatch,
        DOCKER_HOST=f"tcp://docker-engine.test:{port}",
        NO_PROXY="127.0.0.1,localhost,docker-engine.test",
        no_proxy="127.0.0.1,localhost,docker-engine.test",
    )
    pytester.makepyfile(INNER_TEST)
    pytest_command = " ".join([sys.executable, "-m", "pytest", *MOTO_ARGS])
    result = pytester.run(
        "unshare",
        "--mount",
        "sh",
        "-c",
        f"mount --bind {hosts} /etc/hosts && exec {pytest_command}",
        timeout=300,
    )
    assert result.ret == 0, result.stdout.str() + result.stderr.str()
    url, published_on = _endpoint(result)
    assert url.startswith("http://docker-engine.test:")  # through the engine's name
    assert published_on == "127.0.0.1"  # the engine's address as the name resolves
    assert f"localstack: Docker engine tcp://docker-engine.test:{port} (DOCKER_HOST)" in (
        result.stdout.lines
    )
    assert relay.connections() > 0


def test_an_unresolvable_engine_host_is_one_clear_error(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    _inner_environment(monkeypatch, DOCKER_HOST="tcp://docker:2375")
    pytester.makepyfile(INNER_TEST)
    result = pytester.runpytest_subprocess(*MOTO_ARGS)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "ERROR test_an_unresolvable_engine_host_is_one_clear_error.py::test_s3 - "
            "Failed: EngineUnavailableError: the Docker engine's host "
            "'docker' (from DOCKER_HOST: tcp://docker:2375) does not resolve: *. Fix the name "
            "(in CI, the Docker-in-Docker service's alias must match DOCKER_HOST), or unset "
            "DOCKER_HOST to use the local engine."
        ]
    )
    output = result.stdout.str()
    assert "gaierror: [Errno" not in output  # no raw resolver error
    assert "INTERNALERROR" not in output


def test_the_current_docker_context_is_followed(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    docker_client: Any,
    short_dir: Path,
) -> None:
    require(shutil.which("socat") is not None, "socat is not installed (apt-get install socat)")
    require(shutil.which("docker") is not None, "the docker CLI is not installed")
    socket_path = short_dir / "ctx.sock"
    relay = Relay(f"UNIX-LISTEN:{socket_path}", short_dir / "ctx.log")
    try:
        _wait_for(socket_path.exists, "the socket relay")
        home = pytester.path / "home"
        docker_dir = home / ".docker"
        result = subprocess.run(
            ["docker", "context", "create", "relayed", "--docker", f"host=unix://{socket_path}"],
            env={**os.environ, "DOCKER_CONFIG": str(docker_dir)},
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        subprocess.run(
            ["docker", "context", "use", "relayed"],
            env={**os.environ, "DOCKER_CONFIG": str(docker_dir)},
            capture_output=True,
            check=True,
        )
        _inner_environment(monkeypatch, HOME=str(home))
        pytester.makepyfile(INNER_TEST)
        result_run = pytester.runpytest_subprocess(*MOTO_ARGS, "--localstack-network=host")
        assert result_run.ret == 0, result_run.stdout.str()
        config_file = docker_dir / "config.json"
        assert (
            f"localstack: Docker engine unix://{socket_path} (Docker context 'relayed' from "
            f"currentContext in {config_file})"
        ) in result_run.stdout.lines
        assert relay.connections() > 0  # through the context's socket, not the default one
    finally:
        relay.stop()
