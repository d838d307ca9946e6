"""A clean slate on every engine: a fixed bucket name works in every scope, module and warm run.

Bucket names are global across accounts on LocalStack and moto, so a session that stops removes
the buckets of its account. In one process: a versioned bucket with objects, delete markers and
an open multipart upload is gone after its session stopped. In inner runs started like a user's
run: the README example copied into two modules, scopes from function to class, a failing test,
``--localstack-reuse`` twice, and two runs on one reused emulator at once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import botocore.exceptions
import pytest

from pytest_localstack import _http, clean_slate
from pytest_localstack.session import LocalstackSession, RunningSession
from tests.integration.conftest import engine_cli_args
from tests.integration.test_classic_api import README_EXAMPLE

# -- in one process --------------------------------------------------------------------------


def s3_client(session: RunningSession, **kwargs: Any) -> Any:
    return session.boto3.client("s3", **kwargs)


def bucket_names(session: RunningSession) -> list[str]:
    return [bucket["Name"] for bucket in s3_client(session).list_buckets()["Buckets"]]


def test_stop_removes_versions_markers_uploads_and_buckets_of_every_region(
    aws: LocalstackSession,
) -> None:
    session = aws.new_identity()
    s3 = s3_client(session)
    name = f"slate-{session.account_id}"
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    for body in (b"one", b"two"):
        s3.put_object(Bucket=name, Key="kept", Body=body)
    s3.put_object(Bucket=name, Key="deleted", Body=b"x")
    s3.delete_object(Bucket=name, Key="deleted")  # leaves a delete marker
    upload = s3.create_multipart_upload(Bucket=name, Key="big")["UploadId"]
    s3.upload_part(Bucket=name, Key="big", UploadId=upload, PartNumber=1, Body=b"p" * 1024)
    versions = s3.list_object_versions(Bucket=name)
    assert len(versions["Versions"]) == 3
    assert len(versions["DeleteMarkers"]) == 1
    assert len(s3.list_multipart_uploads(Bucket=name)["Uploads"]) == 1
    s3_eu = s3_client(session, region_name="eu-west-1")
    s3_eu.create_bucket(
        Bucket=f"{name}-eu", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    s3.create_bucket(Bucket=f"{name}-plain")
    s3.put_object(Bucket=f"{name}-plain", Key="a/b/c", Body=b"x")
    assert sorted(bucket_names(session)) == [name, f"{name}-eu", f"{name}-plain"]

    session.stop()

    again = aws.new_identity(account_id=session.account_id)
    try:
        assert bucket_names(again) == [], "the stopped session's account is empty"
    finally:
        again.stop()
    other = aws.new_identity()
    try:
        for bucket in (name, f"{name}-eu", f"{name}-plain"):
            s3_client(other).create_bucket(Bucket=bucket)  # the names are free again
    finally:
        other.stop()


def test_a_given_account_is_left_alone(aws: LocalstackSession) -> None:
    mine = aws.new_identity()
    given = aws.new_identity(account_id=mine.account_id)
    name = f"kept-{mine.account_id}"
    s3_client(given).create_bucket(Bucket=name)
    given.stop()
    try:
        assert bucket_names(mine) == [name]
    finally:
        mine.stop()  # the account is mine's own: this sweeps it
    other = aws.new_identity()
    try:
        s3_client(other).create_bucket(Bucket=name)
    finally:
        other.stop()


def test_a_bucket_another_account_wrote_into_is_removed(aws: LocalstackSession) -> None:
    """Neither emulator enforces bucket policies: another account can add objects."""
    owner, intruder = aws.new_identity(), aws.new_identity()
    name = f"shared-{owner.account_id}"
    s3_client(owner).create_bucket(Bucket=name)
    s3_client(intruder).put_object(Bucket=name, Key="theirs", Body=b"x")
    owner.stop()
    try:
        with pytest.raises(botocore.exceptions.ClientError) as excinfo:
            s3_client(intruder).head_bucket(Bucket=name)
        assert excinfo.value.response["Error"]["Code"] in ("404", "NoSuchBucket")
    finally:
        intruder.stop()


# -- inner runs ------------------------------------------------------------------------------

FAILING = """
import boto3

def test_fails_after_creating_a_bucket():
    boto3.resource("s3").Bucket("fails-here").create()
    raise AssertionError("intentional failure")
"""

FUNCTION_SCOPE = """
import boto3
import pytest_localstack

localstack = pytest_localstack.patch_fixture(services=["s3"], scope="function", autouse=True)

def test_first():
    boto3.resource("s3").Bucket("foobar").create()

def test_second():
    boto3.resource("s3").Bucket("foobar").create()

def test_fails_after_creating_a_bucket():
    boto3.resource("s3").Bucket("fails-here").create()
    raise AssertionError("intentional failure")
"""

CLASS_SCOPE = """
import boto3
import pytest_localstack

localstack = pytest_localstack.patch_fixture(services=["s3"], scope="class", autouse=True)

class TestOne:
    def test_bucket(self):
        boto3.resource("s3").Bucket("foobar").create()
        assert [b.name for b in boto3.resource("s3").buckets.all()] == ["foobar"]

class TestTwo:
    def test_bucket(self):
        boto3.resource("s3").Bucket("foobar").create()
        assert [b.name for b in boto3.resource("s3").buckets.all()] == ["foobar"]
"""


def test_one_fixed_bucket_name_in_every_module_and_scope(
    pytester: pytest.Pytester, engine: dict[str, Any]
) -> None:
    pytester.makepyfile(
        test_a=README_EXAMPLE,
        test_b=README_EXAMPLE + FAILING,
        test_c=FUNCTION_SCOPE,
        test_d=CLASS_SCOPE,
    )
    result = pytester.runpytest_subprocess(*engine_cli_args(engine), "-p", "no:randomly")
    result.assert_outcomes(passed=6, failed=2)
    result.stdout.fnmatch_lines(
        [
            "FAILED test_b.py::test_fails_after_creating_a_bucket - AssertionError: intentional*",
            "FAILED test_c.py::test_fails_after_creating_a_bucket - AssertionError: intentional*",
        ]
    )
    assert "BucketAlreadyExists" not in result.stdout.str()


def reuse_args(engine: dict[str, Any]) -> list[str]:
    """An external endpoint is shared by definition; the others keep theirs warm."""
    return [] if engine.get("engine") == "external" else ["--localstack-reuse=true"]


def test_warm_runs_start_from_a_clean_slate(
    pytester: pytest.Pytester, engine: dict[str, Any], registry: Path
) -> None:
    pytester.makepyfile(test_readme=README_EXAMPLE)
    for _ in range(2):
        result = pytester.runpytest_subprocess(*engine_cli_args(engine), *reuse_args(engine))
        result.assert_outcomes(passed=1)
    if reuse_args(engine):
        assert len(list(registry.glob("*.json"))) == 1, "both runs used one warm emulator"
    pytester.makepyfile(test_readme="def test_nothing():\n    pass\n")
    result = pytester.runpytest_subprocess("--localstack-stop-reused")
    result.assert_outcomes(passed=1)
    assert list(registry.glob("*.json")) == []


CONCURRENT = """
import json, os, time
import boto3

def test_own_buckets_only(localstack):
    s3 = boto3.client("s3")
    mine, theirs = os.environ["MINE"], os.environ["THEIRS"]
    s3.create_bucket(Bucket=mine)
    barrier = os.environ["BARRIER"]
    open(os.path.join(barrier, mine), "w").close()
    deadline = time.monotonic() + 120
    while not os.path.exists(os.path.join(barrier, theirs)):
        assert time.monotonic() < deadline, "the other run never created its bucket"
        time.sleep(0.05)
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    with open(os.environ["RECORD"], "w") as f:
        json.dump(dict(names=names, url=localstack.endpoint.url), f)
    # stay until the other run has listed too, so both buckets exist while both list
    open(os.path.join(barrier, mine + ".listed"), "w").close()
    while not os.path.exists(os.path.join(barrier, theirs + ".listed")):
        assert time.monotonic() < deadline, "the other run never listed"
        time.sleep(0.05)
"""


def test_two_runs_on_one_reused_emulator_at_once_see_only_their_own_buckets(
    pytester: pytest.Pytester, engine: dict[str, Any], registry: Path, tmp_path: Path
) -> None:
    pytester.makepyfile(test_readme=README_EXAMPLE)
    warm = pytester.runpytest_subprocess(*engine_cli_args(engine), *reuse_args(engine))
    warm.assert_outcomes(passed=1)
    pytester.makepyfile(test_readme=CONCURRENT)
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    runs = []
    for mine, theirs in (
        ("run-one-bucket", "run-two-bucket"),
        ("run-two-bucket", "run-one-bucket"),
    ):
        record = tmp_path / f"{mine}.json"
        env = dict(os.environ, MINE=mine, THEIRS=theirs, BARRIER=str(barrier), RECORD=str(record))
        command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider"]
        command += [*engine_cli_args(engine), *reuse_args(engine)]
        command += [f"--basetemp={tmp_path / f'base-{mine}'}"]
        process = subprocess.Popen(
            command, cwd=pytester.path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        runs.append((mine, record, process))
    urls = set()
    for mine, record, process in runs:
        output = process.communicate(timeout=300)[0].decode()
        assert process.returncode == 0, output
        data = json.loads(record.read_text())
        assert data["names"] == [mine]
        urls.add(data["url"])
    assert len(urls) == 1, "both runs attached to the same emulator"
    pytester.makepyfile(test_readme=README_EXAMPLE)
    after = pytester.runpytest_subprocess(*engine_cli_args(engine), *reuse_args(engine))
    after.assert_outcomes(passed=1)


def test_the_quick_listing_acts_in_the_sessions_account(aws: LocalstackSession) -> None:
    """One signed request answers the common case; it must see exactly the account's buckets."""
    mine, other = aws.new_identity(), aws.new_identity()
    try:
        assert clean_slate._quick_list_buckets(mine) == []
        s3_client(mine).create_bucket(Bucket=f"quick-{mine.account_id}")
        assert clean_slate._quick_list_buckets(mine) == [f"quick-{mine.account_id}"]
        assert clean_slate._quick_list_buckets(other) == []
    finally:
        mine.stop()
        other.stop()
    assert clean_slate._quick_list_buckets(mine) == [], "the stop swept it"


@pytest.mark.emulators("localstack")
def test_the_clean_slate_does_not_load_s3_before_anyone_used_it(engine: dict[str, Any]) -> None:
    """LocalStack loads S3 on its first request (0.4 s on a fresh container): a clean slate
    asks its health instead while S3 is not loaded, and lists buckets once it is."""

    def s3_state(session: LocalstackSession) -> str:
        status, body, _ = _http.get(session.endpoint.url + "/_localstack/health")
        assert status == 200
        state: str = json.loads(body)["services"]["s3"]
        return state

    own = LocalstackSession(**engine)  # a fresh emulator: the module's may have loaded S3
    own.start()
    try:
        quiet = own.new_identity()
        quiet.boto3.client("sqs").list_queues()
        quiet.stop()
        assert s3_state(own) == "available", "the clean slate loaded S3"
        maker = own.new_identity()
        s3_client(maker).create_bucket(Bucket=f"loaded-{maker.account_id}")
        maker.stop()
        assert s3_state(own) == "running"
        assert clean_slate._quick_list_buckets(maker) == [], "the stop swept it"
    finally:
        own.stop()


# -- what the clean slate does not cover: reach across accounts, per emulator ----------------


def reaches(call: Any) -> bool:
    """Whether ``call`` (made from another account) found the resource."""
    try:
        call()
    except botocore.exceptions.ClientError as error:
        code = error.response["Error"]["Code"]
        assert code in ("NotFoundException", "AWS.SimpleQueueService.NonExistentQueue"), code
        return False
    return True


def test_reach_by_arn_or_url_from_another_account(aws: LocalstackSession) -> None:
    """The rows of the isolation table in docs/guides/resources-and-isolation.md."""
    owner, other = aws.new_identity(), aws.new_identity()
    try:
        topic = owner.boto3.client("sns").create_topic(Name="reach")["TopicArn"]
        queue = owner.boto3.client("sqs").create_queue(QueueName="reach")["QueueUrl"]
        key = owner.boto3.client("kms").create_key()["KeyMetadata"]["Arn"]
        sns, sqs, kms = (other.boto3.client(name) for name in ("sns", "sqs", "kms"))
        found = {
            "sns topic by ARN": reaches(lambda: sns.get_topic_attributes(TopicArn=topic)),
            "sqs queue by URL": reaches(lambda: sqs.send_message(QueueUrl=queue, MessageBody="x")),
            "kms key by ARN": reaches(lambda: kms.describe_key(KeyId=key)),
        }
        if aws.endpoint.emulator == "moto":
            assert found == {
                "sns topic by ARN": True,
                "sqs queue by URL": False,
                "kms key by ARN": False,
            }
            apigateway = owner.boto3.client("apigateway")
            domain = f"reach-{owner.account_id}.example.test"
            apigateway.create_domain_name(domainName=domain, certificateArn="arn:aws:acm:x")
            listed = other.boto3.client("apigateway").get_domain_names()["items"]
            assert domain not in [item["domainName"] for item in listed], "per account"
            apigateway.delete_domain_name(domainName=domain)
        else:
            assert found == {
                "sns topic by ARN": True,
                "sqs queue by URL": True,
                "kms key by ARN": True,
            }
    finally:
        owner.stop()
        other.stop()
