"""While botocore is patched, no request leaves for a host other than the emulator.

A matrix of ways to make a client (boto3, boto3 resources and sessions, botocore sessions, a
client made before the patch, one in a thread, aiobotocore), each pointed at a sentinel HTTP
server on 127.0.0.1 through its ``endpoint_url``, ``AWS_ENDPOINT_URL``,
``AWS_ENDPOINT_URL_SQS`` or a profile's ``endpoint_url``, or left to real AWS. Each request
either reaches the emulator (the queue it creates is there, in the session's account: clients
made while patched, and clients for AWS made before) or fails with :class:`RealAWSRequestError`
(a client made before the patch for another endpoint, or given one explicitly); the sentinel
must receive nothing. The proxy variables point at a
second sentinel that forwards nothing (``NO_PROXY`` covers 127.0.0.1), so even a request for
``amazonaws.com`` could not leave this machine, and it must receive nothing either.

Also here: the emulator's own environment never holds the real AWS credentials of the test
process, on either engine.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiobotocore.session
import boto3
import botocore.exceptions
import botocore.session
import pytest

from pytest_localstack._processes import owner_token
from pytest_localstack.config import Settings
from pytest_localstack.emulators import MOTO
from pytest_localstack.exceptions import RealAWSRequestError
from pytest_localstack.runtimes import make_labels, runtime_for
from pytest_localstack.session import RunningSession
from tests.conftest import unique
from tests.servers import Sentinel, serving, set_proxies

# The guard does not depend on where the emulator runs: the matrix runs on the embedded one.
pytestmark = pytest.mark.engines("process")

REAL_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "AKIAREALREALREAL0000",
    "AWS_SECRET_ACCESS_KEY": "real-secret-access-key",
    "AWS_SESSION_TOKEN": "real-session-token",
}


@dataclass
class Sentinels:
    endpoint: Sentinel
    proxy: Sentinel


@pytest.fixture
def sentinels(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sentinels]:
    with serving(Sentinel()) as endpoint, serving(Sentinel()) as proxy:
        set_proxies(monkeypatch, proxy.url)
        # Credentials that must never be used, and no endpoint from the outside.
        for name, value in REAL_CREDENTIALS.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        for name in list(os.environ):
            if name.startswith("AWS_ENDPOINT_URL") or name in ("AWS_PROFILE", "AWS_CONFIG_FILE"):
                monkeypatch.delenv(name)
        monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
        yield Sentinels(endpoint, proxy)
    assert endpoint.requests == [], "a request reached the sentinel endpoint"
    assert proxy.requests == [], "a request went to the proxy"


def queue_exists(session: RunningSession, name: str) -> bool:
    sqs = session.boto3.client("sqs")
    urls: list[str] = sqs.list_queues(QueueNamePrefix=name).get("QueueUrls", [])
    return [url.rsplit("/", 1)[1] for url in urls] == [name]


# -- how a client is made -------------------------------------------------------------------

#: A maker returns a low-level SQS client; it reads the endpoint from wherever it is pointed.
Maker = Callable[[dict[str, Any]], Any]

MAKERS: dict[str, Maker] = {
    "boto3.client": lambda kwargs: boto3.client("sqs", **kwargs),
    "boto3.resource": lambda kwargs: boto3.resource("sqs", **kwargs).meta.client,
    "boto3.Session().client": lambda kwargs: boto3.Session().client("sqs", **kwargs),
    "boto3.Session().resource": lambda kwargs: (
        boto3.Session().resource("sqs", **kwargs).meta.client
    ),
    "botocore get_session().create_client": lambda kwargs: (
        botocore.session.get_session().create_client("sqs", **kwargs)
    ),
    "botocore Session().create_client": lambda kwargs: botocore.session.Session().create_client(
        "sqs", **kwargs
    ),
}


def use(threaded: bool, make: Maker, kwargs: dict[str, Any], call: Callable[[Any], Any]) -> Any:
    """Make the client and call it, here or in another thread."""
    return in_a_thread(make, kwargs, call) if threaded else call(make(kwargs))


def in_a_thread(make: Maker, kwargs: dict[str, Any], call: Callable[[Any], Any]) -> Any:
    """Make the client and use it in another thread; hand back the result or the error."""
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["result"] = call(make(kwargs))
        except BaseException as error:
            outcome["error"] = error

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(60)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


@contextlib.contextmanager
def pointed_at(sentinel: Sentinel, how: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """Point clients made in the block at the sentinel; yields the client keyword arguments."""
    with pytest.MonkeyPatch.context() as patch:
        if how == "endpoint_url":
            yield {"endpoint_url": sentinel.url}
            return
        if how == "AWS_ENDPOINT_URL":
            patch.setenv("AWS_ENDPOINT_URL", sentinel.url)
        elif how == "AWS_ENDPOINT_URL_SQS":
            patch.setenv("AWS_ENDPOINT_URL_SQS", sentinel.url)
        elif how == "profile endpoint_url":
            config = tmp_path / "aws-config"
            config.write_text(f"[default]\nendpoint_url = {sentinel.url}\n")
            patch.setenv("AWS_CONFIG_FILE", str(config))
        yield {}


POINTERS = ["endpoint_url", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SQS", "profile endpoint_url"]


# -- made while patched ---------------------------------------------------------------------


@pytest.mark.parametrize("threaded", [False, True], ids=["main-thread", "thread"])
@pytest.mark.parametrize("how", ["AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SQS"])
@pytest.mark.parametrize("maker", list(MAKERS))
def test_a_client_made_while_patched_goes_to_the_emulator(
    patched: RunningSession,
    sentinels: Sentinels,
    tmp_path: Path,
    maker: str,
    how: str,
    threaded: bool,
) -> None:
    """Endpoint settings from the environment do not take a redirected client elsewhere."""
    name = unique("redirected")
    with pointed_at(sentinels.endpoint, how, tmp_path) as kwargs:
        use(threaded, MAKERS[maker], kwargs, lambda sqs: sqs.create_queue(QueueName=name))
    assert queue_exists(patched, name)


@pytest.mark.parametrize("threaded", [False, True], ids=["main-thread", "thread"])
@pytest.mark.parametrize("maker", list(MAKERS))
def test_a_client_given_another_endpoint_while_patched_is_blocked(
    patched: RunningSession, sentinels: Sentinels, tmp_path: Path, maker: str, threaded: bool
) -> None:
    """An explicit endpoint_url is kept, so the guard must stop it."""
    with (
        pointed_at(sentinels.endpoint, "endpoint_url", tmp_path) as kwargs,
        pytest.raises(RealAWSRequestError, match=sentinels.endpoint.url),
    ):
        use(threaded, MAKERS[maker], kwargs, lambda sqs: sqs.list_queues())


# -- made before the patch ------------------------------------------------------------------


@pytest.mark.parametrize("threaded", [False, True], ids=["main-thread", "thread"])
@pytest.mark.parametrize("how", POINTERS)
@pytest.mark.parametrize("maker", list(MAKERS))
def test_a_client_made_before_the_patch_is_blocked(
    identity: RunningSession,
    sentinels: Sentinels,
    tmp_path: Path,
    maker: str,
    how: str,
    threaded: bool,
) -> None:
    with pointed_at(sentinels.endpoint, how, tmp_path) as kwargs:
        before = MAKERS[maker](kwargs)
    assert before.meta.endpoint_url == sentinels.endpoint.url
    with (
        identity.botocore.patch_botocore(),
        pytest.raises(RealAWSRequestError, match=sentinels.endpoint.url),
    ):
        use(threaded, lambda _: before, {}, lambda sqs: sqs.list_queues())


@pytest.mark.parametrize("threaded", [False, True], ids=["main-thread", "thread"])
@pytest.mark.parametrize("maker", list(MAKERS))
def test_a_client_made_before_the_patch_for_real_aws_is_redirected(
    identity: RunningSession, sentinels: Sentinels, maker: str, threaded: bool
) -> None:
    """The default endpoint (amazonaws.com): sent to the emulator in the session's account
    while patched, and to its own endpoint again afterwards (the proxy sentinel, here)."""
    before = MAKERS[maker]({})
    assert before.meta.endpoint_url == "https://sqs.us-east-1.amazonaws.com"
    name = unique("before")
    with identity.botocore.patch_botocore():
        use(threaded, lambda _: before, {}, lambda sqs: sqs.create_queue(QueueName=name))
    assert queue_exists(identity, name)
    assert sentinels.proxy.requests == []
    with pytest.raises(botocore.exceptions.ProxyConnectionError):
        before.list_queues()
    assert {line.split()[1] for line in sentinels.proxy.requests} == {
        "sqs.us-east-1.amazonaws.com:443"
    }
    sentinels.proxy.requests.clear()


def test_a_client_made_after_the_patch_is_itself_again(
    identity: RunningSession, sentinels: Sentinels
) -> None:
    """Control: the sentinels do record a request that does get through."""
    with identity.botocore.patch_botocore():
        pass
    sqs = boto3.client("sqs", endpoint_url=sentinels.endpoint.url)
    with pytest.raises(Exception, match="403"):
        sqs.list_queues()
    assert len(sentinels.endpoint.requests) >= 1
    sentinels.endpoint.requests.clear()


# -- aiobotocore ----------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SQS"])
def test_aiobotocore_made_while_patched_goes_to_the_emulator(
    patched: RunningSession, sentinels: Sentinels, tmp_path: Path, how: str
) -> None:
    name = unique("aio-redirected")

    async def create() -> None:
        with pointed_at(sentinels.endpoint, how, tmp_path) as kwargs:
            session = aiobotocore.session.get_session()
            async with session.create_client("sqs", **kwargs) as sqs:
                await sqs.create_queue(QueueName=name)

    asyncio.run(create())
    assert queue_exists(patched, name)


def test_aiobotocore_given_another_endpoint_while_patched_is_blocked(
    patched: RunningSession, sentinels: Sentinels
) -> None:
    async def call() -> None:
        session = aiobotocore.session.get_session()
        async with session.create_client("sqs", endpoint_url=sentinels.endpoint.url) as sqs:
            await sqs.list_queues()

    with pytest.raises(RealAWSRequestError, match=sentinels.endpoint.url):
        asyncio.run(call())


@pytest.mark.parametrize("how", POINTERS)
def test_aiobotocore_made_before_the_patch_is_blocked(
    identity: RunningSession, sentinels: Sentinels, tmp_path: Path, how: str
) -> None:
    async def call() -> None:
        async with contextlib.AsyncExitStack() as stack:
            with pointed_at(sentinels.endpoint, how, tmp_path) as kwargs:
                session = aiobotocore.session.get_session()
                before = await stack.enter_async_context(session.create_client("sqs", **kwargs))
            assert before.meta.endpoint_url == sentinels.endpoint.url
            with (
                identity.botocore.patch_botocore(),
                pytest.raises(RealAWSRequestError),
            ):
                await before.list_queues()

    asyncio.run(call())


def test_aiobotocore_made_before_the_patch_for_real_aws_is_redirected(
    identity: RunningSession, sentinels: Sentinels
) -> None:
    name = unique("aio-before")

    async def call() -> None:
        session = aiobotocore.session.get_session()
        async with session.create_client("sqs") as before:
            assert before.meta.endpoint_url == "https://sqs.us-east-1.amazonaws.com"
            with identity.botocore.patch_botocore():
                await before.create_queue(QueueName=name)

    asyncio.run(call())
    assert queue_exists(identity, name)


# -- the emulator's environment -------------------------------------------------------------


def emulator_environment(engine: dict[str, Any], handle: str) -> dict[str, str]:
    if engine["engine"] == "docker":
        from pytest_localstack.runtimes.docker import connect

        container = connect().containers.get(handle)
        entries = container.attrs["Config"]["Env"]
    else:
        entries = Path(f"/proc/{handle}/environ").read_bytes().decode().split("\0")
    return dict(entry.partition("=")[::2] for entry in entries if entry)


@pytest.mark.engines("process", "docker-moto")
def test_real_credentials_never_enter_the_emulators_environment(
    engine: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in REAL_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_PROFILE", "production")
    settings = Settings(**engine, start_timeout=60)
    runtime = runtime_for(settings.engine)
    endpoint = runtime.start(settings, MOTO, make_labels(unique("run"), owner_token()))
    try:
        environment = emulator_environment(engine, endpoint.handle)
    finally:
        runtime.stop(endpoint, 5)
    leaked = {k: v for k, v in environment.items() if k.startswith("AWS_")}
    assert leaked == {}
    text = json.dumps(environment)
    assert all(secret not in text for secret in REAL_CREDENTIALS.values())
