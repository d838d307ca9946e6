"""Which sessions redirect the AWS SDKs right now: the one owner of that state.

:mod:`.botocore` activates a session for the duration of its patch; the redirection and the
guards of every SDK (botocore, aiobotocore) ask here which session a request belongs to and
which emulators a request may go to. Nothing else keeps a copy.

Two views of the same activations:

* **per context** (a :class:`contextvars.ContextVar`): the patches that this thread or asyncio
  task started, or inherited (an asyncio task copies the context of the code that created it).
  Two threads patched for different accounts each get their own; so do two tasks.
* **per process**: every active patch, in the order they started. A context that started no
  patch of its own (a thread started by a library, a thread pool's worker, a thread that a
  patched test starts) uses the most recent of them, as the original plugin's process-wide
  patch did: code that the test calls in a worker thread reaches the emulator too.

Activations end in any order; each context and the process keep their stacks consistent.
"""

from __future__ import annotations

import contextvars
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pytest_localstack.session import RunningSession

#: The patches this context started or inherited, innermost last. ``None``: none of its own.
_in_context: contextvars.ContextVar[tuple[RunningSession, ...] | None] = contextvars.ContextVar(
    "pytest_localstack_active_sessions", default=None
)
#: Every active patch of the process, in the order they started.
_in_process: list[RunningSession] = []
_lock = threading.Lock()


def activate(session: RunningSession) -> bool:
    """Make ``session`` the innermost active one here; ``True`` if it is the process's first."""
    with _lock:
        _in_process.append(session)
        first = len(_in_process) == 1
    _in_context.set((*(_in_context.get() or ()), session))
    return first


def deactivate(session: RunningSession) -> bool:
    """End one activation of ``session`` (in any order); ``True`` if none is left in the process.

    :raises ValueError: if ``session`` is not active.
    """
    with _lock:
        _remove_last(_in_process, session)
        last = not _in_process
    mine = list(_in_context.get() or ())
    if session in mine:
        _remove_last(mine, session)
        _in_context.set(tuple(mine) or None)
    return last


def _remove_last(sessions: list[RunningSession], session: RunningSession) -> None:
    for index in range(len(sessions) - 1, -1, -1):
        if sessions[index] is session:
            del sessions[index]
            return
    raise ValueError(f"{session!r} is not active")


def current() -> RunningSession:
    """The session that a client made or a request sent here belongs to.

    The innermost patch of this context; in a context without one of its own, the most recent
    patch of the process.

    :raises LookupError: if no patch is active.
    """
    mine = [session for session in _in_context.get() or () if session in sessions()]
    if mine:
        return mine[-1]
    with _lock:
        if _in_process:
            return _in_process[-1]
    raise LookupError("no pytest-localstack session redirects botocore at the moment")


def sessions() -> tuple[RunningSession, ...]:
    """Every active session of the process, outermost (oldest) first."""
    with _lock:
        return tuple(_in_process)


def is_active() -> bool:
    """Whether any session redirects the SDKs at the moment, in any context."""
    with _lock:
        return bool(_in_process)
