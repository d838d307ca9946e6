"""The run: its settings and coordinator (kept in ``config.stash``), its sessions, and the
classic fixture factories ``patch_fixture`` and ``session_fixture``.

Settings are resolved once per run (``pytest_configure``); a fixture's keyword arguments are
applied on top with :func:`pytest_localstack.config.replace`. Each fixture instance is a new
identity (a fresh account) in the run's shared emulator; the emulator itself is started once
per run by the coordinator and stopped when the run ends.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar, cast

import pytest

from pytest_localstack import _reporting, config
from pytest_localstack._deprecations import replace_deprecated_keywords
from pytest_localstack._http import proxy_warning
from pytest_localstack._marks import marks_localstack
from pytest_localstack.exceptions import ConfigurationError, LocalstackError
from pytest_localstack.session import LocalstackSession, ServicesArg, normalize_services

if TYPE_CHECKING:
    from pytest_localstack.runtimes import Endpoint
    from pytest_localstack.sharing.coordinator import Coordinator

SCOPES = ("function", "class", "module", "package", "session")
PLUGIN_NAME = "localstack"

SETTINGS_KEY = pytest.StashKey[config.Settings]()
COORDINATOR_KEY = pytest.StashKey["Coordinator"]()
STOPPED_REUSED_KEY = pytest.StashKey[list["Endpoint"]]()
WORKERINPUT_RUN_DIR = "localstack_run_dir"
WORKERINPUT_RUN_ID = "localstack_run_id"

logger = logging.getLogger(__name__)

_P = ParamSpec("_P")
_R = TypeVar("_R")


# -- the run's state -----------------------------------------------------------------------------


def configure_run(pytest_config: pytest.Config) -> None:
    """Resolve the run's settings once (a bad value is a usage error), and stop reused
    emulators if asked."""
    try:
        settings = config.resolve(pytest_config)
    except LocalstackError as error:
        raise pytest.UsageError(str(error)) from None
    pytest_config.stash[SETTINGS_KEY] = settings
    if pytest_config.getoption("localstack_stop_reused") and not is_worker(pytest_config):
        from pytest_localstack.sharing import reuse

        pytest_config.stash[STOPPED_REUSED_KEY] = reuse.stop_all(settings.stop_timeout)


def is_worker(pytest_config: pytest.Config) -> bool:
    return hasattr(pytest_config, "workerinput")


def run_settings(pytest_config: pytest.Config) -> config.Settings:
    """The settings resolved for this run."""
    return pytest_config.stash[SETTINGS_KEY]


def coordinator_for(pytest_config: pytest.Config) -> Coordinator:
    """The run's coordinator, made on first use: a run without AWS tests starts nothing."""
    from pytest_localstack.sharing.coordinator import Coordinator

    if COORDINATOR_KEY not in pytest_config.stash:
        workerinput: dict[str, Any] | None = getattr(pytest_config, "workerinput", None)
        if workerinput is not None and WORKERINPUT_RUN_DIR in workerinput:
            pytest_config.stash[COORDINATOR_KEY] = Coordinator(
                Path(workerinput[WORKERINPUT_RUN_DIR]),
                workerinput[WORKERINPUT_RUN_ID],
                worker_id=workerinput["workerid"],
            )
        else:
            from pytest_localstack.sharing.sweep import sweep_stale_runs

            sweep_stale_runs()
            pytest_config.stash[COORDINATOR_KEY] = Coordinator.create()
            _stop_gracefully_on_sigterm(pytest_config)
    return pytest_config.stash[COORDINATOR_KEY]


def _stop_gracefully_on_sigterm(pytest_config: pytest.Config) -> None:
    """Turn the first SIGTERM into KeyboardInterrupt, so that sessionfinish stops the emulators.

    Only where nobody else handles SIGTERM; a second SIGTERM kills as usual.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return

    def on_sigterm(signum: int, frame: Any) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        raise KeyboardInterrupt("SIGTERM")

    def restore() -> None:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)

    signal.signal(signal.SIGTERM, on_sigterm)
    pytest_config.add_cleanup(restore)


def finish_run(pytest_config: pytest.Config) -> None:
    """The run's owner (the xdist controller, or the only process) stops every emulator.

    Unless ``wait_stop`` is set, it leaves the removal to the run's watchdog and returns at
    once. A worker only lets its background starts finish, so that it leaves nothing half-made.
    """
    coordinator = pytest_config.stash.get(COORDINATOR_KEY, None)
    if coordinator is None:
        return
    from pytest_localstack.sharing.registry import LOCK_MARGIN

    settings = run_settings(pytest_config)
    coordinator.wait_for_early_starts(settings.start_timeout + LOCK_MARGIN)
    if is_worker(pytest_config):
        return
    in_main_thread = threading.current_thread() is threading.main_thread()
    # A SIGTERM now would interrupt the very cleanup it asks for: hold it until done.
    previous = signal.signal(signal.SIGTERM, signal.SIG_IGN) if in_main_thread else None
    try:
        if settings.wait_stop or not coordinator.hand_off():
            coordinator.stop_all(settings.stop_timeout)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def start_early(pytest_config: pytest.Config, items: list[pytest.Item]) -> None:
    """Start, in the background, the emulators that the selected tests' fixtures will ask for,
    and warm the services they name (see :mod:`pytest_localstack.early_start`)."""
    from pytest_localstack import early_start
    from pytest_localstack.runtimes import Runtimes

    if pytest_config.option.collectonly:
        return
    requests: dict[str, tuple[config.Settings, set[str], Any]] = {}
    coordinator = None
    for arguments in early_start.fixture_arguments(items):
        try:
            settings = fixture_settings(pytest_config, dict(arguments))
            services = set(normalize_services(arguments.get("services")))
        except (LocalstackError, TypeError):
            continue  # the fixture reports it when it runs
        coordinator = coordinator or coordinator_for(pytest_config)
        key = coordinator.key(settings)
        _, wanted, _ = requests.setdefault(key, (settings, set(), arguments.get("docker_client")))
        wanted.update(services)
    for settings, services, docker_client in requests.values():
        assert coordinator is not None
        coordinator.start_early(
            settings,
            Runtimes(docker_client),
            then=early_start.warm_services(services, settings.region),
        )


def fixture_settings(
    pytest_config: pytest.Config, kwargs: dict[str, Any], owner: str = ""
) -> config.Settings:
    """The run's settings with a fixture's setting arguments on top; those are taken out of
    ``kwargs`` (the rest are the session's). ``owner`` names the fixture factory in messages."""
    setting_kwargs = {
        k: kwargs.pop(k)
        for k in list(kwargs)
        if k in config.SETTING_NAMES or k in ("region_name", "pull_image", "localstack_version")
    }
    return config.replace(run_settings(pytest_config), keywords_of=owner, **setting_kwargs)


# -- sessions ------------------------------------------------------------------------------------


@contextlib.contextmanager
def shared_session(
    pytestconfig: pytest.Config,
    docker_client: Any = None,
    services: ServicesArg = None,
    *,
    owner: str = "",
    **kwargs: Any,
) -> Iterator[LocalstackSession]:
    """A started session with a fresh identity in the run's emulator for these settings.

    :param owner: the fixture factory whose keyword arguments these are, for messages.
    """
    __tracebackhide__ = True
    from pytest_localstack.runtimes import Runtimes

    if not pytestconfig.pluginmanager.hasplugin(PLUGIN_NAME):
        pytest.skip("the pytest-localstack plugin is disabled (-p no:localstack)")
    coordinator = coordinator_for(pytestconfig)
    try:
        settings = fixture_settings(pytestconfig, kwargs, owner)
        normalize_services(services, source=config.keyword_source("services", owner))
    except ConfigurationError as error:
        problem = str(error)
    else:
        problem = ""
    if problem:
        pytest.fail(problem, pytrace=False)
    runtimes = Runtimes(docker_client)
    session = LocalstackSession(
        docker_client,
        services=services,
        settings=settings,
        endpoint_provider=lambda s: coordinator.endpoint(s, runtimes),
        **kwargs,
    )
    try:
        session.start()
    except LocalstackError as error:
        failure = _reporting.start_failure_message(pytestconfig, error)
    else:
        failure = ""
    if failure:
        pytest.fail(failure, pytrace=False)
    _reporting.note_endpoint(pytestconfig, session.endpoint)
    warning = proxy_warning(session.endpoint.url)
    if warning:
        logger.warning("%s", warning)
    try:
        yield session
    finally:
        session.stop()


@contextlib.contextmanager
def patched(session: LocalstackSession) -> Iterator[LocalstackSession]:
    """``session`` with every botocore and boto3 client redirected to it."""
    with session.botocore.patch_botocore():
        yield session


# -- the classic factories -----------------------------------------------------------------------


def _check_scope(scope: str, owner: str) -> None:
    if scope not in SCOPES and not callable(scope):
        raise ConfigurationError(
            f"invalid value {scope!r}",
            setting="scope",
            source=config.keyword_source("scope", owner),
            hint=f"choose from {', '.join(SCOPES)}",
        )


def _make_fixture(scope: str, autouse: bool, patch: bool, arguments: dict[str, Any]) -> Any:
    from pytest_localstack.early_start import uses_emulator

    owner = "patch_fixture" if patch else "session_fixture"
    _check_scope(scope, owner)

    @marks_localstack
    @uses_emulator(arguments)
    def _fixture(pytestconfig: pytest.Config) -> Iterator[LocalstackSession]:
        __tracebackhide__ = True
        with shared_session(pytestconfig, owner=owner, **arguments) as session:
            if not patch:
                yield session
                return
            with patched(session):
                yield session

    checked: Any = scope  # one of SCOPES, or pytest's callable form
    return pytest.fixture(_fixture, scope=checked, autouse=autouse)


def _with_signature_of(model: Callable[_P, Any]) -> Callable[[Callable[..., _R]], Callable[_P, _R]]:
    """Give the decorated function ``model``'s parameters, for callers, docs and type checkers."""

    def decorate(function: Callable[..., _R]) -> Callable[_P, _R]:
        function.__dict__["__signature__"] = inspect.signature(model)
        return cast(Callable[_P, _R], function)

    return decorate


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
    return _make_fixture_from(False, locals())


@_with_signature_of(session_fixture)
def patch_fixture(*args: Any, **kwargs: Any) -> Any:
    """Create a fixture that redirects botocore and boto3 to the emulator while it is active.

    It yields the :class:`~pytest_localstack.LocalstackSession`. Same parameters as
    :func:`session_fixture`.
    """
    bound = inspect.signature(session_fixture).bind(*args, **kwargs)
    bound.apply_defaults()
    return _make_fixture_from(True, bound.arguments)


def _make_fixture_from(patch: bool, parameters: dict[str, Any]) -> Any:
    """A fixture from the parameters of a factory call: the session's, bar scope and autouse."""
    arguments = {k: v for k, v in parameters.items() if k not in ("scope", "autouse", "kwargs")}
    arguments.update(parameters.get("kwargs", {}))
    # stacklevel 3: the warning names the line that called the factory
    arguments = replace_deprecated_keywords(arguments, stacklevel=3)
    return _make_fixture(parameters["scope"], parameters["autouse"], patch, arguments)
