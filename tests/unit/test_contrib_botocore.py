"""Unit tests for :mod:`pytest_localstack.contrib.botocore`: client arguments, the patch, the guard.

The "emulator" is a recording HTTP server on 127.0.0.1 that answers every request with ``{}``
(enough for SQS's JSON protocol); a second one is the sentinel that must never be reached while
the patch is active. A dead proxy is set for everything else, so nothing can leave the machine.
"""

from __future__ import annotations

import http.server
import re
import threading
import urllib.parse
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.config
import botocore.exceptions
import botocore.httpsession
import botocore.session
import pytest

from pytest_localstack.contrib import _active
from pytest_localstack.contrib import botocore as contrib
from pytest_localstack.exceptions import RealAWSRequestError
from pytest_localstack.runtimes import Endpoint
from pytest_localstack.session import RunningSession
from tests.servers import DEAD_PROXY, serving, set_proxies


class RecordingServer:
    """Records every request's method, path and headers; answers with an empty success: ``{}``
    in JSON, or an empty ``<ActionResult>`` to a query-protocol request (SQS speaks the query
    protocol in some botocore releases, e.g. 1.31.0-1.31.84 and 1.33)."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        requests = self.requests

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = urllib.parse.parse_qs(self.rfile.read(length).decode(errors="replace"))
                requests.append((self.command, self.path, dict(self.headers.items())))
                query = self.headers.get("Content-Type", "").startswith(
                    "application/x-www-form-urlencoded"
                )
                action = form.get("Action", ["Unknown"])[0]
                xml = f"<{action}Response><{action}Result/></{action}Response>"
                body = xml.encode() if query else b"{}"
                self.send_response(200)
                self.send_header(
                    "Content-Type", "text/xml" if query else "application/x-amz-json-1.0"
                )
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = _answer

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port: int = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def credential_scopes(self) -> list[str]:
        """``account/region/service`` of each request's SigV4 credential scope."""
        scopes = []
        for _, _, headers in self.requests:
            match = re.search(r"Credential=(\w+)/\d+/([\w-]+)/(\w+)/", headers["Authorization"])
            assert match, headers["Authorization"]
            scopes.append("/".join(match.groups()))
        return scopes


@pytest.fixture
def emulator() -> Iterator[RecordingServer]:
    with serving(RecordingServer()) as server:
        yield server


@pytest.fixture
def sentinel() -> Iterator[RecordingServer]:
    with serving(RecordingServer()) as server:
        yield server


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """A dead proxy for everything but 127.0.0.1, and no AWS settings from the outside."""
    set_proxies(monkeypatch, DEAD_PROXY)
    for name in (
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_SQS",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    # Real-looking credentials in the environment must never be used while patched.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREALREALREAL0000")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "real-secret")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "real-session-token")
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)


def make_session(
    server: RecordingServer,
    emulator_name: str = "localstack",
    account_id: str | None = None,
    region_name: str | None = None,
    host: str = "127.0.0.1",
) -> RunningSession:
    endpoint = Endpoint(
        url=f"http://{host}:{server.port}", emulator=emulator_name, version="t", engine="external"
    )
    return RunningSession(endpoint=endpoint, account_id=account_id, region_name=region_name)


def unpatched_client(**kwargs: Any) -> Any:
    kwargs.setdefault("region_name", "us-east-1")
    return botocore.session.get_session().create_client(
        "sqs", aws_access_key_id="AKIAOUTSIDE", aws_secret_access_key="x", **kwargs
    )


# -- redirected_client_arguments ----------------------------------------------------------------


def test_arguments_are_redirected(emulator: RecordingServer) -> None:
    session = make_session(emulator, region_name="eu-west-1")
    given = {
        "service_name": "sqs",
        "region_name": None,
        "endpoint_url": None,
        "aws_access_key_id": "AKIAREAL",
        "aws_secret_access_key": "real",
        "aws_session_token": "token",
        "config": None,
    }
    arguments = contrib.redirected_client_arguments(session, given)
    assert arguments["service_name"] == "sqs"
    assert arguments["endpoint_url"] == emulator.url
    assert arguments["region_name"] == "eu-west-1"
    assert arguments["aws_access_key_id"] == session.account_id
    assert arguments["aws_secret_access_key"] == "test"
    assert arguments["aws_session_token"] is None
    assert arguments["config"].s3 == {"addressing_style": "path"}
    assert given["endpoint_url"] is None  # the caller's dict is left alone


def test_arguments_keep_an_explicit_endpoint_and_region(emulator: RecordingServer) -> None:
    session = make_session(emulator)
    arguments = contrib.redirected_client_arguments(
        session, {"endpoint_url": "http://127.0.0.1:1", "region_name": "ap-south-1"}
    )
    assert arguments["endpoint_url"] == "http://127.0.0.1:1"
    assert arguments["region_name"] == "ap-south-1"
    assert arguments["aws_access_key_id"] == session.account_id


def test_arguments_merge_path_style_with_the_user_config(emulator: RecordingServer) -> None:
    user = botocore.config.Config(
        read_timeout=7, retries={"max_attempts": 1}, s3={"payload_signing_enabled": True}
    )
    merged = contrib.redirected_client_arguments(make_session(emulator), {"config": user})["config"]
    assert merged.read_timeout == 7
    assert merged.retries == {"max_attempts": 1}
    assert merged.s3 == {"addressing_style": "path", "payload_signing_enabled": True}
    assert user.s3 == {"payload_signing_enabled": True}  # not mutated


def test_arguments_keep_an_explicit_addressing_style(emulator: RecordingServer) -> None:
    user = botocore.config.Config(s3={"addressing_style": "virtual"})
    merged = contrib.redirected_client_arguments(make_session(emulator), {"config": user})
    assert merged["config"].s3 == {"addressing_style": "virtual"}


# -- the patch: installed and exactly restored --------------------------------------------------


def _patch(session: RunningSession) -> Any:
    return session.botocore.patch_botocore()


def test_patch_installs_and_restores(emulator: RecordingServer) -> None:
    create_client = botocore.session.Session.create_client
    send = botocore.httpsession.URLLib3Session.send
    marker = object()
    boto3.DEFAULT_SESSION = marker
    with _patch(make_session(emulator)):
        assert botocore.session.Session.create_client is not create_client
        assert botocore.httpsession.URLLib3Session.send is not send
        assert boto3.DEFAULT_SESSION is None
        boto3.client("sqs").close()
        assert boto3.DEFAULT_SESSION is not None
    assert botocore.session.Session.create_client is create_client
    assert botocore.httpsession.URLLib3Session.send is send
    assert boto3.DEFAULT_SESSION is marker


def test_patch_restores_when_the_body_raises(emulator: RecordingServer) -> None:
    create_client = botocore.session.Session.create_client
    send = botocore.httpsession.URLLib3Session.send
    marker = object()
    boto3.DEFAULT_SESSION = marker

    def body() -> None:
        with _patch(make_session(emulator)):
            boto3.client("sqs").close()
            raise KeyError("boom")

    with pytest.raises(KeyError, match="boom"):
        body()
    assert botocore.session.Session.create_client is create_client
    assert botocore.httpsession.URLLib3Session.send is send
    assert boto3.DEFAULT_SESSION is marker
    assert _active.sessions() == ()


def test_patch_restores_a_previous_wrapper(
    emulator: RecordingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another library's wrapper of ``create_client`` is put back, not the import-time one."""
    original = botocore.session.Session.create_client

    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        return original(self, *args, **kwargs)

    monkeypatch.setattr(botocore.session.Session, "create_client", wrapper)
    with _patch(make_session(emulator)):
        assert botocore.session.Session.create_client is not wrapper
    assert botocore.session.Session.create_client is wrapper


def test_patch_signature_is_preserved() -> None:
    patched = contrib._patched_create_client
    assert patched.__name__ == "create_client"
    assert patched.__doc__ == contrib._ORIGINAL_CREATE_CLIENT.__doc__


def test_nested_patches_restore_in_lifo_order(emulator: RecordingServer) -> None:
    create_client = botocore.session.Session.create_client
    outer = make_session(emulator, account_id="111111111111")
    inner = make_session(emulator, account_id="222222222222")
    with _patch(outer):
        boto3.client("sqs").list_queues()
        outer_default = boto3.DEFAULT_SESSION
        assert outer_default is not None
        with _patch(inner):
            assert boto3.DEFAULT_SESSION is None
            boto3.client("sqs").list_queues()
            assert _active.sessions() == (outer, inner)
        assert boto3.DEFAULT_SESSION is outer_default
        assert _active.sessions() == (outer,)
        assert botocore.session.Session.create_client is not create_client
        botocore.session.get_session().create_client("sqs").list_queues()
    assert botocore.session.Session.create_client is create_client
    assert _active.sessions() == ()
    accounts = [scope.split("/")[0] for scope in emulator.credential_scopes()]
    assert accounts == ["111111111111", "222222222222", "111111111111"]


# -- what a patched client sends ----------------------------------------------------------------


def test_patched_clients_talk_to_the_emulator_as_the_session(emulator: RecordingServer) -> None:
    session = make_session(emulator, region_name="eu-west-1")
    with _patch(session):
        client = boto3.client("sqs")
        assert client.meta.endpoint_url == emulator.url
        assert client.meta.region_name == "eu-west-1"
        client.list_queues()
        client.close()
    assert emulator.credential_scopes() == [f"{session.account_id}/eu-west-1/sqs"]
    ((_, _, headers),) = emulator.requests
    assert "X-Amz-Security-Token" not in headers
    assert "x-moto-account-id" not in headers


def test_patched_clients_keep_an_explicit_region(emulator: RecordingServer) -> None:
    session = make_session(emulator)
    with _patch(session):
        boto3.client("sqs", region_name="ap-south-1").list_queues()
        botocore.session.get_session().create_client("sqs", "sa-east-1").list_queues()
    assert emulator.credential_scopes() == [
        f"{session.account_id}/ap-south-1/sqs",
        f"{session.account_id}/sa-east-1/sqs",
    ]


def test_patched_clients_carry_the_moto_account_header(emulator: RecordingServer) -> None:
    session = make_session(emulator, emulator_name="moto", account_id="123456789012")
    # Without the child-process environment, which makes one STS call of its own on moto.
    with session.botocore.patch_botocore(subprocess_env=False):
        boto3.client("sqs").list_queues()
        boto3.resource("sqs").meta.client.list_queues()
    assert [headers["x-moto-account-id"] for _, _, headers in emulator.requests] == [
        "123456789012",
        "123456789012",
    ]


def test_patch_beats_aws_endpoint_url(
    emulator: RecordingServer, sentinel: RecordingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", sentinel.url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", sentinel.url)
    with _patch(make_session(emulator)):
        boto3.client("sqs").list_queues()
    assert len(emulator.requests) == 1
    assert sentinel.requests == []


def test_localhost_endpoint_is_allowed(emulator: RecordingServer) -> None:
    with _patch(make_session(emulator, host="localhost")):
        client = boto3.client("sqs")
        assert client.meta.endpoint_url == f"http://localhost:{emulator.port}"
        client.list_queues()
    assert len(emulator.requests) == 1


# -- the guard ----------------------------------------------------------------------------------


def test_client_created_before_the_patch_for_another_endpoint_is_blocked(
    emulator: RecordingServer, sentinel: RecordingServer
) -> None:
    before = unpatched_client(endpoint_url=sentinel.url)
    with _patch(make_session(emulator)), pytest.raises(RealAWSRequestError) as excinfo:
        before.list_queues()
    assert sentinel.requests == []
    assert emulator.requests == []
    assert str(excinfo.value) == (
        f"blocked a request to {sentinel.url}/: while pytest-localstack patches botocore, "
        "requests may only go to AWS endpoints (which are redirected to the emulator) or to "
        f"the emulator itself (127.0.0.1:{emulator.port}). This client was given another "
        "endpoint_url (argument, AWS_ENDPOINT_URL* or a profile's endpoint_url); drop it, or "
        "make the client with session.botocore.client(...)."
    )
    # The same client works again once the patch is gone: the guard alone stopped it.
    before.list_queues()
    assert len(sentinel.requests) == 1
    before.close()


def test_client_created_before_the_patch_for_aws_is_redirected(emulator: RecordingServer) -> None:
    """Its requests go to the emulator as the session while patched, and nowhere after."""
    before = unpatched_client(region_name="eu-central-1")
    session = make_session(emulator, emulator_name="moto", account_id="123456789012")
    with session.botocore.patch_botocore(subprocess_env=False):
        before.list_queues()
    assert emulator.credential_scopes() == ["123456789012/eu-central-1/sqs"]
    ((_, _, headers),) = emulator.requests
    assert headers["x-moto-account-id"] == "123456789012"
    assert "X-Amz-Security-Token" not in headers
    assert before.meta.endpoint_url == "https://sqs.eu-central-1.amazonaws.com"
    # After the patch: its own endpoint again (here: the dead proxy stops it).
    with pytest.raises(botocore.exceptions.ProxyConnectionError):
        before.list_queues()
    assert len(emulator.requests) == 1
    before.close()


def test_explicit_foreign_endpoint_inside_the_patch_is_blocked(
    emulator: RecordingServer, sentinel: RecordingServer
) -> None:
    with _patch(make_session(emulator)):
        client = boto3.client("sqs", endpoint_url=sentinel.url)
        with pytest.raises(RealAWSRequestError, match="was given another endpoint_url"):
            client.list_queues()
    assert sentinel.requests == []


def test_guard_allows_every_active_session(
    emulator: RecordingServer, sentinel: RecordingServer
) -> None:
    """Within nested patches, both emulators are allowed (and nothing else)."""
    with _patch(make_session(sentinel)), _patch(make_session(emulator)):
        boto3.client("sqs", endpoint_url=sentinel.url).list_queues()
    assert len(sentinel.requests) == 1


# -- factories without the patch ----------------------------------------------------------------


def test_session_factories_without_the_patch(emulator: RecordingServer) -> None:
    session = make_session(emulator, emulator_name="moto", region_name="eu-west-1")
    create_client = botocore.session.Session.create_client
    session.botocore.client("sqs").list_queues()
    session.boto3.client("sqs").list_queues()
    session.boto3.resource("sqs").meta.client.list_queues()
    assert botocore.session.Session.create_client is create_client
    assert emulator.credential_scopes() == [f"{session.account_id}/eu-west-1/sqs"] * 3
    assert {headers["x-moto-account-id"] for _, _, headers in emulator.requests} == {
        session.account_id
    }


def test_default_sessions_are_shared(emulator: RecordingServer) -> None:
    session = make_session(emulator)
    factory = session.botocore
    assert factory.default_session is factory.default_session
    assert isinstance(factory.default_session, contrib.LocalstackBotocoreSession)
    assert factory.default_session.get_config_variable("region") == "us-east-1"
    assert session.boto3.default_session is session.boto3.default_session


# -- patches that end out of order ------------------------------------------------------------


def test_default_session_is_the_users_when_patches_end_out_of_order(
    emulator: RecordingServer,
) -> None:
    marker = object()
    boto3.DEFAULT_SESSION = marker
    first = _patch(make_session(emulator, account_id="111111111111"))
    second = _patch(make_session(emulator, account_id="222222222222"))
    first.__enter__()
    boto3.client("sqs").close()
    second.__enter__()
    boto3.client("sqs").close()
    first.__exit__(None, None, None)  # the older one ends first
    assert boto3.DEFAULT_SESSION is not marker
    boto3.client("sqs").list_queues()
    second.__exit__(None, None, None)
    assert boto3.DEFAULT_SESSION is marker
    assert emulator.credential_scopes() == ["222222222222/us-east-1/sqs"]
