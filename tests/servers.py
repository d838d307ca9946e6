"""HTTP servers on 127.0.0.1 for the tests, and pointing the proxy variables somewhere safe."""

from __future__ import annotations

import contextlib
import socketserver
import threading
from collections.abc import Iterator
from typing import TypeVar

import pytest

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")
NO_PROXY_VARIABLES = ("NO_PROXY", "no_proxy")

#: A port nothing listens on: a proxy that forwards nothing.
DEAD_PROXY = "http://127.0.0.1:9"


def set_proxies(monkeypatch: pytest.MonkeyPatch, url: str, *, bypass_local: bool = True) -> None:
    """Send every request through the proxy at ``url``: except those for 127.0.0.1 and
    localhost (``NO_PROXY``) if ``bypass_local``, else with no ``NO_PROXY`` at all."""
    for name in PROXY_VARIABLES:
        monkeypatch.setenv(name, url)
    for name in NO_PROXY_VARIABLES:
        if bypass_local:
            monkeypatch.setenv(name, "127.0.0.1,localhost")
        else:
            monkeypatch.delenv(name, raising=False)


Server = TypeVar("Server")


@contextlib.contextmanager
def serving(server: Server) -> Iterator[Server]:
    """Run ``server.server`` on ``server.thread`` for the block, then shut it down."""
    server.thread.start()  # type: ignore[attr-defined]
    try:
        yield server
    finally:
        server.server.shutdown()  # type: ignore[attr-defined]
        server.server.server_close()  # type: ignore[attr-defined]
        server.thread.join()  # type: ignore[attr-defined]


class Sentinel:
    """A dead-end HTTP server/proxy on 127.0.0.1: records each request line, answers 403,
    forwards nothing. Not started: use it with :func:`serving`."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        requests = self.requests

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                requests.append(self.rfile.readline(65536).decode("latin-1").strip())
                self.wfile.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )


@contextlib.contextmanager
def sentinel_proxy(monkeypatch: pytest.MonkeyPatch, *, must_stay_empty: bool) -> Iterator[Sentinel]:
    """A running :class:`Sentinel` that every proxy variable points at (``NO_PROXY`` covers
    127.0.0.1). With ``must_stay_empty``, fails at the end if any request reached it."""
    with serving(Sentinel()) as server:
        set_proxies(monkeypatch, server.url)
        yield server
    if must_stay_empty:
        assert server.requests == [], "a request left for a real endpoint"
