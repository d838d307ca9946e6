"""botocore support: client factories for a session, and redirection of every botocore client.

While :meth:`BotocoreTestResourceFactory.patch_botocore` is active:

* every ``botocore.session.Session.create_client`` call (and so every boto3 client and resource)
  gets the emulator's endpoint (unless the caller names one), the session's credentials and
  region (unless the caller names one), path-style S3 addressing, and the headers that select
  the session's account;
* ``boto3.DEFAULT_SESSION`` is reset, so ``boto3.client(...)`` builds a redirected client; the
  user's own is put back when the last patch ends, in whatever order the patches end;
* botocore's HTTP sender routes every request (:mod:`._rewrite`): a request of a client made
  before the patch that goes to AWS is sent to the emulator instead, signed with the session's
  credentials; a request for another host is refused with :class:`RealAWSRequestError`;
* unless ``subprocess_env`` is false, ``os.environ`` points child processes (the AWS CLI, another
  Python) at the emulator with the session's identity (:mod:`.environment`), and this process's
  own sessions are kept from caching it (:mod:`._session_caches`);
* modules for other SDKs (:mod:`.aiobotocore`) join in through :func:`register_patcher`.

Which session is "the" session is decided per thread and per asyncio task (:mod:`._active`).

``create_client`` is wrapped rather than configured through ``AWS_ENDPOINT_URL``: environment
settings do not reach sessions that resolved their credentials already, and cannot add the
account header that moto needs.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import sys
import urllib.parse
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import botocore.config
import botocore.httpsession
import botocore.session

from pytest_localstack.contrib import _active, _rewrite, _session_caches, _sessions, environment

if TYPE_CHECKING:
    from pytest_localstack.session import RunningSession

_ORIGINAL_CREATE_CLIENT = botocore.session.Session.create_client
_ORIGINAL_SEND = botocore.httpsession.URLLib3Session.send
_CREATE_CLIENT_SIGNATURE = inspect.signature(_ORIGINAL_CREATE_CLIENT)
_LOOPBACK = ("127.0.0.1", "localhost", "::1")

#: What ``create_client`` and ``send`` were before the outermost patch, to put back exactly.
_replaced: list[tuple[Callable[..., Any], Callable[..., Any]]] = []
#: Called with ``True`` when the outermost patch starts and with ``False`` when it ends.
_patchers: list[Callable[[bool], None]] = [_session_caches.protect]
#: One entry per active patch, oldest first: the ``boto3.DEFAULT_SESSION`` it replaced.
_default_sessions: list[list[Any]] = []
#: ``boto3.setup_default_session`` as it was before the outermost patch.
_replaced_setup: list[Callable[..., None]] = []
#: Redirected clients send to the emulator's own host: a host prefix (``data-``,
#: ``<account>.``) would make a name that does not resolve.
_CLIENT_OPTIONS: dict[str, Any] = {"inject_host_prefix": False}


def redirected_client_arguments(
    session: RunningSession, arguments: dict[str, Any]
) -> dict[str, Any]:
    """``create_client`` arguments changed so that the client talks to ``session``."""
    arguments = dict(arguments)
    if not arguments.get("endpoint_url"):
        arguments["endpoint_url"] = session.endpoint_url()
    if not arguments.get("region_name"):
        arguments["region_name"] = session.region_name
    arguments.update(session.credentials())
    arguments["aws_session_token"] = None
    config = arguments.get("config")
    direct = no_proxy_options(session, config)
    if config is None:
        arguments["config"] = botocore.config.Config(
            s3={"addressing_style": "path"}, **_CLIENT_OPTIONS, **direct
        )
    else:
        # Config.merge replaces the whole s3 dict: keep path style unless the caller chose one.
        s3 = {"addressing_style": "path", **(config.s3 or {})}
        arguments["config"] = config.merge(
            botocore.config.Config(s3=s3, **_CLIENT_OPTIONS, **direct)
        )
    return arguments


def no_proxy_options(session: RunningSession, config: Any) -> dict[str, Any]:
    """``proxies={}`` for an emulator on this machine, unless the caller set proxies.

    A proxy from the environment (``HTTPS_PROXY`` without ``NO_PROXY``) cannot reach this
    machine's loopback; an empty mapping makes botocore send directly.
    """
    host = urllib.parse.urlsplit(session.endpoint_url()).hostname or ""
    if host not in _LOOPBACK or (config is not None and config.proxies is not None):
        return {}
    return {"proxies": {}}


def add_account_headers(client: Any, session: RunningSession) -> None:
    """Make every request of ``client`` carry the headers that select the session's account."""
    headers = session.request_headers
    if not headers:
        return

    def set_headers(request: Any, **_: Any) -> None:
        for name, value in headers.items():
            request.headers[name] = value

    client.meta.events.register_first("before-sign", set_headers)


def create_client(
    session: RunningSession,
    botocore_session: botocore.session.Session,
    service_name: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Any:
    """Create a botocore client for ``session``'s emulator and identity."""
    bound = _CREATE_CLIENT_SIGNATURE.bind(botocore_session, service_name, *args, **kwargs)
    arguments = redirected_client_arguments(session, dict(bound.arguments))
    client = _ORIGINAL_CREATE_CLIENT(**arguments)
    add_account_headers(client, session)
    return client


@functools.cache
def _base_session() -> botocore.session.Session:
    """One botocore session that makes the clients of every pytest-localstack session.

    Clients get their endpoint, credentials and region explicitly, so the botocore session that
    makes them holds nothing of an identity; a new one per identity would register botocore's
    hundred-odd event handlers again for every test.
    """
    return _sessions.new_botocore_session(session_vars=environment.ISOLATED_SESSION_VARS)


def new_boto3_session(**kwargs: Any) -> Any:
    """A ``boto3.Session`` as ``boto3.setup_default_session`` makes it, with the shared loader."""
    import boto3

    loader = _sessions.shared_data_loader()
    session = boto3.Session(botocore_session=_sessions.new_botocore_session(), **kwargs)
    # boto3 appends its own data directory to the loader's search path for every session.
    loader.search_paths[:] = list(dict.fromkeys(loader.search_paths))
    return session


class LocalstackBotocoreSession(botocore.session.Session):
    """A botocore session whose clients always talk to one pytest-localstack session."""

    def __init__(self, localstack_session: RunningSession, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("session_vars", environment.ISOLATED_SESSION_VARS)
        super().__init__(*args, **_sessions.session_arguments(args, kwargs))
        # botocore's data files are the same for every session: load them once per process.
        self.register_component("data_loader", _sessions.shared_data_loader())
        self.localstack_session = localstack_session
        self.set_credentials(localstack_session.access_key_id, localstack_session.secret_access_key)
        self.set_config_variable("region", localstack_session.region_name)

    def create_client(self, service_name: str, *args: Any, **kwargs: Any) -> Any:
        return create_client(self.localstack_session, self, service_name, args, kwargs)


class BotocoreTestResourceFactory:
    """``session.botocore``: botocore sessions and clients bound to a pytest-localstack session."""

    def __init__(self, localstack_session: RunningSession) -> None:
        self.localstack_session = localstack_session
        self._default_session: LocalstackBotocoreSession | None = None

    def session(self, *args: Any, **kwargs: Any) -> LocalstackBotocoreSession:
        """A new botocore session whose clients go to the emulator."""
        return LocalstackBotocoreSession(self.localstack_session, *args, **kwargs)

    @property
    def default_session(self) -> LocalstackBotocoreSession:
        """One shared botocore session for this pytest-localstack session."""
        if self._default_session is None:
            self._default_session = self.session()
        return self._default_session

    def client(self, service_name: str, *args: Any, **kwargs: Any) -> Any:
        """A botocore client for ``service_name`` in the emulator.

        Made by :attr:`default_session` once someone uses that (and may have registered event
        handlers on it), else by one botocore session shared by every identity: the client
        gets the identity's endpoint, credentials and region either way.
        """
        if self._default_session is not None:
            return self._default_session.create_client(service_name, *args, **kwargs)
        return create_client(self.localstack_session, _base_session(), service_name, args, kwargs)

    @contextlib.contextmanager
    def patch_botocore(self, subprocess_env: bool | None = None) -> Iterator[None]:
        """Redirect every botocore and boto3 client to this session while the block runs.

        :param subprocess_env: also point child processes at the emulator through
            ``os.environ``; ``None`` takes the session's ``subprocess_env`` setting (on by
            default).
        """
        with _patched(self.localstack_session, subprocess_env):
            yield


def register_patcher(patcher: Callable[[bool], None]) -> None:
    """Have ``patcher(True)`` called when redirection starts and ``patcher(False)`` when it ends.

    This is how the modules for other SDKs (aiobotocore) install their own redirection and guard
    for exactly as long as botocore's.
    """
    if patcher in _patchers:
        return
    _patchers.append(patcher)
    if _active.is_active():
        patcher(True)


def _patched_create_client(
    self: botocore.session.Session, service_name: str, *args: Any, **kwargs: Any
) -> Any:
    return create_client(_active.current(), self, service_name, args, kwargs)


def _routed_send(self: Any, request: Any) -> Any:
    routed = _rewrite.route(request)
    if routed is request:
        return _ORIGINAL_SEND(self, request)
    return _ORIGINAL_SEND(_rewrite.direct(self, routed.url), routed)


@contextlib.contextmanager
def _patched(session: RunningSession, subprocess_env: bool | None = None) -> Iterator[None]:
    import boto3

    if not _active.is_active():
        _replaced.append(
            (botocore.session.Session.create_client, botocore.httpsession.URLLib3Session.send)
        )
        _install(_patched_create_client, _routed_send)
        for patcher in _patchers:
            patcher(True)
    _active.activate(session)
    if not _default_sessions:
        # boto3.client() makes a new default session, with the shared data loader: a new loader
        # would read and parse botocore's endpoint and service data again (about 30 ms a test).
        _replaced_setup.append(boto3.setup_default_session)
        boto3.setup_default_session = _setup_default_session
    saved_default_session = [boto3.DEFAULT_SESSION]
    _default_sessions.append(saved_default_session)
    boto3.DEFAULT_SESSION = None
    try:
        with environment.for_children(session, subprocess_env):
            yield
    finally:
        _restore_default_session(saved_default_session)
        if _active.deactivate(session):
            _install(*_replaced.pop())
            for patcher in reversed(_patchers):
                patcher(False)


def _restore_default_session(entry: list[Any]) -> None:
    """Put back the default session ``entry`` replaced, or hand it to the next newer patch."""
    import boto3

    index = next(i for i, active in enumerate(_default_sessions) if active is entry)
    del _default_sessions[index]
    if index == len(_default_sessions):
        boto3.DEFAULT_SESSION = entry[0]
    else:
        # An older patch ends first: the newer one puts back what this one replaced.
        _default_sessions[index][0] = entry[0]
    if not _default_sessions:
        boto3.setup_default_session = _replaced_setup.pop()


def _setup_default_session(**kwargs: Any) -> None:
    import boto3

    boto3.DEFAULT_SESSION = new_boto3_session(**kwargs)


def _install(create_client: Callable[..., Any], send: Callable[..., Any]) -> None:
    botocore.session.Session.create_client = create_client
    botocore.httpsession.URLLib3Session.send = send


functools.update_wrapper(_patched_create_client, _ORIGINAL_CREATE_CLIENT)


def __getattr__(name: str) -> Any:
    """The original project's names: ``Session`` (renamed) and ``patch_fixture`` (its old home).

    ``patch_fixture`` is imported on access, so that this module does not import pytest.
    """
    if name == "Session":
        from pytest_localstack.exceptions import warn_deprecated

        warn_deprecated(
            "pytest_localstack.contrib.botocore.Session is deprecated: use "
            "session.botocore.session() for a botocore session bound to a pytest-localstack "
            "session, or the class pytest_localstack.contrib.botocore.LocalstackBotocoreSession"
        )
        return LocalstackBotocoreSession
    if name == "patch_fixture":
        # The public API of the package, which Python imported before this module: reading it
        # imports nothing, and keeps the SDK layer from importing the pytest face.
        return sys.modules["pytest_localstack"].patch_fixture
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
