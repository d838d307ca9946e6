"""LocalStack on the host network opens nothing but 127.0.0.1, and concurrent runs do not share
ports: proved by reading the kernel's socket tables for the container's own processes.

The test image bakes in settings that already keep LocalStack on loopback (``GATEWAY_SERVER=
hypercorn``, ``DNS_ADDRESS=0``); the official image does not. So the test runs an image derived
from it with those two reset to LocalStack's defaults (twisted, which binds every interface
whatever ``GATEWAY_LISTEN`` says, and a DNS server on 0.0.0.0:53): only what the plugin passes
keeps it on loopback.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_localstack._processes import owner_token
from pytest_localstack.config import Settings
from pytest_localstack.emulators import LOCALSTACK
from pytest_localstack.runtimes import Endpoint, make_labels
from pytest_localstack.runtimes.docker import DockerRuntime
from tests.conftest import unique

_TCP_LISTEN = "0A"


@pytest.fixture(scope="module")
def image_with_localstack_defaults(docker_client: Any, localstack_image: str) -> Iterator[str]:
    container = docker_client.containers.create(localstack_image)
    try:
        image = container.commit(
            repository=unique("pytest-localstack-test/localstack-defaults"),
            tag="latest",
            changes=["ENV GATEWAY_SERVER=", "ENV DNS_ADDRESS="],
        )
    finally:
        container.remove(force=True)
    yield str(image.tags[0])
    docker_client.images.remove(image.id, force=True)


def listening_sockets(pids: list[int]) -> set[tuple[str, str, int]]:
    """(protocol, address, port) of every TCP listener and bound UDP socket of ``pids``."""
    inodes: set[str] = set()
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[len("socket:[") : -1])
    found = set()
    for protocol in ("tcp", "tcp6", "udp", "udp6"):
        table = Path(f"/proc/{pids[0]}/net/{protocol}").read_text().splitlines()[1:]
        for row in table:
            fields = row.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if inode not in inodes or (protocol.startswith("tcp") and state != _TCP_LISTEN):
                continue
            address_hex, port_hex = local.split(":")
            found.add((protocol, _address(address_hex), int(port_hex, 16)))
    return found


def _address(text: str) -> str:
    """/proc/net's address: 32-bit words in host (little-endian) byte order."""
    raw = bytes.fromhex(text)
    swapped = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    return str(ipaddress.ip_address(swapped))


def container_pids(docker_client: Any, endpoint: Endpoint) -> list[int]:
    top = docker_client.containers.get(endpoint.handle).top()
    column = top["Titles"].index("PID")
    return [int(process[column]) for process in top["Processes"]]


def test_localstack_on_the_host_network_listens_on_loopback_only(
    docker_client: Any, image_with_localstack_defaults: str
) -> None:
    settings = Settings(
        engine="docker", image=image_with_localstack_defaults, network="host", pull=False
    )
    runtime = DockerRuntime(docker_client)
    labels = make_labels(unique("run"), owner_token())
    started: list[Endpoint] = []
    try:
        for _ in range(2):  # two at once, as two concurrent runs would have them
            started.append(runtime.start(settings, LOCALSTACK, labels))
        ranges = []
        for endpoint in started:
            sockets = listening_sockets(container_pids(docker_client, endpoint))
            port = int(endpoint.url.rsplit(":", 1)[1])
            exposed = {s for s in sockets if not ipaddress.ip_address(s[1]).is_loopback}
            assert exposed == set(), f"{endpoint.url} listens on {sorted(exposed)}"
            assert ("tcp", "127.0.0.1", port) in sockets  # the tables are read right
            env = docker_client.containers.get(endpoint.handle).attrs["Config"]["Env"]
            values = dict(item.split("=", 1) for item in env)
            first = int(values["EXTERNAL_SERVICE_PORTS_START"])
            ranges.append(set(range(first, int(values["EXTERNAL_SERVICE_PORTS_END"]) + 1)))
        assert started[0].url != started[1].url
        assert ranges[0].isdisjoint(ranges[1])
    finally:
        for endpoint in started:
            runtime.stop(endpoint, timeout=5)
