"""aiobotocore support: ``session.aiobotocore`` factories, and redirection of every async client.

aiobotocore's :class:`~aiobotocore.session.AioSession` subclasses botocore's session and
overrides ``create_client`` (it returns an async context manager), so the wrap that
:mod:`pytest_localstack.contrib.botocore` puts on botocore's class does not reach it. While
botocore is patched, this module therefore also

* wraps ``AioSession.create_client`` with the same redirection (endpoint, credentials, region,
  path-style S3, account headers); aioboto3's clients and resources are made by it too;
* routes every request of aiobotocore's HTTP senders (aiohttp, and httpx where available) as
  botocore's are (:mod:`._rewrite`): a request of a client made before the patch that goes to
  AWS is sent to the emulator, signed with the session's credentials; a request for another host
  fails with :class:`~pytest_localstack.exceptions.RealAWSRequestError`.

Both are installed when the outermost patch starts and removed when it ends.
Install with ``pip install "pytest-localstack[aio]"``.
"""

from __future__ import annotations

import copy
import functools
import inspect
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

import aiobotocore.httpsession
import aiobotocore.session
from aiobotocore.config import AioConfig

from pytest_localstack.contrib import _active, _rewrite, environment
from pytest_localstack.contrib import botocore as contrib_botocore

if TYPE_CHECKING:
    from pytest_localstack.session import RunningSession

try:  # aiobotocore >= 2.22 can send with httpx instead of aiohttp
    from aiobotocore.httpxsession import HttpxSession
except ImportError:  # pragma: no cover - older aiobotocore
    HttpxSession = None

_ORIGINAL_CREATE_CLIENT = aiobotocore.session.AioSession.create_client
_CREATE_CLIENT_SIGNATURE = inspect.signature(
    getattr(aiobotocore.session.AioSession, "_create_client", _ORIGINAL_CREATE_CLIENT)
)
_SENDERS: tuple[type[Any], ...] = tuple(
    cls for cls in (aiobotocore.httpsession.AIOHTTPSession, HttpxSession) if cls is not None
)
_PATH_STYLE_OPTIONS: dict[str, Any] = {"s3": {"addressing_style": "path"}}

#: What ``create_client`` and each sender's ``send`` were before the patch, to put back exactly.
_replaced: list[tuple[type[Any], str, Any]] = []


def _redirected_config(session: RunningSession, config: Any) -> AioConfig:
    """Path-style S3 under the caller's config, keeping its aiohttp/httpx settings."""
    direct = contrib_botocore.no_proxy_options(session, config)
    redirected = AioConfig(**_PATH_STYLE_OPTIONS, inject_host_prefix=False, **direct)
    if config is None:
        return redirected
    merged: AioConfig = redirected.merge(config)
    if isinstance(config, AioConfig):
        merged.connector_args = copy.copy(config.connector_args)
        merged.http_session_cls = config.http_session_cls
    return merged


class _RedirectedClientContext(aiobotocore.session.ClientCreatorContext):
    """``async with`` yields the client, with the account headers of the session added."""

    def __init__(self, inner: Any, session: RunningSession) -> None:
        self._inner = inner
        self._session = session
        self._client = None

    async def __aenter__(self) -> Any:
        client = await self._inner.__aenter__()
        contrib_botocore.add_account_headers(client, self._session)
        self._client = client
        return client

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._inner.__aexit__(exc_type, exc, tb)


def create_client(
    session: RunningSession,
    aio_session: aiobotocore.session.AioSession,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> _RedirectedClientContext:
    """An aiobotocore client context for ``session``'s emulator and identity."""
    bound = _CREATE_CLIENT_SIGNATURE.bind(aio_session, *args, **kwargs)
    arguments = contrib_botocore.redirected_client_arguments(session, dict(bound.arguments))
    arguments["config"] = _redirected_config(session, bound.arguments.get("config"))
    return _RedirectedClientContext(_ORIGINAL_CREATE_CLIENT(**arguments), session)


class LocalstackAioSession(aiobotocore.session.AioSession):
    """An aiobotocore session whose clients always talk to one pytest-localstack session."""

    def __init__(
        self,
        localstack_session: RunningSession,
        session_vars: dict[str, Any] | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        # No profile or config file of real AWS: they could only fail or mislead these clients.
        session_vars = {**environment.ISOLATED_SESSION_VARS, **(session_vars or {})}
        super().__init__(session_vars, *args, **kwargs)
        self.localstack_session = localstack_session
        self.set_credentials(localstack_session.access_key_id, localstack_session.secret_access_key)
        self.set_config_variable("region", localstack_session.region_name)

    def create_client(self, *args: Any, **kwargs: Any) -> _RedirectedClientContext:
        return create_client(self.localstack_session, self, args, kwargs)


class AiobotocoreTestResourceFactory:
    """``session.aiobotocore``: aiobotocore sessions and clients bound to a session.

    ``async with session.aiobotocore.client("s3") as s3: await s3.list_buckets()``
    """

    def __init__(self, localstack_session: RunningSession) -> None:
        self.localstack_session = localstack_session
        self._default_session: LocalstackAioSession | None = None

    def session(self, *args: Any, **kwargs: Any) -> LocalstackAioSession:
        """A new aiobotocore session whose clients go to the emulator."""
        return LocalstackAioSession(self.localstack_session, *args, **kwargs)

    @property
    def default_session(self) -> LocalstackAioSession:
        """One shared aiobotocore session for this pytest-localstack session.

        A session holds no connection and no event loop (its clients do), so one serves every
        test and every loop.
        """
        if self._default_session is None:
            self._default_session = self.session()
        return self._default_session

    def client(self, service_name: str, *args: Any, **kwargs: Any) -> _RedirectedClientContext:
        """An aiobotocore client for ``service_name`` in the emulator (an async context manager)."""
        return self.default_session.create_client(service_name, *args, **kwargs)


def _patched_create_client(
    self: aiobotocore.session.AioSession, *args: Any, **kwargs: Any
) -> _RedirectedClientContext:
    return create_client(_active.current(), self, args, kwargs)


def _guard(send: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    @functools.wraps(send)
    async def routed_send(self: Any, request: Any) -> Any:
        routed = _rewrite.route(request)
        if routed is request:
            return await send(self, request)
        return await send(_rewrite.direct(self, routed.url), routed)

    return routed_send


_REPLACEMENTS: tuple[tuple[type[Any], str, Any], ...] = (
    (aiobotocore.session.AioSession, "create_client", _patched_create_client),
    *((cls, "send", _guard(cls.send)) for cls in _SENDERS),
)


def _patch(active: bool) -> None:
    """Install the redirection and the guards (``True``), or put back what was there."""
    if active and not _replaced:
        for owner, name, replacement in _REPLACEMENTS:
            _replaced.append((owner, name, owner.__dict__[name]))
            setattr(owner, name, replacement)
    elif not active:
        while _replaced:
            owner, name, original = _replaced.pop()
            setattr(owner, name, original)


functools.update_wrapper(_patched_create_client, _ORIGINAL_CREATE_CLIENT)
contrib_botocore.register_patcher(_patch)
