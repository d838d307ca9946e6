"""Child processes of a patched test reach the emulator with the session's identity: another
Python with boto3, and the AWS CLI (awscli from PyPI), against a real moto server.

moto selects an account by a header that no environment variable can add, so the children get
temporary credentials that moto issued in the session's account (``sts:AssumeRole``); the tests
check that they act in that account, not in moto's default one.

Real-looking credentials are in the environment and in "real" config files (with a ``prod``
profile) throughout. Every proxy variable points at a sentinel on 127.0.0.1 that records and
forwards nothing; it must stay empty. The escape tests show where a child would go without the
patch by asking its client (nothing is sent), and that with the patch a child asking for a real
profile fails instead of reaching AWS.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from pytest_localstack.fixtures import shared_session
from pytest_localstack.session import RunningSession
from tests.conftest import REAL_KEY, require, unique, use_real_looking_aws_files
from tests.servers import Sentinel

pytestmark = pytest.mark.engines("process", "docker-moto")

AWS_CLI = Path(sys.executable).with_name("aws")


@pytest.fixture
def real_credentials(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, empty_sentinel: Sentinel
) -> None:
    """Real-looking credentials in the environment and in the files the SDKs read."""
    use_real_looking_aws_files(
        monkeypatch, tmp_path, default_region="us-east-1", prod_region="us-east-1"
    )
    monkeypatch.setenv("AWS_PROFILE", "prod")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "https://s3.amazonaws.com")
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)


@pytest.fixture
def child_patched(real_credentials: None, identity: RunningSession) -> Iterator[RunningSession]:
    """The patch, started after the real-looking credentials were put in place."""
    before = environment_but_pytests()
    with identity.botocore.patch_botocore():
        assert environment_but_pytests() != before
        yield identity
    assert environment_but_pytests() == before  # restored exactly


def environment_but_pytests() -> dict[str, str]:
    """``os.environ`` without PYTEST_CURRENT_TEST, which pytest changes from setup to teardown."""
    return {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}


def python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )


def aws(*args: str) -> subprocess.CompletedProcess[str]:
    require(AWS_CLI.exists(), f"the AWS CLI is missing at {AWS_CLI}; pip install awscli")
    return subprocess.run(
        [str(AWS_CLI), *args], capture_output=True, text=True, timeout=120, check=False
    )


def parent_bucket_names(session: RunningSession) -> list[str]:
    s3 = session.boto3.client("s3")
    return [bucket["Name"] for bucket in s3.list_buckets()["Buckets"]]


# -- a child Python process -------------------------------------------------------------------


def test_child_python_creates_and_lists_a_bucket(child_patched: RunningSession) -> None:
    name = unique("child-python")
    child = python(
        "import json, boto3\n"
        "s3 = boto3.client('s3')\n"
        f"s3.create_bucket(Bucket={name!r})\n"
        "names = [b['Name'] for b in s3.list_buckets()['Buckets']]\n"
        "account = boto3.client('sts').get_caller_identity()['Account']\n"
        "key = boto3.Session().get_credentials().access_key\n"
        "print(json.dumps([names, account, key]))\n"
    )
    assert child.returncode == 0, child.stderr
    names, account, key = json.loads(child.stdout)
    assert names == [name]
    assert account == child_patched.account_id
    assert key != REAL_KEY
    # The parent, patched or through the factory, sees the same bucket in the same account.
    assert [b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]] == [name]
    assert parent_bucket_names(child_patched) == [name]


def test_child_python_sees_what_the_parent_made(child_patched: RunningSession) -> None:
    boto3.client("sqs").create_queue(QueueName="from-parent")
    child = python("import boto3\nprint(boto3.client('sqs').list_queues()['QueueUrls'][0])\n")
    assert child.returncode == 0, child.stderr
    assert child.stdout.strip().endswith(f"/{child_patched.account_id}/from-parent")


# -- the AWS CLI ----------------------------------------------------------------------------


def test_aws_cli_creates_and_lists_a_bucket(child_patched: RunningSession) -> None:
    name = unique("child-cli")
    made = aws("s3", "mb", f"s3://{name}")
    assert made.returncode == 0, made.stderr
    listed = aws("s3", "ls")
    assert listed.returncode == 0, listed.stderr
    assert [line.split()[-1] for line in listed.stdout.splitlines()] == [name]
    api = aws("s3api", "list-buckets", "--query", "Buckets[].Name", "--output", "json")
    assert json.loads(api.stdout) == [name]
    assert parent_bucket_names(child_patched) == [name]


def test_aws_cli_acts_in_the_sessions_account(child_patched: RunningSession) -> None:
    who = aws("sts", "get-caller-identity", "--output", "json")
    assert who.returncode == 0, who.stderr
    assert json.loads(who.stdout)["Account"] == child_patched.account_id
    configured = aws("configure", "list")
    assert configured.returncode == 0, configured.stderr
    assert REAL_KEY[-4:] not in configured.stdout
    assert "env" in configured.stdout


def test_other_identities_do_not_see_the_childs_bucket(child_patched: RunningSession) -> None:
    name = unique("private")
    assert aws("s3", "mb", f"s3://{name}").returncode == 0
    other = child_patched.new_identity()
    try:
        assert parent_bucket_names(other) == []
    finally:
        other.stop()


def test_a_profile_that_does_not_exist_does_not_matter(
    real_credentials: None, identity: RunningSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A broken AWS_PROFILE outside must not break the patch or the children's identity."""
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")
    with identity.botocore.patch_botocore():
        who = aws("sts", "get-caller-identity", "--output", "json")
    assert who.returncode == 0, who.stderr
    assert json.loads(who.stdout)["Account"] == identity.account_id


# -- escapes --------------------------------------------------------------------------------


WHERE_WOULD_IT_GO = (
    "import json, boto3\n"
    "s = boto3.Session()\n"
    "print(json.dumps([s.client('s3').meta.endpoint_url, s.get_credentials().access_key]))\n"
)


def test_without_the_patch_a_child_would_use_real_aws(real_credentials: None) -> None:
    """The control: the same child, unpatched, would take the real key to AWS (it only says)."""
    child = python(WHERE_WOULD_IT_GO)
    assert child.returncode == 0, child.stderr
    assert json.loads(child.stdout) == ["https://s3.amazonaws.com", REAL_KEY]


def test_with_the_patch_the_child_goes_to_the_emulator(child_patched: RunningSession) -> None:
    child = python(WHERE_WOULD_IT_GO)
    assert child.returncode == 0, child.stderr
    endpoint_url, key = json.loads(child.stdout)
    assert endpoint_url == child_patched.endpoint_url()
    assert key != REAL_KEY


def test_child_python_asking_for_a_real_profile_fails(child_patched: RunningSession) -> None:
    child = python("import boto3\nboto3.Session(profile_name='prod').client('s3').list_buckets()")
    assert child.returncode != 0
    assert "The config profile (prod) could not be found" in child.stderr


def test_aws_cli_asking_for_a_real_profile_fails(child_patched: RunningSession) -> None:
    result = aws("--profile", "prod", "s3", "ls")
    assert result.returncode != 0
    assert "The config profile (prod) could not be found" in result.stderr


def test_subprocess_env_off_leaves_children_alone(
    real_credentials: None, identity: RunningSession
) -> None:
    with identity.botocore.patch_botocore(subprocess_env=False):
        child = python(WHERE_WOULD_IT_GO)
    assert child.returncode == 0, child.stderr
    assert json.loads(child.stdout) == ["https://s3.amazonaws.com", REAL_KEY]


def test_subprocess_env_off_as_a_fixture_argument(
    pytestconfig: pytest.Config, engine: dict[str, Any], real_credentials: None
) -> None:
    """``patch_fixture(..., subprocess_env=False)`` passes it on like this."""
    with shared_session(pytestconfig, subprocess_env=False, **engine) as session:
        before = environment_but_pytests()
        with session.botocore.patch_botocore():
            assert environment_but_pytests() == before
