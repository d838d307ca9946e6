"""Which Docker engine to use, found the way the ``docker`` CLI finds it, and how to reach it.

``docker.from_env()`` reads ``DOCKER_HOST`` only, but Docker Desktop, colima, Rancher Desktop and
Podman put their socket elsewhere and name it in the current Docker context. The order here is
the CLI's: ``DOCKER_HOST``, then ``DOCKER_CONTEXT``, then ``currentContext`` of the CLI's
``config.json``; past the CLI, the sockets these tools document, first one present wins.

This module reads files only: it never imports docker and never connects.
"""

from __future__ import annotations

import dataclasses
import hashlib
import ipaddress
import json
import os
import socket
import stat
import urllib.parse
from collections.abc import Mapping
from pathlib import Path

from pytest_localstack.exceptions import EngineUnavailableError

DEFAULT_SOCKET = "/var/run/docker.sock"


@dataclasses.dataclass(frozen=True)
class EngineAddress:
    """Where a Docker engine answers, and how that was found (for the report header)."""

    url: str
    source: str
    #: A context's TLS material: the directory with ``ca.pem``, ``cert.pem``, ``key.pem``.
    tls_dir: str = ""
    skip_tls_verify: bool = False

    @property
    def scheme(self) -> str:
        return urllib.parse.urlparse(self.url).scheme or "unix"

    @property
    def host(self) -> str:
        """The engine's host name or address; "" for a Unix socket or named pipe."""
        if self.scheme in ("unix", "npipe", "http+unix", "http+docker"):
            return ""
        return urllib.parse.urlparse(self.url).hostname or ""

    @property
    def is_local(self) -> bool:
        """Only Unix sockets, named pipes and loopback names are this machine.

        A name that merely resolves to a loopback address (a service alias such as GitLab's
        ``docker``) is another machine or container as far as published ports go.
        """
        return self.host == "" or is_loopback_name(self.host)

    def describe(self) -> str:
        return f"{self.url} ({self.source})"


def is_loopback_name(host: str) -> bool:
    """``localhost``, ``*.localhost`` (RFC 6761) or a literal loopback address."""
    host = host.strip("[]").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclasses.dataclass(frozen=True)
class Reach:
    """Where a published port is bound on the engine's side, and where the tests dial it."""

    bind_address: str
    connect_host: str

    @property
    def url_host(self) -> str:
        return f"[{self.connect_host}]" if ":" in self.connect_host else self.connect_host


def reach(address: EngineAddress) -> Reach:
    """Publish on 127.0.0.1 for a local engine; for a remote one, on the engine's address as
    this machine resolves its name, reached through that name."""
    if address.is_local:
        return Reach("127.0.0.1", "127.0.0.1")
    return Reach(resolve(address), address.host)


def resolve(address: EngineAddress) -> str:
    """The engine host's address, or a clear :class:`EngineUnavailableError` if it has none."""
    try:
        infos = socket.getaddrinfo(address.host, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise EngineUnavailableError(
            f"the Docker engine's host {address.host!r} (from {address.source}: {address.url}) "
            f"does not resolve: {reason}. Fix the name (in CI, the Docker-in-Docker service's "
            "alias must match DOCKER_HOST), or unset DOCKER_HOST to use the local engine."
        ) from None
    return str(infos[0][4][0])


def config_dir(environ: Mapping[str, str], home: Path) -> Path:
    """The docker CLI's configuration directory: ``$DOCKER_CONFIG`` or ``~/.docker``."""
    return Path(environ["DOCKER_CONFIG"]) if environ.get("DOCKER_CONFIG") else home / ".docker"


def find_engine(
    environ: Mapping[str, str] | None = None, home: Path | None = None, root: Path = Path("/")
) -> EngineAddress:
    """The engine the ``docker`` CLI would use, else the first documented socket present.

    :param root: prefix of system paths such as ``/var/run/docker.sock`` (for tests).
    """
    environ = os.environ if environ is None else environ
    home = Path.home() if home is None else home
    if environ.get("DOCKER_HOST"):
        return EngineAddress(environ["DOCKER_HOST"], "DOCKER_HOST")
    context, origin = _context_name(environ, home)
    if context and context != "default":
        return _context_endpoint(context, origin, config_dir(environ, home))
    for path, source in _socket_candidates(environ, home, root):
        if _is_socket(path):
            return EngineAddress(f"unix://{path}", source)
    return EngineAddress(f"unix://{_under(root, DEFAULT_SOCKET)}", "the default socket")


def searched_places(environ: Mapping[str, str] | None = None, home: Path | None = None) -> str:
    """The sockets :func:`find_engine` looks for, for error messages."""
    environ = os.environ if environ is None else environ
    home = Path.home() if home is None else home
    return ", ".join(str(path) for path, _ in _socket_candidates(environ, home, Path("/")))


def _context_name(environ: Mapping[str, str], home: Path) -> tuple[str, str]:
    if environ.get("DOCKER_CONTEXT"):
        return environ["DOCKER_CONTEXT"], "DOCKER_CONTEXT"
    config_file = config_dir(environ, home) / "config.json"
    try:
        config = json.loads(config_file.read_text())
    except (OSError, ValueError):
        return "", ""
    name = config.get("currentContext", "") if isinstance(config, dict) else ""
    return (name, f"currentContext in {config_file}") if isinstance(name, str) else ("", "")


def _context_endpoint(name: str, origin: str, directory: Path) -> EngineAddress:
    digest = hashlib.sha256(name.encode()).hexdigest()
    meta_file = directory / "contexts" / "meta" / digest / "meta.json"
    try:
        meta = json.loads(meta_file.read_text())
        endpoint = meta["Endpoints"]["docker"]
        url = str(endpoint["Host"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise EngineUnavailableError(
            f"Docker context {name!r} (from {origin}) has no usable endpoint in {meta_file} "
            f"({type(error).__name__}: {error}); run `docker context ls` and "
            "`docker context use NAME`, or set DOCKER_HOST"
        ) from None
    tls_dir = directory / "contexts" / "tls" / digest / "docker"
    return EngineAddress(
        url,
        f"Docker context {name!r} from {origin}",
        tls_dir=str(tls_dir) if tls_dir.is_dir() else "",
        skip_tls_verify=bool(endpoint.get("SkipTLSVerify", False)),
    )


def _socket_candidates(
    environ: Mapping[str, str], home: Path, root: Path
) -> list[tuple[Path, str]]:
    runtime_dir = environ.get("XDG_RUNTIME_DIR", "")
    colima_home = Path(environ["COLIMA_HOME"]) if environ.get("COLIMA_HOME") else home / ".colima"
    candidates = [
        (_under(root, DEFAULT_SOCKET), "the default socket"),
        (home / ".docker" / "run" / "docker.sock", "Docker Desktop's socket"),
        (home / ".docker" / "desktop" / "docker.sock", "Docker Desktop's socket (Linux)"),
        (colima_home / "default" / "docker.sock", "colima's socket"),
        (home / ".config" / "colima" / "default" / "docker.sock", "colima's socket"),
        (home / ".rd" / "docker.sock", "Rancher Desktop's socket"),
    ]
    if runtime_dir:
        candidates += [
            (Path(runtime_dir) / "docker.sock", "rootless Docker's socket"),
            (Path(runtime_dir) / "podman" / "podman.sock", "Podman's user socket"),
        ]
    candidates.append((_under(root, "/run/podman/podman.sock"), "Podman's system socket"))
    machines = home / ".local" / "share" / "containers" / "podman" / "machine"
    for pattern in ("*/podman.sock", "*/*/podman.sock"):
        for path in sorted(machines.glob(pattern)):
            candidates.append((path, f"Podman machine socket ({path.parent.name})"))
    return candidates


def _under(root: Path, absolute: str) -> Path:
    return root / absolute.lstrip("/")


def _is_socket(path: Path) -> bool:
    try:
        return stat.S_ISSOCK(path.stat().st_mode)
    except OSError:
        return False
