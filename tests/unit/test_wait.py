"""The probe cadence while an emulator starts."""

from __future__ import annotations

from pytest_localstack.runtimes._wait import FAST_FOR, FAST_POLL, SLOW_POLL, poll_interval


def test_probes_often_while_most_starts_end() -> None:
    # A start that ends between two probes waits for the next one: at most FAST_POLL late.
    assert poll_interval(0.0) == FAST_POLL <= 0.05
    assert poll_interval(FAST_FOR - 0.01) == FAST_POLL


def test_probes_less_often_once_the_start_is_slow() -> None:
    assert poll_interval(FAST_FOR) == SLOW_POLL
    assert poll_interval(600.0) == SLOW_POLL
