"""botocore sessions made cheaply, for the clients of every identity and the package's own calls.

botocore's data files are the same for every session, so one loader per process serves them all
(a new loader reads and parses the 1.2 MB endpoint data and each service model again); and a
new session gets a copy of botocore's built-in event handlers instead of registering the
hundred-odd of them again (each registration inspects the handler's signature).
"""

from __future__ import annotations

import copy
import functools
from typing import Any

import botocore.hooks
import botocore.loaders
import botocore.session

#: botocore's own ``create_client``: this module is imported (by :mod:`.botocore`) before any
#: patch replaces it.
_ORIGINAL_CREATE_CLIENT = botocore.session.Session.create_client


@functools.cache
def shared_data_loader() -> Any:
    """botocore's data loader for every session this package makes: botocore's data files are
    the same for all of them, so each is loaded (and parsed) once per process."""
    return botocore.loaders.create_loader()


@functools.cache
def _builtin_handlers() -> botocore.hooks.HierarchicalEmitter:
    """botocore's built-in event handlers, registered once per process."""
    emitter = botocore.hooks.HierarchicalEmitter()
    botocore.session.Session(event_hooks=emitter)  # registers them on ``emitter``
    return emitter


def session_arguments(args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """``botocore.session.Session`` keyword arguments that give it a copy of the built-in
    handlers instead of registering them again: each registration inspects the handler's
    signature, a few milliseconds per session, and a test makes one or two.
    """
    if len(args) > 1 or "event_hooks" in kwargs or not kwargs.get("include_builtin_handlers", 1):
        return kwargs
    return {
        **kwargs,
        "event_hooks": copy.copy(_builtin_handlers()),
        "include_builtin_handlers": False,
    }


def new_botocore_session(**kwargs: Any) -> botocore.session.Session:
    """``botocore.session.Session(**kwargs)`` with the shared data loader, made cheaply."""
    session = botocore.session.Session(**session_arguments((), kwargs))
    session.register_component("data_loader", shared_data_loader())
    return session


def plain_client(service_name: str, session_vars: dict[str, Any], **kwargs: Any) -> Any:
    """A client exactly as given, never redirected by an active patch (for the package's own
    calls, such as warming services up)."""
    session = new_botocore_session(session_vars=session_vars)
    return _ORIGINAL_CREATE_CLIENT(session, service_name, **kwargs)
