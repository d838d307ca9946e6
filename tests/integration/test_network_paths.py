"""Both Docker network paths, checked at the engine: what is published where, and on which
addresses the emulator listens inside its container.

On a bridge (the default) the emulator listens on every interface of its own network namespace,
as the official images do, and Docker publishes its port on the host's loopback only. On the
host network nothing is published and the emulator listens on 127.0.0.1 only.
"""

from __future__ import annotations

import socket
from typing import Any
from urllib.parse import urlsplit

import pytest

from pytest_localstack.session import LocalstackSession

pytestmark = pytest.mark.engines("docker-localstack", "docker-moto")

#: Reads the listening TCP sockets of the container's network namespace (the images have
#: Python but no shell tools): one ``address:port`` per line, IPv4 and IPv6.
LISTENING = r"""
import socket, struct
for name, family in (("/proc/net/tcp", 4), ("/proc/net/tcp6", 6)):
    try:
        lines = open(name).read().splitlines()[1:]
    except OSError:
        continue
    for line in lines:
        local, state = line.split()[1], line.split()[3]
        if state != "0A":
            continue
        address, port = local.split(":")
        raw = bytes.fromhex(address)
        if family == 4:
            host = socket.inet_ntop(socket.AF_INET, raw[::-1])
        else:
            words = struct.unpack("<4I", raw)
            host = socket.inet_ntop(socket.AF_INET6, struct.pack(">4I", *words))
        print(f"{host} {int(port, 16)}")
"""


def listening(container: Any, port: int) -> set[str]:
    """The addresses on which something listens on ``port`` inside the container."""
    exit_code, output = container.exec_run(["/usr/bin/python3", "-c", LISTENING])
    assert exit_code == 0, output.decode(errors="replace")
    found = set()
    for line in output.decode().splitlines():
        host, _, listen_port = line.rpartition(" ")
        if int(listen_port) == port:
            found.add(host)
    return found


@pytest.fixture
def container(aws: LocalstackSession, docker_client: Any) -> Any:
    endpoint = aws.endpoint
    assert endpoint.engine == "docker"
    return docker_client.containers.get(endpoint.handle)


def test_the_emulator_is_reached_on_the_loopback(
    aws: LocalstackSession, engine: dict[str, Any]
) -> None:
    url = urlsplit(aws.endpoint.url)
    assert url.hostname == "127.0.0.1"
    assert url.port is not None
    with socket.create_connection(("127.0.0.1", url.port), timeout=5):
        pass


def test_network_path(aws: LocalstackSession, engine: dict[str, Any], container: Any) -> None:
    container.reload()
    host_config = container.attrs["HostConfig"]
    url_port = urlsplit(aws.endpoint.url).port
    assert url_port is not None
    container_port = 4566 if engine["emulator"] == "localstack" else 5000
    if engine.get("network") == "host":
        assert host_config["NetworkMode"] == "host"
        assert not container.attrs["NetworkSettings"]["Ports"]
        # The host's namespace: the emulator must not be reachable from other machines.
        assert listening(container, url_port) == {"127.0.0.1"}
    else:
        assert host_config["NetworkMode"] in ("default", "bridge")
        bindings = container.attrs["NetworkSettings"]["Ports"][f"{container_port}/tcp"]
        assert bindings, "the emulator's port is not published"
        assert {binding["HostIp"] for binding in bindings} == {"127.0.0.1"}
        assert {int(binding["HostPort"]) for binding in bindings} == {url_port}
        # Inside its own namespace it must accept what arrives through the bridge.
        assert listening(container, container_port) & {"0.0.0.0", "::"}
