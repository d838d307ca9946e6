"""Unit tests for :mod:`pytest_localstack._redact`: secrets never reach a message."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import pytest

from pytest_localstack import _redact
from pytest_localstack.config import Settings
from pytest_localstack.emulators import LOCALSTACK
from pytest_localstack.exceptions import StartupError


@pytest.fixture(autouse=True)
def _forget_secrets() -> Iterator[None]:
    saved = set(_redact._secrets)
    yield
    _redact._secrets.clear()
    _redact._secrets.update(saved)


def test_registered_values_are_masked_longest_first() -> None:
    _redact.register(["secret-token", "secret-token-2", "short"])
    assert _redact.redact("a secret-token-2 and a secret-token") == "a *** and a ***"
    assert _redact.redact("short stays") == "short stays"  # too short to be a secret


def test_errors_never_show_a_registered_value() -> None:
    _redact.register(["secret-token"])
    error = StartupError("it failed", log_tail="config: FOO=secret-token")
    assert str(error) == "it failed\n--- last emulator log lines ---\nconfig: FOO=***"


def test_the_forwarded_auth_token_is_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCALSTACK_AUTH_TOKEN", "ls-token-1234567")
    LOCALSTACK.container_environment(Settings(), None)
    assert _redact.redact("token ls-token-1234567") == "token ***"


def test_forwarded_log_lines_are_masked(caplog: pytest.LogCaptureFixture) -> None:
    from tests.unit.test_docker_runtime import FakeClient, start

    client = FakeClient()
    client.log_lines = [b"DEBUG env FOO=secret-token\n"]
    settings = Settings(
        engine="docker",
        emulator="moto",
        image="pytest-localstack-test/moto:latest",
        start_timeout=10,
        env=(("FOO", "secret-token"),),
    )
    with caplog.at_level(logging.DEBUG, logger="pytest_localstack"):
        start(client, settings)
        deadline = time.monotonic() + 5  # the log pump is a thread of its own
        while "FOO=" not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.02)
    for container in list(client.containers.all):
        container.remove(force=True)
    assert "DEBUG env FOO=***" in caplog.text
    assert "secret-token" not in caplog.text
