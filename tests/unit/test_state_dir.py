"""The per-user state directory: private, checked, never a symlink or another user's."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pytest_localstack._state_dir import (
    UnsafeStateDirError,
    is_own_file,
    log_dir,
    private_dir,
    user_state_dir,
    why_not_private,
)
from pytest_localstack.exceptions import LocalstackError


def test_made_private(tmp_path: Path) -> None:
    path = private_dir(tmp_path / "state")
    assert path.is_dir()
    assert os.lstat(path).st_mode & 0o777 == 0o700
    assert private_dir(path) == path  # again: it exists, and it is fine


def test_user_state_dir_is_per_user(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    assert user_state_dir() == tmp_path / f"pytest-localstack-{os.getuid()}"
    assert log_dir() == user_state_dir() / "logs"
    assert why_not_private(log_dir()) == ""


def test_a_symlink_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    target.mkdir(mode=0o700)
    (tmp_path / "state").symlink_to(target)
    with pytest.raises(UnsafeStateDirError, match="is a symbolic link") as raised:
        private_dir(tmp_path / "state")
    assert isinstance(raised.value, LocalstackError)
    assert "set TMPDIR to a directory of your own" in str(raised.value)


def test_an_open_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "state").mkdir()
    os.chmod(tmp_path / "state", 0o777)
    with pytest.raises(UnsafeStateDirError, match="its mode is 0777, open to other users"):
        private_dir(tmp_path / "state")


def test_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "state").write_text("")
    with pytest.raises(UnsafeStateDirError, match="it is not a directory"):
        private_dir(tmp_path / "state")


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to make a file of another uid")
def test_another_users_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "state").mkdir(mode=0o700)
    os.chown(tmp_path / "state", 4321, 4321)
    with pytest.raises(UnsafeStateDirError, match=f"belongs to uid 4321, not to uid {os.getuid()}"):
        private_dir(tmp_path / "state")


def test_only_own_regular_files_inside_may_be_deleted(tmp_path: Path) -> None:
    inside = tmp_path / "logs"
    inside.mkdir()
    (inside / "a.log").write_text("")
    (tmp_path / "outside.log").write_text("")
    (inside / "link.log").symlink_to(tmp_path / "outside.log")
    assert is_own_file(inside / "a.log", inside)
    assert not is_own_file(tmp_path / "outside.log", inside)
    assert not is_own_file(inside / "link.log", inside)
    assert not is_own_file(inside / ".." / "outside.log", inside)
    assert not is_own_file(inside / "missing.log", inside)
