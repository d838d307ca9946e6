"""The documentation cannot drift from the code.

* Every option and ini key that the plugin registers (asked of ``pytest --help`` itself, so a new
  option added without docs fails here), every entry of :data:`pytest_localstack.config.OPTIONS`
  with its default, every environment variable the code reads, every keyword argument of the
  fixture factories and session classes, every settings field and every built-in fixture appear
  in the configuration reference (``docs/configuration.md``).
* Every public name and every hook appears in the API and hooks references.
* The docs build with ``sphinx-build -W`` (warnings are errors).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import inspect
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import pytest_localstack
from pytest_localstack import config, hookspecs
from tests.conftest import require

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
SRC = ROOT / "src" / "pytest_localstack"

pytestmark = pytest.mark.filterwarnings("default")  # the inner runs' warnings are theirs


def configuration_reference() -> str:
    pages = sorted(DOCS.glob("configuration.*"))
    assert pages, "docs/configuration.md (or .rst) is missing"
    return "\n".join(page.read_text() for page in pages)


def table_rows(text: str) -> list[list[str]]:
    """The cells of every Markdown table row in ``text``."""
    rows = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("|") and line.endswith("|") and not re.fullmatch(r"[|\s:-]+", line):
            rows.append([cell.strip() for cell in line[1:-1].split("|")])
    return rows


def section(text: str, heading: str) -> str:
    """The text under a Markdown ``heading`` line, up to the next heading of the same level."""
    level = len(heading) - len(heading.lstrip("#"))
    lines = text.splitlines()
    start = lines.index(heading)
    body, fenced = [], False
    for line in lines[start + 1 :]:
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and re.match(rf"^#{{1,{level}}} ", line):
            break
        body.append(line)
    return "\n".join(body)


def code(name: str) -> str:
    return f"`{name}`"


@pytest.fixture(autouse=True)
def _no_outside_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Inner pytest runs see no settings from the environment of this one."""
    for option in config.OPTIONS:
        monkeypatch.delenv(option.env, raising=False)
    monkeypatch.delenv("PYTEST_ADDOPTS", raising=False)


# -- options, ini keys, environment variables -----------------------------------------------


def documented_default(option: config.Option) -> str | None:
    """How the default of ``option`` is written in the table; ``None`` for "none"/empty."""
    default = option.default
    if default in ("", ()):
        return None
    if isinstance(default, bool):
        return "true" if default else "false"
    if isinstance(default, float) and default.is_integer():
        return str(int(default))
    return str(default)


@pytest.mark.parametrize("option", config.OPTIONS, ids=lambda option: option.name)
def test_every_option_has_a_row_with_its_names_and_default(option: config.Option) -> None:
    names = code(option.flag)
    if option.is_flag:  # a boolean: documented with its --no- form
        names += ", " + code(option.negative_flag)
    rows = [row for row in table_rows(configuration_reference()) if row[0] == names]
    assert len(rows) == 1, f"{option.flag} needs one row in the options table"
    _flag, ini, env, keyword, default, meaning = rows[0]
    assert (ini, env, keyword) == (code(option.ini), code(option.env), code(option.name))
    assert meaning, f"{option.flag} needs an explanation"
    expected = documented_default(option)
    if expected is None:
        derived = {"image": [config.DEFAULT_LOCALSTACK_IMAGE, config.DEFAULT_MOTO_IMAGE]}
        if option.name in derived:
            assert all(code(image) in default for image in derived[option.name]), default
        else:
            assert default in ("none", "empty"), f"{option.flag}: default is empty, not {default}"
    else:
        assert default.startswith(code(expected)), f"{option.flag}: default is {expected!r}"
    for choice in option.choices:
        assert code(choice) in default + meaning, f"{option.flag}: choice {choice!r} undocumented"


def registered_options(pytester: pytest.Pytester) -> tuple[set[str], set[str]]:
    """The ``--localstack-*`` options and ``localstack_*`` ini keys that pytest itself lists."""
    result = pytester.runpytest_subprocess("--help")
    assert result.ret == pytest.ExitCode.OK, result.stderr.str()
    flags, ini_keys = set(), set()
    for line in result.stdout.lines:
        flags.update(re.findall(r"^\s+(--localstack-[a-z0-9-]+)", line))
        ini_keys.update(re.findall(r"^\s+(localstack_[a-z0-9_]+) \(", line))
    return flags, ini_keys


def test_every_option_and_ini_key_that_pytest_lists_is_documented(
    pytester: pytest.Pytester,
) -> None:
    flags, ini_keys = registered_options(pytester)
    # The parse found what the OPTIONS table registers; anything beyond that is checked too.
    assert {option.flag for option in config.OPTIONS} <= flags
    assert {option.ini for option in config.OPTIONS} <= ini_keys
    reference = configuration_reference()
    undocumented = sorted(name for name in flags | ini_keys if code(name) not in reference)
    assert not undocumented, f"registered but not in docs/configuration.md: {undocumented}"


def environment_variables_read_by_the_code() -> set[str]:
    names: set[str] = set()
    for path in SRC.rglob("*.py"):
        text = path.read_text()
        names.update(re.findall(r"os\.(?:environ\.get|getenv)\(\s*\"([A-Z][A-Z0-9_]*)\"", text))
        names.update(re.findall(r"os\.environ\[\s*\"([A-Z][A-Z0-9_]*)\"\s*\]", text))
        names.update(re.findall(r"\"(PYTEST_LOCALSTACK_[A-Z0-9_]*)\"", text))
    return names


def test_every_environment_variable_is_documented() -> None:
    names = environment_variables_read_by_the_code() | {o.env for o in config.OPTIONS}
    assert "LOCALSTACK_AUTH_TOKEN" in names  # the scan works
    reference = configuration_reference()
    undocumented = sorted(name for name in names if name not in reference)
    assert not undocumented, f"read by the code but not in docs/configuration.md: {undocumented}"


def test_every_settings_field_is_documented() -> None:
    reference = configuration_reference()
    fields = [field.name for field in dataclasses.fields(config.Settings)]
    undocumented = [name for name in fields if code(name) not in reference]
    assert not undocumented, f"settings not in docs/configuration.md: {undocumented}"


# -- keyword arguments --------------------------------------------------------------------------


def documented_parameter_default(name: str, default: Any) -> str:
    if name == "container_log_level":
        return "logging.DEBUG"
    if isinstance(default, str):
        return f'"{default}"'
    return repr(default)


SIGNATURES: list[tuple[str, Callable[..., Any]]] = [
    (
        "## Fixture factories: `patch_fixture` and `session_fixture`",
        pytest_localstack.patch_fixture,
    ),
    (
        "## Fixture factories: `patch_fixture` and `session_fixture`",
        pytest_localstack.session_fixture,
    ),
    ("### `LocalstackSession`", pytest_localstack.LocalstackSession.__init__),
    ("### `RunningSession`", pytest_localstack.RunningSession.__init__),
]


@pytest.mark.parametrize(
    ("heading", "function"), SIGNATURES, ids=lambda value: getattr(value, "__qualname__", "")
)
def test_every_keyword_argument_is_documented_with_its_default(
    heading: str, function: Callable[..., Any]
) -> None:
    rows = {row[0]: row for row in table_rows(section(configuration_reference(), heading))}
    for parameter in inspect.signature(function).parameters.values():
        if parameter.name == "self":
            continue
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            assert code(f"**{parameter.name}") in rows, f"{heading}: **{parameter.name}"
            continue
        row = rows.get(code(parameter.name))
        assert row is not None, f"{function.__qualname__}({parameter.name}) not in {heading}"
        expected = documented_parameter_default(parameter.name, parameter.default)
        assert row[1] == code(expected), f"{parameter.name}: default is {expected}, not {row[1]}"


# -- fixtures, API, hooks -----------------------------------------------------------------------


def builtin_fixtures(pytester: pytest.Pytester) -> set[str]:
    """The fixtures that pytest lists as defined by pytest-localstack's own modules."""
    result = pytester.runpytest_subprocess("--fixtures")
    assert result.ret in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED)
    fixtures, ours = set(), False
    for line in result.stdout.lines:
        header = re.match(r"^-+ fixtures defined from (\S+) -+$", line)
        if header:
            ours = header.group(1).startswith("pytest_localstack")
            continue
        match = re.match(r"^([A-Za-z_]\w*)(?: \[[^\]]*\])? -- ", line)
        if ours and match:
            fixtures.add(match.group(1))
    return fixtures


def test_every_builtin_fixture_is_documented(pytester: pytest.Pytester) -> None:
    fixtures = builtin_fixtures(pytester)
    assert {"localstack", "localstack_session"} <= fixtures  # the parse works
    rows = table_rows(section(configuration_reference(), "## Built-in fixtures"))
    documented = {name.strip("`") for row in rows for name in row[0].split(", ")}
    assert not fixtures - documented, (
        f"fixtures not in docs/configuration.md: {fixtures - documented}"
    )


def test_every_public_name_is_in_the_api_reference() -> None:
    api = (DOCS / "api.md").read_text()
    missing = [name for name in pytest_localstack.__all__ if f"pytest_localstack.{name}" not in api]
    assert not missing, f"public names not in docs/api.md: {missing}"


def test_every_hook_is_in_the_hooks_reference() -> None:
    hooks = [
        name
        for name, value in vars(hookspecs).items()
        if inspect.isfunction(value) and hasattr(value, "pytest-localstack_spec")
    ]
    assert len(hooks) >= 6
    reference = (DOCS / "hooks.md").read_text()
    missing = [name for name in hooks if name not in reference]
    assert not missing, f"hooks not in docs/hooks.md: {missing}"


# -- the build ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_docs_build_with_warnings_as_errors(tmp_path: Path) -> None:
    for module in ("sphinx", "myst_parser", "furo"):
        require(
            importlib.util.find_spec(module) is not None,
            f"{module} is not installed; pip install -e '.[docs]'",
        )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-b",
            "html",
            "-d",
            str(tmp_path / "doctrees"),
            str(DOCS),
            str(tmp_path / "html"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    assert (tmp_path / "html" / "configuration.html").exists()
