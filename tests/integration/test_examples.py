"""The README's first command: the examples/ suite passes, also on a machine without Docker."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import engine_cli_args

EXAMPLES = Path(__file__).parents[2] / "examples"
#: An application whose clients are made at import time; run on its own (see below).
IMPORT_TIME_CLIENTS = EXAMPLES / "import_time_clients"


def run_examples(*args: str, path: Path = EXAMPLES, **env: str) -> subprocess.CompletedProcess[str]:
    if path == EXAMPLES:
        args = (f"--ignore={IMPORT_TIME_CLIENTS}", *args)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", str(path), *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_examples_fall_back_to_the_embedded_emulator_without_docker(tmp_path: Path) -> None:
    result = run_examples(DOCKER_HOST=f"unix://{tmp_path}/no-docker.sock")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "6 passed" in result.stdout
    assert "localstack: process moto" in result.stdout


@pytest.mark.engines("docker-moto")
def test_examples_on_docker(engine: dict[str, Any]) -> None:
    result = run_examples(*engine_cli_args(engine))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "6 passed" in result.stdout
    assert "localstack: docker moto" in result.stdout


def test_import_time_clients_example(engine: dict[str, Any]) -> None:
    """A Lambda-style module makes its clients at import, before ``patch_fixture`` starts: they
    are redirected to the emulator with the fixture's account while the patch is active."""
    result = run_examples(*engine_cli_args(engine), path=IMPORT_TIME_CLIENTS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout
