"""Unit tests for :mod:`pytest_localstack.contrib._session_caches`: this process's own botocore
sessions do not keep what a patch puts in ``os.environ`` for child processes.

No request is sent: the sessions are only asked for their configuration and credentials.
"""

from __future__ import annotations

from pathlib import Path

import botocore.session
import pytest

from pytest_localstack.contrib import _session_caches
from pytest_localstack.runtimes import Endpoint
from pytest_localstack.session import RunningSession

REAL_KEY = "AKIAREALREALREAL0000"


@pytest.fixture(autouse=True)
def _users_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_PROFILE", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", REAL_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "real-secret")


def make_session(region_name: str | None = None) -> RunningSession:
    endpoint = Endpoint(
        url="http://127.0.0.1:9", emulator="localstack", version="t", engine="external"
    )
    return RunningSession(endpoint=endpoint, region_name=region_name)


def test_a_session_from_before_forgets_the_childrens_config_after_the_patch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """os.environ names the plugin's config file while patched (for child processes); a
    session that first reads its config then does not keep it."""
    users = tmp_path / "users-config"
    users.write_text("[default]\nregion = eu-north-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(users))
    before = botocore.session.Session()
    session = make_session(region_name="ap-south-1")
    with session.botocore.patch_botocore():
        assert before.get_scoped_config().get("region") == "ap-south-1"
        assert before.get_credentials().access_key == session.account_id
    assert before.get_scoped_config().get("region") == "eu-north-1"
    assert before.get_config_variable("region") == "eu-north-1"
    assert before.get_credentials().access_key == REAL_KEY
    assert botocore.session.Session.get_credentials is _session_caches._ORIGINAL_GET_CREDENTIALS


def test_a_session_configured_before_the_patch_keeps_its_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    users = tmp_path / "users-config"
    users.write_text("[default]\nregion = eu-north-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(users))
    before = botocore.session.Session()
    assert before.get_credentials().access_key == REAL_KEY
    assert before.get_scoped_config()["region"] == "eu-north-1"
    with make_session().botocore.patch_botocore():
        assert before.get_scoped_config()["region"] == "eu-north-1"
    assert before.get_scoped_config()["region"] == "eu-north-1"
    assert before.get_credentials().access_key == REAL_KEY
