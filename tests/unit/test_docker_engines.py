"""Unit tests for :mod:`pytest_localstack.runtimes.docker_engines`: finding the engine the way the
docker CLI does (fake HOME, context files, real Unix sockets) and local-versus-remote."""

from __future__ import annotations

import hashlib
import json
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_localstack.exceptions import EngineUnavailableError
from pytest_localstack.runtimes.docker_engines import (
    EngineAddress,
    Reach,
    find_engine,
    is_loopback_name,
    reach,
)


@pytest.fixture
def home() -> Iterator[Path]:
    """A fake HOME with a short path: a Unix socket path must stay under 108 bytes."""
    directory = Path(tempfile.mkdtemp(prefix="plh-", dir="/tmp"))
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def root(home: Path) -> Path:
    """A fake file-system root for /var/run/docker.sock and /run/podman/podman.sock."""
    (home / "root").mkdir()
    return home / "root"


@pytest.fixture
def sockets() -> Iterator[list[socket.socket]]:
    made: list[socket.socket] = []
    yield made
    for sock in made:
        sock.close()


def bind(sockets: list[socket.socket], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(path))
    sockets.append(sock)
    return path


def write_context(home: Path, name: str, host: str, current: bool = True) -> Path:
    """What `docker context create NAME --docker host=HOST` and `docker context use` write."""
    digest = hashlib.sha256(name.encode()).hexdigest()
    meta = home / ".docker" / "contexts" / "meta" / digest / "meta.json"
    meta.parent.mkdir(parents=True)
    meta.write_text(
        json.dumps(
            {
                "Name": name,
                "Metadata": {"Description": name},
                "Endpoints": {"docker": {"Host": host, "SkipTLSVerify": False}},
            }
        )
    )
    if current:
        (home / ".docker" / "config.json").write_text(json.dumps({"currentContext": name}))
    return meta


# -- the docker CLI's order -------------------------------------------------------------------


def test_docker_host_wins_over_everything(home: Path, root: Path) -> None:
    write_context(home, "colima", "unix:///nowhere.sock")
    environ = {"DOCKER_HOST": "tcp://127.0.0.1:2375", "DOCKER_CONTEXT": "colima"}
    assert find_engine(environ, home, root) == EngineAddress("tcp://127.0.0.1:2375", "DOCKER_HOST")


def test_current_context_of_the_cli_config(home: Path, root: Path) -> None:
    socket_path = home / ".colima" / "default" / "docker.sock"
    write_context(home, "colima", f"unix://{socket_path}")
    address = find_engine({}, home, root)
    assert address.url == f"unix://{socket_path}"
    config_file = home / ".docker" / "config.json"
    assert address.source == f"Docker context 'colima' from currentContext in {config_file}"
    assert address.is_local


def test_docker_context_variable_beats_the_config(home: Path, root: Path) -> None:
    write_context(home, "colima", "unix:///colima.sock")
    write_context(home, "desktop-linux", "unix:///desktop.sock", current=False)
    environ = {"DOCKER_CONTEXT": "desktop-linux"}
    address = find_engine(environ, home, root)
    assert address == EngineAddress(
        "unix:///desktop.sock", "Docker context 'desktop-linux' from DOCKER_CONTEXT"
    )


def test_docker_config_variable_moves_the_config(home: Path, root: Path) -> None:
    write_context(home / "elsewhere", "remote", "tcp://docker:2375")
    (home / "elsewhere" / ".docker" / "config.json").rename(home / "elsewhere" / "config.json")
    environ = {"DOCKER_CONFIG": str(home / "elsewhere" / ".docker")}
    # config.json is looked for in DOCKER_CONFIG, not ~/.docker: no current context there
    assert find_engine(environ, home, root).source == "the default socket"
    (home / "elsewhere" / "config.json").rename(home / "elsewhere" / ".docker" / "config.json")
    address = find_engine(environ, home, root)
    assert address.url == "tcp://docker:2375"
    assert not address.is_local


def test_the_default_context_means_the_sockets(
    home: Path, root: Path, sockets: list[socket.socket]
) -> None:
    (home / ".docker").mkdir()
    (home / ".docker" / "config.json").write_text(json.dumps({"currentContext": "default"}))
    path = bind(sockets, home / ".docker" / "run" / "docker.sock")
    assert find_engine({}, home, root) == EngineAddress(f"unix://{path}", "Docker Desktop's socket")


def test_a_context_with_tls_material(home: Path, root: Path) -> None:
    meta = write_context(home, "secure", "tcp://build-box.example:2376")
    tls = home / ".docker" / "contexts" / "tls" / meta.parent.name / "docker"
    tls.mkdir(parents=True)
    assert find_engine({}, home, root).tls_dir == str(tls)


@pytest.mark.parametrize(
    ("meta_text", "reason"),
    [(None, "FileNotFoundError"), ("{not json", "JSONDecodeError"), ("{}", "KeyError")],
)
def test_a_broken_context_is_a_clear_error(
    home: Path, root: Path, meta_text: str | None, reason: str
) -> None:
    meta = write_context(home, "gone", "unix:///x.sock")
    if meta_text is None:
        meta.unlink()
    else:
        meta.write_text(meta_text)
    with pytest.raises(EngineUnavailableError) as raised:
        find_engine({}, home, root)
    message = str(raised.value)
    config_file = home / ".docker" / "config.json"
    assert message.startswith(
        f"Docker context 'gone' (from currentContext in {config_file}) has no usable endpoint "
        f"in {meta} ({reason}: "
    )
    assert message.endswith(
        "run `docker context ls` and `docker context use NAME`, or set DOCKER_HOST"
    )


# -- the documented sockets, first present wins ------------------------------------------------


@pytest.mark.parametrize(
    ("relative", "source"),
    [
        ("root/var/run/docker.sock", "the default socket"),
        (".docker/run/docker.sock", "Docker Desktop's socket"),
        (".docker/desktop/docker.sock", "Docker Desktop's socket (Linux)"),
        (".colima/default/docker.sock", "colima's socket"),
        (".rd/docker.sock", "Rancher Desktop's socket"),
        ("xdg/docker.sock", "rootless Docker's socket"),
        ("xdg/podman/podman.sock", "Podman's user socket"),
        ("root/run/podman/podman.sock", "Podman's system socket"),
        (
            ".local/share/containers/podman/machine/qemu/podman.sock",
            "Podman machine socket (qemu)",
        ),
        (
            ".local/share/containers/podman/machine/applehv/default/podman.sock",
            "Podman machine socket (default)",
        ),
    ],
)
def test_each_documented_socket(
    home: Path, root: Path, sockets: list[socket.socket], relative: str, source: str
) -> None:
    path = bind(sockets, home / relative)
    environ = {"XDG_RUNTIME_DIR": str(home / "xdg")}
    assert find_engine(environ, home, root) == EngineAddress(f"unix://{path}", source)


def test_the_first_socket_present_wins(
    home: Path, root: Path, sockets: list[socket.socket]
) -> None:
    bind(sockets, home / ".colima" / "default" / "docker.sock")
    desktop = bind(sockets, home / ".docker" / "run" / "docker.sock")
    assert find_engine({}, home, root).url == f"unix://{desktop}"


def test_a_plain_file_is_not_a_socket(home: Path, root: Path) -> None:
    (root / "var" / "run").mkdir(parents=True)
    (root / "var" / "run" / "docker.sock").write_text("")
    colima_home = home / "colima-home"
    bind_target = colima_home / "default" / "docker.sock"
    bind_target.parent.mkdir(parents=True)
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(bind_target))
        address = find_engine({"COLIMA_HOME": str(colima_home)}, home, root)
    assert address == EngineAddress(f"unix://{bind_target}", "colima's socket")


def test_nothing_present_means_the_default_socket(home: Path, root: Path) -> None:
    assert find_engine({}, home, root) == EngineAddress(
        f"unix://{root}/var/run/docker.sock", "the default socket"
    )


# -- local or remote ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "unix:///var/run/docker.sock",
        "npipe:////./pipe/docker_engine",
        "tcp://127.0.0.1:2375",
        "tcp://127.0.0.53:2375",
        "tcp://localhost:2375",
        "tcp://LOCALHOST.:2375",
        "tcp://engine.localhost:2375",
        "tcp://[::1]:2375",
        "http://127.0.0.1:2375",
        "ssh://me@localhost",
        "http+docker://localhost",
    ],
)
def test_local_engines(url: str) -> None:
    address = EngineAddress(url, "test")
    assert address.is_local
    assert reach(address) == Reach("127.0.0.1", "127.0.0.1")


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("tcp://docker:2375", "docker"),  # GitLab's Docker-in-Docker service
        ("tcp://docker-engine.test:2376", "docker-engine.test"),
        ("https://build-box.example:2376", "build-box.example"),
        ("ssh://ci@build-box.example", "build-box.example"),
        ("tcp://192.0.2.10:2375", "192.0.2.10"),
        ("tcp://[2001:db8::1]:2375", "2001:db8::1"),
    ],
)
def test_remote_engines(url: str, host: str) -> None:
    address = EngineAddress(url, "test")
    assert not address.is_local
    assert address.host == host


def test_loopback_names() -> None:
    assert is_loopback_name("localhost")
    assert is_loopback_name("127.1.2.3")
    assert not is_loopback_name("docker")
    assert not is_loopback_name("localhost.example")
    assert not is_loopback_name("10.0.0.1")


def test_a_remote_engine_is_reached_through_its_name(monkeypatch: pytest.MonkeyPatch) -> None:
    real = socket.getaddrinfo

    def fake(host: str, *args: object, **kwargs: object) -> object:
        assert host == "docker"
        return real("127.0.0.1", *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    assert reach(EngineAddress("tcp://docker:2375", "DOCKER_HOST")) == Reach("127.0.0.1", "docker")


def test_an_ipv6_engine_is_bracketed_in_urls() -> None:
    assert Reach("2001:db8::1", "2001:db8::1").url_host == "[2001:db8::1]"
    assert Reach("127.0.0.1", "docker").url_host == "docker"


def test_an_unresolvable_engine_host_is_a_clear_error() -> None:
    address = EngineAddress("tcp://no-such-engine.invalid:2375", "DOCKER_HOST")
    with pytest.raises(EngineUnavailableError) as raised:
        reach(address)
    message = str(raised.value)
    assert message.startswith(
        "the Docker engine's host 'no-such-engine.invalid' (from DOCKER_HOST: "
        "tcp://no-such-engine.invalid:2375) does not resolve: "
    )
    assert message.endswith(
        "Fix the name (in CI, the Docker-in-Docker service's alias must match DOCKER_HOST), or "
        "unset DOCKER_HOST to use the local engine."
    )
    assert "gaierror" not in message
