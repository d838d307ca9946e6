"""What a fresh identity per test costs, against reusing one session for every test.

Starts ONE emulator (the embedded moto server; with ``--localstack-image``, also LocalStack in
Docker) and, in this one process, times N simulated tests of each kind:

* fresh identity: a new account in the running emulator (what the function-scoped
  ``localstack_session`` fixture does: a session is made, started, i.e. the emulator is probed,
  and stopped), a botocore client in it, one SQS call;
* reused session: a botocore client from one long-lived session, one SQS call.

Both make a client per test, as tests do; the difference is the identity's overhead.

Usage::

    python benchmarks/bench_isolation.py [--tests 200] [--localstack-image IMAGE]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from pytest_localstack.session import LocalstackSession


@dataclass
class Timing:
    label: str
    samples: list[float]

    @property
    def mean_ms(self) -> float:
        return statistics.fmean(self.samples) * 1000

    @property
    def median_ms(self) -> float:
        return statistics.median(self.samples) * 1000


def time_tests(label: str, test: Callable[[], None], count: int, warmup: int = 5) -> Timing:
    for _ in range(warmup):
        test()
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        test()
        samples.append(time.perf_counter() - start)
    return Timing(label, samples)


def fresh_identity_test(base: LocalstackSession) -> Callable[[], None]:
    def test() -> None:
        identity = base.new_identity()
        try:
            identity.botocore.client("sqs").list_queues()
        finally:
            identity.stop()

    return test


def reused_session_test(base: LocalstackSession) -> Callable[[], None]:
    def test() -> None:
        base.botocore.client("sqs").list_queues()

    return test


def bench(name: str, session: LocalstackSession, count: int) -> tuple[Timing, Timing]:
    print(f"starting {name} ...", flush=True)
    started = time.perf_counter()
    session.start()
    print(
        f"  {session.endpoint.emulator} {session.endpoint.version} at {session.endpoint.url} "
        f"({session.endpoint.engine}), ready in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    try:
        fresh = time_tests("fresh identity", fresh_identity_test(session), count)
        reused = time_tests("reused session", reused_session_test(session), count)
    finally:
        session.stop()
    return fresh, reused


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--tests", type=int, default=200, help="tests per scenario (200)")
    parser.add_argument(
        "--localstack-image",
        metavar="IMAGE",
        help="also measure LocalStack in Docker from this local image (host network, no pull)",
    )
    args = parser.parse_args(argv)

    emulators = [("moto (embedded process)", LocalstackSession(engine="process", emulator="moto"))]
    if args.localstack_image:
        emulators.append(
            (
                "LocalStack (docker)",
                LocalstackSession(
                    engine="docker",
                    emulator="localstack",
                    image=args.localstack_image,
                    network="host",
                    pull=False,
                ),
            )
        )

    rows = [(name, *bench(name, session, args.tests)) for name, session in emulators]

    print()
    print(f"{args.tests} tests per scenario, one SQS ListQueues call per test")
    header = f"{'emulator':<26}{'fresh identity':>18}{'reused session':>18}{'ratio':>8}"
    print(header)
    print("-" * len(header))
    for name, fresh, reused in rows:
        print(
            f"{name:<26}{fresh.mean_ms:>10.2f} ms/test{reused.mean_ms:>10.2f} ms/test"
            f"{fresh.mean_ms / reused.mean_ms:>7.2f}x"
        )
        print(
            f"{'  (median)':<26}{fresh.median_ms:>10.2f} ms/test{reused.median_ms:>10.2f} ms/test"
            f"{fresh.median_ms / reused.median_ms:>7.2f}x"
        )
        overhead = fresh.mean_ms - reused.mean_ms
        print(f"{'  overhead of isolation':<26}{overhead:>10.2f} ms/test")
    return 0


if __name__ == "__main__":
    sys.exit(main())
