"""Which sessions redirect the AWS SDKs right now: the one owner of that state.

:mod:`.botocore` activates a session for the duration of its patch; the redirection and the
guards of every SDK (botocore, aiobotocore) ask here which session a new client belongs to and
which emulators a request may go to. Nothing else keeps a copy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pytest_localstack.session import RunningSession

#: The sessions whose patches are active, innermost last.
_sessions: list[RunningSession] = []


def activate(session: RunningSession) -> bool:
    """Make ``session`` the innermost active one; ``True`` if it is the first (outermost)."""
    _sessions.append(session)
    return len(_sessions) == 1


def deactivate(session: RunningSession) -> bool:
    """End ``session``'s activation (in any order); ``True`` if no session is active any more."""
    _sessions.remove(session)
    return not _sessions


def current() -> RunningSession:
    """The innermost active session: the one that new clients belong to.

    :raises LookupError: if no patch is active.
    """
    if not _sessions:
        raise LookupError("no pytest-localstack session redirects botocore at the moment")
    return _sessions[-1]


def sessions() -> tuple[RunningSession, ...]:
    """Every active session, outermost first."""
    return tuple(_sessions)


def is_active() -> bool:
    """Whether any session redirects the SDKs at the moment."""
    return bool(_sessions)
