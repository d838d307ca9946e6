"""Every bad input gets a clear answer: one row per case, each run as a real pytest subprocess.

Each row asserts that the message names the problem and says what to do, that pytest reports it
as a usage, collection or test error (never an ``INTERNALERROR``), and that the run returns
within a bound. The emulator failures (exits during start-up, never ready, licence refused) use
throwaway images made from the moto test image without any registry: ``docker create`` of the
moto image, then ``docker commit`` with another entrypoint. On the embedded engine the same
failures come from a ``sitecustomize`` module put on the moto server's ``PYTHONPATH``.
After each Docker row no container of the failed start is left.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_localstack import config
from pytest_localstack.runtimes import free_port
from tests.conftest import require
from tests.servers import DEAD_PROXY, set_proxies

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("default")]

USES_AWS = """
import boto3

def test_uses_aws(localstack):
    boto3.client("sqs").list_queues()
"""


def classic(**kwargs: Any) -> str:
    arguments = ", ".join(f"{name}={value!r}" for name, value in kwargs.items())
    return f"""
import boto3, pytest_localstack

localstack = pytest_localstack.patch_fixture({arguments})

def test_uses_aws(localstack):
    boto3.client("sqs").list_queues()
"""


#: What the throwaway images run instead of the moto server (python3 is in the moto image).
BROKEN_ENTRYPOINTS = {
    "exits": "import sys; print('boom: the emulator cannot start', file=sys.stderr); sys.exit(3)",
    "hangs": "import time; print('starting, slowly', flush=True); time.sleep(3600)",
    "licence": (
        "import sys; print('License activation failed! Reason: no credentials were found in "
        "the environment. Set LOCALSTACK_AUTH_TOKEN.', file=sys.stderr); sys.exit(55)"
    ),
}

#: What a sitecustomize module does to the embedded moto server.
BROKEN_SITECUSTOMIZE = {
    "exits": "import os, sys\nprint('boom: the emulator cannot start', file=sys.stderr)\n"
    "sys.stderr.flush()\nos._exit(3)\n",
    "hangs": "import time\ntime.sleep(3600)\n",
}


@dataclasses.dataclass
class Case:
    """One bad input: what the inner run is given, and what it must answer."""

    source: str = USES_AWS
    args: tuple[str, ...] = ()
    env: dict[str, str] = dataclasses.field(default_factory=dict)
    #: every one of these must appear in the output
    says: tuple[str, ...] = ()
    ret: pytest.ExitCode = pytest.ExitCode.TESTS_FAILED
    outcomes: dict[str, int] | None = None
    #: seconds the whole inner run may take
    bound: float = 30.0
    #: what the case needs: "docker", "images", "port", "site"
    needs: tuple[str, ...] = ()


DOCKER = ("--localstack-engine=docker", "--localstack-network=host", "--no-localstack-pull")
MOTO_IN_DOCKER = (*DOCKER, "--localstack-emulator=moto")
ERROR = {"errors": 1}

CASES: dict[str, Case] = {
    # -- names and types -------------------------------------------------------------------
    "unknown service": Case(
        source=classic(services=["s3", "not-a-service"]),
        says=(
            "unknown service 'not-a-service' (from services= of patch_fixture); use a botocore "
            "service name such as 's3', 'sqs' or 'dynamodb'",
        ),
        outcomes=ERROR,
    ),
    "services of the wrong type": Case(
        source=classic(services="s3"),
        says=(
            "TypeError: services must be a list of AWS service names or a dict of "
            "name -> port, not 's3'",
        ),
        outcomes=ERROR,
    ),
    "region of the wrong type": Case(
        source=classic(region_name=5),
        says=(
            "invalid value 5 (from region_name= of patch_fixture); use an AWS region name like "
            "us-east-1",
        ),
        outcomes=ERROR,
    ),
    "probability of the wrong type": Case(
        source=classic(kinesis_error_probability="high"),
        says=(
            "invalid value 'high' (from kinesis_error_probability= of patch_fixture); use a "
            "probability from 0.0 to 1.0",
        ),
        outcomes=ERROR,
    ),
    "port of the wrong type": Case(
        args=("--localstack-port=http",),
        says=("ERROR: invalid value 'http' (from --localstack-port); use 1 to 65535",),
        ret=pytest.ExitCode.USAGE_ERROR,
    ),
    "timeout of the wrong type": Case(
        args=("--localstack-start-timeout=soon",),
        says=("ERROR: invalid value 'soon' (from --localstack-start-timeout)",),
        ret=pytest.ExitCode.USAGE_ERROR,
    ),
    "boolean of the wrong type": Case(
        env={"PYTEST_LOCALSTACK_PULL": "maybe"},
        says=("invalid value 'maybe' (from env var PYTEST_LOCALSTACK_PULL); use true or false",),
        ret=pytest.ExitCode.USAGE_ERROR,
    ),
    "unknown engine": Case(
        args=("--localstack-engine=podman",),
        says=(
            "ERROR: invalid value 'podman' (from --localstack-engine); "
            "choose from auto, docker, process, external",
        ),
        ret=pytest.ExitCode.USAGE_ERROR,
    ),
    # -- ranges ----------------------------------------------------------------------------
    "error probability above 1": Case(
        source=classic(kinesis_error_probability=1.5),
        says=(
            "invalid value 1.5 (from kinesis_error_probability= of patch_fixture); use a "
            "probability from 0.0 to 1.0",
        ),
        outcomes=ERROR,
    ),
    "error probability below 0": Case(
        source=classic(dynamodb_error_probability=-0.1),
        says=(
            "invalid value -0.1 (from dynamodb_error_probability= of patch_fixture); use a "
            "probability from 0.0 to 1.0",
        ),
        outcomes=ERROR,
    ),
    "error probability on moto": Case(
        source=classic(kinesis_error_probability=0.5),
        args=("--localstack-engine=process",),
        says=("need the localstack emulator; moto cannot inject errors",),
        outcomes=ERROR,
    ),
    "unknown region on the command line": Case(
        args=("--localstack-region=us-east1",),
        says=(
            "ERROR: invalid value 'us-east1' (from --localstack-region); use an AWS region "
            "name like us-east-1 or eu-west-1",
        ),
        ret=pytest.ExitCode.USAGE_ERROR,
    ),
    "unknown region in a fixture": Case(
        source=classic(region_name="mars-north-1"),
        says=(
            "invalid value 'mars-north-1' (from region_name= of patch_fixture); use an AWS "
            "region name like us-east-1",
        ),
        outcomes=ERROR,
    ),
    "bad scope": Case(
        source=classic(scope="everywhere"),
        says=(
            "invalid value 'everywhere' (from scope= of patch_fixture); choose from function, "
            "class, module, package, session",
        ),
        ret=pytest.ExitCode.INTERRUPTED,
        outcomes=ERROR,
    ),
    # -- the engine ------------------------------------------------------------------------
    "Docker unreachable (no socket)": Case(
        args=("--localstack-engine=docker",),
        env={"DOCKER_HOST": "unix:///nonexistent/docker.sock"},
        says=(
            "cannot reach a Docker engine at unix:///nonexistent/docker.sock",
            "Start Docker (or set DOCKER_HOST), or run without it: --localstack-engine=process",
        ),
        outcomes=ERROR,
    ),
    "Docker unreachable (nothing listens)": Case(
        args=("--localstack-engine=docker",),
        env={"DOCKER_HOST": "tcp://127.0.0.1:{free_port}"},
        says=(
            "cannot reach a Docker engine at tcp://127.0.0.1:{free_port}",
            "Start Docker (or set DOCKER_HOST)",
        ),
        outcomes=ERROR,
    ),
    "image missing, pulling disabled": Case(
        args=(*MOTO_IN_DOCKER, "--localstack-image=pytest-localstack-test/missing:{suffix}"),
        says=(
            "Docker image 'pytest-localstack-test/missing:{suffix}' is not available: it is "
            "not present locally and pulling is disabled (--no-localstack-pull); run "
            "`docker pull pytest-localstack-test/missing:{suffix}`, build it, or choose another "
            "--localstack-image",
        ),
        outcomes=ERROR,
        needs=("docker",),
    ),
    "host port in use (process)": Case(
        args=("--localstack-engine=process", "--localstack-port={port}"),
        says=(
            "port {port} on 127.0.0.1 is already in use (another emulator?); stop what listens "
            "there, choose another --localstack-port, or leave it unset (0) for a free port",
        ),
        outcomes=ERROR,
        needs=("port",),
    ),
    "host port in use (Docker)": Case(
        args=(*MOTO_IN_DOCKER, "--localstack-image={moto_image}", "--localstack-port={port}"),
        says=("port {port} on 127.0.0.1 is already in use", "choose another --localstack-port"),
        outcomes=ERROR,
        needs=("docker", "port"),
    ),
    # -- the emulator ----------------------------------------------------------------------
    "emulator exits during start-up (Docker)": Case(
        args=(*MOTO_IN_DOCKER, "--localstack-image={image_exits}"),
        says=(
            "exited with code 3 while starting; see its log below",
            "--- last emulator log lines ---",
            "boom: the emulator cannot start",
        ),
        outcomes=ERROR,
        needs=("docker", "images"),
    ),
    "emulator exits during start-up (process)": Case(
        args=("--localstack-engine=process", "--localstack-env=PYTHONPATH={site_exits}"),
        says=(
            "exited with code 3 while starting; see its log below",
            "boom: the emulator cannot start",
        ),
        outcomes=ERROR,
        needs=("site",),
    ),
    "readiness timeout (Docker)": Case(
        args=(
            *MOTO_IN_DOCKER,
            "--localstack-image={image_hangs}",
            "--localstack-start-timeout=3",
        ),
        says=(
            "did not become ready at http://127.0.0.1:",
            "within 3 s",
            "raise --localstack-start-timeout if it is just slow",
            "starting, slowly",
        ),
        outcomes=ERROR,
        needs=("docker", "images"),
    ),
    "readiness timeout (process)": Case(
        args=(
            "--localstack-engine=process",
            "--localstack-env=PYTHONPATH={site_hangs}",
            "--localstack-start-timeout=3",
        ),
        says=("within 3 s", "raise --localstack-start-timeout if it is just slow"),
        outcomes=ERROR,
        needs=("site",),
    ),
    "licence failure": Case(
        args=(*DOCKER, "--localstack-emulator=localstack", "--localstack-image={image_licence}"),
        says=(
            "exited with code 55: LocalStack needs an auth token for this image. Set "
            "LOCALSTACK_AUTH_TOKEN in the environment (it is forwarded), or use "
            "--localstack-image=localstack/localstack:4.14, the last tag that runs without one.",
            "License activation failed!",
        ),
        outcomes=ERROR,
        needs=("docker", "images"),
    ),
    "external endpoint down": Case(
        args=(
            "--localstack-engine=external",
            "--localstack-endpoint=http://127.0.0.1:{free_port}",
        ),
        says=(
            "no LocalStack or moto emulator answers at http://127.0.0.1:{free_port} (tried "
            "/_localstack/health and /moto-api/); start it, or fix --localstack-endpoint",
        ),
        outcomes=ERROR,
    ),
    "external endpoint not a URL": Case(
        args=("--localstack-engine=external", "--localstack-endpoint=127.0.0.1:4566"),
        says=(
            "ERROR: invalid value '127.0.0.1:4566' (from --localstack-endpoint); use a URL like "
            "http://host:4566",
        ),
        ret=pytest.ExitCode.USAGE_ERROR,
    ),
    "external engine without an endpoint": Case(
        args=("--localstack-engine=external",),
        says=(
            "ERROR: engine external needs an endpoint (from --localstack-engine); set "
            "--localstack-endpoint URL",
        ),
        ret=pytest.ExitCode.USAGE_ERROR,
    ),
}

#: Every failed start runs into the same failure once per run: later tests fail fast.
REPEATED_START_FAILURE = """
import boto3

def test_first(localstack):
    pass

def test_second(localstack):
    pass
"""


# -- the fixtures ---------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No settings leak in from the outside."""
    for option in config.OPTIONS:
        monkeypatch.delenv(option.env, raising=False)
    monkeypatch.delenv("PYTEST_ADDOPTS", raising=False)


@pytest.fixture(scope="module")
def broken_images(docker_client: Any, moto_image: str) -> Iterator[dict[str, str]]:
    """Throwaway images made from the moto image without a registry, removed at the end."""
    suffix = uuid.uuid4().hex[:8]
    containers: list[Any] = []
    images: dict[str, str] = {}
    try:
        for case, code in BROKEN_ENTRYPOINTS.items():
            container = docker_client.containers.create(moto_image)  # docker create
            containers.append(container)
            entrypoint = json.dumps(["/usr/bin/python3", "-c", code])
            container.commit(  # docker commit --change 'ENTRYPOINT [...]'
                repository="pytest-localstack-test/broken",
                tag=f"{case}-{suffix}",
                changes=[f"ENTRYPOINT {entrypoint}", "CMD []"],
            )
            images[case] = f"pytest-localstack-test/broken:{case}-{suffix}"
        yield images
    finally:
        for container in containers:
            container.remove(force=True)
        for image in images.values():
            docker_client.images.remove(image, force=True)


@pytest.fixture(scope="module")
def broken_sites(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    sites = {}
    for case, code in BROKEN_SITECUSTOMIZE.items():
        site = tmp_path_factory.mktemp(f"site-{case}")
        (site / "sitecustomize.py").write_text(code)
        sites[case] = site
    return sites


@pytest.fixture
def held_port() -> Iterator[int]:
    """A port on 127.0.0.1 that something listens on for the whole test."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def containers_of(image: str) -> list[str]:
    result = subprocess.run(
        ["docker", "ps", "-aq", "--filter", f"ancestor={image}"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return result.stdout.split()


# -- the table ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_gets_a_clear_answer(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
    name: str,
) -> None:
    case = CASES[name]
    values: dict[str, Any] = {"suffix": uuid.uuid4().hex[:8], "free_port": free_port()}
    images: dict[str, str] = {}
    if "docker" in case.needs:
        request.getfixturevalue("docker_client")
        values["moto_image"] = request.getfixturevalue("moto_image")
        require(shutil.which("docker") is not None, "the docker CLI is missing")
    if "images" in case.needs:
        images = request.getfixturevalue("broken_images")
        values.update({f"image_{key}": image for key, image in images.items()})
    if "site" in case.needs:
        sites = request.getfixturevalue("broken_sites")
        values.update({f"site_{key}": str(site) for key, site in sites.items()})
    if "port" in case.needs:
        values["port"] = request.getfixturevalue("held_port")

    def fill(text: str) -> str:
        return text.format(**values)

    for key, value in case.env.items():
        monkeypatch.setenv(key, fill(value))
    pytester.makepyfile(test_inner=case.source)
    started = time.monotonic()
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", *map(fill, case.args), timeout=case.bound + 30
    )
    elapsed = time.monotonic() - started
    output = result.stdout.str() + "\n" + result.stderr.str()
    assert "INTERNALERROR" not in output
    assert result.ret == case.ret, output
    if case.outcomes is not None:
        result.assert_outcomes(**case.outcomes)
    for text in map(fill, case.says):
        assert text in output, f"{text!r} is not in the output:\n{output}"
    assert elapsed < case.bound, f"took {elapsed:.1f} s"
    for image in images.values():
        assert containers_of(image) == [], "a failed start left its container behind"


# -- beyond the table -----------------------------------------------------------------------


def test_a_failed_start_fails_every_later_test_fast(
    pytester: pytest.Pytester, broken_images: dict[str, str]
) -> None:
    """The run tries once; every later test gets the same answer at once."""
    pytester.makepyfile(test_inner=REPEATED_START_FAILURE)
    started = time.monotonic()
    result = pytester.runpytest_subprocess(
        *MOTO_IN_DOCKER,
        f"--localstack-image={broken_images['exits']}",
        timeout=60,
    )
    elapsed = time.monotonic() - started
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        [
            "ERROR test_inner.py::test_first - Failed: EmulatorExitedError: moto container * "
            "exited with code 3 while starting; see its log below",
            "ERROR test_inner.py::test_second - Failed: the emulator failed to start earlier "
            "in this run: see the error of test_inner.py::test_first and the localstack summary",
        ]
    )
    output = result.stdout.str()
    assert "INTERNALERROR" not in output
    assert elapsed < 30
    assert containers_of(broken_images["exits"]) == []


PROXIED = """
import urllib.request

import boto3
import pytest
from botocore.config import Config


def test_the_emulator_starts_and_answers(localstack):
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    assert direct.open(localstack.endpoint.url + "/moto-api/").status == 200


def test_redirected_botocore_bypasses_the_proxy(localstack):
    sqs = boto3.client("sqs", config=Config(retries={"max_attempts": 1}))
    assert sqs.list_queues().get("QueueUrls", []) == []
"""


def test_proxy_variables_warn_and_do_not_fail_the_plugin(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A proxy in the environment and no NO_PROXY for 127.0.0.1: the plugin starts, probes and
    stops the emulator without the proxy, redirected clients send directly, and the user is
    told what to do about everything else (child processes, other HTTP clients)."""
    set_proxies(monkeypatch, DEAD_PROXY, bypass_local=False)
    pytester.makepyfile(test_inner=PROXIED)
    started = time.monotonic()
    result = pytester.runpytest_subprocess("--localstack-engine=process", timeout=90)
    elapsed = time.monotonic() - started
    output = result.stdout.str()
    assert "INTERNALERROR" not in output
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "localstack: warning: the proxy http://127.0.0.1:9 from the environment is not "
            "bypassed for 127.0.0.1 (NO_PROXY): redirected botocore clients send directly "
            "anyway, but child processes and other HTTP clients would use the proxy; add "
            "127.0.0.1 to NO_PROXY"
        ]
    )
    assert elapsed < 60


PROXIED_CLIENTS = """
import boto3

def test_redirected_clients_reach_a_local_emulator(localstack):
    boto3.client("sqs").list_queues()
    localstack.boto3.client("s3").list_buckets()
"""


def test_proxy_variables_do_not_fail_redirected_clients(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_proxies(monkeypatch, DEAD_PROXY, bypass_local=False)
    pytester.makepyfile(test_inner=PROXIED_CLIENTS)
    result = pytester.runpytest_subprocess(
        "--localstack-engine=process", "-o", "addopts=", timeout=90
    )
    result.assert_outcomes(passed=1)
