"""The pytest entry point: options, ini keys, report header and built-in fixtures.

Kept thin: Docker, botocore and the runtimes are imported only when a test uses the plugin.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_localstack import config as localstack_config
from pytest_localstack.exceptions import LocalstackError

if TYPE_CHECKING:
    from pytest_localstack.coordinator import Coordinator
    from pytest_localstack.runtimes import Endpoint
    from pytest_localstack.session import LocalstackSession

#: The resource fixtures (``s3_bucket``, ``make_s3_bucket``, ...); light to import.
pytest_plugins = ["pytest_localstack.resources.fixtures"]

SETTINGS_KEY = pytest.StashKey[localstack_config.Settings]()
COORDINATOR_KEY = pytest.StashKey["Coordinator"]()
STOPPED_REUSED_KEY = pytest.StashKey[list["Endpoint"]]()
_WORKERINPUT_RUN_DIR = "localstack_run_dir"
_WORKERINPUT_RUN_ID = "localstack_run_id"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("localstack", "pytest-localstack: AWS emulator")
    for option in localstack_config.OPTIONS:
        default = option.default if option.default != () else "none"
        help_text = f"{option.help} (default: {default}; ini {option.ini}; env {option.env})"
        group.addoption(option.flag, dest=option.dest, default=None, help=help_text)
        if option.name == "env":
            parser.addini(option.ini, help=option.help, type="linelist")
        else:
            parser.addini(option.ini, help=option.help, type="string")
    group.addoption(
        "--localstack-stop-reused",
        action="store_true",
        default=False,
        help="stop and remove every emulator kept running by --localstack-reuse, then run",
    )


def pytest_configure(config: pytest.Config) -> None:
    try:
        settings = localstack_config.resolve(config)
    except LocalstackError as error:
        raise pytest.UsageError(str(error)) from None
    config.stash[SETTINGS_KEY] = settings
    if config.getoption("localstack_stop_reused") and not hasattr(config, "workerinput"):
        from pytest_localstack import reuse

        config.stash[STOPPED_REUSED_KEY] = reuse.stop_all(settings.stop_timeout)


def coordinator_for(pytest_config: pytest.Config) -> Coordinator:
    """The run's coordinator, made on first use: a run without AWS tests starts nothing."""
    from pytest_localstack.coordinator import Coordinator

    if COORDINATOR_KEY not in pytest_config.stash:
        workerinput: dict[str, Any] | None = getattr(pytest_config, "workerinput", None)
        if workerinput is not None and _WORKERINPUT_RUN_DIR in workerinput:
            pytest_config.stash[COORDINATOR_KEY] = Coordinator(
                Path(workerinput[_WORKERINPUT_RUN_DIR]),
                workerinput[_WORKERINPUT_RUN_ID],
                worker_id=workerinput["workerid"],
            )
        else:
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


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """Hand every xdist worker the controller's run directory (xdist controller only)."""
    coordinator = coordinator_for(node.config)
    node.workerinput[_WORKERINPUT_RUN_DIR] = str(coordinator.run_dir)
    node.workerinput[_WORKERINPUT_RUN_ID] = coordinator.run_id


def pytest_sessionfinish(session: pytest.Session) -> None:
    """The run's owner (the xdist controller, or the only process) stops every emulator.

    The controller's sessionfinish runs after every worker is down, also after a crash.
    """
    if hasattr(session.config, "workerinput"):
        return
    coordinator = session.config.stash.get(COORDINATOR_KEY, None)
    if coordinator is None:
        return
    in_main_thread = threading.current_thread() is threading.main_thread()
    # A SIGTERM now would interrupt the very cleanup it asks for: hold it until done.
    previous = signal.signal(signal.SIGTERM, signal.SIG_IGN) if in_main_thread else None
    try:
        coordinator.stop_all(session.config.stash[SETTINGS_KEY].stop_timeout)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def pytest_report_header(config: pytest.Config) -> list[str]:
    settings = config.stash[SETTINGS_KEY]
    where = settings.endpoint or "started on first use"
    image = settings.image_for_emulator if settings.engine in ("auto", "docker") else "-"
    emulator = {"process": "moto", "external": "detected"}.get(settings.engine, settings.emulator)
    lines = [
        f"localstack: engine {settings.engine}, emulator {emulator}, "
        f"image {image}, endpoint {where}" + (", reuse" if settings.reuse else "")
    ]
    stopped = config.stash.get(STOPPED_REUSED_KEY, None)
    if stopped is not None:
        lines.append(f"localstack: stopped {len(stopped)} reused emulator(s)")
    return lines


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    from pytest_localstack._http import proxy_warning

    coordinator = config.stash.get(COORDINATOR_KEY, None)
    for endpoint in coordinator.stopped if coordinator is not None else ():
        terminalreporter.write_line(
            f"localstack: {endpoint.engine} {endpoint.emulator} {endpoint.version} "
            f"served {endpoint.url}"
        )
        warning = proxy_warning(endpoint.url)
        if warning:
            terminalreporter.write_line(f"localstack: warning: {warning}", yellow=True)


@pytest.fixture
def localstack_session(pytestconfig: pytest.Config) -> Iterator[LocalstackSession]:
    """A session with a fresh account in the run's emulator; redirects nothing by itself."""
    from pytest_localstack.fixtures import shared_session

    with shared_session(pytestconfig) as session:
        yield session


@pytest.fixture
def localstack(localstack_session: LocalstackSession) -> Iterator[LocalstackSession]:
    """Like ``localstack_session``, with every botocore and boto3 client redirected to it."""
    with localstack_session.botocore.patch_botocore():
        yield localstack_session
