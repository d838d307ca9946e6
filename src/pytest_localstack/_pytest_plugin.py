"""The pytest entry point: options, ini keys, hooks, report header and built-in fixtures.

Kept thin: the run's state lives in :mod:`pytest_localstack.fixtures`; Docker, botocore, the
runtimes and the coordinator are imported only when a test uses the plugin.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from pytest_localstack import config as localstack_config
from pytest_localstack import fixtures
from pytest_localstack.fixtures import COORDINATOR_KEY, STOPPED_REUSED_KEY
from pytest_localstack.session import LocalstackSession

#: The resource fixtures (``s3_bucket``, ``make_s3_bucket``, ...); light to import.
pytest_plugins = ["pytest_localstack.resources.fixtures"]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("localstack", "pytest-localstack: AWS emulator")
    for option in localstack_config.OPTIONS:
        default = option.default if option.default != () else "none"
        help_text = f"{option.help} (default: {default}; ini {option.ini}; env {option.env})"
        if option.name == "env":  # repeatable: a value may hold commas (SERVICES=s3,sqs)
            group.addoption(
                option.flag, dest=option.dest, default=None, action="append", help=help_text
            )
            parser.addini(option.ini, help=option.help, type="linelist")
        else:
            group.addoption(option.flag, dest=option.dest, default=None, help=help_text)
            parser.addini(option.ini, help=option.help, type="string")
    group.addoption(
        "--localstack-stop-reused",
        action="store_true",
        default=False,
        help="stop and remove every emulator kept running by --localstack-reuse, then run",
    )


def pytest_configure(config: pytest.Config) -> None:
    fixtures.configure_run(config)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """Hand every xdist worker the controller's run directory (xdist controller only)."""
    coordinator = fixtures.coordinator_for(node.config)
    node.workerinput[fixtures.WORKERINPUT_RUN_DIR] = str(coordinator.run_dir)
    node.workerinput[fixtures.WORKERINPUT_RUN_ID] = coordinator.run_id


def pytest_sessionfinish(session: pytest.Session) -> None:
    """The run's owner (the xdist controller, or the only process) stops every emulator.

    The controller's sessionfinish runs after every worker is down, also after a crash.
    """
    fixtures.finish_run(session.config)


def pytest_report_header(config: pytest.Config) -> list[str]:
    settings = fixtures.run_settings(config)
    where = settings.endpoint or "started on first use"
    image = settings.image_for_emulator if settings.engine in ("auto", "docker") else "-"
    emulator = {"process": "moto", "external": "detected"}.get(settings.engine, settings.emulator)
    lines = [
        f"localstack: engine {settings.engine}, emulator {emulator}, "
        f"image {image}, endpoint {where}" + (", reuse" if settings.reuse else "")
    ]
    if settings.engine in ("auto", "docker") and not settings.endpoint:
        lines.append(_docker_engine_line())
    stopped = config.stash.get(STOPPED_REUSED_KEY, None)
    if stopped is not None:
        lines.append(f"localstack: stopped {len(stopped)} reused emulator(s)")
    return lines


def _docker_engine_line() -> str:
    """Which Docker engine a start would use and how it was found; reads files, connects not."""
    from pytest_localstack.exceptions import LocalstackError
    from pytest_localstack.runtimes.docker_engines import find_engine

    try:
        return f"localstack: Docker engine {find_engine().describe()}"
    except LocalstackError as error:
        return f"localstack: Docker engine: {error}"


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
    with fixtures.shared_session(pytestconfig) as session:
        yield session


@pytest.fixture
def localstack(localstack_session: LocalstackSession) -> Iterator[LocalstackSession]:
    """Like ``localstack_session``, with every botocore and boto3 client redirected to it."""
    with fixtures.patched(localstack_session):
        yield localstack_session
