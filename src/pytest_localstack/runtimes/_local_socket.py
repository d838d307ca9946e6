"""Ask the local Docker engine's socket about a container, without the docker SDK.

Importing the SDK is a large part of attaching to an emulator that runs already (a warm start,
an xdist worker); one HTTP request over the socket answers whether its container still runs.
"""

from __future__ import annotations

import http.client
import json
import socket
import urllib.parse

from pytest_localstack.exceptions import EngineUnavailableError
from pytest_localstack.runtimes.docker_engines import find_engine


def running_on_local_socket(container_id: str) -> bool | None:
    """Whether the container runs, asked of the local engine's socket directly, or None if
    there is no local socket to ask.

    The answer the docker SDK would give for the engine :func:`.docker_engines.find_engine`
    finds, without importing the SDK: that import is a large part of attaching to an emulator
    that runs already (a warm start, an xdist worker).
    """
    try:
        address = find_engine()
    except EngineUnavailableError:
        return None
    if not address.url.startswith("unix://"):
        return None
    connection = _UnixHTTPConnection(address.url.removeprefix("unix://"))
    try:
        connection.request("GET", f"/containers/{urllib.parse.quote(container_id)}/json")
        response = connection.getresponse()
        body = response.read()
        if response.status == 404:
            return False
        if response.status != 200:
            return None
        return bool(json.loads(body).get("State", {}).get("Running"))
    except (OSError, ValueError, http.client.HTTPException):
        return None
    finally:
        connection.close()


class _UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str) -> None:
        super().__init__("localhost", timeout=10)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(10)
        try:
            sock.connect(self._path)
        except OSError:
            sock.close()
            raise
        self.sock = sock
