"""Names for made resources: ``pytest-<test name>-<uuid4 hex>``, valid for each service.

Unique names matter where an emulator keeps a namespace across accounts, as S3 does for bucket
names, and they make leftovers easy to trace to their test.
"""

from __future__ import annotations

import dataclasses
import os
import re
import uuid

#: Every generated name starts with this, so that leftovers are recognisable.
NAME_PREFIX = "pytest"
#: At most this many characters of the test name go into a generated name.
MAX_TEST_PREFIX = 40


@dataclasses.dataclass(frozen=True)
class NameRule:
    """What a service accepts as a resource name."""

    max_length: int
    invalid: re.Pattern[str]
    lowercase: bool = False


NAME_RULES: dict[str, NameRule] = {
    "s3": NameRule(63, re.compile(r"[^a-z0-9-]+"), lowercase=True),
    "sqs": NameRule(80, re.compile(r"[^A-Za-z0-9_-]+")),
    "sns": NameRule(256, re.compile(r"[^A-Za-z0-9_-]+")),
    "dynamodb": NameRule(255, re.compile(r"[^A-Za-z0-9_.-]+")),
    "secretsmanager": NameRule(512, re.compile(r"[^A-Za-z0-9/_+=.@-]+")),
    "ssm": NameRule(1011, re.compile(r"[^A-Za-z0-9_.-]+")),
    "kinesis": NameRule(128, re.compile(r"[^A-Za-z0-9_.-]+")),
    "iam": NameRule(64, re.compile(r"[^A-Za-z0-9+=,.@_-]+")),
}

_SEPARATORS = re.compile(r"-{2,}")
_HEX_LENGTH = 32


def prefix_from_current_test() -> str:
    """The running test's name (from ``PYTEST_CURRENT_TEST``) without ``test_``; or ``""``."""
    current = os.environ.get("PYTEST_CURRENT_TEST", "")
    name = current.rsplit(" (", 1)[0].rsplit("::", 1)[-1]
    return re.sub(r"^test_?", "", name)


def unique_name(kind: str, prefix: str = "", suffix: str = "") -> str:
    """A new name ``pytest-<prefix>-<uuid4 hex><suffix>`` that ``kind`` accepts.

    :param kind: a key of :data:`NAME_RULES` (``s3``, ``sqs``, ``sns``, ``dynamodb``,
        ``secretsmanager``, ``ssm``, ``kinesis``, ``iam``).
    :param prefix: usually the test's name; characters the service does not accept become
        ``-``, and it is shortened so that the whole name fits.
    :param suffix: appended as is, such as ``.fifo``.
    """
    try:
        rule = NAME_RULES[kind]
    except KeyError:
        raise ValueError(
            f"unknown resource kind {kind!r}; valid kinds are: {', '.join(sorted(NAME_RULES))}"
        ) from None
    if rule.lowercase:
        prefix = prefix.lower()
    prefix = _SEPARATORS.sub("-", rule.invalid.sub("-", prefix)).strip("-._")
    room = rule.max_length - len(NAME_PREFIX) - len(suffix) - _HEX_LENGTH - 2
    prefix = prefix[: max(0, min(room, MAX_TEST_PREFIX))].rstrip("-._")
    parts = [NAME_PREFIX, prefix, uuid.uuid4().hex] if prefix else [NAME_PREFIX, uuid.uuid4().hex]
    return "-".join(parts) + suffix
