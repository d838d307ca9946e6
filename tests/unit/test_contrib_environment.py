"""Unit tests for :mod:`pytest_localstack.contrib.environment`: the child processes' environment.

No emulator is needed: the sessions point at 127.0.0.1 ports that nothing here sends to, and the
child processes only build clients and resolve credentials, which sends nothing. Real-looking
credentials, profiles and endpoint overrides are in the environment throughout.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import logging
import os
import subprocess
import sys
import threading
import urllib.parse
from pathlib import Path
from typing import Any

import boto3
import botocore.configloader
import pytest

from pytest_localstack.contrib import environment
from pytest_localstack.exceptions import ConfigurationError
from pytest_localstack.runtimes import Endpoint
from pytest_localstack.session import RunningSession
from tests.conftest import REAL_KEY, use_real_looking_aws_files
from tests.servers import DEAD_PROXY, serving, set_proxies


@pytest.fixture(autouse=True)
def real_looking_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Real-looking credentials everywhere the SDKs look; the proxies are dead ends."""
    set_proxies(monkeypatch, DEAD_PROXY)
    real = use_real_looking_aws_files(
        monkeypatch, tmp_path, default_region="eu-central-1", prod_region="eu-west-1"
    )
    monkeypatch.setenv("AWS_SECURITY_TOKEN", "real-security-token")
    monkeypatch.setenv("AWS_PROFILE", "prod")
    monkeypatch.setenv("AWS_DEFAULT_PROFILE", "prod")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "https://s3.eu-west-1.amazonaws.com")
    monkeypatch.setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
    monkeypatch.setenv("AWS_USE_FIPS_ENDPOINT", "true")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    return real


def make_session(emulator: str = "localstack", port: int = 4566, **kwargs: Any) -> RunningSession:
    endpoint = Endpoint(
        url=f"http://127.0.0.1:{port}", emulator=emulator, version="t", engine="external"
    )
    return RunningSession(endpoint=endpoint, **kwargs)


def aws_variables() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k.startswith("AWS_")}


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )


# -- what the children see ------------------------------------------------------------------


def test_variables_point_at_the_emulator_with_the_sessions_identity() -> None:
    session = make_session(account_id="123412341234", region_name="ap-southeast-2")
    with environment.patch_environment(session) as env:
        assert env == dict(os.environ)
        assert os.environ["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4566"
        assert os.environ["AWS_ACCESS_KEY_ID"] == "123412341234"
        assert os.environ["AWS_SECRET_ACCESS_KEY"] == "test"
        assert os.environ["AWS_ACCOUNT_ID"] == "123412341234"
        assert os.environ["AWS_REGION"] == os.environ["AWS_DEFAULT_REGION"] == "ap-southeast-2"
        assert os.environ["AWS_EC2_METADATA_DISABLED"] == "true"
        for removed in (
            "AWS_SESSION_TOKEN",
            "AWS_SECURITY_TOKEN",
            "AWS_PROFILE",
            "AWS_DEFAULT_PROFILE",
            "AWS_ENDPOINT_URL_S3",
            "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
            "AWS_USE_FIPS_ENDPOINT",
        ):
            assert removed not in os.environ
        assert REAL_KEY not in json.dumps(aws_variables())


def test_generated_files_hold_a_default_profile_with_path_style_s3(
    real_looking_environment: Path,
) -> None:
    session = make_session(account_id="123412341234")
    with environment.patch_environment(session):
        config_file = Path(os.environ["AWS_CONFIG_FILE"])
        credentials_file = Path(os.environ["AWS_SHARED_CREDENTIALS_FILE"])
        assert config_file.parent == credentials_file.parent
        assert real_looking_environment not in config_file.parents
        assert config_file.stat().st_mode & 0o077 == 0
        config = botocore.configloader.raw_config_parse(str(config_file))
        assert config["default"]["endpoint_url"] == "http://127.0.0.1:4566"
        assert config["default"]["region"] == "us-east-1"
        assert config["default"]["s3"] == {"addressing_style": "path"}
        credentials = botocore.configloader.raw_config_parse(str(credentials_file))
        assert credentials == {
            "default": {"aws_access_key_id": "123412341234", "aws_secret_access_key": "test"}
        }
        assert list(config) == ["default"]  # no "prod": a real profile name fails
    assert not config_file.parent.exists()


def test_a_child_python_resolves_the_session_not_the_real_credentials() -> None:
    session = make_session(account_id="123412341234", region_name="eu-north-1")
    code = (
        "import json, boto3\n"
        "s = boto3.Session()\n"
        "c = s.client('s3')\n"
        "creds = s.get_credentials()\n"
        "print(json.dumps([c.meta.endpoint_url, c.meta.region_name, creds.access_key,\n"
        "    creds.token, creds.method, c.meta.config.s3]))\n"
    )
    with environment.patch_environment(session):
        child = run_python(code)
    assert child.returncode == 0, child.stderr
    assert json.loads(child.stdout) == [
        "http://127.0.0.1:4566",
        "eu-north-1",
        "123412341234",
        None,
        "env",
        {"addressing_style": "path"},
    ]


def test_without_the_patch_the_same_child_would_use_real_aws() -> None:
    """The control for the test above: nothing is sent, the client only says where it would."""
    code = (
        "import json, boto3\n"
        "os_c = boto3.Session().client('sts')\n"
        "print(json.dumps([os_c.meta.endpoint_url, boto3.Session().get_credentials().access_key]))"
    )
    child = run_python(code)
    assert child.returncode == 0, child.stderr
    endpoint_url, access_key = json.loads(child.stdout)
    assert endpoint_url.endswith(".amazonaws.com")
    assert access_key == REAL_KEY


def test_a_child_asking_for_a_real_profile_fails() -> None:
    session = make_session()
    code = "import boto3\nboto3.Session(profile_name='prod').client('s3')\n"
    with environment.patch_environment(session):
        child = run_python(code)
    assert child.returncode != 0
    assert "ProfileNotFound" in child.stderr
    assert "The config profile (prod) could not be found" in child.stderr


# -- restoring ------------------------------------------------------------------------------


def test_environment_is_restored_exactly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ROLE_ARN", "")  # empty is not absent, and stays empty
    before = dict(os.environ)
    with environment.patch_environment(make_session()):
        assert "AWS_ROLE_ARN" not in os.environ
    assert dict(os.environ) == before


def test_environment_is_restored_when_the_block_raises() -> None:
    before = dict(os.environ)
    with pytest.raises(RuntimeError, match="boom"), environment.patch_environment(make_session()):
        raise RuntimeError("boom")
    assert dict(os.environ) == before
    assert environment._stack == []


def test_changes_to_other_variables_made_inside_survive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("UNRELATED_VARIABLE", raising=False)
    with environment.patch_environment(make_session()):
        os.environ["UNRELATED_VARIABLE"] = "kept"
        os.environ["AWS_ACCESS_KEY_ID"] = "changed-inside"
    assert os.environ["UNRELATED_VARIABLE"] == "kept"
    assert os.environ["AWS_ACCESS_KEY_ID"] == REAL_KEY


def test_nested_patches_restore_in_order() -> None:
    before = dict(os.environ)
    outer, inner = make_session(port=1111), make_session(port=2222)
    with environment.patch_environment(outer):
        outer_env = dict(os.environ)
        with environment.patch_environment(inner):
            assert os.environ["AWS_ENDPOINT_URL"] == "http://127.0.0.1:2222"
            assert os.environ["AWS_ACCESS_KEY_ID"] == inner.access_key_id
        assert dict(os.environ) == outer_env
    assert dict(os.environ) == before


def test_overlapping_patches_that_end_out_of_order_restore_everything() -> None:
    before = dict(os.environ)
    first, second = make_session(port=1111), make_session(port=2222)
    with contextlib.ExitStack() as outer_stack, contextlib.ExitStack() as inner_stack:
        outer_stack.enter_context(environment.patch_environment(first))
        inner_stack.enter_context(environment.patch_environment(second))
        outer_stack.close()  # the first ends while the second still runs
        assert os.environ["AWS_ENDPOINT_URL"] == "http://127.0.0.1:2222"
        assert os.environ["AWS_ACCESS_KEY_ID"] == second.access_key_id
        assert Path(os.environ["AWS_CONFIG_FILE"]).exists()
    assert dict(os.environ) == before
    assert environment._stack == []


# -- moto: an account from the access key ---------------------------------------------------


def test_moto_children_get_temporary_credentials_of_the_sessions_account(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []

    def assume_role(session: RunningSession) -> environment.ChildIdentity:
        calls.append(session.account_id)
        return environment.ChildIdentity("ASIATEMP", "temp-secret", "temp-token", "111122223333")

    monkeypatch.setattr(environment, "_assumed_role_identity", assume_role)
    session = make_session("moto", account_id="111122223333")
    with environment.patch_environment(session):
        assert os.environ["AWS_ACCESS_KEY_ID"] == "ASIATEMP"
        assert os.environ["AWS_SESSION_TOKEN"] == "temp-token"
        credentials = Path(os.environ["AWS_SHARED_CREDENTIALS_FILE"]).read_text()
        assert "aws_session_token = temp-token" in credentials
    with environment.patch_environment(session):
        pass
    assert calls == ["111122223333"]  # once per session


def test_moto_falls_back_to_the_sessions_key_and_says_so(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def fail(session: RunningSession) -> environment.ChildIdentity:
        raise RuntimeError("no sts here")

    monkeypatch.setattr(environment, "_assumed_role_identity", fail)
    session = make_session("moto", account_id="111122223333")
    with caplog.at_level(logging.WARNING), environment.patch_environment(session):
        assert os.environ["AWS_ACCESS_KEY_ID"] == "111122223333"
        assert "AWS_SESSION_TOKEN" not in os.environ
    assert "default account" in caplog.text


ASSUMED = (
    '<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>'
    "<Credentials><AccessKeyId>ASIAFAKE</AccessKeyId><SecretAccessKey>s3cret</SecretAccessKey>"
    "<SessionToken>tok</SessionToken></Credentials></AssumeRoleResult></AssumeRoleResponse>"
)


class FakeSTS:
    """An HTTP server on 127.0.0.1 that answers every POST with one canned response."""

    def __init__(self, status: int, body: str) -> None:
        self.requests: list[tuple[dict[str, str], dict[str, list[str]]]] = []
        requests = self.requests

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                form = self.rfile.read(int(self.headers["Content-Length"])).decode()
                requests.append((dict(self.headers.items()), urllib.parse.parse_qs(form)))
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)


def test_moto_child_credentials_come_from_one_assume_role_in_the_account() -> None:
    with serving(FakeSTS(200, ASSUMED)) as sts:
        session = make_session("moto", port=sts.port, account_id="111122223333")
        identity = environment._assumed_role_identity(session)
    assert identity == environment.ChildIdentity("ASIAFAKE", "s3cret", "tok", "111122223333")
    ((headers, form),) = sts.requests
    assert headers["x-moto-account-id"] == "111122223333"
    assert headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=test/")
    assert form["Action"] == ["AssumeRole"]
    role = f"arn:aws:iam::111122223333:role/{environment.CHILD_ROLE_NAME}"
    assert form["RoleArn"] == [role]


@pytest.mark.parametrize(
    ("status", "body"),
    [(403, "<ErrorResponse><Error><Code>AccessDenied</Code></Error></ErrorResponse>"), (200, "")],
)
def test_an_assume_role_without_credentials_fails(status: int, body: str) -> None:
    with serving(FakeSTS(status, body)) as sts:
        session = make_session("moto", port=sts.port, account_id="111122223333")
        with pytest.raises(RuntimeError, match=f"AssumeRole answered HTTP {status}"):
            environment._assumed_role_identity(session)


# -- on by default, and how to turn it off ----------------------------------------------------


def test_enabled_by_default_and_overridable() -> None:
    assert environment.enabled(make_session()) is True
    assert environment.enabled(make_session(), False) is False
    assert environment.enabled(make_session(subprocess_env=False)) is False
    assert environment.enabled(make_session(subprocess_env=False), True) is True
    session = make_session()
    session.settings = type("S", (), {"subprocess_env": False})()  # type: ignore[attr-defined]
    assert environment.enabled(session) is False


def test_enabled_rejects_non_booleans() -> None:
    with pytest.raises(ConfigurationError, match=r"subprocess_env: 'no' is not a boolean"):
        environment.enabled(make_session(subprocess_env="no"))


def test_patch_botocore_sets_the_environment_by_default() -> None:
    session = make_session(account_id="123412341234")
    before = dict(os.environ)
    with session.botocore.patch_botocore():
        assert os.environ["AWS_ENDPOINT_URL"] == session.endpoint_url()
        assert os.environ["AWS_ACCESS_KEY_ID"] == "123412341234"
    assert dict(os.environ) == before


@pytest.mark.parametrize("how", ["argument", "session"])
def test_patch_botocore_leaves_the_environment_alone_when_off(how: str) -> None:
    if how == "argument":
        session = make_session()
        patch = session.botocore.patch_botocore(subprocess_env=False)
    else:
        session = make_session(subprocess_env=False)
        patch = session.botocore.patch_botocore()
    before = dict(os.environ)
    with patch:
        assert dict(os.environ) == before


# -- the emulator's own environment -----------------------------------------------------------


def test_no_aws_credentials_reach_the_emulators_environment() -> None:
    from pytest_localstack import config
    from pytest_localstack.emulators import EMULATORS
    from pytest_localstack.runtimes import process

    settings = config.Settings()
    for emulator in EMULATORS.values():
        assert not [k for k in emulator.container_environment(settings, 4566) if "AWS" in k]
    child_env = process._child_environment(settings, {})
    assert not [k for k in child_env if k.startswith("AWS_")]
    assert REAL_KEY not in json.dumps(child_env)


# -- directories left by killed runs ------------------------------------------------------------


def _finished_process_token() -> str:
    from pytest_localstack._processes import owner_token

    process = subprocess.Popen([sys.executable, "-c", "pass"])
    token = owner_token(process.pid)
    process.wait()
    return token


def _config_directory(parent: Path, name: str, owner: str) -> Path:
    directory = parent / f"pytest-localstack-aws-{name}"
    directory.mkdir()
    (directory / "config").write_text("[default]\n")
    (directory / "owner").write_text(owner)
    return directory


def test_directories_of_killed_runs_are_swept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_localstack._processes import owner_token
    from pytest_localstack._state_dir import user_state_dir

    monkeypatch.setattr(environment.tempfile, "tempdir", str(tmp_path))
    state = user_state_dir()  # the user's private directory in the temporary directory
    killed = _config_directory(state, "killed", _finished_process_token())
    alive = _config_directory(state, "alive", owner_token())
    unmarked = _config_directory(state, "unmarked", "")
    (state / "pytest-localstack-aws-link").symlink_to(killed)
    others = []
    if os.getuid() == 0:  # another user's, as root can make it: never ours to delete
        others.append(_config_directory(state, "other-user", _finished_process_token()))
        os.chown(others[0], 65534, 65534)
    environment._sweep_abandoned_directories.__wrapped__()
    assert not killed.exists()
    assert alive.exists()
    assert unmarked.exists()
    assert all(other.exists() for other in others)


def test_a_patch_marks_its_directory_with_its_owner(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_localstack._processes import owner_token

    monkeypatch.setattr(environment.tempfile, "tempdir", str(tmp_path))
    made = []
    real_mkdtemp = environment.tempfile.mkdtemp

    def recording_mkdtemp(**kwargs: Any) -> str:
        made.append(real_mkdtemp(**kwargs))
        return made[-1]

    monkeypatch.setattr(environment.tempfile, "mkdtemp", recording_mkdtemp)
    with environment.patch_environment(make_session()):
        assert (Path(made[0]) / "owner").read_text() == owner_token()
    assert not Path(made[0]).exists()
