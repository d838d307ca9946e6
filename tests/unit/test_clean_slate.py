"""The clean slate without an emulator: which calls it makes, in which order, and what it reports.

botocore's Stubber fails on any unexpected call or argument; tests/integration/test_clean_slate.py
sweeps real emulators.
"""

from __future__ import annotations

from collections.abc import Iterator

import botocore.session
import pytest
from botocore.stub import Stubber

from pytest_localstack import clean_slate
from pytest_localstack.resources import ResourceCleanupWarning
from pytest_localstack.session import RunningSession


@pytest.fixture
def session() -> RunningSession:
    """A session that is never started; its fresh account makes it one to sweep."""
    return RunningSession(hostname="127.0.0.1:1")


@pytest.fixture
def s3(session: RunningSession, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stubber]:
    client = botocore.session.get_session().create_client(
        "s3",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:1",
        aws_access_key_id="x",
        aws_secret_access_key="y",
    )
    monkeypatch.setattr(clean_slate, "_client", lambda s: client)
    monkeypatch.setattr(clean_slate, "_quick_list_buckets", lambda s: None)
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def buckets(*names: str) -> dict[str, object]:
    return {"Buckets": [{"Name": name} for name in names]}


def expect_empty_bucket(s3: Stubber, name: str) -> None:
    s3.add_response("list_multipart_uploads", {}, {"Bucket": name})
    s3.add_response("list_object_versions", {}, {"Bucket": name})


def test_fresh_accounts_are_swept_given_ones_are_not() -> None:
    assert clean_slate.sweeps(RunningSession(hostname="127.0.0.1:1"))
    assert not clean_slate.sweeps(RunningSession(hostname="127.0.0.1:1", account_id="1" * 12))


def test_an_empty_account_costs_one_list_buckets(session: RunningSession, s3: Stubber) -> None:
    s3.add_response("list_buckets", buckets())
    assert clean_slate.sweep(session) == []


def test_versions_markers_and_uploads_go_before_the_bucket(
    session: RunningSession, s3: Stubber
) -> None:
    s3.add_response("list_buckets", buckets("foobar"))
    s3.add_response(
        "list_multipart_uploads",
        {"Uploads": [{"Key": "big", "UploadId": "u1"}]},
        {"Bucket": "foobar"},
    )
    s3.add_response(
        "abort_multipart_upload", {}, {"Bucket": "foobar", "Key": "big", "UploadId": "u1"}
    )
    s3.add_response(
        "list_object_versions",
        {
            "Versions": [{"Key": "k", "VersionId": "v1"}, {"Key": "k", "VersionId": "v2"}],
            "DeleteMarkers": [{"Key": "gone", "VersionId": "m1"}],
        },
        {"Bucket": "foobar"},
    )
    s3.add_response(
        "delete_objects",
        {},
        {
            "Bucket": "foobar",
            "Delete": {
                "Objects": [
                    {"Key": "k", "VersionId": "v1"},
                    {"Key": "k", "VersionId": "v2"},
                    {"Key": "gone", "VersionId": "m1"},
                ],
                "Quiet": True,
            },
        },
    )
    s3.add_response("delete_bucket", {}, {"Bucket": "foobar"})
    assert clean_slate.sweep(session) == []


def test_objects_listed_only_without_versions_go_too(session: RunningSession, s3: Stubber) -> None:
    s3.add_response("list_buckets", buckets("plain"))
    expect_empty_bucket(s3, "plain")
    s3.add_client_error("delete_bucket", "BucketNotEmpty", http_status_code=409)
    s3.add_response("list_objects_v2", {"Contents": [{"Key": "a/b"}]}, {"Bucket": "plain"})
    s3.add_response(
        "delete_objects",
        {},
        {
            "Bucket": "plain",
            "Delete": {"Objects": [{"Key": "a/b"}], "Quiet": True},
        },
    )
    s3.add_response("delete_bucket", {}, {"Bucket": "plain"})
    assert clean_slate.sweep(session) == []


def test_the_quick_listing_saves_the_client_when_there_is_nothing(
    session: RunningSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_client(session: RunningSession) -> None:
        raise AssertionError("made a client for an empty account")

    monkeypatch.setattr(clean_slate, "_quick_list_buckets", lambda s: [])
    monkeypatch.setattr(clean_slate, "_client", no_client)
    assert clean_slate.sweep(session) == []


def test_names_from_the_quick_listing_are_not_listed_again(
    session: RunningSession, s3: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(clean_slate, "_quick_list_buckets", lambda s: ["one"])
    expect_empty_bucket(s3, "one")
    s3.add_response("delete_bucket", {}, {"Bucket": "one"})
    assert clean_slate.sweep(session) == []


def test_every_bucket_is_attempted_and_failures_name_it(
    session: RunningSession, s3: Stubber
) -> None:
    s3.add_response("list_buckets", buckets("locked", "gone", "fine"))
    s3.add_response("list_multipart_uploads", {}, {"Bucket": "locked"})
    s3.add_response(
        "list_object_versions", {"Versions": [{"Key": "k", "VersionId": "v"}]}, {"Bucket": "locked"}
    )
    denied = {
        "Errors": [
            {"Key": "k", "VersionId": "v", "Code": "AccessDenied", "Message": "Access Denied"}
        ]
    }
    s3.add_response("delete_objects", denied)
    s3.add_response(
        "delete_objects",
        denied,
        {
            "Bucket": "locked",
            "Delete": {"Objects": [{"Key": "k", "VersionId": "v"}], "Quiet": True},
            "BypassGovernanceRetention": True,
        },
    )
    s3.add_client_error("list_multipart_uploads", "NoSuchBucket", http_status_code=404)
    expect_empty_bucket(s3, "fine")
    s3.add_response("delete_bucket", {}, {"Bucket": "fine"})
    failures = clean_slate.sweep(session)
    assert [failure.description for failure in failures] == ["S3 bucket 'locked'"]
    assert str(failures[0].error) == (
        "1 object(s) could not be deleted, the first 'k': AccessDenied Access Denied"
    )


def test_large_buckets_are_deleted_in_batches_of_1000(session: RunningSession, s3: Stubber) -> None:
    keys = [{"Key": f"k{i}"} for i in range(1500)]
    s3.add_response("list_buckets", buckets("big"))
    s3.add_response("list_multipart_uploads", {}, {"Bucket": "big"})
    s3.add_response(
        "list_object_versions",
        {"Versions": [{**key, "VersionId": "null"} for key in keys]},
        {"Bucket": "big"},
    )
    versions = [{**key, "VersionId": "null"} for key in keys]
    for batch in (versions[:1000], versions[1000:]):
        s3.add_response(
            "delete_objects",
            {},
            {
                "Bucket": "big",
                "Delete": {"Objects": batch, "Quiet": True},
            },
        )
    s3.add_response("delete_bucket", {}, {"Bucket": "big"})
    assert clean_slate.sweep(session) == []


def test_a_listing_that_fails_is_one_failure(session: RunningSession, s3: Stubber) -> None:
    s3.add_client_error("list_buckets", "InternalError", http_status_code=500)
    failures = clean_slate.sweep(session)
    assert [failure.description for failure in failures] == [
        f"the S3 buckets of account {session.account_id}"
    ]


@pytest.mark.parametrize("status", [404, 501])
def test_an_emulator_without_s3_has_nothing_to_sweep(
    session: RunningSession, s3: Stubber, status: int
) -> None:
    s3.add_client_error("list_buckets", "NotImplemented", http_status_code=status)
    assert clean_slate.sweep(session) == []


def test_an_emulator_that_is_gone_leaves_nothing_to_sweep(
    session: RunningSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Port 1 on loopback refuses the connection: a real botocore client, no stub."""
    monkeypatch.setattr(clean_slate, "CONNECT_TIMEOUT", 1.0)
    client = botocore.session.get_session().create_client(
        "s3",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:1",
        aws_access_key_id="x",
        aws_secret_access_key="y",
        config=botocore.config.Config(retries={"max_attempts": 1}, proxies={}),
    )
    monkeypatch.setattr(clean_slate, "_client", lambda s: client)
    assert clean_slate._quick_list_buckets(session) is None
    assert clean_slate.sweep(session) == []


def test_hooks_warn_after_the_stop_not_during_it(session: RunningSession, s3: Stubber) -> None:
    s3.add_response("list_buckets", buckets("stuck"))
    expect_empty_bucket(s3, "stuck")
    s3.add_client_error("delete_bucket", "BucketNotEmpty", http_status_code=409)
    s3.add_response("list_objects_v2", {}, {"Bucket": "stuck"})
    s3.add_client_error("delete_bucket", "BucketNotEmpty", http_status_code=409)
    clean_slate.session_stopping(session)  # no warning here, even under -W error
    with pytest.warns(ResourceCleanupWarning, match=r"S3 bucket 'stuck': ClientError"):
        clean_slate.session_stopped(session)
    clean_slate.session_stopped(session)  # reported once


def test_given_accounts_are_not_touched(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(session: RunningSession) -> None:
        raise AssertionError("swept an account that was given")

    monkeypatch.setattr(clean_slate, "_client", fail)
    monkeypatch.setattr(clean_slate, "_quick_list_buckets", fail)
    clean_slate.session_stopping(RunningSession(hostname="127.0.0.1:1", account_id="1" * 12))


def test_governance_retention_yields_to_the_bypass_on_a_second_try(
    session: RunningSession, s3: Stubber
) -> None:
    kept = [{"Key": "kept", "VersionId": "v1"}, {"Key": "locked", "VersionId": "v2"}]
    s3.add_response("list_buckets", buckets("governed"))
    s3.add_response("list_multipart_uploads", {}, {"Bucket": "governed"})
    s3.add_response("list_object_versions", {"Versions": kept}, {"Bucket": "governed"})
    s3.add_response(
        "delete_objects",
        {"Errors": [{"Key": "locked", "VersionId": "v2", "Code": "AccessDenied"}]},
        {"Bucket": "governed", "Delete": {"Objects": kept, "Quiet": True}},
    )
    s3.add_response(
        "delete_objects",
        {},
        {
            "Bucket": "governed",
            "Delete": {"Objects": [{"Key": "locked", "VersionId": "v2"}], "Quiet": True},
            "BypassGovernanceRetention": True,
        },
    )
    s3.add_response("delete_bucket", {}, {"Bucket": "governed"})
    assert clean_slate.sweep(session) == []


def test_the_sweep_runs_after_the_resource_factories_cleanup() -> None:
    from pytest_localstack import plugin

    plugin.load_builtin_plugins()
    # pluggy calls hook implementations from the end of this list to its start
    order = [impl.plugin_name for impl in plugin.manager.hook.session_stopping.get_hookimpls()]
    assert order.index("pytest_localstack.clean_slate") < order.index(
        "pytest_localstack.resources._hooks"
    )
