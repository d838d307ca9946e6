"""Unit tests for :mod:`pytest_localstack.resources.fixtures`: they come with the plugin."""

from __future__ import annotations

import pytest

# -- the fixtures' registration ----------------------------------------------------------------

FIXTURES = [
    "localstack_resources",
    "sqs_fifo_queue",
    *(
        f"{prefix}{kind}"
        for kind in (
            "s3_bucket",
            "sqs_queue",
            "sns_topic",
            "dynamodb_table",
            "secret",
            "ssm_parameter",
            "kinesis_stream",
            "iam_role",
        )
        for prefix in ("", "make_")
    ),
]


def test_resource_fixtures_come_with_the_plugin(pytester: pytest.Pytester) -> None:
    listed = pytester.runpytest_subprocess("--fixtures").stdout.lines
    for name in FIXTURES:
        assert any(line.startswith(f"{name} -- ") for line in listed), name
    disabled = pytester.runpytest_subprocess("--fixtures", "-p", "no:localstack").stdout.lines
    assert not any(line.startswith(f"{name} -- ") for line in disabled for name in FIXTURES)
