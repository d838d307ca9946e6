"""Small AWS conventions that the factories share: partitions, attribute strings, waiting."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import Any

#: Seconds to wait for a table or stream to become active.
ACTIVE_TIMEOUT = 60.0


def partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def attribute(value: object) -> str:
    """An SQS/SNS attribute value as the string the API expects."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (Mapping, list)):
        return json.dumps(value)
    return str(value)


def policy_json(policy: Mapping[str, Any] | str) -> str:
    return policy if isinstance(policy, str) else json.dumps(policy)


def wait_until(check: Callable[[], bool], what: str, timeout: float = ACTIVE_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    delay = 0.02
    while not check():
        if time.monotonic() >= deadline:
            raise TimeoutError(f"gave up waiting {timeout:g} s for {what}")
        time.sleep(delay)
        delay = min(delay * 2, 0.5)
