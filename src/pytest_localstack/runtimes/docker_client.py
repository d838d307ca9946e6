"""Talk to a Docker engine: a client for the engine found, or for one given, that answers.

Kept apart from :mod:`.docker_engines` (which only reads files) because it imports docker.
"""

from __future__ import annotations

import gc
import warnings
from pathlib import Path
from typing import Any

from pytest_localstack.exceptions import EngineUnavailableError
from pytest_localstack.runtimes.docker_engines import EngineAddress, find_engine, resolve

#: Clients made here, one per engine address, kept open for the life of the process.
_clients: dict[str, Any] = {}


def connect(docker_client: Any = None, base_url: str = "") -> Any:
    """A docker client that answers a ping, or :class:`EngineUnavailableError`.

    Without a client or an address, the engine is found as the ``docker`` CLI finds it
    (:func:`~pytest_localstack.runtimes.docker_engines.find_engine`).
    """
    import docker

    address = (
        EngineAddress(base_url, "a recorded address")
        if base_url
        else address_of(docker_client)
        if docker_client is not None
        else find_engine()
    )
    if docker_client is None and address.url in _clients:
        return _clients[address.url]
    if not address.is_local:
        resolve(address)  # an unknown host name is a clear error, not a gaierror deep inside
    client = docker_client
    failure = ""
    try:
        if client is None:
            client = _client_for(docker, address)
        client.ping()
    except Exception as error:
        failure = str(error) or type(error).__name__
    if failure:
        if client is not None and docker_client is None:
            client.close()
        _collect_leaked_sockets()
        raise EngineUnavailableError(
            f"cannot reach a Docker engine at {address.describe()}: {failure}. Start Docker (or "
            "set DOCKER_HOST), or run without it: --localstack-engine=process runs the embedded "
            'moto server (pip install "pytest-localstack[moto]"), --localstack-endpoint URL '
            "attaches to a running emulator."
        )
    if docker_client is None:
        _clients[address.url] = client
    return client


def client_for(address: EngineAddress, timeout: int = 60) -> Any:
    """A docker client (not yet pinged) for an engine found by :func:`find_engine`."""
    import docker

    return _client_for(docker, address, timeout)


def _client_for(docker: Any, address: EngineAddress, timeout: int = 60) -> Any:
    if address.source == "DOCKER_HOST":
        # also honours DOCKER_TLS_VERIFY and DOCKER_CERT_PATH
        return docker.from_env(timeout=timeout)
    tls: Any = False
    if address.tls_dir:
        files = Path(address.tls_dir)
        tls = docker.tls.TLSConfig(
            client_cert=(str(files / "cert.pem"), str(files / "key.pem")),
            ca_cert=None if address.skip_tls_verify else str(files / "ca.pem"),
            verify=not address.skip_tls_verify,
        )
    return docker.DockerClient(base_url=address.url, tls=tls, timeout=timeout)


def address_of(docker_client: Any) -> EngineAddress:
    """The address of a client someone else made, in the docker CLI's notation."""
    base_url = str(getattr(docker_client.api, "base_url", ""))
    if base_url == "http+docker://ssh":
        adapter = getattr(docker_client.api, "_custom_adapter", None)
        return EngineAddress("ssh://" + str(getattr(adapter, "ssh_host", "")), "the given client")
    if base_url.startswith(("http://", "https://")):
        return EngineAddress(base_url, "the given client")
    socket_path = getattr(getattr(docker_client.api, "_custom_adapter", None), "socket_path", "")
    if isinstance(socket_path, str) and socket_path:
        return EngineAddress("unix://" + socket_path, "the given client")
    return EngineAddress(base_url or "unix://", "the given client")  # a socket or a pipe


def _collect_leaked_sockets() -> None:
    """The docker SDK leaves the socket of a failed first request unclosed; close it quietly.

    Without this, a suite that turns warnings into errors fails on a ResourceWarning merely
    because Docker is not running.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()
