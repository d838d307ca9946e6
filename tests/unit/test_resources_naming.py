"""Unit tests for :mod:`pytest_localstack.resources.naming`: unique names valid for each service."""

from __future__ import annotations

import re

import pytest

from pytest_localstack.resources import NAME_RULES, unique_name
from pytest_localstack.resources.naming import prefix_from_current_test

#: What each service accepts, written from the AWS documentation, not from the module.
SERVICE_NAME_PATTERNS = {
    "s3": re.compile(r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]"),
    "sqs": re.compile(r"[A-Za-z0-9_-]{1,80}"),
    "sns": re.compile(r"[A-Za-z0-9_-]{1,256}"),
    "dynamodb": re.compile(r"[A-Za-z0-9_.-]{3,255}"),
    "secretsmanager": re.compile(r"[A-Za-z0-9/_+=.@-]{1,512}"),
    "ssm": re.compile(r"(?!(?i:aws|ssm))[A-Za-z0-9_.-]{1,1011}"),
    "kinesis": re.compile(r"[A-Za-z0-9_.-]{1,128}"),
    "iam": re.compile(r"[A-Za-z0-9+=,.@_-]{1,64}"),
}

AWKWARD_PREFIXES = [
    pytest.param("", id="empty"),
    pytest.param("x", id="short"),
    pytest.param("upload_works", id="plain"),
    pytest.param("Test Upload[Ünïcode/../param-1]", id="unicode-and-params"),
    pytest.param("--..__--", id="separators-only"),
    pytest.param("a" * 300, id="long"),
    pytest.param("UPPER.case@sign+plus=eq,comma" * 4, id="specials"),
]


@pytest.mark.parametrize("prefix", AWKWARD_PREFIXES)
@pytest.mark.parametrize("kind", sorted(SERVICE_NAME_PATTERNS))
def test_unique_names_are_valid_for_their_service(kind: str, prefix: str) -> None:
    name = unique_name(kind, prefix)
    assert SERVICE_NAME_PATTERNS[kind].fullmatch(name), name
    assert name.startswith("pytest-")
    assert re.search(r"-[0-9a-f]{32}$", name), "the whole uuid4 hex is kept"
    assert "--" not in name


@pytest.mark.parametrize("prefix", AWKWARD_PREFIXES)
def test_s3_names_follow_the_bucket_naming_rules(prefix: str) -> None:
    name = unique_name("s3", prefix)
    assert 3 <= len(name) <= 63
    assert name == name.lower()
    assert ".." not in name
    assert not name.startswith(("xn--", "sthree-"))
    assert not name.endswith(("-s3alias", "--ol-s3"))
    assert not re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+", name), "no IP addresses"


@pytest.mark.parametrize("kind", ["sqs", "sns"])
def test_fifo_names_end_in_fifo_and_fit(kind: str) -> None:
    name = unique_name(kind, "a" * 300, suffix=".fifo")
    base = name.removesuffix(".fifo")
    assert name.endswith(".fifo")
    assert SERVICE_NAME_PATTERNS[kind].fullmatch(base)
    assert len(name) <= NAME_RULES[kind].max_length


def test_names_carry_a_readable_prefix() -> None:
    assert re.fullmatch(
        r"pytest-upload-file-s3-1-[0-9a-f]{32}", unique_name("s3", "Upload_File[s3-1]")
    )
    assert re.fullmatch(
        r"pytest-Upload_File-s3-1-[0-9a-f]{32}", unique_name("sqs", "Upload_File[s3-1]")
    )
    assert re.fullmatch(r"pytest-[0-9a-f]{32}", unique_name("sqs", ""))
    assert re.fullmatch(r"pytest-[0-9a-f]{32}", unique_name("s3", "!!!"))


def test_names_are_unique() -> None:
    names = {unique_name("s3", "same") for _ in range(2000)}
    assert len(names) == 2000


def test_unknown_kind_lists_the_valid_ones() -> None:
    valid = ", ".join(sorted(NAME_RULES))
    message = f"unknown resource kind 'ec2'; valid kinds are: {valid}"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        unique_name("ec2")


@pytest.mark.parametrize(
    ("current", "expected"),
    [
        ("tests/test_a.py::test_upload (call)", "upload"),
        ("tests/test_a.py::TestX::test_upload[s3-1] (setup)", "upload[s3-1]"),
        ("tests/test_a.py::check_it (teardown)", "check_it"),
        ("", ""),
    ],
)
def test_prefix_comes_from_the_current_test(
    monkeypatch: pytest.MonkeyPatch, current: str, expected: str
) -> None:
    monkeypatch.setenv("PYTEST_CURRENT_TEST", current)
    assert prefix_from_current_test() == expected


def test_prefix_of_this_very_test() -> None:
    assert prefix_from_current_test() == "prefix_of_this_very_test"
