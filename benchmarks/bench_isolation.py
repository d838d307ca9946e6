"""What a fresh identity per test costs, with and without its clean slate, against one session.

Starts ONE emulator (the embedded moto server; with ``--localstack-image``, also LocalStack in
Docker) and, in this one process, times N simulated tests of each kind, side by side (in turns,
one of each kind per round, so that a busy machine slows every kind alike):

* reused session: a botocore client from one long-lived session, one SQS call;
* fresh account, no clean slate: a new account in the running emulator, given explicitly so
  that nothing is swept when it stops; a client in it, one SQS call;
* fresh account + clean slate: what the function-scoped ``localstack_session`` fixture does (a
  session is made, started, i.e. the emulator is probed, and stopped; the stop sweeps the
  account's S3 buckets: one ``ListBuckets`` call when there are none);
* the same two with one bucket (one object) created by the test: without the clean slate the
  bucket is left behind, with it the stop empties and deletes it.

Every test makes its clients, as tests do; the differences are the identity's and the clean
slate's overheads.

Usage::

    python benchmarks/bench_isolation.py [--tests 200] [--localstack-image IMAGE]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from pytest_localstack.session import LocalstackSession, RunningSession, new_account_id


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


def time_interleaved(
    tests: list[tuple[str, Callable[[], None]]], count: int, warmup: int = 5
) -> list[Timing]:
    """Time the tests in turns, one of each per round: a busy machine slows all alike."""
    for _ in range(warmup):
        for _, test in tests:
            test()
    timings = [Timing(label, []) for label, _ in tests]
    for _ in range(count):
        for timing, (_, test) in zip(timings, tests, strict=True):
            start = time.perf_counter()
            test()
            timing.samples.append(time.perf_counter() - start)
    return timings


def fresh_identity_test(
    base: LocalstackSession, *, clean_slate: bool = True, bucket: bool = False
) -> Callable[[], None]:
    """A test in a fresh account; ``clean_slate=False`` gives the account explicitly, which
    the clean slate leaves alone; ``bucket`` creates a bucket with one object."""

    def test() -> None:
        identity = base.new_identity(account_id=None if clean_slate else new_account_id())
        try:
            identity.botocore.client("sqs").list_queues()
            if bucket:
                make_bucket(identity)
        finally:
            identity.stop()

    return test


def make_bucket(identity: RunningSession) -> None:
    s3 = identity.botocore.client("s3")
    name = f"bench-{uuid.uuid4().hex}"
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="key", Body=b"data")


def reused_session_test(base: LocalstackSession) -> Callable[[], None]:
    def test() -> None:
        base.botocore.client("sqs").list_queues()

    return test


def fresh_fixture_test(base: LocalstackSession) -> Callable[[], None]:
    """What a test with the function-scoped ``localstack`` fixture costs: a session with a
    fresh account is made and started in the run's emulator, botocore is patched, the test
    makes a client and one call, then the patch ends and the session stops (clean slate)."""
    import boto3

    def test() -> None:
        session = fresh_session(base)
        try:
            with session.botocore.patch_botocore():
                boto3.client("sqs").list_queues()
        finally:
            session.stop()

    return test


def fresh_session(base: LocalstackSession) -> LocalstackSession:
    """A started session with a fresh account in ``base``'s emulator, as the fixture makes it."""
    session = LocalstackSession(
        services=base.services,
        settings=base.settings,
        endpoint_provider=lambda settings: base.endpoint,
    )
    session.start()
    return session


def reused_fixture_test() -> Callable[[], None]:
    """The same test under one session that stays patched for every test (module scope)."""
    import boto3

    def test() -> None:
        boto3.client("sqs").list_queues()

    return test


Scenario = Callable[[LocalstackSession], Callable[[], None]]

SCENARIOS: tuple[tuple[str, Scenario], ...] = (
    ("reused session", reused_session_test),
    ("fresh account, no clean slate", lambda b: fresh_identity_test(b, clean_slate=False)),
    ("fresh account + clean slate", lambda b: fresh_identity_test(b)),
    (
        "  + 1 bucket, no clean slate",
        lambda b: fresh_identity_test(b, clean_slate=False, bucket=True),
    ),
    ("  + 1 bucket, clean slate", lambda b: fresh_identity_test(b, bucket=True)),
)


def bench(name: str, session: LocalstackSession, count: int) -> list[Timing]:
    print(f"starting {name} ...", flush=True)
    started = time.perf_counter()
    session.start()
    print(
        f"  {session.endpoint.emulator} {session.endpoint.version} at {session.endpoint.url} "
        f"({session.endpoint.engine}), ready in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    try:
        return time_interleaved([(label, make(session)) for label, make in SCENARIOS], count)
    finally:
        session.stop()


def report(name: str, timings: list[Timing]) -> None:
    by_label = {timing.label: timing for timing in timings}
    reused = by_label["reused session"]
    print()
    print(f"{name}")
    header = f"  {'test':<32}{'mean':>12}{'median':>12}{'vs reused':>11}"
    print(header)
    print("  " + "-" * (len(header) - 2))
    for timing in timings:
        print(
            f"  {timing.label:<32}{timing.mean_ms:>9.2f} ms{timing.median_ms:>9.2f} ms"
            f"{timing.median_ms / reused.median_ms:>10.2f}x"
        )
    plain = by_label["fresh account, no clean slate"]
    swept = by_label["fresh account + clean slate"]
    plain_bucket = by_label["  + 1 bucket, no clean slate"]
    swept_bucket = by_label["  + 1 bucket, clean slate"]
    fresh_cost = plain.median_ms - reused.median_ms
    print(f"  {'cost of a fresh account':<32}{fresh_cost:>21.2f} ms/test (median)")
    for label, cost in (
        ("clean slate, nothing created", swept.median_ms - plain.median_ms),
        ("clean slate, one bucket", swept_bucket.median_ms - plain_bucket.median_ms),
    ):
        print(
            f"  {label:<32}{cost:>21.2f} ms/test (median), "
            f"{cost / fresh_cost:.2f}x the fresh account's cost"
        )


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

    results = [(name, bench(name, session, args.tests)) for name, session in emulators]
    print()
    print(f"{args.tests} tests per scenario, one SQS ListQueues call per test")
    for name, timings in results:
        report(name, timings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
