"""Unit tests for :mod:`pytest_localstack.resources.cleanup`: the order, "gone", the report."""

from __future__ import annotations

import botocore.exceptions
import pytest

from pytest_localstack.resources import CleanupFailure, ResourceCleanupWarning
from pytest_localstack.resources.cleanup import Cleanups, is_gone


def test_cleanup_failure_str() -> None:
    failure = CleanupFailure("SQS queue 'q'", ValueError("x"))
    assert str(failure) == "SQS queue 'q': ValueError: x"


def test_cleanups_run_newest_first_and_collect_failures() -> None:
    calls: list[str] = []
    error = RuntimeError("no")

    def fail() -> None:
        raise error

    cleanups = Cleanups()
    cleanups.add("first", lambda: calls.append("first"), resource="a")
    cleanups.add("broken", fail)
    later = cleanups.add("last", lambda: calls.append("last"))
    later.resource = "c"
    assert len(cleanups) == 3
    assert cleanups.resources == ["a", "c"]
    assert cleanups.run() == [CleanupFailure("broken", error)]
    assert calls == ["last", "first"]
    assert len(cleanups) == 0
    assert cleanups.run() == []


@pytest.mark.parametrize(
    ("code", "gone"), [("NoSuchBucket", True), ("404", True), ("AccessDenied", False)]
)
def test_is_gone_reads_the_error_code(code: str, gone: bool) -> None:
    error = botocore.exceptions.ClientError({"Error": {"Code": code, "Message": code}}, "Delete")
    assert is_gone(error) is gone
    assert is_gone(RuntimeError(code)) is False


def test_the_warning_lists_every_failure() -> None:
    warning = ResourceCleanupWarning([CleanupFailure("a", ValueError("x"))])
    assert (
        str(warning)
        == "pytest-localstack could not delete 1 resource(s) it created:\n  a: ValueError: x"
    )
