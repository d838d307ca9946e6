"""A clean slate when a session ends, also in namespaces that every account shares.

A fresh account per session isolates almost everything an emulator keeps: queues, topics,
tables, secrets and parameters live in the account that made them, and nobody uses that account
again. S3 bucket names are the exception: LocalStack and moto keep one namespace of bucket names
for all accounts, as AWS does, so a bucket named ``foobar`` made by one session makes
``CreateBucket("foobar")`` fail with ``BucketAlreadyExists`` in every later session, including
later runs on a reused emulator.

So when a session stops (the ``session_stopping`` hook, any scope, also after a failed test),
every bucket of its account is emptied (objects, all versions and delete markers, unfinished
multipart uploads) and deleted. ``ListBuckets`` is per account and lists every region on
LocalStack and moto, so the account's own listing is exactly what the session made; a session
with nothing costs one ``ListBuckets`` call. On LocalStack before anyone used S3, it costs a
health request instead: no account has a bucket then, and listing would load S3 for nothing.

Only accounts that the session picked itself (a fresh random one) are swept. An account given
explicitly (``account_id=...``) may hold someone else's data and is left alone.

What cannot be removed becomes one
:class:`~pytest_localstack.resources.ResourceCleanupWarning` after the session stopped, so that
it never hides the test's own outcome. An emulator that does not answer any more has no state
left to leak, so a refused connection is not a failure.

.. versionadded:: 0.1
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from pytest_localstack import _signed_request
from pytest_localstack._signed_request import CONNECT_TIMEOUT, READ_TIMEOUT
from pytest_localstack.hookspecs import pytest_localstack_hookimpl
from pytest_localstack.resources import CleanupFailure, ResourceCleanupWarning

if TYPE_CHECKING:
    from pytest_localstack.session import RunningSession

__all__ = ["delete_bucket", "empty_bucket", "sweep", "sweeps"]

logger = logging.getLogger(__name__)

#: Keys per ``DeleteObjects`` call: the S3 limit.
DELETE_BATCH = 1000

#: ``ListBuckets`` answers of an emulator that does not serve S3 (LocalStack with ``SERVICES``
#: that leave it out answers 501): no S3, no buckets to remove.
NO_S3_STATUSES = frozenset({404, 501})

#: Failures of :func:`session_stopping` by ``id(session)``, reported by :func:`session_stopped`
#: (which the stop always calls, in a ``finally``).
_pending: dict[int, list[CleanupFailure]] = {}


def sweeps(session: RunningSession) -> bool:
    """Whether the session's account is its own (picked at random), so it may be swept."""
    return getattr(session, "owns_account", False) is True


def sweep(session: RunningSession) -> list[CleanupFailure]:
    """Empty and delete every S3 bucket of the session's account; return what failed.

    Never raises for an emulator's error: each bucket is attempted, failures are returned.
    """
    import botocore.exceptions

    if _holds_no_buckets(session):
        return []
    names = _quick_list_buckets(session)
    if names == []:
        return []
    try:
        s3 = _client(session)
        if names is None:
            names = list(_bucket_names(s3))
    except (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ConnectionClosedError):
        logger.debug("%r: the emulator is gone, and its buckets with it", session, exc_info=True)
        return []
    except Exception as error:
        if _status(error) in NO_S3_STATUSES:
            logger.debug("%r: the emulator serves no S3, so it holds no buckets", session)
            return []
        return [CleanupFailure(f"the S3 buckets of account {session.account_id}", error)]
    failures: list[CleanupFailure] = []
    for name in names:
        try:
            delete_bucket(s3, name)
        except Exception as error:
            if _code(error) != "NoSuchBucket":
                failures.append(CleanupFailure(f"S3 bucket {name!r}", error))
    return failures


def delete_bucket(s3: Any, name: str) -> None:
    """Empty bucket ``name`` (see :func:`empty_bucket`) and delete it."""
    empty_bucket(s3, name)
    try:
        s3.delete_bucket(Bucket=name)
    except Exception as error:
        if _code(error) != "BucketNotEmpty":
            raise
        # Objects an emulator lists only without versions, or written meanwhile: once more.
        _delete_keys(s3, name, _current_keys(s3, name))
        s3.delete_bucket(Bucket=name)


def empty_bucket(s3: Any, name: str) -> None:
    """Abort the bucket's multipart uploads and delete every object version and delete marker.

    Objects under governance retention are deleted too (with the bypass, on a second try);
    an object that still cannot be
    deleted (compliance retention, legal hold) raises :class:`RuntimeError` naming it. Both
    emulators list the objects of an unversioned bucket as versions ``null``.
    """
    for page in s3.get_paginator("list_multipart_uploads").paginate(Bucket=name):
        for upload in page.get("Uploads", []):
            s3.abort_multipart_upload(Bucket=name, Key=upload["Key"], UploadId=upload["UploadId"])
    _delete_keys(s3, name, _versions(s3, name))


def _client(session: RunningSession) -> Any:
    import botocore.config

    config = botocore.config.Config(
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=READ_TIMEOUT,
        retries={"mode": "standard", "max_attempts": 2},
    )
    return session.botocore.client("s3", config=config)


def _holds_no_buckets(session: RunningSession) -> bool:
    """Whether the emulator says that no account has a bucket (LocalStack before S3 loads)."""
    try:
        return session.emulator.holds_no_buckets(session.endpoint.url)
    except Exception:
        logger.debug("%r: could not ask whether S3 holds anything", session, exc_info=True)
        return False


def _quick_list_buckets(session: RunningSession) -> list[str] | None:
    """``ListBuckets`` as one signed HTTP request, without the cost of making a client.

    Most sessions made no bucket: this answers them in one round trip. ``None`` when the answer
    is not a plain first page (an error, a second page, anything unexpected): the client path
    then lists again and reports errors properly.
    """
    try:
        status, root = _signed_request.send(
            session.endpoint_url("s3"),
            service="s3",
            region=session.region_name,
            credentials=(session.access_key_id, session.secret_access_key),
            headers=session.request_headers,
        )
    except Exception:
        logger.debug("%r: quick ListBuckets failed", session, exc_info=True)
        return None
    if status != 200 or root is None or _signed_request.texts(root, "ContinuationToken"):
        return None
    return _signed_request.texts(root, "Name")


def _bucket_names(s3: Any) -> Iterator[str]:
    arguments: dict[str, Any] = {}
    while True:
        page = s3.list_buckets(**arguments)
        for bucket in page.get("Buckets", []):
            yield bucket["Name"]
        token = page.get("ContinuationToken")
        if not token:
            return
        arguments = {"ContinuationToken": token}


def _versions(s3: Any, name: str) -> Iterator[dict[str, str]]:
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=name):
        for item in page.get("Versions", []) + page.get("DeleteMarkers", []):
            yield {"Key": item["Key"], "VersionId": item["VersionId"]}


def _current_keys(s3: Any, name: str) -> Iterator[dict[str, str]]:
    """The current objects, for a bucket that was not empty after its versions went."""
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name):
        for item in page.get("Contents", []):
            yield {"Key": item["Key"]}


def _delete_keys(s3: Any, name: str, keys: Iterator[dict[str, str]]) -> None:
    # Collect first: deleting while paginating would move the pages under the listing.
    doomed = list(keys)
    for start in range(0, len(doomed), DELETE_BATCH):
        batch = doomed[start : start + DELETE_BATCH]
        errors = _delete_batch(s3, name, batch)
        if errors:
            # Governance retention yields to the bypass, which only Object Lock buckets accept.
            failed = {(error.get("Key"), error.get("VersionId")) for error in errors}
            retry = [key for key in batch if (key["Key"], key.get("VersionId")) in failed]
            errors = _delete_batch(s3, name, retry, BypassGovernanceRetention=True)
        if errors:
            first = errors[0]
            raise RuntimeError(
                f"{len(errors)} object(s) could not be deleted, the first {first.get('Key')!r}: "
                f"{first.get('Code')} {first.get('Message', '')}".rstrip()
            )


def _delete_batch(
    s3: Any, name: str, batch: list[dict[str, str]], **kwargs: Any
) -> list[dict[str, str]]:
    answer = s3.delete_objects(Bucket=name, Delete={"Objects": batch, "Quiet": True}, **kwargs)
    errors: list[dict[str, str]] = answer.get("Errors", [])
    return errors


def _status(error: BaseException) -> int:
    response = getattr(error, "response", None)
    if not isinstance(response, dict):
        return 0
    return int(response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))


def _code(error: BaseException) -> str:
    response = getattr(error, "response", None)
    if not isinstance(response, dict):
        return ""
    return str(response.get("Error", {}).get("Code", ""))


# -- hooks ------------------------------------------------------------------------------------


@pytest_localstack_hookimpl(trylast=True)
def session_stopping(session: RunningSession) -> None:
    """Sweep the session's account while the emulator still answers.

    Last: the resource factories delete what they tracked first (``trylast`` for a direct
    registration; ``plugin.BUILTIN_PLUGINS`` orders the built-in one). The warning about
    failures waits for ``session_stopped``, so that it cannot interrupt the stop (under
    ``-W error`` a warning raises).
    """
    if not sweeps(session):
        return
    failures = sweep(session)
    if failures:
        _pending[id(session)] = failures


@pytest_localstack_hookimpl
def session_stopped(session: RunningSession) -> None:
    """Report what :func:`session_stopping` could not remove."""
    failures = _pending.pop(id(session), None)
    if failures:
        warnings.warn(ResourceCleanupWarning(failures), stacklevel=2)
