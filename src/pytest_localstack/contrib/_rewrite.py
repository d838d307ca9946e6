"""Send-time redirection: a request for AWS goes to the active emulator, anything else is refused.

Clients made before a patch started (module-level ``s3 = boto3.client("s3")`` in application
code, imported at collection) resolved their endpoint and credentials already, and botocore
gives no public way to change a client after it is made: its event emitter is a private copy of
its session's, taken at creation. So the guarded HTTP senders (botocore's and aiobotocore's)
call :func:`route` for every request while a patch is active:

* a request for an active emulator goes out unchanged;
* a request for an AWS endpoint (a host in one of botocore's partitions: ``amazonaws.com``,
  ``api.aws``, ...) is rewritten: sent to the emulator of :func:`._active.current`, S3
  virtual-host addressing turned into path style, host prefixes dropped, the account headers
  added, and signed again (SigV4) with that session's credentials; the client's region (from
  its credential scope) is kept. The client itself is not changed: once the patch ends its
  requests go to its own endpoint with its own credentials again;
* anything else (an explicit ``endpoint_url`` or configured endpoint that is not an emulator, or
  an AWS request that cannot be rewritten: SigV4a, bearer tokens, presigned URLs, S3 access
  points, Object Lambda, Outposts, S3 Express) fails with :class:`RealAWSRequestError`.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import re
import urllib.parse
import weakref
from typing import TYPE_CHECKING, Any

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import botocore.httpsession
import botocore.loaders
import botocore.utils

from pytest_localstack.contrib import _active
from pytest_localstack.exceptions import RealAWSRequestError

if TYPE_CHECKING:
    from pytest_localstack.session import RunningSession

#: ``AWS4-HMAC-SHA256 Credential=KEY/DATE/REGION/SERVICE/aws4_request, ...``
_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request")
#: The label of an S3 host that follows the bucket name in virtual-host addressing.
_S3_LABEL = re.compile(
    r"^s3(-external-1|-fips|-accelerate|-[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d+)?$"
)
#: S3 hosts whose prefix is not a bucket name, and that the emulators cannot serve on a path.
_S3_UNREDIRECTABLE = ("s3-accesspoint", "s3-object-lambda", "s3-outposts")
_LOOPBACK = ("127.0.0.1", "localhost", "::1")
#: For each HTTP sender of a redirected client: the same sender with the emulator's proxies.
_direct_senders: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
#: Headers of the original signature, replaced by the new one.
_SIGNATURE_HEADERS = frozenset({"authorization", "x-amz-security-token", "x-amz-date", "host"})


@functools.cache
def aws_dns_suffixes() -> tuple[str, ...]:
    """The DNS suffixes of every AWS partition botocore knows (``amazonaws.com``, ...)."""
    partitions = botocore.loaders.create_loader().load_data("partitions")["partitions"]
    suffixes = {
        partition["outputs"][key]
        for partition in partitions
        for key in ("dnsSuffix", "dualStackDnsSuffix")
        if partition["outputs"].get(key)
    }
    return tuple(sorted(suffixes, key=len, reverse=True))


def aws_suffix_of(host: str) -> str | None:
    """The AWS DNS suffix that ``host`` ends with, or ``None`` if it is not an AWS host."""
    host = host.lower().rstrip(".")
    return next((s for s in aws_dns_suffixes() if host == s or host.endswith("." + s)), None)


def _normalize_netloc(netloc: str) -> str:
    host, _, port = netloc.rpartition(":")
    return f"127.0.0.1:{port}" if host in ("localhost", "[::1]") else netloc


def allowed_netlocs() -> set[str]:
    """``host:port`` of every emulator that an active patch redirects to."""
    return {_normalize_netloc(session.endpoint.netloc) for session in _active.sessions()}


def route(request: Any) -> Any:
    """The request to send instead of ``request`` (a prepared botocore request), or raise.

    :raises RealAWSRequestError: if the request goes neither to an emulator nor to AWS, or is
        for AWS but cannot be redirected.
    """
    parts = urllib.parse.urlsplit(request.url)
    netloc = _normalize_netloc(parts.netloc)
    allowed = allowed_netlocs()
    if netloc in allowed:
        return request
    prefixed = next((a for a in allowed if netloc.endswith("." + a)), None)
    if prefixed is not None:
        # A host prefix that endpoint rules add even to a custom endpoint (s3control's
        # ``<account>.``): the emulator answers on its own host only.
        return redirect(request, _session_signed_for(request, prefixed), None)
    suffix = aws_suffix_of(parts.hostname or "")
    if suffix is None:
        raise RealAWSRequestError(
            f"blocked a request to {request.url.split('?', 1)[0]}: while pytest-localstack "
            "patches botocore, requests may only go to AWS endpoints (which are redirected to "
            f"the emulator) or to the emulator itself ({', '.join(sorted(allowed))}). This "
            "client was given another endpoint_url (argument, AWS_ENDPOINT_URL* or a "
            "profile's endpoint_url); drop it, or make the client with "
            "session.botocore.client(...)."
        )
    return redirect(request, _active.current(), suffix)


def _session_signed_for(request: Any, netloc: str) -> RunningSession:
    """The active session at ``netloc`` whose access key signed ``request``, else the current."""
    authorization = _text(request.headers.get("Authorization"))
    for session in _active.sessions():
        if _normalize_netloc(session.endpoint.netloc) == netloc and (
            f"Credential={session.access_key_id}/" in authorization
        ):
            return session
    return _active.current()


def redirect(request: Any, session: RunningSession, suffix: str | None) -> Any:
    """``request`` rewritten for ``session``'s emulator.

    :param suffix: the AWS DNS suffix of the request's host, to find an S3 bucket in it;
        ``None`` for a host that holds no bucket.
    """
    parts = urllib.parse.urlsplit(request.url)
    authorization = _text(request.headers.get("Authorization"))
    scope = _CREDENTIAL_SCOPE.search(authorization)
    _refuse_unless_redirectable(request.url, parts, authorization, scope)
    service = scope.group(2) if scope else None
    path = parts.path or "/"
    bucket = ""
    if suffix is not None and service in ("s3", None):
        bucket = _virtual_host_bucket(parts.hostname or "", suffix)
    if bucket:
        path = f"/{urllib.parse.quote(bucket, safe='')}{'' if path == '/' else path}"
    target = urllib.parse.urlsplit(session.endpoint_url())
    url = urllib.parse.urlunsplit((target.scheme, target.netloc, path, parts.query, ""))

    headers = {
        name: value.decode("utf-8") if isinstance(value, bytes) else value
        for name, value in request.headers.items()
        if name.lower() not in _SIGNATURE_HEADERS
    }
    headers.update(session.request_headers)
    aws_request = botocore.awsrequest.AWSRequest(
        method=request.method, url=url, headers=headers, data=request.body
    )
    if scope is not None:
        region, service_name = scope.groups()
        credentials = botocore.credentials.Credentials(
            session.access_key_id, session.secret_access_key
        )
        signer = _Resign.for_service(service_name)
        signer(credentials, service_name, region, _payload_hash(request)).add_auth(aws_request)
    redirected = copy.copy(request)
    redirected.url = aws_request.url
    redirected.headers = botocore.awsrequest.HeadersDict(aws_request.headers.items())
    return redirected


def _refuse_unless_redirectable(
    url: str, parts: urllib.parse.SplitResult, authorization: str, scope: re.Match[str] | None
) -> None:
    labels = (parts.hostname or "").lower().split(".")
    query = urllib.parse.parse_qs(parts.query)
    reason = None
    if authorization and scope is None:
        scheme = authorization.split(" ", 1)[0]
        reason = f"it is signed with {scheme}, which cannot be signed again for the emulator"
    elif "X-Amz-Signature" in query or "Signature" in query:
        reason = "it is a presigned URL"
    elif any(label in _S3_UNREDIRECTABLE for label in labels) or any(
        label.startswith("s3express-") and label != "s3express-control" for label in labels
    ):
        reason = "S3 access points, Object Lambda, Outposts and S3 Express have no path style"
    if reason:
        raise RealAWSRequestError(
            f"blocked a request to {url.split('?', 1)[0]}: it goes to AWS and pytest-localstack "
            f"cannot redirect it to the emulator, because {reason}. Make the client inside "
            "the patched test or with session.botocore.client(...), and address the resource "
            "by name."
        )


def _virtual_host_bucket(host: str, suffix: str) -> str:
    """The bucket of an S3 virtual-host address (``my.bucket.s3.us-east-1.amazonaws.com``)."""
    labels = host.lower()[: -len(suffix)].rstrip(".").split(".")
    for index in range(len(labels) - 1, 0, -1):
        if _S3_LABEL.match(labels[index]):
            return ".".join(labels[:index])
    return ""


def _text(value: str | bytes | None) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else (value or "")


def _payload_hash(request: Any) -> str:
    """The payload hash of the original signature, so that the body need not be read again."""
    given = _text(request.headers.get("X-Amz-Content-SHA256"))
    if given:
        return given
    body = request.body
    if body is None or body in (b"", ""):
        return str(botocore.auth.EMPTY_SHA256_HASH)
    if isinstance(body, str):
        body = body.encode()
    if isinstance(body, (bytes, bytearray)):
        return hashlib.sha256(body).hexdigest()
    return str(botocore.auth.UNSIGNED_PAYLOAD)


class _Resign(botocore.auth.SigV4Auth):
    """SigV4 with a payload hash given up front (the body may be a stream, or async)."""

    def __init__(self, credentials: Any, service_name: str, region: str, payload: str) -> None:
        super().__init__(credentials, service_name, region)
        self._payload = payload

    def payload(self, request: Any) -> str:
        return self._payload

    @staticmethod
    def for_service(service_name: str) -> type[_Resign]:
        return _ResignS3 if service_name == "s3" else _Resign


class _ResignS3(_Resign, botocore.auth.S3SigV4Auth):
    """S3's SigV4: the path is signed as is, and the payload hash travels in a header."""


def direct(http_session: Any, url: str) -> Any:
    """``http_session`` (botocore's or aiobotocore's sender), with proxies chosen for ``url``.

    A client chose its proxies for its own AWS endpoint when it was made (``HTTPS_PROXY``).
    Its redirected requests go to the emulator: on this machine directly, elsewhere as
    ``NO_PROXY`` decides for the emulator's URL. The copy shares the sender's connection pools
    (and, on aiobotocore, the sessions it closes on exit); only the proxy choice differs.
    A sender without botocore's proxy configuration (httpx) is used as it is.
    """
    if not hasattr(http_session, "_proxy_config"):
        return http_session
    sender = _direct_senders.get(http_session)
    if sender is None:
        host = urllib.parse.urlsplit(url).hostname or ""
        proxies = {} if host in _LOOPBACK else botocore.utils.get_environ_proxies(url)
        sender = copy.copy(http_session)
        sender._proxy_config = botocore.httpsession.ProxyConfiguration(
            proxies=proxies, proxies_settings=http_session._proxy_config.settings
        )
        _direct_senders[http_session] = sender
    return sender
