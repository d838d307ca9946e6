"""The engine matrix: every behavioural test runs on each way of running an emulator."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_localstack.fixtures import shared_session
from pytest_localstack.session import LocalstackSession, RunningSession
from pytest_localstack.sharing import reuse
from tests.servers import Sentinel, sentinel_proxy

#: engine id -> the emulator it runs. The Docker engines run on both network paths: a bridge
#: with the port published on 127.0.0.1 (the default users get, no ``--localstack-network``) and
#: the host network (``-host``).
ENGINES = {
    "docker-localstack": "localstack",
    "docker-localstack-host": "localstack",
    "docker-moto": "moto",
    "docker-moto-host": "moto",
    "process": "moto",
    "external": "moto",
}

#: The suffix of the engine ids that run a Docker engine on the host network.
HOST_NETWORK = "-host"


def selected_by(name: str, wanted: tuple[str, ...]) -> bool:
    """Whether ``@pytest.mark.engines(*wanted)`` selects engine ``name``: naming a Docker engine
    selects it on both network paths (``docker-moto`` also selects ``docker-moto-host``)."""
    return name in wanted or name.removesuffix(HOST_NETWORK) in wanted


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.parent.name == "integration" or "integration" in item.path.parts:
            item.add_marker(pytest.mark.integration)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "engine" not in metafunc.fixturenames:
        return
    by_emulator = metafunc.definition.get_closest_marker("emulators")
    by_name = metafunc.definition.get_closest_marker("engines")
    engines = [
        name
        for name, emulator in ENGINES.items()
        if (by_emulator is None or emulator in by_emulator.args)
        and (by_name is None or selected_by(name, by_name.args))
    ]
    metafunc.parametrize("engine", engines, indirect=True, scope="module")


@pytest.fixture(scope="module")
def engine(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Settings that select one engine of the matrix, as fixture keyword arguments."""
    name: str = request.param
    if name.startswith("docker-"):
        emulator = ENGINES[name]
        image = request.getfixturevalue(f"{emulator}_image")
        settings = dict(engine="docker", emulator=emulator, image=image, pull=False)
        if name.endswith(HOST_NETWORK):
            settings["network"] = "host"
        return settings
    if name == "process":
        return dict(engine="process", emulator="moto")
    return dict(engine="external", endpoint=request.getfixturevalue("external_moto_url"))


def engine_cli_args(engine: dict[str, Any]) -> list[str]:
    """The same engine settings as command-line options, for pytester runs."""
    args = []
    for name, value in engine.items():
        flag = f"--localstack-{name.replace('_', '-')}"
        if isinstance(value, bool):
            args.append(flag if value else flag.replace("--", "--no-", 1))
        else:
            args.append(f"{flag}={value}")
    return args


@pytest.fixture(scope="module")
def aws(pytestconfig: pytest.Config, engine: dict[str, Any]) -> Iterator[LocalstackSession]:
    """A session on the engine under test, shared by the module's tests."""
    with shared_session(pytestconfig, **engine) as session:
        yield session


@pytest.fixture
def identity(aws: LocalstackSession) -> Iterator[RunningSession]:
    """A fresh account in the module's emulator, for one test."""
    session = aws.new_identity()
    yield session
    session.stop()


@pytest.fixture
def patched(identity: RunningSession) -> Iterator[RunningSession]:
    """The fresh identity, with every botocore and boto3 client redirected to it."""
    with identity.botocore.patch_botocore():
        yield identity


@pytest.fixture
def sentinel(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sentinel]:
    """Every proxy variable points at a sentinel that forwards nothing; the test checks what
    reached it."""
    with sentinel_proxy(monkeypatch, must_stay_empty=False) as server:
        yield server


@pytest.fixture
def empty_sentinel(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sentinel]:
    """As :func:`sentinel`, and the test fails at teardown if any request reached it."""
    with sentinel_proxy(monkeypatch, must_stay_empty=True) as server:
        yield server


@pytest.fixture
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A reuse registry of the test's own; every emulator kept in it is stopped afterwards."""
    directory = tmp_path / "reuse"
    monkeypatch.setenv("PYTEST_LOCALSTACK_REUSE_DIR", str(directory))
    yield directory
    reuse.stop_all()
