"""Values that no message or log line of the plugin may show: ``--localstack-env`` values and
the forwarded auth token, which are often credentials.

Values shorter than :data:`MIN_LENGTH` are left alone: ``1``, ``true`` or ``s3,sqs`` are no
secrets, and hiding them would garble every message that happens to contain them.
"""

from __future__ import annotations

from collections.abc import Iterable

MIN_LENGTH = 8
MASK = "***"

_secrets: set[str] = set()


def register(values: Iterable[str]) -> None:
    """Hide these values from now on, in this process."""
    _secrets.update(value for value in values if len(value) >= MIN_LENGTH)


def redact(text: str) -> str:
    """``text`` with every registered value replaced by ``***``."""
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    return text
