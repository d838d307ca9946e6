"""The engine matrix: every behavioural test runs on each way of running an emulator."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from pytest_localstack.fixtures import shared_session
from pytest_localstack.session import LocalstackSession, RunningSession
from tests.servers import Sentinel, sentinel_proxy

#: engine id -> the emulator it runs
ENGINES = {
    "docker-localstack": "localstack",
    "docker-moto": "moto",
    "process": "moto",
    "external": "moto",
}


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
        and (by_name is None or name in by_name.args)
    ]
    metafunc.parametrize("engine", engines, indirect=True, scope="module")


@pytest.fixture(scope="module")
def engine(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Settings that select one engine of the matrix, as fixture keyword arguments."""
    name: str = request.param
    if name == "docker-localstack":
        image = request.getfixturevalue("localstack_image")
        return dict(engine="docker", emulator="localstack", image=image, network="host", pull=False)
    if name == "docker-moto":
        image = request.getfixturevalue("moto_image")
        return dict(engine="docker", emulator="moto", image=image, network="host", pull=False)
    if name == "process":
        return dict(engine="process", emulator="moto")
    return dict(engine="external", endpoint=request.getfixturevalue("external_moto_url"))


def engine_cli_args(engine: dict[str, Any]) -> list[str]:
    """The same engine settings as command-line options, for pytester runs."""
    return [f"--localstack-{name.replace('_', '-')}={value}" for name, value in engine.items()]


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
