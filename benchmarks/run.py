"""pytest-localstack's benchmark suite: one script, one run, a table of medians and ratios.

* start to ready: ``LocalstackSession.start()`` until the emulator answers, and the emulator's
  own start to ready (started by hand, without the plugin), per runtime;
* time to first test: a one-test run, cold (the run starts its emulator) against the emulator's
  own start to ready, and warm (``--localstack-reuse`` attaches to the one the previous run
  left) against the floor: bare pytest on one trivial test, the plugin installed but unused;
  and, to tell the plugin's share from the test's own, against bare pytest running the same
  test's AWS work (``import boto3``, a client, one call) with an explicit endpoint, no fixture;
* a suite of small AWS tests under ``-n 2``, ``-n 4`` (and ``-n 8`` in full mode): one shared
  emulator for the run against one emulator per worker (``--localstack-share=worker``, the
  original plugin's way), with the emulators' peak resident memory beside the time, and the
  floors of the shared run: bare pytest on as many trivial tests with as many workers, and the
  machine's CPU time during the shared run spread over its cores (the run cannot be faster);
* per-test isolation: a fresh account per test (as the ``localstack`` fixture makes it, with
  its clean slate) against one reused session, the round trips to the emulator in that
  difference (the clean slate's ``ListBuckets``; on moto the ``AssumeRole`` that gives child
  processes the account), and the same through the session API; timed in turns of 20 runs of
  each kind, so that a machine that gets busier or quieter changes every figure alike;
* patched against unpatched: creating a boto3 client and one SQS call.

Every timed pytest run is followed by an untimed wait until its emulators are gone, so that no
run shares the machine with the previous run's teardown.

The timed pytest runs write and use Python's bytecode caches, as on a developer's machine (an
untimed run fills them first), also where ``PYTHONDONTWRITEBYTECODE`` is set;
``--no-bytecode-cache`` times them without any (every run compiles pytest, botocore and the
plugin from source).

Every figure comes from this machine, this run; nothing is asserted. Usage::

    python benchmarks/run.py [--quick] [--repeats N] [--no-bytecode-cache]
        [--runtime process|docker-moto|docker-localstack ...]
        [--first-test-only | --per-test-only]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import psutil

sys.path.insert(0, str(Path(__file__).parent))

from bench_emulators import MemorySampler, megabytes, own_start_to_ready, wait_until_gone
from bench_isolation import (
    Timing,
    fresh_fixture_test,
    fresh_identity_test,
    fresh_session,
    reused_fixture_test,
    reused_session_test,
    time_tests,
)

from pytest_localstack import clean_slate
from pytest_localstack.contrib import environment
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

SESSION_SETTINGS: dict[str, dict[str, Any]] = {
    runtime: {
        arg.split("=", 1)[0][len("--localstack-") :].replace("-", "_"): arg.split("=", 1)[1]
        for arg in args
    }
    for runtime, args in RUNTIMES.items()
}

TRIVIAL_TEST = """
def test_trivial():
    assert True
"""

ONE_TEST = """
import boto3

def test_first(localstack):
    boto3.client("sqs").list_queues()
"""

#: ONE_TEST's own AWS work without the plugin: the endpoint and an identity given by hand.
OWN_WORK_TEST = """
import os

import boto3

def test_first():
    boto3.client(
        "sqs",
        endpoint_url=os.environ["BENCH_ENDPOINT_URL"],
        region_name="us-east-1",
        aws_access_key_id="123456789012",
        aws_secret_access_key="test",
    ).list_queues()
"""

SUITE = """
import boto3, pytest

@pytest.mark.parametrize("n", range({count}))
def test_small(localstack, n):
    sqs = boto3.client("sqs")
    sqs.create_queue(QueueName=f"q{{n}}")
    assert len(sqs.list_queues()["QueueUrls"]) == 1
"""

TRIVIAL_SUITE = """
import pytest

@pytest.mark.parametrize("n", range({count}))
def test_small(n):
    assert True
"""

#: what, A, B, ratio (or difference), note
Row = tuple[str, str, str, str, str]


@dataclass
class Run:
    seconds: float
    output: str
    peak_memory: int
    #: CPU time (user + system) of the pytest process: less disturbed by other load than wall time
    cpu_seconds: float = 0.0
    #: CPU time of the whole machine during the run (emulators in Docker included), without
    #: the benchmark's own
    machine_cpu_seconds: float = 0.0


def run_pytest(
    directory: Path, *args: str, memory: bool = False, extra_env: dict[str, str] | None = None
) -> Run:
    """Wall time and output of one pytest run in a fresh interpreter.

    Afterwards (untimed) it waits until the run's emulators are gone; with ``memory``, the peak
    resident memory of its emulators is sampled while it runs.
    """
    docker = any(arg == "--localstack-engine=docker" for arg in args)
    cpu_before, machine_before, own_before = _children_cpu(), _machine_busy(), time.process_time()
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=directory,
        env={**os.environ, **(extra_env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    sampler = MemorySampler(process.pid, docker) if memory else None
    stdout, stderr = process.communicate()
    elapsed = time.perf_counter() - start
    cpu = _children_cpu() - cpu_before
    # the machine's, without this process's own (the memory sampler)
    machine_cpu = _machine_busy() - machine_before - (time.process_time() - own_before)
    peak = sampler.stop() if sampler is not None else 0
    if process.returncode != 0:
        raise SystemExit(f"benchmark run failed:\n{stdout}\n{stderr}")
    if "--localstack-reuse=true" not in args:
        wait_until_gone(process.pid, docker)
    return Run(elapsed, stdout, peak, cpu, machine_cpu)


def _machine_busy() -> float:
    """CPU seconds the whole machine has been busy (all cores), from psutil."""
    times = psutil.cpu_times()
    busy = ("user", "nice", "system", "irq", "softirq", "steal")  # guest time is in user
    return sum(getattr(times, name, 0.0) for name in busy)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def emulators_started(output: str) -> int:
    return len(re.findall(r"^localstack: .* served ", output, re.MULTILINE))


def median(values: list[float]) -> float:
    return statistics.median(values)


def first_test(runtime: str, repeats: int, workdir: Path, own_ready: float) -> list[Row]:
    """Warm and cold one-test runs, beside bare pytest, the test's own work and the emulator's
    own start. The warm runs go first: their untimed first run (which starts the emulator
    that the others reuse) also fills the bytecode caches."""
    (workdir / "test_first.py").write_text(ONE_TEST)
    # beside the working directory, not in it: its runs must not collect these tests
    bare_dir, own_dir = workdir.parent / "bare", workdir.parent / "own"
    for directory, test in ((bare_dir, TRIVIAL_TEST), (own_dir, OWN_WORK_TEST)):
        directory.mkdir(exist_ok=True)
        (directory / "pytest.ini").write_text("[pytest]\n")
        (directory / "test_first.py").write_text(test)
    args = RUNTIMES[runtime]
    reuse_dir = workdir / "reuse"
    env_backup = os.environ.get("PYTEST_LOCALSTACK_REUSE_DIR")
    os.environ["PYTEST_LOCALSTACK_REUSE_DIR"] = str(reuse_dir)
    warm: list[Run] = []
    bare: list[Run] = []
    own: list[Run] = []
    try:
        run_pytest(workdir, *args, "--localstack-reuse=true")  # leaves one running
        endpoint = {"BENCH_ENDPOINT_URL": reused_endpoint_url(reuse_dir)}
        run_pytest(bare_dir)
        run_pytest(own_dir, extra_env=endpoint)
        for _ in range(repeats):  # side by side: the floors and the warm run alternate
            bare.append(run_pytest(bare_dir))
            own.append(run_pytest(own_dir, extra_env=endpoint))
            warm.append(run_pytest(workdir, *args, "--localstack-reuse=true"))
        run_pytest(workdir, "--localstack-stop-reused", "--co")
    finally:
        if env_backup is None:
            del os.environ["PYTEST_LOCALSTACK_REUSE_DIR"]
        else:
            os.environ["PYTEST_LOCALSTACK_REUSE_DIR"] = env_backup
    cold = [run_pytest(workdir, *args).seconds for _ in range(repeats)]
    (workdir / "test_first.py").unlink()
    timed = {"warm": warm, "bare": bare, "own": own}
    wall = {name: median([r.seconds for r in runs]) for name, runs in timed.items()}
    cpu = {name: median([r.cpu_seconds for r in runs]) for name, runs in timed.items()}
    return [
        (
            f"first test, {runtime}",
            f"cold {median(cold):.2f} s",
            f"warm {wall['warm']:.2f} s",
            f"{median(cold) / wall['warm']:.1f}x",
            "",
        ),
        (
            f"cold first test vs own start, {runtime}",
            f"cold {median(cold):.2f} s",
            f"own start to ready {own_ready:.2f} s",
            f"{median(cold) / own_ready:.1f}x",
            "target <= 2x" if runtime == "docker-localstack" else "",
        ),
        (
            f"warm first test vs bare pytest, {runtime}",
            f"warm {wall['warm']:.2f} s",
            f"bare {wall['bare']:.2f} s",
            f"{wall['warm'] - wall['bare']:+.2f} s",
            f"target <= +0.30 s; CPU time {cpu['warm'] - cpu['bare']:+.2f} s",
        ),
        (
            f"warm first test vs its own AWS work without the plugin, {runtime}",
            f"warm {wall['warm']:.2f} s",
            f"own work {wall['own']:.2f} s",
            f"{wall['warm'] - wall['own']:+.2f} s",
            f"the plugin's share (CPU time {cpu['warm'] - cpu['own']:+.2f} s); the test's own: "
            f"{wall['own'] - wall['bare']:+.2f} s over bare (CPU time "
            f"{cpu['own'] - cpu['bare']:+.2f} s)",
        ),
    ]


def reused_endpoint_url(reuse_dir: Path) -> str:
    """The URL of the one emulator recorded in the reuse registry."""
    records = sorted(reuse_dir.glob("*.json"))
    if len(records) != 1:
        raise SystemExit(f"expected one reused emulator in {reuse_dir}, found {len(records)}")
    url: str = json.loads(records[0].read_text())["url"]
    return url


def start_to_ready(runtime: str, repeats: int) -> tuple[list[Row], float]:
    """``LocalstackSession.start()`` until the emulator answers, then ``stop()``, in-process;
    and the emulator's own start to ready without the plugin. Returns the rows and the latter."""
    starts, stops, own = [], [], []
    for _ in range(repeats):
        own.append(own_start_to_ready(SESSION_SETTINGS[runtime]))
        session = LocalstackSession(**SESSION_SETTINGS[runtime])
        began = time.perf_counter()
        session.start()
        starts.append(time.perf_counter() - began)
        began = time.perf_counter()
        session.stop()
        stops.append(time.perf_counter() - began)
    rows: list[Row] = [
        (
            f"start() to ready, {runtime}",
            f"start {median(starts):.2f} s",
            f"stop {median(stops):.2f} s",
            "",
            f"min {min(starts):.2f} / max {max(starts):.2f} s",
        ),
        (
            f"own start to ready, {runtime}",
            f"{median(own):.2f} s",
            "",
            "",
            f"min {min(own):.2f} / max {max(own):.2f} s",
        ),
    ]
    return rows, median(own)


def suite(runtime: str, workers: int, tests: int, repeats: int, workdir: Path) -> list[Row]:
    """The suite with one shared emulator, with one per worker, and, as the floor, bare pytest
    on as many trivial tests with as many workers (beside the working directory)."""
    (workdir / "test_suite.py").write_text(SUITE.format(count=tests))
    bare_dir = workdir.parent / "bare-suite"
    bare_dir.mkdir(exist_ok=True)
    (bare_dir / "pytest.ini").write_text("[pytest]\n")
    (bare_dir / "test_suite.py").write_text(TRIVIAL_SUITE.format(count=tests))
    args = [*RUNTIMES[runtime], "-n", str(workers)]
    times: dict[str, list[float]] = {"shared": [], "worker": [], "bare": []}
    memory: dict[str, list[int]] = {"shared": [], "worker": []}
    shared_cpu: list[float] = []
    starts = {}
    for _ in range(repeats):
        for mode, extra in (("shared", []), ("worker", ["--localstack-share=worker"])):
            run = run_pytest(workdir, *args, *extra, memory=True)
            times[mode].append(run.seconds)
            memory[mode].append(run.peak_memory)
            starts[mode] = emulators_started(run.output)
            if mode == "shared":
                shared_cpu.append(run.machine_cpu_seconds)
        times["bare"].append(run_pytest(bare_dir, "-n", str(workers)).seconds)
    (workdir / "test_suite.py").unlink()
    shared, per_worker, bare = (median(times[mode]) for mode in ("shared", "worker", "bare"))
    cores = os.cpu_count() or 1
    # The shared run cannot take less than its CPU work spread over every core.
    shared_floor = median(shared_cpu) / cores
    return [
        (
            f"{tests} tests -n {workers}, {runtime}",
            f"shared {shared:.2f} s ({starts['shared']} start)",
            f"per worker {per_worker:.2f} s ({starts['worker']} starts)",
            f"{per_worker / shared:.2f}x",
            f"memory {megabytes(max(memory['shared']))} / {megabytes(max(memory['worker']))}",
        ),
        (
            f"  floors of the shared run, -n {workers}, {runtime}",
            f"bare pytest {bare:.2f} s",
            f"its CPU over {cores} cores {shared_floor:.2f} s",
            f"{per_worker / max(bare, shared_floor):.2f}x",
            f"the best ratio against this per-worker run without less work (CPU "
            f"{median(shared_cpu):.1f} s of the machine)",
        ),
    ]


def in_process(tests: int, runtime: str = "process") -> list[Row]:
    session = LocalstackSession(services=["sqs"], **SESSION_SETTINGS[runtime])
    session.start()
    patched_block = session.botocore.patch_botocore
    try:
        timings = time_in_turns(
            {
                "fresh": (fresh_identity_test(session), contextlib.nullcontext),
                "reused": (reused_session_test(session), contextlib.nullcontext),
                "fixture": (fresh_fixture_test(session), contextlib.nullcontext),
                "kept": (reused_fixture_test(), patched_block),
                "unpatched": (_explicit_client_call(session), contextlib.nullcontext),
                "patched": (_default_client_call, patched_block),
                "sweep": (_sweep_round_trip(session), contextlib.nullcontext),
                "child": (_child_credentials_round_trip(session), contextlib.nullcontext),
            },
            tests,
        )
    finally:
        session.stop()
    fresh, reused, fixture, kept = (timings[k] for k in ("fresh", "reused", "fixture", "kept"))
    unpatched, patched, sweep, child = (
        timings[k] for k in ("unpatched", "patched", "sweep", "child")
    )
    extra = fixture.median_ms - kept.median_ms
    trips = sweep.median_ms + (child.median_ms if session.request_headers else 0.0)
    return [
        (
            f"per test: fresh account + clean slate vs reused session ({tests}), {runtime}",
            f"fresh {fixture.median_ms:.1f} ms",
            f"reused {kept.median_ms:.1f} ms",
            f"{fixture.median_ms - kept.median_ms:+.1f} ms",
            "target <= +3 ms",
        ),
        (
            f"  of that, round trips to the emulator ({tests}), {runtime}",
            f"clean slate {sweep.median_ms:.1f} ms",
            f"child credentials {child.median_ms:.1f} ms"
            if session.request_headers
            else "child credentials none",
            f"{trips:+.1f} ms",
            f"the rest {extra - trips:+.1f} ms (this process, and the emulator's first use "
            "of a new account)",
        ),
        (
            f"per-test identity, session API ({tests}), {runtime}",
            f"fresh {fresh.median_ms:.1f} ms",
            f"reused {reused.median_ms:.1f} ms",
            f"{fresh.median_ms / reused.median_ms:.1f}x",
            f"{fresh.median_ms - reused.median_ms:+.1f} ms",
        ),
        (
            f"client + 1 SQS call ({tests}), {runtime}",
            f"patched {patched.median_ms:.1f} ms",
            f"unpatched {unpatched.median_ms:.1f} ms",
            f"{patched.median_ms / unpatched.median_ms:.2f}x",
            "",
        ),
    ]


#: A test to time, and what it runs inside (a patch kept for a whole block, or nothing).
TimedTest = tuple[Callable[[], None], Callable[[], contextlib.AbstractContextManager[Any]]]


def time_in_turns(
    tests: dict[str, TimedTest],
    count: int,
    block: int = 20,
) -> dict[str, Timing]:
    """Time each test ``count`` times, in turns of ``block`` runs each (inside its context, such
    as a patch kept for the whole block), so that a machine that gets busier or quieter during
    the run changes every figure alike; the first runs of each block are not timed."""
    timings = {name: Timing(name, []) for name in tests}
    for _ in range(max(1, count // block)):
        for name, (test, context) in tests.items():
            with context():
                timings[name].samples += time_tests(name, test, block, warmup=2).samples
    return timings


def _default_client_call() -> None:
    """What user code does: a client from boto3's default session, redirected by the patch."""
    boto3.client("sqs").list_queues()


def _sweep_round_trip(base: LocalstackSession) -> Callable[[], None]:
    """The clean slate of a fresh account that made nothing: its one ``ListBuckets`` request."""

    def test() -> None:
        if clean_slate._quick_list_buckets(fresh_session(base)) != []:
            raise SystemExit("the clean slate's ListBuckets failed")

    return test


def _child_credentials_round_trip(base: LocalstackSession) -> Callable[[], None]:
    """What child processes need of a fresh account: on moto, one ``AssumeRole`` request."""

    def test() -> None:
        environment.child_identity(fresh_session(base))

    return test


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
    parser.add_argument("--repeats", type=int, help="repeats per figure (full mode: 5)")
    parser.add_argument(
        "--no-bytecode-cache",
        action="store_true",
        help="time pytest runs without bytecode caches (PYTHONDONTWRITEBYTECODE=1)",
    )
    parser.add_argument(
        "--first-test-only",
        action="store_true",
        help="only the start-up rows: start to ready, cold and warm first test",
    )
    parser.add_argument(
        "--per-test-only",
        action="store_true",
        help="only the in-process rows (per-test isolation, patched client), no pytest runs",
    )
    options = parser.parse_args(argv)
    if options.no_bytecode_cache:  # an empty cache directory, never written: no cache at all
        os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
        os.environ["PYTHONPYCACHEPREFIX"] = tempfile.mkdtemp(prefix="pytest-localstack-bench-")
    else:
        os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    runtimes = options.runtime or ["process"]
    repeats, tests, calls = (1, 20, 20) if options.quick else (5, 100, 400)
    repeats = options.repeats or repeats
    worker_counts = (2, 4) if options.quick else (2, 4, 8)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="pytest-localstack-bench-") as name:
        workdir = Path(name) / "runs"
        workdir.mkdir()
        (workdir / "pytest.ini").write_text("[pytest]\n")
        for runtime in [] if options.per_test_only else runtimes:
            ready_rows, own_ready = start_to_ready(runtime, repeats)
            rows += ready_rows
            rows += first_test(runtime, repeats, workdir, own_ready)
            for workers in () if options.first_test_only else worker_counts:
                rows += suite(runtime, workers, tests, max(1, repeats // 2), workdir)
        if not options.first_test_only:
            rows += in_process(calls)
            if "docker-localstack" in runtimes:
                rows += in_process(calls, "docker-localstack")
    python = platform.python_version()
    print(f"machine: {platform.platform()}, {os.cpu_count()} cores, Python {python}")
    caches = "off" if options.no_bytecode_cache else "on"
    print(
        f"mode: {'quick' if options.quick else 'full'} (repeats {repeats}; medians; "
        f"bytecode caches {caches})"
    )
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    for row in rows:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        print("  ".join(cells).rstrip())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
