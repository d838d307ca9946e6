"""Shared test helpers: where the test images are, and how to fail (CI) or skip (elsewhere)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_localstack import _http
from pytest_localstack.runtimes import free_port

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

#: Images built by scripts/build-test-images.sh; they present the official images' interfaces.
LOCALSTACK_IMAGE = os.environ.get(
    "PYTEST_LOCALSTACK_TEST_LOCALSTACK_IMAGE", "pytest-localstack-test/localstack:latest"
)
MOTO_IMAGE = os.environ.get(
    "PYTEST_LOCALSTACK_TEST_MOTO_IMAGE", "pytest-localstack-test/moto:latest"
)

#: Real-looking credentials that must never be used while a session's patch is active.
REAL_KEY = "AKIAREALREALREAL0000"
REAL_SECRET = "real/secret/real/secret"


def pytest_configure(config: pytest.Config) -> None:
    """With ``PYTEST_LOCALSTACK_TEST_INSTALLED=wheel`` (the CI matrix), the tests must exercise
    the installed package, not the checkout's ``src/``."""
    if os.environ.get("PYTEST_LOCALSTACK_TEST_INSTALLED") == "wheel":
        import pytest_localstack

        where = Path(pytest_localstack.__file__).resolve()
        checkout = Path(__file__).resolve().parents[1]
        if "site-packages" not in where.parts or where.is_relative_to(checkout):
            raise pytest.UsageError(
                f"pytest_localstack was imported from {where}, not from an installed wheel in "
                "site-packages; install the wheel without -e and keep src/ off sys.path"
            )


def pytest_report_header(config: pytest.Config) -> str:
    import pytest_localstack

    return f"pytest_localstack from {Path(pytest_localstack.__file__).resolve().parent}"


def unique(prefix: str) -> str:
    """A name no other test run uses."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def use_real_looking_aws_files(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *, default_region: str, prod_region: str
) -> Path:
    """Real-looking credentials in the environment and in the config and credentials files the
    SDKs read (a ``default`` and a ``prod`` profile); returns the files' directory."""
    real = tmp_path / "real-aws"
    real.mkdir()
    (real / "config").write_text(
        f"[default]\nregion = {default_region}\n[profile prod]\nregion = {prod_region}\n"
    )
    (real / "credentials").write_text(
        f"[default]\naws_access_key_id = {REAL_KEY}\naws_secret_access_key = {REAL_SECRET}\n"
        f"[prod]\naws_access_key_id = {REAL_KEY}\naws_secret_access_key = {REAL_SECRET}\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(real / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(real / "credentials"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", REAL_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", REAL_SECRET)
    monkeypatch.setenv("AWS_SESSION_TOKEN", "real-session-token")
    return real


def require(condition: bool, reason: str) -> None:
    """Skip a test whose prerequisite is missing, but fail it in CI, where nothing may skip."""
    if not condition:
        if IN_CI:
            pytest.fail(f"CI=true and {reason}", pytrace=False)
        pytest.skip(reason)


@pytest.fixture(scope="session")
def docker_client() -> object:
    """The plugin's own client for the default engine, so that tests see what it sees."""
    from pytest_localstack.exceptions import EngineUnavailableError
    from pytest_localstack.runtimes.docker import connect

    try:
        client = connect()
    except EngineUnavailableError as error:
        require(False, f"{error}; run scripts/start-dockerd.sh")
    return client


def _require_image(client: object, image: str) -> str:
    import docker.errors

    try:
        client.images.get(image)  # type: ignore[attr-defined]
    except docker.errors.ImageNotFound:
        require(False, f"image {image} is missing; run scripts/build-test-images.sh")
    return image


@pytest.fixture(scope="session")
def localstack_image(docker_client: object) -> str:
    return _require_image(docker_client, LOCALSTACK_IMAGE)


@pytest.fixture(scope="session")
def moto_image(docker_client: object) -> str:
    return _require_image(docker_client, MOTO_IMAGE)


@pytest.fixture(scope="session")
def external_moto_url() -> Iterator[str]:
    """A moto server started by the tests, outside the plugin: an 'external' endpoint."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if _http.get(url + "/moto-api/")[0] == 200:
                    break
            except _http.ProbeFailed:
                pass
            assert process.poll() is None, "the external moto server exited"
            assert time.monotonic() < deadline, "the external moto server did not start"
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(10)
