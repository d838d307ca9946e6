"""The original project's public names and behaviours that suites written for it rely on."""

from __future__ import annotations

import ast
import re
import socket
import warnings
from pathlib import Path

import pytest

import pytest_localstack
from pytest_localstack import _deprecations, constants, exceptions, service_checks
from pytest_localstack.exceptions import LocalstackDeprecationWarning
from pytest_localstack.session import LocalstackSession, RunningSession

SRC = Path(pytest_localstack.__file__).parent


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


# -- exceptions ---------------------------------------------------------------------------------


def test_service_error_keeps_the_original_signature() -> None:
    assert str(exceptions.ServiceError()) == "Service error"
    assert str(exceptions.ServiceError("s3 is down")) == "s3 is down"
    error = exceptions.ServiceError(service_name="s3")
    assert str(error) == "s3 isn't responding"
    assert error.service_name == "s3"
    assert str(exceptions.ServiceError(None, "sqs")) == "sqs isn't responding"
    with pytest.raises(exceptions.ServiceError, match=r"^boom$"):
        raise exceptions.ServiceError("boom")


def test_service_error_for_an_unknown_name_suggests_close_ones() -> None:
    error = exceptions.ServiceError.unknown("s4", ["sqs", "s3"])
    assert str(error) == "unknown service 's4'; did you mean 's3'?"
    assert (error.service_name, error.valid) == ("s4", ["s3", "sqs"])
    assert isinstance(error, ValueError)
    with pytest.raises(exceptions.ServiceError) as raised:
        RunningSession("127.0.0.1:4566", services=["s4"])
    assert str(raised.value) == "unknown service 's4' (from services=); did you mean 's3'?"


def test_timeout_error_is_the_start_timeout_error(recwarn: pytest.WarningsRecorder) -> None:
    from pytest_localstack.exceptions import TimeoutError as OriginalTimeoutError

    assert OriginalTimeoutError is exceptions.StartTimeoutError
    assert issubclass(OriginalTimeoutError, TimeoutError)  # the builtin, still catchable
    assert issubclass(OriginalTimeoutError, exceptions.Error)
    assert len(recwarn) == 0  # still means what it meant: no warning


def test_the_package_never_binds_the_name_timeout_error() -> None:
    """``TimeoutError`` inside the package is always the builtin."""
    offenders = []
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            bound = []
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                bound.append(node.id)
            elif isinstance(node, (ast.ClassDef, ast.FunctionDef)):
                bound.append(node.name)
            elif isinstance(node, (ast.ImportFrom, ast.Import)):
                bound.extend(alias.asname or alias.name for alias in node.names)
            if "TimeoutError" in bound:
                offenders.append(f"{path.relative_to(SRC)}:{getattr(node, 'lineno', 0)}")
    assert offenders == []


@pytest.mark.parametrize("name", ["RegionError", "UnsupportedPartitionError"])
def test_errors_that_are_never_raised_import_with_a_warning(name: str) -> None:
    with pytest.warns(LocalstackDeprecationWarning, match=f"{name} is never raised"):
        error = getattr(exceptions, name)
    assert issubclass(error, exceptions.LocalstackError)


def test_unknown_exception_names_are_attribute_errors() -> None:
    with pytest.raises(AttributeError, match="NoSuchError"):
        exceptions.NoSuchError  # noqa: B018


def test_deprecation_warning_is_a_deprecation_warning() -> None:
    """pytest shows DeprecationWarning, and ``filterwarnings = error`` makes it an error."""
    assert issubclass(LocalstackDeprecationWarning, DeprecationWarning)


# -- constants ----------------------------------------------------------------------------------


def test_constants_that_still_mean_something(recwarn: pytest.WarningsRecorder) -> None:
    from pytest_localstack.config import Settings

    assert constants.LOCALHOST == "127.0.0.1"
    assert constants.DEFAULT_AWS_REGION == "us-east-1"
    assert constants.SERVICE_ALIASES["states"] == "stepfunctions"
    assert Settings.start_timeout == constants.DEFAULT_CONTAINER_START_TIMEOUT
    assert Settings.stop_timeout == constants.DEFAULT_CONTAINER_STOP_TIMEOUT
    import botocore

    assert constants.BOTOCORE_VERSION[:2] == tuple(map(int, botocore.__version__.split(".")[:2]))
    assert len(recwarn) == 0


@pytest.mark.parametrize(
    ("name", "replacement"),
    [
        ("DEFAULT_AWS_ACCESS_KEY_ID", "session.access_key_id"),
        ("DEFAULT_AWS_SECRET_ACCESS_KEY", "session.secret_access_key"),
        ("DEFAULT_AWS_SESSION_TOKEN", "session.credentials()"),
        ("SERVICE_PORTS", "session.endpoint_url(service)"),
        ("LEGACY_SERVICE_PORTS", "session.endpoint_url(service)"),
    ],
)
def test_deprecated_constants_warn_with_the_replacement(name: str, replacement: str) -> None:
    with pytest.warns(LocalstackDeprecationWarning, match=re.escape(replacement)) as rec:
        getattr(constants, name)
    assert rec[0].filename == __file__  # points at the user's line


def test_service_ports_keep_their_original_shape() -> None:
    with pytest.warns(LocalstackDeprecationWarning):
        ports = constants.SERVICE_PORTS
    with pytest.warns(LocalstackDeprecationWarning):
        legacy = constants.LEGACY_SERVICE_PORTS
    assert set(ports) == set(legacy) == set(constants.ORIGINAL_SERVICES)
    assert set(ports.values()) == {4566}
    assert legacy["s3"] == 4572


# -- service_checks -----------------------------------------------------------------------------


def test_service_checks_cover_the_original_services() -> None:
    assert set(service_checks.SERVICE_CHECKS) == set(constants.ORIGINAL_SERVICES)
    assert all(callable(check) for check in service_checks.SERVICE_CHECKS.values())


def test_a_service_the_table_lacks_gets_a_port_check() -> None:
    check = service_checks.SERVICE_CHECKS["kms"]
    session = RunningSession(f"127.0.0.1:{closed_port()}")
    with pytest.raises(exceptions.ServiceError, match="kms isn't responding"):
        check(session)
    with pytest.raises(KeyError):
        service_checks.SERVICE_CHECKS["nosuchservice"]


@pytest.mark.parametrize("service", ["s3", "sqs", "route53"])
def test_checks_raise_service_error_while_nothing_answers(service: str) -> None:
    session = RunningSession(f"127.0.0.1:{closed_port()}")
    with pytest.raises(exceptions.ServiceError) as excinfo:
        service_checks.SERVICE_CHECKS[service](session)
    assert excinfo.value.service_name == service


def test_is_port_open() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        assert service_checks.is_port_open(port)
        assert service_checks.is_port_open(f"http://127.0.0.1:{port}/")
    assert not service_checks.is_port_open(closed_port())


# -- RunningSession before start ----------------------------------------------------------------


def test_running_session_addresses_are_known_before_start() -> None:
    session = RunningSession("localhost:4599", services=["s3"])
    assert session.hostname == "localhost"
    assert session.service_hostname("s3") == "localhost:4599"
    assert session.endpoint_url("s3") == "http://localhost:4599"
    assert session.map_port(4572) == 4599
    client = session.botocore.client("s3")
    assert client.meta.endpoint_url == "http://localhost:4599"
    assert session.boto3.client("sqs").meta.endpoint_url == "http://localhost:4599"


def test_running_session_without_a_host_is_not_started() -> None:
    with pytest.raises(exceptions.ContainerNotStartedError):
        RunningSession().endpoint_url("s3")


def test_localstack_session_before_start_has_no_address() -> None:
    session = LocalstackSession(engine="process")
    with pytest.raises(exceptions.ContainerNotStartedError):
        session.endpoint_url("s3")
    with pytest.raises(exceptions.ContainerNotStartedError):
        session.hostname  # noqa: B018


# -- deprecated keyword arguments ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "advice"),
    [
        ("container_env", "env", "env="),
        ("localstack_image", "image", "image="),
        ("persistent", "reuse", "reuse=True"),
    ],
)
def test_renamed_keywords_are_passed_on(old: str, new: str, advice: str) -> None:
    with pytest.warns(LocalstackDeprecationWarning, match=f"{old}= is deprecated.*{advice}"):
        result = _deprecations.replace_deprecated_keywords({old: "value", "other": 1})
    assert result == {new: "value", "other": 1}


def test_ignored_keywords_are_dropped() -> None:
    with pytest.warns(LocalstackDeprecationWarning, match="hostname= is deprecated and ignored"):
        result = _deprecations.replace_deprecated_keywords({"hostname": "docker-host"})
    assert result == {}


def test_the_new_name_wins_over_the_old_one() -> None:
    with pytest.warns(LocalstackDeprecationWarning, match="since env= is given too"):
        result = _deprecations.replace_deprecated_keywords(
            {"container_env": {"A": "1"}, "env": {"B": "2"}}
        )
    assert result == {"env": {"B": "2"}}


def test_localstack_session_applies_a_renamed_keyword() -> None:
    with pytest.warns(LocalstackDeprecationWarning) as record:
        session = LocalstackSession(engine="process", container_env={"DEBUG": "1"}, hostname="x")
    assert dict(session.settings.env) == {"DEBUG": "1"}
    assert "container_env" not in session.kwargs
    assert "hostname" not in session.kwargs
    assert {w.filename for w in record} == {__file__}
    with pytest.raises(exceptions.ContainerNotStartedError):
        session.hostname  # noqa: B018 - hostname= did not become an address


def test_fixture_factories_warn_at_the_users_line() -> None:
    with pytest.warns(LocalstackDeprecationWarning, match="persistent=") as record:
        pytest_localstack.patch_fixture(persistent=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pytest_localstack.session_fixture(env={"A": "1"})  # today's names: no warning
    assert record[0].filename == __file__


def test_deprecated_keyword_fails_collection_under_filterwarnings_error(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini("[pytest]\nfilterwarnings = error\n")
    pytester.makepyfile(
        """
        import pytest_localstack

        localstack = pytest_localstack.patch_fixture(container_env={"DEBUG": "1"})

        def test_nothing(localstack):
            pass
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["*LocalstackDeprecationWarning*container_env=*env=*"])
    assert result.ret == pytest.ExitCode.INTERRUPTED  # a collection error


# -- contrib.botocore names ---------------------------------------------------------------------


def test_contrib_botocore_original_names() -> None:
    from pytest_localstack.contrib import botocore as contrib_botocore

    assert contrib_botocore.patch_fixture is pytest_localstack.patch_fixture
    with pytest.warns(LocalstackDeprecationWarning, match="session.botocore.session()"):
        session_class = contrib_botocore.Session
    assert session_class is contrib_botocore.LocalstackBotocoreSession
    session = RunningSession("127.0.0.1:4599", region_name="eu-west-1")
    botocore_session = session_class(session)
    client = botocore_session.create_client("s3")
    assert (client.meta.endpoint_url, client.meta.region_name) == (
        "http://127.0.0.1:4599",
        "eu-west-1",
    )
    with pytest.raises(AttributeError):
        contrib_botocore.NoSuchName  # noqa: B018
