"""One signed request to an emulator without a botocore client, on a kept connection.

The plugin makes two calls of its own for every session: the clean slate's ``ListBuckets`` and,
on moto, the ``AssumeRole`` that gives child processes the session's account. A client would
cost its service model (tens of milliseconds the first time in a process, a millisecond or two
per client after) and a connection per session; each call is one request with a small XML
answer, so it is signed and sent here instead, on one pooled HTTP session per emulator.
"""

from __future__ import annotations

import collections
import threading
import xml.etree.ElementTree as ElementTree
from collections.abc import Mapping
from typing import Any

#: Seconds to connect and to wait for an answer: a stop never hangs for long.
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 30.0
#: Emulators whose connections are kept; the least recently used one beyond is closed.
KEPT_HTTP_SESSIONS = 4

#: Most recently used last: the HTTP sessions of :func:`http_session`, by emulator URL.
_http_sessions: collections.OrderedDict[str, Any] = collections.OrderedDict()
_http_sessions_lock = threading.Lock()


def send(
    endpoint_url: str,
    *,
    service: str,
    region: str,
    credentials: tuple[str, str],
    headers: Mapping[str, str],
    form: Mapping[str, str] | None = None,
) -> tuple[int, ElementTree.Element | None]:
    """GET the emulator's ``/`` (or POST ``form`` to it, URL-encoded) signed with SigV4; return
    the status and the parsed XML answer (``None`` if the body is not XML).

    Raises what the connection raises (refused, timed out).
    """
    import urllib.parse

    import botocore.auth
    import botocore.awsrequest
    import botocore.credentials

    request_headers = dict(headers)
    data = None
    if form is not None:
        data = urllib.parse.urlencode(form)
        request_headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
    request = botocore.awsrequest.AWSRequest(
        method="GET" if form is None else "POST",
        url=endpoint_url.rstrip("/") + "/",
        headers=request_headers,
        data=data,
    )
    signer = botocore.auth.S3SigV4Auth if service == "s3" else botocore.auth.SigV4Auth
    signer(botocore.credentials.Credentials(*credentials), service, region).add_auth(request)
    response = http_session(endpoint_url).send(request.prepare())
    try:
        root = ElementTree.fromstring(response.content)
    except ElementTree.ParseError:
        root = None
    return response.status_code, root


def texts(root: ElementTree.Element, name: str) -> list[str]:
    """The texts of every element called ``name`` (any namespace) under ``root``."""
    return [
        element.text
        for element in root.iter()
        if element.tag.rsplit("}", 1)[-1] == name and element.text
    ]


def http_session(endpoint_url: str) -> Any:
    """One pooled HTTP session per emulator, never through a proxy.

    A new session per request would open a new connection, which costs as much again as a
    third of the request. A connection the emulator closed meanwhile is replaced by urllib3 when
    it is taken from the pool.
    """
    import botocore.httpsession

    with _http_sessions_lock:
        http = _http_sessions.pop(endpoint_url, None)
        if http is None:
            http = botocore.httpsession.URLLib3Session(
                proxies={}, timeout=(CONNECT_TIMEOUT, READ_TIMEOUT)
            )
        _http_sessions[endpoint_url] = http
        while len(_http_sessions) > KEPT_HTTP_SESSIONS:
            _http_sessions.popitem(last=False)[1].close()
    return http
