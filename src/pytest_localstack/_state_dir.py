"""The per-user directory for run state and log files: made safely, trusted only if ours.

The temporary directory is shared by every user of the machine. Whatever the plugin reads back
from it decides what it stops and deletes, so it lives in ``$TMPDIR/pytest-localstack-UID``:
made with mode 0700, and used only while it is a real directory (not a symlink) owned by the
current user and closed to everyone else. Another user can neither plant a record there nor
swap the directory for a link to theirs.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from pytest_localstack.exceptions import LocalstackError

#: Where the moto server processes write their logs, inside :func:`user_state_dir`.
LOGS = "logs"


class UnsafeStateDirError(LocalstackError):
    """The per-user state directory is not a private directory of the current user."""


def user_state_dir() -> Path:
    """``$TMPDIR/pytest-localstack-UID``, created 0700 on first use, checked on every use."""
    return private_dir(Path(tempfile.gettempdir()) / f"pytest-localstack-{os.getuid()}")


def log_dir() -> Path:
    """Where the process runtime writes the logs of the emulators it starts."""
    return private_dir(user_state_dir() / LOGS)


def private_dir(path: Path) -> Path:
    """``path`` as a directory that only the current user can enter, made if missing.

    :raises UnsafeStateDirError: if it is a symlink, not a directory, another user's, or open
        to others.
    """
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    except OSError as error:
        raise UnsafeStateDirError(
            f"cannot create the state directory {path}: {error}; set TMPDIR to a writable directory"
        ) from None
    problem = why_not_private(path)
    if problem:
        raise UnsafeStateDirError(
            f"refusing to use {path} for pytest-localstack's state: {problem}. Remove it (it "
            "may have been planted by another user) or set TMPDIR to a directory of your own."
        )
    return path


def why_not_private(path: Path) -> str:
    """Why ``path`` is not a private directory of the current user, or "" if it is one."""
    try:
        info = os.lstat(path)
    except OSError as error:
        return f"it cannot be read ({error.strerror})"
    if stat.S_ISLNK(info.st_mode):
        return "it is a symbolic link"
    if not stat.S_ISDIR(info.st_mode):
        return "it is not a directory"
    if info.st_uid != os.getuid():
        return f"it belongs to uid {info.st_uid}, not to uid {os.getuid()}"
    if info.st_mode & 0o077:
        return f"its mode is {stat.S_IMODE(info.st_mode):04o}, open to other users (want 0700)"
    return ""


def is_own_file(path: Path, directory: Path) -> bool:
    """Whether ``path`` is a regular file of the current user directly inside ``directory``
    (not a link out of it), and so one that the plugin may delete."""
    if path.parent != directory or path.name in ("", ".", ".."):
        return False
    try:
        info = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISREG(info.st_mode) and info.st_uid == os.getuid()
