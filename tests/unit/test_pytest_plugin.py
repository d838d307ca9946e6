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
            ["--localstack-env=DEBUG=1", "--localstack-env=secret-token"],
            "--localstack-env: entry 2 is not KEY=VALUE (its text is not shown, it may be a "
            "secret); give one KEY=VALUE per flag, per ini line or per line of "
            "PYTEST_LOCALSTACK_ENV",
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


def test_report_header(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///run/elsewhere.sock")
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest_subprocess("--localstack-region=eu-west-1")
    assert result.ret == pytest.ExitCode.OK
    headers = [line for line in result.stdout.lines if line.startswith("localstack: ")]
    assert headers == [
        "localstack: engine auto, emulator localstack, image localstack/localstack:4.14, "
        "endpoint started on first use",
        "localstack: Docker engine unix:///run/elsewhere.sock (DOCKER_HOST)",
    ]


def _use_context(home: Path, name: str, meta: str) -> Path:
    import hashlib

    meta_dir = home / ".docker" / "contexts" / "meta" / hashlib.sha256(name.encode()).hexdigest()
    meta_dir.mkdir(parents=True)
    (meta_dir / "meta.json").write_text(meta)
    (home / ".docker" / "config.json").write_text(f'{{"currentContext": "{name}"}}')
    return meta_dir / "meta.json"


def test_report_header_names_the_docker_context(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.delenv("DOCKER_CONTEXT", raising=False)
    monkeypatch.delenv("DOCKER_CONFIG", raising=False)
    monkeypatch.setenv("HOME", str(pytester.path))
    _use_context(
        pytester.path, "colima", '{"Endpoints": {"docker": {"Host": "unix:///colima.sock"}}}'
    )
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest_subprocess()
    assert result.ret == pytest.ExitCode.OK
    config_file = pytester.path / ".docker" / "config.json"
    assert (
        f"localstack: Docker engine unix:///colima.sock (Docker context 'colima' from "
        f"currentContext in {config_file})"
    ) in result.stdout.lines


def test_report_header_with_a_broken_docker_context(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.setenv("DOCKER_CONTEXT", "gone")
    monkeypatch.setenv("HOME", str(pytester.path))
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest_subprocess()
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            "localstack: Docker engine: Docker context 'gone' (from DOCKER_CONTEXT) has no usable "
            "endpoint in */meta.json (FileNotFoundError: *); run `docker context ls` and "
            "`docker context use NAME`, or set DOCKER_HOST"
        ]
    )


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


_PRINT_ENV = """
from pytest_localstack.fixtures import SETTINGS_KEY

def test_env(pytestconfig):
    print("ENV", pytestconfig.stash[SETTINGS_KEY].env)
"""


@pytest.mark.parametrize(
    ("args", "ini", "environ"),
    [
        (["--localstack-env", "SERVICES=s3,sqs", "--localstack-env", "DEBUG=1"], "", ""),
        ([], "localstack_env =\n    SERVICES=s3,sqs\n    DEBUG=1\n", ""),
        ([], "", "SERVICES=s3,sqs\nDEBUG=1\n"),
    ],
    ids=["repeated-flag", "ini-lines", "environment-lines"],
)
def test_env_values_keep_their_commas(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    ini: str,
    environ: str,
) -> None:
    if ini:
        pytester.makeini("[pytest]\n" + ini)
    monkeypatch.setenv("PYTEST_LOCALSTACK_ENV", environ)
    pytester.makepyfile(_PRINT_ENV)
    result = pytester.runpytest_subprocess("-s", *args)
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*ENV (('SERVICES', 's3,sqs'), ('DEBUG', '1'))"])


@pytest.mark.parametrize(
    ("ini", "environ", "message"),
    [
        (
            "localstack_env =\n    DEBUG=1\n    secret-token\n",
            "",
            "--localstack-env: entry 2 is not KEY=VALUE (its text is not shown, it may be a "
            "secret); give one KEY=VALUE per flag, per ini line or per line of "
            "PYTEST_LOCALSTACK_ENV",
        ),
        (
            "",
            "MY TOKEN=secret-token",
            "--localstack-env: entry 1: 'MY TOKEN' is not a variable name; use letters, digits "
            "and underscores, not starting with a digit",
        ),
    ],
    ids=["ini", "environment"],
)
def test_bad_env_entry_is_a_usage_error_without_the_value(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, ini: str, environ: str, message: str
) -> None:
    if ini:
        pytester.makeini("[pytest]\n" + ini)
    monkeypatch.setenv("PYTEST_LOCALSTACK_ENV", environ)
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest_subprocess()
    assert_usage_error(result, message)
    assert "secret-token" not in result.stdout.str() + result.stderr.str()
