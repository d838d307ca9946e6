"""Unit tests for :mod:`pytest_localstack.config`: precedence, validation, keys and images."""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import pytest

from pytest_localstack import config
from pytest_localstack.exceptions import ConfigurationError, LocalstackError


class FakePytestConfig:
    """Just enough of :class:`pytest.Config` for :func:`config.resolve`."""

    def __init__(self, cli: dict[str, Any] | None = None, ini: dict[str, Any] | None = None):
        self.cli = cli or {}
        self.ini = ini or {}

    def getoption(self, name: str, default: Any = None) -> Any:
        assert name.startswith("localstack_"), name
        return self.cli.get(name[len("localstack_") :], default)

    def getini(self, name: str) -> Any:
        assert name.startswith("localstack_"), name
        default: Any = [] if name == "localstack_env" else ""
        return self.ini.get(name[len("localstack_") :], default)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for option in config.OPTIONS:
        monkeypatch.delenv(option.env, raising=False)


# -- the option table ---------------------------------------------------------------------------


def test_option_names_follow_the_house_style() -> None:
    for option in config.OPTIONS:
        assert option.flag == "--localstack-" + option.name.replace("_", "-")
        assert option.ini == "localstack_" + option.name
        assert option.env == "PYTEST_LOCALSTACK_" + option.name.upper()
        assert option.dest == "localstack_" + option.name
    assert config.OPTIONS_BY_NAME["start_timeout"].flag == "--localstack-start-timeout"


def test_option_defaults_match_the_settings_defaults() -> None:
    defaults = config.Settings()
    for option in config.OPTIONS:
        assert getattr(defaults, option.name) == option.default, option.name


# -- precedence: kwargs > CLI > ini > env > defaults ---------------------------------------------


def test_defaults_without_any_source() -> None:
    settings = config.resolve(FakePytestConfig())
    assert settings == config.Settings()
    assert settings.engine == "auto"
    assert settings.emulator == "localstack"
    assert settings.region == "us-east-1"
    assert settings.start_timeout == 120.0
    assert settings.pull is True
    assert settings.share == "run"
    assert settings.env == ()


def test_resolve_without_pytest_config_reads_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PYTEST_LOCALSTACK_REGION", "eu-west-1")
    monkeypatch.setenv("PYTEST_LOCALSTACK_PULL", "false")
    monkeypatch.setenv("PYTEST_LOCALSTACK_START_TIMEOUT", "7.5")
    monkeypatch.setenv("PYTEST_LOCALSTACK_ENV", "A=1\nB=two,three")
    settings = config.resolve(None)
    assert settings.region == "eu-west-1"
    assert settings.pull is False
    assert settings.start_timeout == 7.5
    assert settings.env == (("A", "1"), ("B", "two,three"))


def test_ini_beats_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_LOCALSTACK_REGION", "eu-west-1")
    monkeypatch.setenv("PYTEST_LOCALSTACK_SHARE", "worker")
    settings = config.resolve(FakePytestConfig(ini={"region": "ap-south-1"}))
    assert settings.region == "ap-south-1"
    assert settings.share == "worker"  # no ini value: the environment still applies


def test_cli_beats_ini_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_LOCALSTACK_REGION", "eu-west-1")
    fake = FakePytestConfig(
        cli={"region": "us-west-2", "start_timeout": "30"},
        ini={"region": "ap-south-1", "start_timeout": "60", "emulator": "moto"},
    )
    settings = config.resolve(fake)
    assert settings.region == "us-west-2"
    assert settings.start_timeout == 30.0
    assert settings.emulator == "moto"


def test_kwargs_beat_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_LOCALSTACK_REGION", "eu-west-1")
    fake = FakePytestConfig(cli={"region": "us-west-2"}, ini={"region": "ap-south-1"})
    settings = config.resolve(fake, region="sa-east-1", start_timeout=5)
    assert settings.region == "sa-east-1"
    assert settings.start_timeout == 5


def test_none_kwargs_fall_through_to_the_next_source() -> None:
    fake = FakePytestConfig(cli={"region": "us-west-2"})
    assert config.resolve(fake, region=None).region == "us-west-2"


def test_false_kwarg_is_not_treated_as_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_LOCALSTACK_PULL", "true")
    assert config.resolve(None, pull=False).pull is False


def test_empty_ini_value_falls_through_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_LOCALSTACK_ENV", "X=1")
    assert config.resolve(FakePytestConfig(ini={"env": []})).env == (("X", "1"),)


def test_ini_env_linelist_is_parsed() -> None:
    settings = config.resolve(FakePytestConfig(ini={"env": ["DEBUG=1", "SERVICES=s3,sqs=x"]}))
    # one entry per line: the value keeps its commas and equals signs
    assert settings.env == (("DEBUG", "1"), ("SERVICES", "s3,sqs=x"))


def test_env_kwarg_as_mapping_is_sorted() -> None:
    assert config.resolve(None, env={"B": 2, "A": "1"}).env == (("A", "1"), ("B", "2"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1", True), ("yes", True), ("On", True), ("0", False), ("no", False), ("OFF", False)],
)
def test_boolean_spellings(monkeypatch: pytest.MonkeyPatch, text: str, expected: bool) -> None:
    monkeypatch.setenv("PYTEST_LOCALSTACK_PULL", text)
    assert config.resolve(None).pull is expected


def test_extra_setting_kwargs_are_applied() -> None:
    settings = config.resolve(
        None, kinesis_error_probability=0.25, container_name="c1", auto_remove=False
    )
    assert settings.kinesis_error_probability == 0.25
    assert settings.container_name == "c1"
    assert settings.auto_remove is False


def test_settings_are_frozen() -> None:
    settings = config.resolve(None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.region = "eu-west-1"  # type: ignore[misc]


# -- validation: exact messages -----------------------------------------------------------------


def _error(**kwargs: Any) -> str:
    with pytest.raises(ConfigurationError) as excinfo:
        config.resolve(None, **kwargs)
    assert isinstance(excinfo.value, LocalstackError)
    assert isinstance(excinfo.value, ValueError)
    return str(excinfo.value)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "engine",
            "bogus",
            "invalid value 'bogus' (from engine=); choose from auto, docker, process, external",
        ),
        (
            "emulator",
            "minio",
            "invalid value 'minio' (from emulator=); choose from localstack, moto",
        ),
        (
            "share",
            "sometimes",
            "invalid value 'sometimes' (from share=); choose from run, worker",
        ),
    ],
)
def test_bad_choices(name: str, value: str, message: str) -> None:
    assert _error(**{name: value}) == message


def test_bad_choice_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_LOCALSTACK_ENGINE", "kubernetes")
    assert _error() == (
        "invalid value 'kubernetes' (from env var PYTEST_LOCALSTACK_ENGINE); choose from auto, "
        "docker, process, external"
    )


def test_bad_value_names_the_ini_key() -> None:
    fake = FakePytestConfig(ini={"engine": "dokcer"})
    with pytest.raises(ConfigurationError) as excinfo:
        config.resolve(fake)
    assert str(excinfo.value) == (
        "invalid value 'dokcer' (from ini key localstack_engine); choose from auto, docker, "
        "process, external"
    )


def test_bad_value_names_the_option() -> None:
    fake = FakePytestConfig(cli={"engine": "dokcer"})
    with pytest.raises(ConfigurationError) as excinfo:
        config.resolve(fake)
    assert str(excinfo.value) == (
        "invalid value 'dokcer' (from --localstack-engine); choose from auto, docker, process, "
        "external"
    )


def test_bad_keyword_names_the_fixture_factory() -> None:
    with pytest.raises(ConfigurationError) as excinfo:
        config.resolve_classic(None, keywords_of="patch_fixture", engine="dokcer")
    assert str(excinfo.value) == (
        "invalid value 'dokcer' (from engine= of patch_fixture); choose from auto, docker, "
        "process, external"
    )


def test_bad_classic_keyword_is_named_as_given() -> None:
    with pytest.raises(ConfigurationError) as excinfo:
        config.resolve_classic(None, keywords_of="session_fixture", region_name="us-east1")
    assert str(excinfo.value) == (
        "invalid value 'us-east1' (from region_name= of session_fixture); use an AWS region "
        "name like us-east-1 or eu-west-1"
    )


def test_replace_names_the_keyword() -> None:
    with pytest.raises(ConfigurationError) as excinfo:
        config.replace(config.Settings(), keywords_of="patch_fixture", start_timeout=0)
    assert str(excinfo.value) == (
        "invalid value 0.0 (from start_timeout= of patch_fixture); use a positive number of seconds"
    )


@pytest.mark.parametrize("name", ["start_timeout", "stop_timeout"])
@pytest.mark.parametrize(
    ("value", "shown"),
    [(0, "0.0"), (-1, "-1.0"), ("-1", "-1.0"), (True, "True"), ("nan", "nan"), ("inf", "inf")],
)
def test_non_positive_timeouts(name: str, value: object, shown: str) -> None:
    assert _error(**{name: value}) == (
        f"invalid value {shown} (from {name}=); use a positive number of seconds"
    )


def test_unparsable_timeout() -> None:
    assert _error(start_timeout="soon") == (
        "invalid value 'soon' (from start_timeout=); use a positive number of seconds"
    )


@pytest.mark.parametrize("name", ["kinesis_error_probability", "dynamodb_error_probability"])
@pytest.mark.parametrize(("value", "shown"), [(1.5, "1.5"), (-0.1, "-0.1"), (True, "True")])
def test_bad_probabilities(name: str, value: object, shown: str) -> None:
    assert _error(**{name: value}) == (
        f"invalid value {shown} (from {name}=); use a probability from 0.0 to 1.0"
    )


@pytest.mark.parametrize("value", [0.0, 0.5, 1.0, 1])
def test_valid_probabilities(value: float) -> None:
    assert config.resolve(None, kinesis_error_probability=value).kinesis_error_probability == value


@pytest.mark.parametrize(("value", "shown"), [(-1, "-1"), (65536, "65536"), (True, "True")])
def test_bad_port(value: object, shown: str) -> None:
    assert _error(port=value) == (
        f"invalid value {shown} (from port=); use 1 to 65535, or 0 for a free one"
    )


def test_unparsable_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_LOCALSTACK_PORT", "http")
    assert _error() == (
        "invalid value 'http' (from env var PYTEST_LOCALSTACK_PORT); use 1 to 65535, or 0 for a "
        "free one"
    )


@pytest.mark.parametrize(("value", "port"), [("0", 0), ("4566", 4566), (65535, 65535)])
def test_good_port(value: object, port: int) -> None:
    assert config.resolve(None, port=value).port == port


def test_bad_container_log_level() -> None:
    assert _error(container_log_level="loud") == (
        "invalid value 'loud' (from container_log_level=); use a level like logging.DEBUG"
    )


@pytest.mark.parametrize("region", ["us-east1", "mars-1", "nowhere", "US-EAST-1", ""])
def test_bad_region(region: str) -> None:
    assert _error(region=region) == (
        f"invalid value {region!r} (from region=); use an AWS region name like us-east-1 or "
        "eu-west-1"
    )


@pytest.mark.parametrize("region", ["us-east-1", "eu-central-2", "cn-north-1", "us-gov-west-1"])
def test_good_regions(region: str) -> None:
    assert config.resolve(None, region=region).region == region


def test_external_engine_needs_an_endpoint() -> None:
    assert _error(engine="external") == (
        "engine external needs an endpoint (from engine=); set --localstack-endpoint URL (or "
        "the localstack_endpoint ini key, or PYTEST_LOCALSTACK_ENDPOINT)"
    )


def test_external_engine_with_endpoint() -> None:
    settings = config.resolve(None, engine="external", endpoint="http://127.0.0.1:4566")
    assert settings.endpoint == "http://127.0.0.1:4566"


@pytest.mark.parametrize(
    "endpoint", ["localhost:4566", "ftp://h:1", "http://", "http://h:1/path", "http://a b:1"]
)
def test_bad_endpoint_url(endpoint: str) -> None:
    assert _error(endpoint=endpoint) == (
        f"invalid value {endpoint!r} (from endpoint=); use a URL like http://host:4566"
    )


@pytest.mark.parametrize("endpoint", ["http://h:1", "https://host.example:4566/", "http://h"])
def test_good_endpoint_url(endpoint: str) -> None:
    assert config.resolve(None, endpoint=endpoint).endpoint == endpoint


_NOT_KEY_VALUE = "is not KEY=VALUE (its text is not shown, it may be a secret)"
_ONE_PER_ENTRY = "give one KEY=VALUE per flag, per ini line or per line of PYTEST_LOCALSTACK_ENV"
_NOT_A_NAME = "is not a variable name"
_NAME_HINT = "use letters, digits and underscores, not starting with a digit"


@pytest.mark.parametrize(
    ("value", "problem", "hint"),
    [
        ("secret-token", f"entry 1 {_NOT_KEY_VALUE}", _ONE_PER_ENTRY),
        ("A=1\nsecret-token", f"entry 2 {_NOT_KEY_VALUE}", _ONE_PER_ENTRY),
        ("=secret-token", f"entry 1: '' {_NOT_A_NAME}", _NAME_HINT),
        ("MY KEY=secret-token", f"entry 1: 'MY KEY' {_NOT_A_NAME}", _NAME_HINT),
    ],
)
def test_bad_env_entry_never_shows_a_value(value: str, problem: str, hint: str) -> None:
    error = _error(env=value)
    assert error == f"{problem} (from env=); {hint}"
    assert "secret-token" not in error


def test_env_values_may_hold_commas_and_equals_signs() -> None:
    settings = config.resolve(None, env="SERVICES=s3,sqs\nEXTRA=a=b, c")
    assert settings.env == (("SERVICES", "s3,sqs"), ("EXTRA", "a=b, c"))


def test_repeated_env_flag_is_one_entry_per_flag() -> None:
    cli = {"env": ["SERVICES=s3,sqs", "DEBUG=1"]}
    settings = config.resolve(FakePytestConfig(cli=cli, ini={"env": ["IGNORED=1"]}))
    assert settings.env == (("SERVICES", "s3,sqs"), ("DEBUG", "1"))


def test_settings_repr_hides_the_environment() -> None:
    assert "secret-token" not in repr(config.resolve(None, env="TOKEN=secret-token"))


def test_bad_boolean(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_LOCALSTACK_PULL", "maybe")
    assert _error() == (
        "invalid value 'maybe' (from env var PYTEST_LOCALSTACK_PULL); use true or false"
    )


@pytest.mark.parametrize("value", [1, "", "maybe"])
def test_bad_boolean_keyword(value: object) -> None:
    assert _error(reuse=value) == f"invalid value {value!r} (from reuse=); use true or false"


def test_native_numbers_and_booleans_from_a_toml_ini(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakePytestConfig(ini={"start_timeout": 180, "reuse": True, "port": 4566})
    settings = config.resolve(fake)
    assert (settings.start_timeout, settings.reuse, settings.port) == (180.0, True, 4566)
    assert isinstance(settings.start_timeout, float)


def test_wait_stop_is_a_boolean_from_every_source(monkeypatch: pytest.MonkeyPatch) -> None:
    assert config.resolve(FakePytestConfig()).wait_stop is False
    assert config.resolve(FakePytestConfig(ini={"wait_stop": "true"})).wait_stop is True
    assert config.resolve(FakePytestConfig(ini={"wait_stop": True})).wait_stop is True
    monkeypatch.setenv("PYTEST_LOCALSTACK_WAIT_STOP", "yes")
    assert config.resolve(FakePytestConfig()).wait_stop is True
    assert config.resolve(FakePytestConfig(cli={"wait_stop": False})).wait_stop is False
    monkeypatch.setenv("PYTEST_LOCALSTACK_WAIT_STOP", "soon")
    with pytest.raises(ConfigurationError) as excinfo:
        config.resolve(FakePytestConfig())
    assert str(excinfo.value) == (
        "invalid value 'soon' (from env var PYTEST_LOCALSTACK_WAIT_STOP); use true or false"
    )


def test_unknown_setting() -> None:
    assert _error(colour="blue").startswith(
        "unknown setting 'colour'; choose from auto_remove, container_log_level, container_name,"
    )


def test_validation_also_guards_direct_construction() -> None:
    with pytest.raises(ConfigurationError, match="choose from run, worker"):
        config.Settings(share="never")


# -- endpoint_key -------------------------------------------------------------------------------


def test_endpoint_key_is_stable() -> None:
    first = config.resolve(None).endpoint_key()
    assert first == config.resolve(None).endpoint_key()
    assert len(first) == 16
    assert int(first, 16) >= 0  # hexadecimal


@pytest.mark.parametrize(
    "changes",
    [
        {"region": "eu-west-1"},
        {"start_timeout": 1.0},
        {"stop_timeout": 99.0},
        {"pull": False},
        {"share": "worker"},
        {"container_log_level": logging.INFO},
    ],
)
def test_endpoint_key_ignores_identity_and_timeouts(changes: dict[str, Any]) -> None:
    assert config.resolve(None, **changes).endpoint_key() == config.resolve(None).endpoint_key()


@pytest.mark.parametrize(
    "changes",
    [
        {"image": "localstack/localstack:3.0"},
        {"env": "DEBUG=1"},
        {"kinesis_error_probability": 0.5},
        {"dynamodb_error_probability": 0.5},
        {"emulator": "moto"},
        {"engine": "docker"},
        {"network": "host"},
        {"endpoint": "http://127.0.0.1:4566"},
        {"port": 4566},
        {"use_ssl": True},
    ],
)
def test_endpoint_key_sees_what_changes_the_emulator(changes: dict[str, Any]) -> None:
    assert config.resolve(None, **changes).endpoint_key() != config.resolve(None).endpoint_key()


def test_endpoint_key_ignores_env_order() -> None:
    one = config.resolve(None, env="A=1\nB=2").endpoint_key()
    assert one == config.resolve(None, env="B=2\nA=1").endpoint_key()
    assert one != config.resolve(None, env="A=1,B=3").endpoint_key()


def test_endpoint_key_uses_the_effective_image() -> None:
    explicit = config.resolve(None, image=config.DEFAULT_LOCALSTACK_IMAGE).endpoint_key()
    assert explicit == config.resolve(None).endpoint_key()


# -- images -------------------------------------------------------------------------------------


def test_image_for_emulator_defaults() -> None:
    assert config.resolve(None).image_for_emulator == "localstack/localstack:4.14"
    assert config.resolve(None, emulator="moto").image_for_emulator == "motoserver/moto:latest"
    assert config.resolve(None, emulator="moto", image="my/moto:1").image_for_emulator == (
        "my/moto:1"
    )


@pytest.mark.parametrize(
    ("image", "repository"),
    [
        ("localstack/localstack:4.14", "localstack/localstack"),
        ("localstack/localstack", "localstack/localstack"),
        ("localstack", "localstack"),
        ("moto:latest", "moto"),
        ("reg:5000/ls/localstack:1.0", "reg:5000/ls/localstack"),
        ("reg:5000/localstack", "reg:5000/localstack"),
        ("reg.example.com:5000/a/b/c:tag", "reg.example.com:5000/a/b/c"),
        ("localstack/localstack@sha256:" + "a" * 64, "localstack/localstack"),
        ("localstack/localstack:4.14@sha256:" + "b" * 64, "localstack/localstack"),
    ],
)
def test_image_repository(image: str, repository: str) -> None:
    assert config.image_repository(image) == repository


def test_resolve_classic_maps_the_classic_names() -> None:
    settings = config.resolve_classic(None, region_name="eu-west-1", pull_image=False)
    assert settings.region == "eu-west-1"
    assert settings.pull is False
    assert settings.image == ""


def test_resolve_classic_without_version_keeps_the_image() -> None:
    settings = config.resolve_classic(None, image="reg:5000/ls/localstack:1.0")
    assert settings.image_for_emulator == "reg:5000/ls/localstack:1.0"


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        (None, "localstack/localstack:3.8"),
        ("reg:5000/ls/localstack:1.0", "reg:5000/ls/localstack:3.8"),
        ("reg:5000/localstack", "reg:5000/localstack:3.8"),
        ("localstack/localstack", "localstack/localstack:3.8"),
    ],
)
def test_resolve_classic_version_replaces_the_tag(image: str | None, expected: str) -> None:
    settings = config.resolve_classic(None, localstack_version="3.8", image=image)
    assert settings.image == expected
    assert settings.image_for_emulator == expected


def test_resolve_classic_version_beats_cli_image() -> None:
    fake = FakePytestConfig(cli={"image": "mirror.local:5000/localstack/localstack:4.0"})
    settings = config.resolve_classic(fake, localstack_version="4.1")
    assert settings.image == "mirror.local:5000/localstack/localstack:4.1"


def test_resolve_classic_kwargs_beat_cli() -> None:
    fake = FakePytestConfig(cli={"region": "us-west-2", "pull": "true"})
    settings = config.resolve_classic(fake, region_name="eu-west-1", pull_image=False)
    assert (settings.region, settings.pull) == ("eu-west-1", False)


def test_resolve_classic_validates() -> None:
    with pytest.raises(ConfigurationError, match=r"invalid value 'us-east1' \(from region_name=\)"):
        config.resolve_classic(None, region_name="us-east1")


# -- replace: a fixture's keyword arguments on the run's settings --------------------------------


def test_replace_keeps_what_is_not_given() -> None:
    run = config.resolve(FakePytestConfig(cli={"region": "us-west-2", "image": "my/ls:1"}))
    settings = config.replace(run, start_timeout="30", region=None, env={"A": 1})
    assert settings.start_timeout == 30.0  # parsed like the option
    assert settings.env == (("A", "1"),)
    assert (settings.region, settings.image) == ("us-west-2", "my/ls:1")
    assert run.start_timeout == 120.0  # the run's settings are left alone


def test_replace_takes_the_classic_names() -> None:
    run = config.resolve(FakePytestConfig(cli={"image": "mirror:5000/localstack/localstack:4.0"}))
    settings = config.replace(
        run, region_name="eu-west-1", pull_image=False, localstack_version="4.1"
    )
    assert (settings.region, settings.pull) == ("eu-west-1", False)
    assert settings.image == "mirror:5000/localstack/localstack:4.1"
    assert config.replace(run, region="ap-south-1", region_name="eu-west-1").region == "ap-south-1"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"region_name": "us-east1"},
            "invalid value 'us-east1' (from region_name=); use an AWS region name like "
            "us-east-1 or eu-west-1",
        ),
        (
            {"pull_image": "maybe"},
            "invalid value 'maybe' (from pull_image=); use true or false",
        ),
        (
            {"start_timeout": 0},
            "invalid value 0.0 (from start_timeout=); use a positive number of seconds",
        ),
        (
            {"engine": "kubernetes"},
            "invalid value 'kubernetes' (from engine=); choose from auto, docker, process, "
            "external",
        ),
        ({"pull": "maybe"}, "invalid value 'maybe' (from pull=); use true or false"),
    ],
)
def test_replace_validates_like_resolve(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError) as excinfo:
        config.replace(config.Settings(), **kwargs)
    assert str(excinfo.value) == message


def test_replace_refuses_an_unknown_setting() -> None:
    with pytest.raises(ConfigurationError, match=r"^unknown setting 'colour'; choose from "):
        config.replace(config.Settings(), colour="blue")


def test_region_check_reads_botocore_partitions_without_importing_botocore() -> None:
    """Every pytest start resolves the settings: that must not import botocore."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from pytest_localstack import config\n"
        "config.resolve(None, region='eu-central-2')\n"
        "config.validate_region('us-gov-west-1')\n"
        "try:\n"
        "    config.validate_region('us-east1')\n"
        "except config.ConfigurationError:\n"
        "    pass\n"
        "else:\n"
        "    raise SystemExit('us-east1 accepted')\n"
        "assert 'botocore' not in sys.modules, 'botocore was imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("region", "partition"),
    [
        ("us-east-1", "aws"),
        ("eu-west-1", "aws"),
        ("cn-north-1", "aws-cn"),
        ("us-gov-west-1", "aws-us-gov"),
        ("us-isob-east-1", "aws-iso-b"),
    ],
)
def test_partition_of_a_region(region: str, partition: str) -> None:
    """For ARNs the plugin writes itself (the role whose credentials child processes get)."""
    assert config.partition_of(region) == partition
