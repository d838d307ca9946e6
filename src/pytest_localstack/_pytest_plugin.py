"""The pytest entry point: options, ini keys, hooks, report header and built-in fixtures.

Kept thin: the run's state lives in :mod:`pytest_localstack.fixtures`; Docker, botocore, the
runtimes and the coordinator are imported only when a test uses the plugin.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from typing import Any

import pytest

from pytest_localstack import config as localstack_config
from pytest_localstack import fixtures
from pytest_localstack._marks import MARKER, MARKER_HELP, marks_localstack, uses_localstack
from pytest_localstack.early_start import uses_emulator
from pytest_localstack.fixtures import COORDINATOR_KEY, STOPPED_REUSED_KEY
from pytest_localstack.session import LocalstackSession

#: The resource fixtures (``s3_bucket``, ``make_s3_bucket``, ...) and the reporting of progress,
#: failed starts and emulator logs.
pytest_plugins = ["pytest_localstack.resources.fixtures", "pytest_localstack._reporting"]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("localstack", "pytest-localstack: AWS emulator")
    for option in localstack_config.OPTIONS:
        help_text = (
            f"{option.help} (default: {option.help_default}; ini {option.ini}; env {option.env})"
        )
        if option.is_flag:
            _add_flag(group, option, help_text)
        else:
            group.addoption(
                option.flag,
                dest=option.dest,
                default=None,
                metavar=option.help_metavar,
                # repeatable: a value may hold commas (SERVICES=s3,sqs)
                action="append" if option.is_list else "store",
                help=help_text,
            )
        parser.addini(option.ini, help=option.help, **_ini_type(option))
    group.addoption(
        "--localstack-stop-reused",
        action="store_true",
        default=False,
        help="stop and remove every emulator kept running by --localstack-reuse, then run",
    )


_BOOLEAN_WORDS = {True: ("true", "yes", "on", "1"), False: ("false", "no", "off", "0")}


def _add_flag(group: Any, option: localstack_config.Option, help_text: str) -> None:
    """``--localstack-reuse`` / ``--no-localstack-reuse``; ``--localstack-reuse=false`` too."""
    group.addoption(
        option.flag,
        option.negative_flag,
        dest=option.dest,
        default=None,
        action=_FlagAction,
        help=help_text,
    )
    for value, words in _BOOLEAN_WORDS.items():
        spellings = dict.fromkeys(
            spelling for word in words for spelling in (word, word.capitalize(), word.upper())
        )
        group.addoption(
            *(f"{option.flag}={spelling}" for spelling in spellings),
            dest=option.dest,
            action="store_const",
            const=value,
            help=argparse.SUPPRESS,
        )


class _FlagAction(argparse.Action):
    """A flag whose ``--no-`` spelling stores False."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, **kwargs)

    def __call__(
        self, parser: Any, namespace: Any, values: Any, option_string: str | None = None
    ) -> None:
        setattr(namespace, self.dest, not (option_string or "").startswith("--no-"))

    def format_usage(self) -> str:
        return " | ".join(self.option_strings)


def _ini_type(option: localstack_config.Option) -> dict[str, Any]:
    """Native TOML booleans and numbers where pytest types ini values (9.2+), strings elsewhere.

    A value of the wrong type still arrives as a string and gets this plugin's own message.
    """
    if option.is_list:
        return {"type": "linelist"}
    native = type(option.default)
    if native is str or pytest.version_tuple < (9, 2):
        return {"type": "string"}
    return {"type": native | str, "default": None}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER_HELP)
    fixtures.configure_run(config)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses the plugin's fixtures ``localstack``."""
    for item in items:
        if uses_localstack(item):
            item.add_marker(MARKER)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """Hand every xdist worker the controller's run directory (xdist controller only)."""
    coordinator = fixtures.coordinator_for(node.config)
    node.workerinput[fixtures.WORKERINPUT_RUN_DIR] = str(coordinator.run_dir)
    node.workerinput[fixtures.WORKERINPUT_RUN_ID] = coordinator.run_id


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the emulators that the selected tests need now, while the run goes on."""
    fixtures.start_early(session.config, session.items)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """The run's owner (the xdist controller, or the only process) stops every emulator.

    The controller's sessionfinish runs after every worker is down, also after a crash.
    """
    coordinator = session.config.stash.get(COORDINATOR_KEY, None)
    if coordinator is not None and not hasattr(session.config, "workerinput"):
        from pytest_localstack._reporting import remember_failures

        remember_failures(session.config, coordinator.failures())
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
        if endpoint.note:
            terminalreporter.write_line(f"localstack: {endpoint.note}", yellow=True)
        warning = proxy_warning(endpoint.url)
        if warning:
            terminalreporter.write_line(f"localstack: warning: {warning}", yellow=True)


@pytest.fixture
@marks_localstack
@uses_emulator()
def localstack_session(pytestconfig: pytest.Config) -> Iterator[LocalstackSession]:
    """A session with a fresh account in the run's emulator; redirects nothing by itself."""
    __tracebackhide__ = True
    with fixtures.shared_session(pytestconfig) as session:
        yield session


@pytest.fixture
@marks_localstack
def localstack(localstack_session: LocalstackSession) -> Iterator[LocalstackSession]:
    """Like ``localstack_session``, with every botocore and boto3 client redirected to it."""
    __tracebackhide__ = True
    with fixtures.patched(localstack_session):
        yield localstack_session
