"""Keep this process's own botocore sessions free of what a patch puts in the environment.

While patched, ``os.environ`` points child processes at the emulator, including
``AWS_CONFIG_FILE`` and ``AWS_SHARED_CREDENTIALS_FILE`` (see :mod:`.environment`). A botocore
session of this process made before the patch reads its config file and resolves its
credentials lazily, on first use, and keeps both for good. First used inside the patch, it would
keep the plugin's region, endpoint and credentials after the patch. So while patched:

* a session whose credentials are not resolved yet gets the active session's credentials from
  ``get_credentials()`` without keeping them (and without building its credential resolver,
  which would keep the plugin's file names);
* a session that parses its config file now is noted, and when the last patch ends it forgets
  what it parsed (botocore's ``_config`` and ``_profile_map`` caches), so that its next use
  reads the user's files again.

Sessions that resolved their configuration before the patch keep it: nothing of theirs changes.
"""

from __future__ import annotations

import weakref
from typing import Any

import botocore.credentials
import botocore.session

from pytest_localstack.contrib import _active

_ORIGINAL_FULL_CONFIG: property = botocore.session.Session.__dict__["full_config"]
_ORIGINAL_GET_CREDENTIALS = botocore.session.Session.get_credentials

#: Sessions that parsed their config files while a patch was active.
_parsed_while_patched: weakref.WeakSet[botocore.session.Session] = weakref.WeakSet()
_replaced: list[tuple[str, Any]] = []


def _full_config(self: botocore.session.Session) -> Any:
    parsing_now = getattr(self, "_config", None) is None
    config = _ORIGINAL_FULL_CONFIG.fget(self)  # type: ignore[misc]
    if parsing_now:
        _parsed_while_patched.add(self)
    return config


def _get_credentials(self: botocore.session.Session) -> Any:
    if getattr(self, "_credentials", None) is None:
        try:
            session = _active.current()
        except LookupError:
            pass
        else:
            return botocore.credentials.Credentials(
                session.access_key_id, session.secret_access_key
            )
    return _ORIGINAL_GET_CREDENTIALS(self)


_get_credentials.__doc__ = _ORIGINAL_GET_CREDENTIALS.__doc__
_REPLACEMENTS = (
    ("full_config", property(_full_config, doc=_ORIGINAL_FULL_CONFIG.__doc__)),
    ("get_credentials", _get_credentials),
)


def protect(active: bool) -> None:
    """Install the protection (``True``), or remove it and forget what was parsed meanwhile."""
    session_class = botocore.session.Session
    if active and not _replaced:
        for name, replacement in _REPLACEMENTS:
            _replaced.append((name, session_class.__dict__[name]))
            setattr(session_class, name, replacement)
    elif not active:
        while _replaced:
            name, original = _replaced.pop()
            setattr(session_class, name, original)
        for session in list(_parsed_while_patched):
            session._config = None
            session._profile_map = None
        _parsed_while_patched.clear()
