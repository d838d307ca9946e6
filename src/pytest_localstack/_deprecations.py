"""Keyword arguments of the original project that no longer mean what they meant.

Each is either renamed (the value is passed on under today's name) or ignored; both warn with
a :class:`~pytest_localstack.exceptions.LocalstackDeprecationWarning` that names the
replacement, so that ``filterwarnings = error`` turns a forgotten one into an error.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from pytest_localstack.exceptions import warn_deprecated


class Deprecation(NamedTuple):
    """What happens to a deprecated keyword: renamed to ``new_name``, or dropped."""

    new_name: str | None
    advice: str


DEPRECATED_KEYWORDS: dict[str, Deprecation] = {
    "container_env": Deprecation("env", "pass env={...} (or --localstack-env KEY=VALUE)"),
    "localstack_image": Deprecation("image", "pass image='repository' (or --localstack-image)"),
    "persistent": Deprecation(
        "reuse", "pass reuse=True (or --localstack-reuse) to keep the emulator between runs"
    ),
    "hostname": Deprecation(
        None,
        "the emulator's address is found by the plugin (a remote Docker engine's from "
        "DOCKER_HOST); to use an emulator that runs elsewhere pass endpoint='http://host:4566' "
        "(or --localstack-endpoint), or use RunningSession(hostname)",
    ),
}


def replace_deprecated_keywords(kwargs: dict[str, Any], stacklevel: int = 2) -> dict[str, Any]:
    """``kwargs`` with deprecated keywords renamed or dropped, warning once for each.

    :param stacklevel: as for :func:`warnings.warn`, counted from the caller of this function.
    """
    result = dict(kwargs)
    for old_name, (new_name, advice) in DEPRECATED_KEYWORDS.items():
        if old_name not in result:
            continue
        value = result.pop(old_name)
        if new_name is None:
            message = f"the keyword argument {old_name}= is deprecated and ignored: {advice}"
        elif new_name in result:
            message = f"{old_name}= is deprecated and ignored, since {new_name}= is given too"
        else:
            result[new_name] = value
            message = f"the keyword argument {old_name}= is deprecated: {advice}"
        warn_deprecated(message, stacklevel=stacklevel + 1)
    return result
