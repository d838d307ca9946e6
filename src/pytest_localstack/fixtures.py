"""The classic fixture factories: ``patch_fixture`` and ``session_fixture``.

Each fixture instance is a new identity (a fresh account) in the run's shared emulator; the
emulator itself is started once per run by the coordinator and stopped when the run ends.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from pytest_localstack import config
from pytest_localstack._deprecations import replace_deprecated_keywords
from pytest_localstack._http import proxy_warning
from pytest_localstack.exceptions import ConfigurationError
from pytest_localstack.session import LocalstackSession, ServicesArg

SCOPES = ("function", "class", "module", "package", "session")
PLUGIN_NAME = "localstack"

logger = logging.getLogger(__name__)


def _check_scope(scope: str) -> None:
    if scope not in SCOPES and not callable(scope):
        raise ConfigurationError(f"scope: invalid value {scope!r}; choose from {', '.join(SCOPES)}")


@contextlib.contextmanager
def shared_session(
    pytestconfig: pytest.Config,
    docker_client: Any = None,
    services: ServicesArg = None,
    **kwargs: Any,
) -> Iterator[LocalstackSession]:
    """A started session with a fresh identity in the run's emulator for these settings."""
    from pytest_localstack._pytest_plugin import coordinator_for

    if not pytestconfig.pluginmanager.hasplugin(PLUGIN_NAME):
        pytest.skip("the pytest-localstack plugin is disabled (-p no:localstack)")
    coordinator = coordinator_for(pytestconfig)
    classic = {k: kwargs.pop(k, None) for k in ("region_name", "pull_image", "localstack_version")}
    setting_kwargs = {k: kwargs.pop(k) for k in list(kwargs) if k in config.SETTING_NAMES}
    settings = config.resolve_classic(pytestconfig, **classic, **setting_kwargs)
    session = LocalstackSession(
        docker_client,
        services=services,
        settings=settings,
        endpoint_provider=lambda s: coordinator.endpoint(s, docker_client),
        **kwargs,
    )
    session.start()
    warning = proxy_warning(session.endpoint.url)
    if warning:
        logger.warning("%s", warning)
    try:
        yield session
    finally:
        session.stop()


def _classic_arguments(local_variables: dict[str, Any]) -> dict[str, Any]:
    """The session arguments of a fixture factory call: its parameters bar scope and autouse."""
    arguments = {k: v for k, v in local_variables.items() if k not in ("scope", "autouse")}
    arguments.update(arguments.pop("kwargs"))
    return replace_deprecated_keywords(arguments, stacklevel=3)


def _make_fixture(scope: str, autouse: bool, patch: bool, arguments: dict[str, Any]) -> Any:
    _check_scope(scope)

    def _fixture(pytestconfig: pytest.Config) -> Iterator[LocalstackSession]:
        with shared_session(pytestconfig, **arguments) as session:
            if not patch:
                yield session
                return
            with session.botocore.patch_botocore():
                yield session

    return pytest.fixture(scope=scope, autouse=autouse)(_fixture)  # type: ignore[call-overload]


def session_fixture(
    scope: str = "function",
    services: ServicesArg = None,
    autouse: bool = False,
    docker_client: Any = None,
    region_name: str | None = None,
    kinesis_error_probability: float = 0.0,
    dynamodb_error_probability: float = 0.0,
    container_log_level: int = logging.DEBUG,
    localstack_version: str | None = None,
    auto_remove: bool = True,
    pull_image: bool | None = None,
    container_name: str | None = None,
    **kwargs: Any,
) -> Any:
    """Create a fixture that yields a :class:`~pytest_localstack.LocalstackSession`.

    This is not a fixture but a factory of them. The session redirects nothing by itself; use
    ``session.boto3.client(...)`` and friends, or ``session.botocore.patch_botocore()``.
    Every instance of the fixture (per test at function scope) gets a fresh account in the
    run's shared emulator. Keyword arguments as for :class:`LocalstackSession`; settings
    not given here come from the command line, ini file or environment.
    """
    return _make_fixture(scope, autouse, False, _classic_arguments(locals()))


def patch_fixture(
    scope: str = "function",
    services: ServicesArg = None,
    autouse: bool = False,
    docker_client: Any = None,
    region_name: str | None = None,
    kinesis_error_probability: float = 0.0,
    dynamodb_error_probability: float = 0.0,
    container_log_level: int = logging.DEBUG,
    localstack_version: str | None = None,
    auto_remove: bool = True,
    pull_image: bool | None = None,
    container_name: str | None = None,
    **kwargs: Any,
) -> Any:
    """Create a fixture that redirects botocore and boto3 to the emulator while it is active.

    It yields the :class:`~pytest_localstack.LocalstackSession`. Same parameters as
    :func:`session_fixture`.
    """
    return _make_fixture(scope, autouse, True, _classic_arguments(locals()))
