"""The pytest wiring, through pytester: options, usage errors, header, help, classic factories.

Each run is a subprocess, so that the plugin is loaded from its entry point as users get it.
Nothing here starts an emulator.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_localstack import config

pytestmark = pytest.mark.filterwarnings("default")  # the inner runs' warnings are theirs

USAGE_ERROR = pytest.ExitCode.USAGE_ERROR


@pytest.fixture(autouse=True)
def inner_tmpdir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No settings leak in from the outside; the inner run gets its own TMPDIR to watch."""
    for option in config.OPTIONS:
        monkeypatch.delenv(option.env, raising=False)
    monkeypatch.delenv("PYTEST_ADDOPTS", raising=False)
    temporary = tmp_path / "inner-tmp"
    temporary.mkdir()
    monkeypatch.setenv("TMPDIR", str(temporary))
    return temporary


def assert_usage_error(result: pytest.RunResult, message: str) -> None:
    assert result.ret == USAGE_ERROR
    assert f"ERROR: {message}" in result.stderr.lines
    output = result.stdout.str() + result.stderr.str()
    assert "INTERNALERROR" not in output
    assert "Traceback" not in output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--localstack-engine=bogus"],
            "--localstack-engine: invalid value 'bogus'; choose from auto, docker, process, "
            "external",
        ),
        (
            ["--localstack-emulator=minio"],
            "--localstack-emulator: invalid value 'minio'; choose from localstack, moto",
        ),
        (
            ["--localstack-start-timeout=-1"],
            "--localstack-start-timeout: -1.0 is not a positive number of seconds",
        ),
        (
            ["--localstack-stop-timeout=soon"],
            "--localstack-stop-timeout: invalid value 'soon': could not convert string to "
            "float: 'soon'",
        ),
        (
            ["--localstack-region=nowhere"],
            "--localstack-region: 'nowhere' is not an AWS region name; use one like us-east-1 "
            "or eu-west-1",
        ),
        (
            ["--localstack-engine=external"],
            "--localstack-engine=external needs an endpoint: set --localstack-endpoint URL (or "
            "the localstack_endpoint ini key)",
        ),
        (
            ["--localstack-endpoint=localhost:4566"],
            "--localstack-endpoint: 'localhost:4566' is not a URL like http://host:4566",
        ),
        (
            ["--localstack-env=FOO"],
            "--localstack-env: invalid value 'FOO': 'FOO' is not KEY=VALUE",
        ),
        (
            ["--localstack-pull=maybe"],
            "--localstack-pull: invalid value 'maybe': 'maybe' is not a boolean; use true or false",
        ),
    ],
    ids=lambda value: value[0] if isinstance(value, list) else "",
)
def test_bad_option_is_a_usage_error(
    pytester: pytest.Pytester, args: list[str], message: str
) -> None:
    pytester.makepyfile("def test_nothing(): pass")
    assert_usage_error(pytester.runpytest_subprocess(*args), message)


def test_bad_ini_value_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nlocalstack_share = sometimes\n")
    pytester.makepyfile("def test_nothing(): pass")
    assert_usage_error(
        pytester.runpytest_subprocess(),
        "--localstack-share: invalid value 'sometimes'; choose from run, worker",
    )


def test_bad_environment_value_is_a_usage_error(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_LOCALSTACK_REGION", "us-east1")
    pytester.makepyfile("def test_nothing(): pass")
    assert_usage_error(
        pytester.runpytest_subprocess(),
        "--localstack-region: 'us-east1' is not an AWS region name; use one like us-east-1 "
        "or eu-west-1",
    )


def test_cli_value_overrides_a_bad_ini_value(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nlocalstack_share = sometimes\n")
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest_subprocess("--localstack-share=worker")
    assert result.ret == pytest.ExitCode.OK


def test_help_lists_every_option_in_one_group(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--help")
    assert result.ret == pytest.ExitCode.OK
    lines = result.stdout.lines
    start = lines.index("pytest-localstack: AWS emulator:")
    end = next(i for i in range(start + 1, len(lines)) if lines[i] and not lines[i][0].isspace())
    group = "\n".join(lines[start:end])
    outside = "\n".join(lines[:start] + lines[end:])
    for option in config.OPTIONS:
        assert f"  {option.flag}=" in group, option.flag
        assert option.flag not in outside, option.flag
        assert f"  {option.ini} (" in outside, option.ini  # the ini-options section
    flags = [line.split()[0] for line in lines if line.startswith("  --localstack-")]
    assert flags == [
        o.flag + "=" + o.flag[2:].upper().replace("-", "_") for o in config.OPTIONS
    ] + ["--localstack-stop-reused"]


def test_report_header(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest_subprocess("--localstack-region=eu-west-1")
    assert result.ret == pytest.ExitCode.OK
    headers = [line for line in result.stdout.lines if line.startswith("localstack: ")]
    assert headers == [
        "localstack: engine auto, emulator localstack, image localstack/localstack:4.14, "
        "endpoint started on first use"
    ]


def test_report_header_for_an_external_endpoint(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest_subprocess(
        "--localstack-engine=external", "--localstack-endpoint=http://127.0.0.1:4566"
    )
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        ["localstack: engine external, emulator detected, image -, endpoint http://127.0.0.1:4566"]
    )


def test_report_header_for_the_embedded_engine(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest_subprocess("--localstack-engine=process")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        ["localstack: engine process, emulator moto, image -, endpoint started on first use"]
    )


def test_run_without_aws_tests_starts_nothing(
    pytester: pytest.Pytester, inner_tmpdir: Path
) -> None:
    pytester.makepyfile(
        """
        import pytest_localstack

        def test_one():
            assert pytest_localstack.__version__

        def test_two():
            pass
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    result.stdout.no_fnmatch_line("localstack:*served*")
    assert "pytest_localstack.runtimes.docker" not in result.stdout.str()
    assert list(inner_tmpdir.glob("pytest-localstack-*")) == []


def test_plugin_modules_are_not_imported_eagerly(pytester: pytest.Pytester) -> None:
    """The entry module stays thin: Docker, botocore and the runtimes load only when used."""
    pytester.makepyfile(
        """
        import sys

        def test_lazy():
            # botocore's loader is used at configure time to validate the region, but
            # sessions and clients are not
            heavy = (
                "docker", "botocore.session", "botocore.client", "boto3", "filelock", "moto",
                "pytest_localstack.sharing.coordinator", "pytest_localstack.contrib.botocore",
                "pytest_localstack.runtimes.docker", "pytest_localstack.runtimes.process",
            )
            assert [name for name in heavy if name in sys.modules] == []
        """
    )
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=1)


def test_patch_fixture_with_a_bad_scope(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest_localstack

        localstack = pytest_localstack.patch_fixture(scope="bogus")

        def test_nothing(localstack):
            pass
        """
    )
    result = pytester.runpytest_subprocess()
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ConfigurationError: scope: invalid value 'bogus'; "
            "choose from function, class, module, package, session"
        ]
    )
    assert "INTERNALERROR" not in result.stdout.str()


def test_session_fixture_with_a_bad_scope(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest_localstack

        aws = pytest_localstack.session_fixture(scope="everywhere")
        """
    )
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*scope: invalid value 'everywhere'; choose from function*"])


def test_patch_fixture_with_an_unknown_service(
    pytester: pytest.Pytester, inner_tmpdir: Path
) -> None:
    pytester.makepyfile(
        """
        import pytest_localstack

        localstack = pytest_localstack.patch_fixture(services=["nosuchservice"])

        def test_nothing(localstack):
            pass
        """
    )
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["E *.ServiceError: unknown AWS service 'nosuchservice'; valid service names are: *"]
    )
    error_line = next(line for line in result.stdout.lines if "valid service names are: " in line)
    listed = error_line.split("valid service names are: ", 1)[1].split(", ")
    assert {"s3", "sqs", "dynamodb"} <= set(listed)
    assert listed == sorted(listed)
    result.stdout.no_fnmatch_line("localstack:*served*")
    assert "INTERNALERROR" not in result.stdout.str()
    assert list(inner_tmpdir.glob("pytest-localstack-*")) == []  # run dir cleaned up


def test_disabled_plugin_skips_classic_fixtures(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest_localstack

        localstack = pytest_localstack.patch_fixture(services=["s3"])

        def test_nothing(localstack):
            pass
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:localstack", "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*the pytest-localstack plugin is disabled (-p no:localstack)*"])
