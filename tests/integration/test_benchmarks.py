"""The benchmark script runs end to end in its short mode; its figures are printed, not checked."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).parents[2] / "benchmarks"


@pytest.mark.slow
def test_benchmark_suite_quick_mode() -> None:
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / "run.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    rows = [row for row in result.stdout.splitlines() if row.strip()]
    for label in (
        "start() to ready, process",
        "first test, process",
        "cold first test vs own start, process",
        "warm first test vs bare pytest, process",
        "own start to ready, process",
        "20 tests -n 2",
        "20 tests -n 4",
        "per test: fresh account + clean slate vs reused session",
        "per-test identity",
        "  floors of the shared run, -n 4",
        "  of that, round trips to the emulator",
    ):
        assert any(row.startswith(label) for row in rows), (label, result.stdout)
    assert re.search(r"shared .* \(1 start\) +per worker .* \(4 starts\)", result.stdout)
    assert re.search(r"memory [1-9]\d* MB / [1-9]\d* MB", result.stdout), result.stdout
    compared = [row for row in rows[2:] if not row.startswith(("start()", "own start"))]
    ratio = re.compile(r"  (\d+\.\d+x|[+-]\d+\.\d+ m?s)(  |$)")
    assert all(ratio.search(row) for row in compared), result.stdout
