"""Sessions: an emulator endpoint plus an identity (account, region, credentials).

:class:`RunningSession` attaches to an emulator that is already running; :class:`LocalstackSession`
starts one (or is handed the run's shared one by the fixtures). Every session has typed client
and resource factories (``session.botocore``, ``session.boto3``, ``session.resources``, and
``session.aiobotocore`` / ``session.aioboto3`` with the ``aio`` extra), built on first use so that
importing this module loads no SDK. Plugins add their own through the ``contribute_to_session``
hook.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import secrets
import time
import weakref
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any

from pytest_localstack import config, plugin
from pytest_localstack._deprecations import replace_deprecated_keywords
from pytest_localstack._processes import owner_token
from pytest_localstack._service_names import is_known_service, known_services
from pytest_localstack.config import Settings
from pytest_localstack.emulators import EMULATORS, Emulator
from pytest_localstack.exceptions import (
    ContainerAlreadyStartedError,
    ContainerNotStartedError,
    ServiceError,
    StartTimeoutError,
)
from pytest_localstack.runtimes import Endpoint, Runtimes, make_labels
from pytest_localstack.sharing.launch import launch

if TYPE_CHECKING:
    from pytest_localstack.contrib.aioboto3 import Aioboto3TestResourceFactory
    from pytest_localstack.contrib.aiobotocore import AiobotocoreTestResourceFactory
    from pytest_localstack.contrib.boto3 import Boto3TestResourceFactory
    from pytest_localstack.contrib.botocore import BotocoreTestResourceFactory
    from pytest_localstack.resources import ResourceFactory

logger = logging.getLogger(__name__)

SECRET_ACCESS_KEY = "test"
_seen_ready: dict[str, frozenset[str]] = {}  # services a session saw ready, by emulator URL
ServicesArg = Iterable[str] | Mapping[str, int | None] | None


def new_account_id() -> str:
    """A random 12-digit AWS account id; unique enough that identities never meet."""
    return str(10**11 + secrets.randbelow(9 * 10**11))


def normalize_services(services: ServicesArg, source: str = "services=") -> dict[str, int | None]:
    """Validate service names; a dict's ports are accepted for compatibility only.

    LocalStack and moto serve every service on one port, so a port given here is ignored.
    ``source`` names the argument in messages (``services= of patch_fixture``).
    """
    if services is None:
        return {}
    if isinstance(services, str) or not isinstance(services, (Mapping, Iterable)):
        raise TypeError(
            f"services must be a list of AWS service names or a dict of name -> port, "
            f"not {services!r}"
        )
    names = dict(services) if isinstance(services, Mapping) else dict.fromkeys(services)
    for name in names:
        if not is_known_service(name):
            raise ServiceError.unknown(str(name), known_services(), source=source)
    return names


class RunningSession:
    """An identity in an emulator that runs already (started by someone else, or shared).

    :param hostname: ``host`` or ``host:port`` of the emulator (port 4566 if omitted), or a URL.
    :param services: AWS service names the tests need; they are validated and, on LocalStack,
        waited for. A dict of name -> port is accepted for compatibility; ports are ignored.
    :param region_name: region of this identity (default ``us-east-1``).
    :param use_ssl: talk HTTPS to the emulator.
    :param account_id: 12-digit account of this identity; a random one by default.
    :param kwargs: kept in :attr:`kwargs` for plugins and resource factories.
    """

    def __init__(
        self,
        hostname: str | None = None,
        services: ServicesArg = None,
        region_name: str | None = None,
        use_ssl: bool = False,
        localstack_version: str | None = None,
        *,
        endpoint: Endpoint | None = None,
        account_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.kwargs = kwargs
        self.use_ssl = use_ssl
        self.localstack_version = localstack_version
        self.services = normalize_services(services)
        self.region_name = region_name or config.DEFAULT_REGION
        config.validate_region(self.region_name)
        self.account_id = account_id or new_account_id()
        #: Whether the account was picked here, at random: nobody else's data is in it, so
        #: :mod:`pytest_localstack.clean_slate` may empty it when the session stops.
        self.owns_account = account_id is None
        if endpoint is None and hostname is not None:
            endpoint = _endpoint_from_hostname(hostname, use_ssl)
        self._endpoint: Endpoint | None = endpoint
        self._attached = False
        plugin.load_builtin_plugins()
        plugin.manager.hook.contribute_to_session(session=self)

    def __repr__(self) -> str:
        where = self._endpoint.url if self._endpoint else "not started"
        return f"<{type(self).__name__} account={self.account_id} {where}>"

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self, timeout: float | None = None) -> None:
        """Attach to the emulator and wait until the requested services are ready."""
        if self._attached:
            raise ContainerAlreadyStartedError(f"{self!r} is already started")
        plugin.manager.hook.session_starting(session=self)
        timeout = timeout if timeout is not None else self._start_timeout()
        deadline = time.monotonic() + timeout
        self._endpoint = self._acquire_endpoint(timeout)
        self._attached = True
        try:
            self._wait_for_services(deadline)
        except BaseException:
            self.stop()
            raise
        plugin.manager.hook.session_started(session=self)

    def stop(self, timeout: float | None = None) -> None:
        """Detach; a session that owns its emulator stops it too."""
        if not self._attached:
            return
        plugin.manager.hook.session_stopping(session=self)
        try:
            self._release_endpoint(timeout)
        finally:
            self._attached = False
            plugin.manager.hook.session_stopped(session=self)

    def __enter__(self) -> RunningSession:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _start_timeout(self) -> float:
        return config.Settings.start_timeout

    def _acquire_endpoint(self, timeout: float) -> Endpoint:
        if self._endpoint is None:
            raise ContainerNotStartedError("RunningSession needs a hostname or an endpoint")
        if self._endpoint.emulator:
            return self._endpoint
        settings = config.resolve(None, engine="external", endpoint=self._endpoint.url)
        return launch(settings, {})

    def _release_endpoint(self, timeout: float | None) -> None:
        """Nothing to release: the emulator belongs to someone else."""

    def _wait_for_services(self, deadline: float) -> None:
        services, url = tuple(self.services), self.endpoint.url
        while url not in _seen_ready or not _seen_ready[url].issuperset(services):
            probe = self.emulator.probe(url, services)
            if probe.ready:  # a service, once up, stays up: later sessions need not ask
                _seen_ready[url] = _seen_ready.get(url, frozenset()).union(services)
            elif time.monotonic() >= deadline:
                raise StartTimeoutError(
                    f"services {', '.join(services)} did not become ready at "
                    f"{self.endpoint.url} ({probe.detail})"
                )
            else:
                time.sleep(0.1)

    # -- where the emulator is ---------------------------------------------------------------

    @property
    def endpoint(self) -> Endpoint:
        """The running emulator this session talks to."""
        if self._endpoint is None or not self._endpoint.emulator:
            raise ContainerNotStartedError(f"{self!r} has not been started")
        return self._endpoint

    @property
    def _address(self) -> Endpoint:
        """Where the emulator is: known before :meth:`start` if the session was given a host."""
        if self._endpoint is None:
            raise ContainerNotStartedError(f"{self!r} has not been started")
        return self._endpoint

    @property
    def emulator(self) -> Emulator:
        """The profile of the emulator that answers (LocalStack or moto).

        Before :meth:`start`, a session given a host name assumes LocalStack, as the original
        project did; ``start()`` asks the emulator.
        """
        return EMULATORS[self._address.emulator or "localstack"]

    @property
    def hostname(self) -> str:
        """Host name of the emulator, without the port."""
        return self._address.netloc.rsplit(":", 1)[0]

    def map_port(self, port: int | None = None) -> int:
        """The host port that serves ``port``: every service shares the emulator's one port."""
        return int(self._address.netloc.rsplit(":", 1)[1])

    def service_hostname(self, service_name: str) -> str:
        """``host:port`` that serves ``service_name``."""
        self._check_service(service_name)
        return self._address.netloc

    def endpoint_url(self, service_name: str | None = None) -> str:
        """The URL that serves ``service_name`` (the same for every service)."""
        if service_name is not None:
            self._check_service(service_name)
        return self._address.url

    def _check_service(self, service_name: str) -> None:
        if not is_known_service(service_name):
            raise ServiceError.unknown(service_name, known_services())

    # -- identity ----------------------------------------------------------------------------

    @property
    def access_key_id(self) -> str:
        """The access key id: the account id itself, which is how LocalStack picks an account."""
        return self.account_id

    @property
    def secret_access_key(self) -> str:
        return SECRET_ACCESS_KEY

    def credentials(self) -> dict[str, str]:
        """Keyword arguments for botocore/boto3 clients and sessions."""
        return {
            "aws_access_key_id": self.access_key_id,
            "aws_secret_access_key": self.secret_access_key,
        }

    @property
    def request_headers(self) -> dict[str, str]:
        """Headers every request carries so that the emulator acts in this account."""
        return self.emulator.account_headers(self.account_id)

    # -- client and resource factories (built on first use) -------------------------------------

    @functools.cached_property
    def botocore(self) -> BotocoreTestResourceFactory:
        """botocore sessions and clients bound to this session, and ``patch_botocore()``."""
        from pytest_localstack.contrib.botocore import BotocoreTestResourceFactory

        return BotocoreTestResourceFactory(self)

    @functools.cached_property
    def boto3(self) -> Boto3TestResourceFactory:
        """boto3 sessions, clients and resources bound to this session."""
        from pytest_localstack.contrib.boto3 import Boto3TestResourceFactory

        return Boto3TestResourceFactory(self)

    @functools.cached_property
    def resources(self) -> ResourceFactory:
        """AWS resources with unique names in this identity, deleted at cleanup."""
        from pytest_localstack.resources import ResourceFactory

        return ResourceFactory(self)

    @functools.cached_property
    def aiobotocore(self) -> AiobotocoreTestResourceFactory:
        """aiobotocore sessions and clients bound to this session (the ``aio`` extra)."""
        try:
            from pytest_localstack.contrib.aiobotocore import AiobotocoreTestResourceFactory
        except ImportError as error:
            raise _needs_aio_extra("aiobotocore", error) from error
        return AiobotocoreTestResourceFactory(self)

    @functools.cached_property
    def aioboto3(self) -> Aioboto3TestResourceFactory:
        """aioboto3 sessions, clients and resources bound to this session (the ``aio`` extra)."""
        try:
            from pytest_localstack.contrib.aioboto3 import Aioboto3TestResourceFactory
        except ImportError as error:
            raise _needs_aio_extra("aioboto3", error) from error
        return Aioboto3TestResourceFactory(self)

    def new_identity(
        self, account_id: str | None = None, region_name: str | None = None
    ) -> RunningSession:
        """A started session on the same emulator with another account: nothing is shared."""
        kwargs = dict(self.kwargs)
        settings: Settings | None = getattr(self, "settings", None)
        if settings is not None:
            kwargs.setdefault("subprocess_env", settings.subprocess_env)
        other = RunningSession(
            services=self.services,
            region_name=region_name or self.region_name,
            use_ssl=self.use_ssl,
            endpoint=self.endpoint,
            account_id=account_id,
            **kwargs,
        )
        other.start()
        return other


def _needs_aio_extra(name: str, error: ImportError) -> AttributeError:
    """An attribute error, so that ``hasattr(session, name)`` is false without the SDK."""
    return AttributeError(
        f"session.{name} needs {error.name or name}, which is not installed; "
        'install it with pip install "pytest-localstack[aio]"'
    )


def _endpoint_from_hostname(hostname: str, use_ssl: bool) -> Endpoint:
    scheme = "https" if use_ssl else "http"
    if "://" in hostname:
        scheme, address = hostname.split("://", 1)
    else:
        address = hostname
    address = address.rstrip("/")
    if ":" not in address:
        address += ":4566"
    return Endpoint(url=f"{scheme}://{address}", emulator="", version="", engine="external")


#: Settings -> an endpoint that answered its readiness probe (the coordinator's).
EndpointProvider = Callable[[Settings], Endpoint]


class LocalstackSession(RunningSession):
    """A session that starts its emulator (LocalStack in Docker by default) and stops it again.

    :param docker_client: docker SDK client; ``docker.from_env()`` by default, so ``DOCKER_HOST``
        works.
    :param kinesis_error_probability: 0.0 to 1.0, LocalStack only.
    :param dynamodb_error_probability: 0.0 to 1.0, LocalStack only.
    :param container_log_level: level at which the emulator's log lines go to logging.
    :param localstack_version: image tag, overriding the tag of the configured image.
    :param auto_remove: remove the container when it stops.
    :param pull_image: pull the image if it is missing (never when present).
    :param container_name: name of the container.
    :param kwargs: settings of :mod:`pytest_localstack.config` (``engine``, ``image``,
        ``network``, ``start_timeout``, ...) are applied; the rest is kept in :attr:`kwargs`.

    The fixtures pass ``endpoint_provider`` so that every session of a run shares one emulator.
    """

    def __init__(
        self,
        docker_client: Any = None,
        services: ServicesArg = None,
        region_name: str | None = None,
        kinesis_error_probability: float = 0.0,
        dynamodb_error_probability: float = 0.0,
        container_log_level: int = logging.DEBUG,
        localstack_version: str | None = None,
        auto_remove: bool = True,
        pull_image: bool | None = None,
        container_name: str | None = None,
        use_ssl: bool = False,
        *,
        settings: Settings | None = None,
        endpoint_provider: EndpointProvider | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs = replace_deprecated_keywords(kwargs)
        setting_kwargs = {k: kwargs.pop(k) for k in list(kwargs) if k in config.SETTING_NAMES}
        if settings is None:
            settings = config.resolve_classic(
                None,
                region_name=region_name,
                pull_image=pull_image,
                localstack_version=localstack_version,
                kinesis_error_probability=kinesis_error_probability,
                dynamodb_error_probability=dynamodb_error_probability,
                container_log_level=container_log_level,
                auto_remove=auto_remove,
                container_name=container_name,
                use_ssl=use_ssl,
                **setting_kwargs,
            )
        self.settings = settings
        self.docker_client = docker_client
        self._runtimes = Runtimes(docker_client)
        self.kinesis_error_probability = settings.kinesis_error_probability
        self.dynamodb_error_probability = settings.dynamodb_error_probability
        self.container_log_level = settings.container_log_level
        self.auto_remove = settings.auto_remove
        self.pull_image = settings.pull
        self.container_name = settings.container_name
        self._endpoint_provider = endpoint_provider
        self._owned: Endpoint | None = None
        self._stop_at_exit: weakref.finalize[Any, Any] | None = None
        super().__init__(
            services=services,
            region_name=region_name or settings.region,
            use_ssl=settings.use_ssl,
            localstack_version=localstack_version,
            **kwargs,
        )

    def _start_timeout(self) -> float:
        return self.settings.start_timeout

    def _acquire_endpoint(self, timeout: float) -> Endpoint:
        """The provider's endpoint, or a new one; either answered its probe just now, so
        :meth:`_wait_for_services` asks again only for named services."""
        settings = dataclasses.replace(self.settings, start_timeout=timeout)
        if self._endpoint_provider is not None:
            endpoint = self._endpoint_provider(settings)
            _seen_ready.setdefault(endpoint.url, frozenset())
            return endpoint
        labels = make_labels("standalone", owner_token())
        self._owned = launch(settings, labels, self._runtimes)
        # A session never stopped (or garbage collected) stops its emulator at interpreter
        # exit; the finalizer holds the runtime and endpoint, never the session.
        runtime = self._runtimes[self._owned.engine]
        self._stop_at_exit = weakref.finalize(
            self, runtime.stop, self._owned, self.settings.stop_timeout
        )
        _seen_ready.setdefault(self._owned.url, frozenset())
        return self._owned

    def _release_endpoint(self, timeout: float | None) -> None:
        owned, self._owned = self._owned, None
        if self._stop_at_exit is not None:
            self._stop_at_exit.detach()
            self._stop_at_exit = None
        if owned is not None:
            runtime = self._runtimes[owned.engine]
            runtime.stop(owned, timeout if timeout is not None else self.settings.stop_timeout)
