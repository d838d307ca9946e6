"""pytest-localstack's benchmark suite: one script, one run, a table of medians and ratios.

* start to ready: ``LocalstackSession.start()`` until the emulator answers, per runtime;
* time to first test: a one-test run, cold (the run starts its emulator) against warm
  (``--localstack-reuse`` attaches to the one the previous run left), per runtime;
* a suite of small AWS tests under ``-n 2`` and ``-n 4``: one shared emulator for the run
  against one emulator per worker (``--localstack-share=worker``, the original plugin's way);
* per-test isolation: a fresh account per test against one reused session (in this process);
* patched against unpatched: creating a boto3 client and one SQS call.

Every figure comes from this machine, this run; nothing is asserted. Usage::

    python benchmarks/run.py [--quick] [--runtime process|docker-moto|docker-localstack ...]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import boto3

sys.path.insert(0, str(Path(__file__).parent))

from bench_isolation import fresh_identity_test, reused_session_test, time_tests

from pytest_localstack.session import LocalstackSession

RUNTIMES = {
    "process": ["--localstack-engine=process"],
    "docker-moto": [
        "--localstack-engine=docker",
        "--localstack-emulator=moto",
        "--localstack-image=pytest-localstack-test/moto:latest",
        "--localstack-network=host",
        "--localstack-pull=false",
    ],
    "docker-localstack": [
        "--localstack-engine=docker",
        "--localstack-emulator=localstack",
        "--localstack-image=pytest-localstack-test/localstack:latest",
        "--localstack-network=host",
        "--localstack-pull=false",
    ],
}

SESSION_SETTINGS = {
    runtime: {
        arg.split("=", 1)[0][len("--localstack-") :].replace("-", "_"): arg.split("=", 1)[1]
        for arg in args
    }
    for runtime, args in RUNTIMES.items()
}

ONE_TEST = """
import boto3

def test_first(localstack):
    boto3.client("sqs").list_queues()
"""

SUITE = """
import boto3, pytest

@pytest.mark.parametrize("n", range({count}))
def test_small(localstack, n):
    sqs = boto3.client("sqs")
    sqs.create_queue(QueueName=f"q{{n}}")
    assert len(sqs.list_queues()["QueueUrls"]) == 1
"""

Row = tuple[str, str, str, str]


def run_pytest(directory: Path, *args: str) -> tuple[float, str]:
    """Wall time and output of one pytest run in a fresh interpreter."""
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=directory,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"benchmark run failed:\n{result.stdout}\n{result.stderr}")
    return elapsed, result.stdout


def emulators_started(output: str) -> int:
    return len(re.findall(r"^localstack: .* served ", output, re.MULTILINE))


def median(values: list[float]) -> float:
    return statistics.median(values)


def first_test(runtime: str, repeats: int, workdir: Path) -> list[Row]:
    (workdir / "test_first.py").write_text(ONE_TEST)
    args = RUNTIMES[runtime]
    cold = [run_pytest(workdir, *args)[0] for _ in range(repeats)]
    reuse_dir = workdir / "reuse"
    env_backup = os.environ.get("PYTEST_LOCALSTACK_REUSE_DIR")
    os.environ["PYTEST_LOCALSTACK_REUSE_DIR"] = str(reuse_dir)
    try:
        run_pytest(workdir, *args, "--localstack-reuse=true")  # leaves one running
        warm = [run_pytest(workdir, *args, "--localstack-reuse=true")[0] for _ in range(repeats)]
        run_pytest(workdir, "--localstack-stop-reused", "--co")
    finally:
        if env_backup is None:
            del os.environ["PYTEST_LOCALSTACK_REUSE_DIR"]
        else:
            os.environ["PYTEST_LOCALSTACK_REUSE_DIR"] = env_backup
    (workdir / "test_first.py").unlink()
    return [
        (
            f"first test, {runtime}",
            f"cold {median(cold):.2f} s",
            f"warm {median(warm):.2f} s",
            f"{median(cold) / median(warm):.1f}x",
        ),
    ]


def start_to_ready(runtime: str, repeats: int) -> list[Row]:
    """``LocalstackSession.start()`` until the emulator answers, then ``stop()``, in-process."""
    starts, stops = [], []
    for _ in range(repeats):
        session = LocalstackSession(**SESSION_SETTINGS[runtime])
        began = time.perf_counter()
        session.start()
        starts.append(time.perf_counter() - began)
        began = time.perf_counter()
        session.stop()
        stops.append(time.perf_counter() - began)
    return [
        (
            f"start() to ready, {runtime}",
            f"start {median(starts):.2f} s",
            f"stop {median(stops):.2f} s",
            f"min {min(starts):.2f} / max {max(starts):.2f} s",
        )
    ]


def suite(runtime: str, workers: int, tests: int, repeats: int, workdir: Path) -> list[Row]:
    (workdir / "test_suite.py").write_text(SUITE.format(count=tests))
    args = [*RUNTIMES[runtime], "-n", str(workers)]
    shared, per_worker, starts = [], [], {}
    for _ in range(repeats):
        elapsed, output = run_pytest(workdir, *args)
        shared.append(elapsed)
        starts["shared"] = emulators_started(output)
        elapsed, output = run_pytest(workdir, *args, "--localstack-share=worker")
        per_worker.append(elapsed)
        starts["worker"] = emulators_started(output)
    (workdir / "test_suite.py").unlink()
    return [
        (
            f"{tests} tests -n {workers}, {runtime}",
            f"shared {median(shared):.2f} s ({starts['shared']} start)",
            f"per worker {median(per_worker):.2f} s ({starts['worker']} starts)",
            f"{median(per_worker) / median(shared):.2f}x",
        )
    ]


def in_process(tests: int) -> list[Row]:
    session = LocalstackSession(engine="process", services=["sqs"])
    session.start()
    try:
        fresh = time_tests("fresh", fresh_identity_test(session), tests)
        reused = time_tests("reused", reused_session_test(session), tests)
        unpatched = time_tests("unpatched", _explicit_client_call(session), tests)
        with session.botocore.patch_botocore():
            patched = time_tests("patched", _default_client_call, tests)
    finally:
        session.stop()
    return [
        (
            f"per-test identity ({tests} tests)",
            f"fresh {fresh.median_ms:.1f} ms",
            f"reused {reused.median_ms:.1f} ms",
            f"{fresh.median_ms / reused.median_ms:.1f}x",
        ),
        (
            f"client + 1 SQS call ({tests})",
            f"patched {patched.median_ms:.1f} ms",
            f"unpatched {unpatched.median_ms:.1f} ms",
            f"{patched.median_ms / unpatched.median_ms:.2f}x",
        ),
    ]


def _default_client_call() -> None:
    """What user code does: a client from boto3's default session, redirected by the patch."""
    boto3.client("sqs").list_queues()


def _explicit_client_call(session: LocalstackSession) -> Callable[[], None]:
    """The same without the patch: the endpoint and credentials passed by hand."""
    explicit = dict(
        endpoint_url=session.endpoint_url(),
        region_name=session.region_name,
        **session.credentials(),
    )

    def test() -> None:
        boto3.client("sqs", **explicit).list_queues()

    return test


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="one repeat, 20 tests: for CI")
    parser.add_argument(
        "--runtime", action="append", choices=sorted(RUNTIMES), help="default: process"
    )
    options = parser.parse_args(argv)
    runtimes = options.runtime or ["process"]
    repeats, tests, calls = (1, 20, 20) if options.quick else (5, 100, 200)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="pytest-localstack-bench-") as name:
        workdir = Path(name)
        (workdir / "pytest.ini").write_text("[pytest]\n")
        for runtime in runtimes:
            rows += start_to_ready(runtime, repeats)
            rows += first_test(runtime, repeats, workdir)
            for workers in (2, 4):
                rows += suite(runtime, workers, tests, max(1, repeats // 2), workdir)
        rows += in_process(calls)
    python = platform.python_version()
    print(f"machine: {platform.platform()}, {os.cpu_count()} cores, Python {python}")
    print(f"mode: {'quick' if options.quick else 'full'} (repeats {repeats}; medians)")
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
