"""Signed requests without a client: one kept HTTP session per emulator, XML texts by name."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

import pytest

from pytest_localstack import _signed_request


def test_one_http_session_per_emulator(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import botocore.httpsession

    closed: list[str] = []

    class FakeHTTPSession:
        def __init__(self, **kwargs: object) -> None:
            self.kwargs = kwargs

        def close(self) -> None:
            closed.append(urls[id(self)])

    monkeypatch.setattr(botocore.httpsession, "URLLib3Session", FakeHTTPSession)
    monkeypatch.setattr(_signed_request, "_http_sessions", type(_signed_request._http_sessions)())
    urls: dict[int, str] = {}

    def get(url: str) -> object:
        http = _signed_request.http_session(url)
        urls[id(http)] = url
        return http

    first = get("http://127.0.0.1:1")
    assert get("http://127.0.0.1:1") is first
    assert first.kwargs == {  # type: ignore[attr-defined]
        "proxies": {},
        "timeout": (_signed_request.CONNECT_TIMEOUT, _signed_request.READ_TIMEOUT),
    }
    for port in range(2, 2 + _signed_request.KEPT_HTTP_SESSIONS):
        get(f"http://127.0.0.1:{port}")
    assert closed == ["http://127.0.0.1:1"]  # the least recently used one, closed
    assert get("http://127.0.0.1:1") is not first


def test_texts_match_any_namespace_and_skip_empty_elements() -> None:
    root = ElementTree.fromstring(
        '<R xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Buckets>'
        "<Bucket><Name>a</Name></Bucket><Bucket><Name>b</Name></Bucket></Buckets>"
        "<Owner><DisplayName>x</DisplayName></Owner><ContinuationToken/></R>"
    )
    assert _signed_request.texts(root, "Name") == ["a", "b"]
    assert _signed_request.texts(root, "ContinuationToken") == []
