"""Unit tests for :mod:`pytest_localstack.sharing.reuse` with a fake runtime: no emulator runs."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from pytest_localstack.config import Settings
from pytest_localstack.emulators import EMULATORS
from pytest_localstack.runtimes import LABEL_OWNER, LABEL_RUN, Endpoint, Runtimes
from pytest_localstack.sharing import reuse
from tests.unit.test_coordinator import FakeEmulator, FakeRuntime

SETTINGS = Settings(reuse=True)


@pytest.fixture
def runtime(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeRuntime:
    fake = FakeRuntime()
    monkeypatch.setattr(Runtimes, "__getitem__", lambda self, engine: fake)
    monkeypatch.setattr(Runtimes, "choose_engine", lambda self, settings: "fake")
    monkeypatch.setitem(EMULATORS, "localstack", FakeEmulator())  # type: ignore[arg-type]
    monkeypatch.setenv("PYTEST_LOCALSTACK_REUSE_DIR", str(tmp_path / "registry"))
    return fake


def record(key: str) -> Path:
    return reuse.registry_dir() / f"{key}.json"


def test_the_next_acquire_attaches(runtime: FakeRuntime) -> None:
    first = reuse.acquire(SETTINGS)
    assert reuse.acquire(SETTINGS) == first
    assert len(runtime.starts) == 1
    ((_, labels),) = runtime.starts
    assert labels[LABEL_RUN] == "reuse"
    assert labels[LABEL_OWNER] == ""  # no owner: the orphan sweep leaves it alone
    assert labels[reuse.LABEL_REUSE] == SETTINGS.endpoint_key()
    assert Endpoint.from_json(record(SETTINGS.endpoint_key()).read_text()) == first
    assert sorted(p.name for p in reuse.registry_dir().iterdir()) == [
        f"{SETTINGS.endpoint_key()}.json",
        f"{SETTINGS.endpoint_key()}.lock",
    ]  # written atomically: no temporary file is left


def test_a_gone_emulator_is_replaced(runtime: FakeRuntime) -> None:
    first = reuse.acquire(SETTINGS)
    runtime.alive.clear()
    second = reuse.acquire(SETTINGS)
    assert second != first
    assert len(runtime.starts) == 2
    assert first in [stopped for stopped, _ in runtime.stops]


def test_an_unreadable_record_is_replaced(runtime: FakeRuntime) -> None:
    reuse.registry_dir().mkdir(parents=True)
    record(SETTINGS.endpoint_key()).write_text("not json")
    endpoint = reuse.acquire(SETTINGS)
    assert Endpoint.from_json(record(SETTINGS.endpoint_key()).read_text()) == endpoint


def test_idle_emulators_are_stopped(runtime: FakeRuntime) -> None:
    idle = reuse.acquire(SETTINGS)
    old = time.time() - reuse.IDLE_LIMIT_SECONDS - 10
    os.utime(record(SETTINGS.endpoint_key()), (old, old))
    other = Settings(reuse=True, image="other/image:1")
    reuse.acquire(other)
    assert [stopped for stopped, _ in runtime.stops] == [idle]
    assert not record(SETTINGS.endpoint_key()).exists()


def test_stop_all(runtime: FakeRuntime) -> None:
    one = reuse.acquire(SETTINGS)
    two = reuse.acquire(Settings(reuse=True, image="other/image:1"))
    assert sorted(reuse.stop_all(3.0), key=lambda e: e.url) == sorted(
        [one, two], key=lambda e: e.url
    )
    assert list(reuse.registry_dir().glob("*.json")) == []
    assert reuse.stop_all() == []
