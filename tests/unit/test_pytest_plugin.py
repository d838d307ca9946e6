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
            "invalid value 'bogus' (from --localstack-engine); choose from auto, docker, "
            "process, external",
        ),
        (
            ["--localstack-emulator=minio"],
            "invalid value 'minio' (from --localstack-emulator); choose from localstack, moto",
        ),
        (
            ["--localstack-start-timeout=-1"],
            "invalid value -1.0 (from --localstack-start-timeout); use a positive number of "
            "seconds",
        ),
        (
            ["--localstack-stop-timeout=soon"],
            "invalid value 'soon' (from --localstack-stop-timeout); use a positive number of "
            "seconds",
        ),
        (
            ["--localstack-region=nowhere"],
            "invalid value 'nowhere' (from --localstack-region); use an AWS region name like "
            "us-east-1 or eu-west-1",
        ),
        (
            ["--localstack-engine=external"],
            "engine external needs an endpoint (from --localstack-engine); set "
            "--localstack-endpoint URL (or the localstack_endpoint ini key, or "
            "PYTEST_LOCALSTACK_ENDPOINT)",
        ),
        (
            ["--localstack-endpoint=localhost:4566"],
            "invalid value 'localhost:4566' (from --localstack-endpoint); use a URL like "
            "http://host:4566",
        ),
        (
            ["--localstack-env=DEBUG=1", "--localstack-env=secret-token"],
            "entry 2 is not KEY=VALUE (its text is not shown, it may be a secret) (from "
            "--localstack-env); give one KEY=VALUE per flag, per ini line or per line of "
            "PYTEST_LOCALSTACK_ENV",
        ),
        (
            ["--localstack-port=http"],
            "invalid value 'http' (from --localstack-port); use 1 to 65535, or 0 for a free one",
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
        "invalid value 'sometimes' (from ini key localstack_share); choose from run, worker",
    )


def test_bad_environment_value_is_a_usage_error(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_LOCALSTACK_REGION", "us-east1")
    pytester.makepyfile("def test_nothing(): pass")
    assert_usage_error(
        pytester.runpytest_subprocess(),
        "invalid value 'us-east1' (from env var PYTEST_LOCALSTACK_REGION); use an AWS region "
        "name like us-east-1 or eu-west-1",
    )


def test_misspelt_engine_in_the_environment_names_the_variable(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_LOCALSTACK_ENGINE", "dokcer")
    pytester.makepyfile("def test_nothing(): pass")
    assert_usage_error(
        pytester.runpytest_subprocess(),
        "invalid value 'dokcer' (from env var PYTEST_LOCALSTACK_ENGINE); choose from auto, "
        "docker, process, external",
    )


def test_cli_value_overrides_a_bad_ini_value(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nlocalstack_share = sometimes\n")
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest_subprocess("--localstack-share=worker")
    assert result.ret == pytest.ExitCode.OK


SHOW_SETTINGS = """
    from pytest_localstack import config

    def test_show(pytestconfig):
        s = config.resolve(pytestconfig)
        print("SETTINGS", s.reuse, s.pull, s.subprocess_env, s.start_timeout, s.port)
"""


def shown_settings(result: pytest.RunResult) -> str:
    result.assert_outcomes(passed=1)
    line = next(line for line in result.stdout.lines if "SETTINGS " in line)
    return line[line.index("SETTINGS ") :].removesuffix(".").strip()


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        ([], "SETTINGS False True True 120.0 0"),
        (["--localstack-reuse"], "SETTINGS True True True 120.0 0"),
        (["--localstack-reuse", "--no-localstack-reuse"], "SETTINGS False True True 120.0 0"),
        (
            ["--no-localstack-pull", "--no-localstack-subprocess-env"],
            "SETTINGS False False False 120.0 0",
        ),
        (
            ["--localstack-reuse=true", "--localstack-pull=false"],
            "SETTINGS True False True 120.0 0",
        ),
    ],
)
def test_boolean_options_are_flags(pytester: pytest.Pytester, args: list[str], shown: str) -> None:
    pytester.makepyfile(SHOW_SETTINGS)
    # the flag must not swallow the path that follows it
    path = str(pytester.path / "test_boolean_options_are_flags.py")
    result = pytester.runpytest_subprocess("-s", *args, path)
    assert shown_settings(result) == shown


def test_flag_beats_ini(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nlocalstack_reuse = true\nlocalstack_pull = no\n")
    pytester.makepyfile(SHOW_SETTINGS)
    assert shown_settings(pytester.runpytest_subprocess("-s")) == "SETTINGS True False True 120.0 0"
    result = pytester.runpytest_subprocess("-s", "--no-localstack-reuse", "--localstack-pull")
    assert shown_settings(result) == "SETTINGS False True True 120.0 0"


def test_bad_explicit_flag_value_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest_subprocess("--localstack-pull=maybe")
    assert result.ret == USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "*error: argument --localstack-pull/--no-localstack-pull: ignored explicit argument "
            "'maybe'"
        ]
    )
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()


@pytest.mark.skipif(pytest.version_tuple < (9, 2), reason="typed ini values need pytest 9.2")
@pytest.mark.parametrize("table", ["[tool.pytest]", "[tool.pytest.ini_options]"])
def test_native_toml_numbers_and_booleans(pytester: pytest.Pytester, table: str) -> None:
    pytester.makefile(
        ".toml",
        pyproject=f"{table}\nlocalstack_start_timeout = 180\nlocalstack_reuse = true\n"
        "localstack_pull = false\nlocalstack_port = 4566\n",
    )
    pytester.makepyfile(SHOW_SETTINGS)
    assert shown_settings(pytester.runpytest_subprocess("-s")) == (
        "SETTINGS True False True 180.0 4566"
    )


def test_toml_strings_still_work(pytester: pytest.Pytester) -> None:
    pytester.makefile(
        ".toml",
        pyproject='[tool.pytest.ini_options]\nlocalstack_start_timeout = "90"\n'
        'localstack_reuse = "yes"\n',
    )
    pytester.makepyfile(SHOW_SETTINGS)
    assert shown_settings(pytester.runpytest_subprocess("-s")) == "SETTINGS True True True 90.0 0"


@pytest.mark.skipif(pytest.version_tuple < (9, 2), reason="typed ini values need pytest 9.2")
def test_bad_toml_string_names_the_ini_key(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", pyproject='[tool.pytest]\nlocalstack_start_timeout = "soon"\n')
    pytester.makepyfile("def test_nothing(): pass")
    assert_usage_error(
        pytester.runpytest_subprocess(),
        "invalid value 'soon' (from ini key localstack_start_timeout); use a positive number "
        "of seconds",
    )


def test_help_lists_every_option_in_one_group(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--help")
    assert result.ret == pytest.ExitCode.OK
    lines = result.stdout.lines
    start = lines.index("pytest-localstack: AWS emulator:")
    end = next(i for i in range(start + 1, len(lines)) if lines[i] and not lines[i][0].isspace())
    group = "\n".join(lines[start:end])
    outside = "\n".join(lines[:start] + lines[end:])
    for option in config.OPTIONS:
        assert f"  {option.flag}" in group, option.flag
        assert option.flag not in outside, option.flag
        assert f"  {option.ini} (" in outside, option.ini  # the ini-options section
    flags = [line.strip() for line in lines[start:end] if line.startswith("  --localstack-")]
    assert flags == [
        "--localstack-engine={auto,docker,process,external}",
        "--localstack-emulator={localstack,moto}",
        "--localstack-image=IMAGE",
        "--localstack-network=NETWORK",
        "--localstack-endpoint=URL",
        "--localstack-port=PORT",
        "--localstack-start-timeout=SECONDS",
        "--localstack-stop-timeout=SECONDS",
        "--localstack-region=REGION",
        "--localstack-pull, --no-localstack-pull",
        "--localstack-share={run,worker}",
        "--localstack-reuse, --no-localstack-reuse",
        "--localstack-subprocess-env, --no-localstack-subprocess-env",
        "--localstack-env=KEY=VALUE",
        "--localstack-wait-stop, --no-localstack-wait-stop",
        "--localstack-stop-reused",
    ]
    flat = " ".join(group.split())
    for default in (
        "(default: auto;",
        "(default: localstack/localstack:4.14;",
        "(default: 120 s;",
        "(default: 10 s;",
        "(default: on;",
        "(default: off;",
        "(default: bridge;",
        "(default: none;",
    ):
        assert default in flat, default
    for raw in ("True", "120.0", "default: ;", "LOCALSTACK_"):
        assert raw not in group.replace("PYTEST_LOCALSTACK_", ""), raw


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
            "*ConfigurationError: invalid value 'bogus' (from scope= of patch_fixture); "
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
    result.stdout.fnmatch_lines(
        ["*invalid value 'everywhere' (from scope= of session_fixture); choose from function*"]
    )


@pytest.mark.parametrize(
    ("factory", "services", "message"),
    [
        (
            "patch_fixture",
            '["s4"]',
            "unknown service 's4' (from services= of patch_fixture); did you mean 's3'?",
        ),
        (
            "session_fixture",
            '["dynamdb", "s3"]',
            "unknown service 'dynamdb' (from services= of session_fixture); did you mean "
            "'dynamodb'?",
        ),
        (
            "patch_fixture",
            '{"nosuchservice": 4572}',
            "unknown service 'nosuchservice' (from services= of patch_fixture); use a botocore "
            "service name such as 's3', 'sqs' or 'dynamodb'",
        ),
    ],
)
def test_fixture_with_an_unknown_service(
    pytester: pytest.Pytester, inner_tmpdir: Path, factory: str, services: str, message: str
) -> None:
    pytester.makepyfile(
        f"""
        import pytest_localstack

        aws = pytest_localstack.{factory}(services={services})

        def test_nothing(aws):
            pass
        """
    )
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(errors=1)
    output = result.stdout.str()
    lines = result.stdout.lines
    start = next(i for i, line in enumerate(lines) if "ERROR at setup of test_nothing" in line)
    end = next(i for i, line in enumerate(lines) if "short test summary info" in line)
    assert lines[start + 1 : end] == [message]  # the whole report: one line, no traceback
    assert len(output) < 1500
    result.stdout.no_fnmatch_line("localstack:*served*")
    assert "INTERNALERROR" not in output
    # run dir cleaned up; the per-user state directory that holds run dirs stays
    assert list(inner_tmpdir.glob("pytest-localstack-*/pytest-localstack-run-*")) == []


def test_fixture_with_a_bad_setting_keyword(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest_localstack

        aws = pytest_localstack.patch_fixture(engine="dokcer")

        def test_nothing(aws):
            pass
        """
    )
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at setup of test_nothing*",
            "invalid value 'dokcer' (from engine= of patch_fixture); choose from auto, docker, "
            "process, external",
            "*short test summary info*",
        ]
    )
    assert "INTERNALERROR" not in result.stdout.str()
    assert "Traceback" not in result.stdout.str()


def test_tests_using_the_plugin_are_marked(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import pytest
        import pytest_localstack

        classic = pytest_localstack.patch_fixture(services=["s3"])
        shared = pytest_localstack.session_fixture(scope="session")

        @pytest.fixture
        def indirect(localstack_session):
            return localstack_session
        """
    )
    pytester.makepyfile(
        """
        def test_plain(): pass
        def test_builtin(localstack): pass
        def test_session(localstack_session): pass
        def test_resource(s3_bucket): pass
        def test_factory(make_sqs_queue): pass
        def test_classic(classic): pass
        def test_shared(shared): pass
        def test_indirect(indirect): pass
        def test_other(tmp_path): pass
        """
    )
    result = pytester.runpytest_subprocess("-m", "not localstack", "-v", "--strict-markers")
    result.assert_outcomes(passed=2, deselected=7)
    result.stdout.fnmatch_lines(["*::test_plain PASSED*", "*::test_other PASSED*"])
    collected = pytester.runpytest_subprocess("-m", "localstack", "--collect-only", "-q")
    names = sorted(line.split("::")[1] for line in collected.stdout.lines if "::" in line)
    assert names == [
        "test_builtin",
        "test_classic",
        "test_factory",
        "test_indirect",
        "test_resource",
        "test_session",
        "test_shared",
    ]


def test_localstack_marker_is_registered(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.localstack: the test uses an AWS emulator*"])


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
            "entry 2 is not KEY=VALUE (its text is not shown, it may be a secret) (from ini "
            "key localstack_env); give one KEY=VALUE per flag, per ini line or per line of "
            "PYTEST_LOCALSTACK_ENV",
        ),
        (
            "",
            "MY TOKEN=secret-token",
            "entry 1: 'MY TOKEN' is not a variable name (from env var PYTEST_LOCALSTACK_ENV); "
            "use letters, digits and underscores, not starting with a digit",
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
