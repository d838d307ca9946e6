"""What a user reads: the first run where Docker has no image, a failed start over many tests,
progress lines, and the emulator's log lines in a failing test's report.

Every case is a real pytest subprocess against a real Docker engine or moto server; the exact
text of each message is asserted, and that no ``INTERNALERROR`` appears.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from typing import Any

import pytest

from pytest_localstack import config
from pytest_localstack.config import DEFAULT_LOCALSTACK_IMAGE
from tests.integration.test_examples import EXAMPLES

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("default")]

FIVE_TESTS = """
import boto3
import pytest

@pytest.mark.parametrize("n", range(5))
def test_needs_aws(localstack, n):
    boto3.client("sqs").list_queues()
"""

ONE_FAILS = """
import boto3
import pytest

@pytest.mark.parametrize("n", range(2))
def test_head_of_a_missing_bucket(localstack, n):
    boto3.client("s3").head_bucket(Bucket="missing-bucket-{n}".format(n=n))

def test_passes(localstack):
    boto3.client("sqs").list_queues()
"""


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for option in config.OPTIONS:
        monkeypatch.delenv(option.env, raising=False)
    monkeypatch.delenv("PYTEST_ADDOPTS", raising=False)


def output_of(result: pytest.RunResult) -> str:
    output = result.stdout.str() + "\n" + result.stderr.str()
    assert "INTERNALERROR" not in output
    return output


# -- the README's first command -------------------------------------------------------------


def test_readme_first_command_passes_where_docker_has_no_image(docker_client: Any) -> None:
    """Docker answers, the default image is absent and cannot be pulled (no registry here):
    engine auto falls back to the embedded moto server and says so."""
    import docker.errors

    with pytest.raises(docker.errors.ImageNotFound):
        docker_client.images.get(DEFAULT_LOCALSTACK_IMAGE)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", str(EXAMPLES)],
        env={**os.environ},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert re.search(r"=+ \d+ passed in ", result.stdout), output
    assert "INTERNALERROR" not in output
    note = (
        f"localstack: engine auto: Docker image '{DEFAULT_LOCALSTACK_IMAGE}' is not available: "
        "it is not present locally and pulling it failed ("
    )
    fallback = (
        "check the name and your registry access, or choose another --localstack-image; the "
        "embedded moto server runs instead (--localstack-engine=docker makes this an error)"
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith(note)]
    assert len(lines) == 2, output  # said when it happens, and again in the summary
    assert all(line.endswith(fallback) for line in lines)
    assert "localstack: process moto" in result.stdout


def test_explicit_docker_engine_keeps_the_missing_image_error(
    pytester: pytest.Pytester, docker_client: Any
) -> None:
    pytester.makepyfile(test_inner=FIVE_TESTS.replace("range(5)", "range(1)"))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--localstack-engine=docker")
    output = output_of(result)
    result.assert_outcomes(errors=1)
    assert (
        f"ImageNotFoundError: Docker image '{DEFAULT_LOCALSTACK_IMAGE}' is not available: it is "
        "not present locally and pulling it failed (" in output
    )
    assert "the embedded moto server runs instead" not in output


# -- a failed start over five tests ---------------------------------------------------------

MISSING = "pytest-localstack-test/does-not-exist:1"
MISSING_ERROR = (
    f"Docker image '{MISSING}' is not available: it is not present locally and pulling is "
    f"disabled (--no-localstack-pull); run `docker pull {MISSING}`, build it, or choose "
    "another --localstack-image"
)
FAILED_ARGS = (
    "-p",
    "no:cacheprovider",
    "--localstack-engine=docker",
    f"--localstack-image={MISSING}",
    "--no-localstack-pull",
)


def error_sections(result: pytest.RunResult) -> dict[str, list[str]]:
    """The body of each ``ERROR at setup of ...`` section, by test name."""
    sections: dict[str, list[str]] = {}
    current = None
    for line in result.stdout.lines:
        match = re.match(r"_+ ERROR at setup of (\S+) _+$", line)
        if match:
            current = match.group(1)
            sections[current] = []
        elif re.match(r"(=+ |localstack: )", line):
            current = None
        elif current is not None and not line.startswith("[gw"):
            sections[current].append(line)
    return sections


def test_a_failed_start_is_said_fully_once(pytester: pytest.Pytester, docker_client: Any) -> None:
    pytester.makepyfile(test_inner=FIVE_TESTS)
    result = pytester.runpytest_subprocess(*FAILED_ARGS)
    output_of(result)
    result.assert_outcomes(errors=5)
    sections = error_sections(result)
    assert sections == {
        "test_needs_aws[0]": [f"ImageNotFoundError: {MISSING_ERROR}"],
        **{
            f"test_needs_aws[{n}]": [
                "the emulator failed to start earlier in this run: see the error of "
                "test_inner.py::test_needs_aws[0] and the localstack summary"
            ]
            for n in range(1, 5)
        },
    }
    result.stdout.fnmatch_lines(
        [
            "localstack: the emulator did not start, so every test that needs it failed: "
            + MISSING_ERROR.replace("[", "[[]"),
            "localstack: the first of those tests shows the whole error; see "
            "docs/troubleshooting.md",
        ]
    )
    assert "Traceback" not in result.stdout.str()


def test_a_failed_start_under_xdist(pytester: pytest.Pytester, docker_client: Any) -> None:
    pytester.makepyfile(test_inner=FIVE_TESTS)
    result = pytester.runpytest_subprocess(*FAILED_ARGS, "-n", "2")
    output_of(result)
    result.assert_outcomes(errors=5)
    bodies = [body for body in error_sections(result).values()]
    full = [body for body in bodies if body == [f"ImageNotFoundError: {MISSING_ERROR}"]]
    assert 1 <= len(full) <= 2  # each worker that meets it first says it fully; at most once
    pointers = [body for body in bodies if body != [f"ImageNotFoundError: {MISSING_ERROR}"]]
    assert len(full) + len(pointers) == 5
    for body in pointers:
        assert len(body) == 1
        assert re.fullmatch(
            r"the emulator failed to start earlier in this run: see (the first error|the error "
            r"of test_inner.py::test_needs_aws\[\d\]) and the localstack summary",
            body[0],
        ), body
    summary = [line for line in result.stdout.lines if line.startswith("localstack: the emul")]
    assert summary == [
        f"localstack: the emulator did not start, so every test that needs it failed: "
        f"{MISSING_ERROR}"
    ]


# -- progress and logs ------------------------------------------------------------------------


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one process", "xdist"])
def test_progress_and_the_emulator_log_of_failing_tests(
    pytester: pytest.Pytester, workers: list[str]
) -> None:
    pytester.makepyfile(test_inner=ONE_FAILS)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--localstack-engine=process", "-v", *workers
    )
    output = output_of(result)
    result.assert_outcomes(failed=2, passed=1)
    ready = [
        line
        for line in output.splitlines()
        if re.fullmatch(
            r"localstack: moto server \(pid \d+\) ready at http://127\.0\.0\.1:\d+ in "
            r"\d+\.\d s",
            line,
        )
    ]
    assert len(ready) == 1, output  # once per run, from the process that started it
    text = result.stdout.str()
    assert text.count("Captured localstack log call") == 2
    for n in range(2):
        section = text.split(f"test_head_of_a_missing_bucket[{n}] _", 1)[1].split(
            "Captured localstack log call", 1
        )[1]
        assert f'"HEAD /missing-bucket-{n} HTTP/1.1" 404' in section.split("\n_")[0]
    assert "\x1b[" not in text


def test_tests_that_pass_carry_no_emulator_log(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner=FIVE_TESTS)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--localstack-engine=process", "-rA"
    )
    output_of(result)
    result.assert_outcomes(passed=5)
    assert "Captured localstack log" not in result.stdout.str()


def test_docker_emulator_log_in_a_failing_test(pytester: pytest.Pytester, moto_image: str) -> None:
    pytester.makepyfile(test_inner=ONE_FAILS)
    result = pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        "--localstack-engine=docker",
        "--localstack-emulator=moto",
        f"--localstack-image={moto_image}",
        "--no-localstack-pull",
        "-n",
        "2",
    )
    output_of(result)
    result.assert_outcomes(failed=2, passed=1)
    text = result.stdout.str()
    assert text.count("Captured localstack log call") == 2
    assert '"HEAD /missing-bucket-0 HTTP/1.1" 404' in text
    assert '"HEAD /missing-bucket-1 HTTP/1.1" 404' in text
    assert "\x1b[" not in text
