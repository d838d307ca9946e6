"""The public API: ``__all__``, the plugin registry and its historic hook."""

from __future__ import annotations

import logging
import subprocess
import sys
import types
from collections.abc import Iterator
from typing import Any

import pytest

import pytest_localstack
from pytest_localstack import plugin
from pytest_localstack.hookspecs import pytest_localstack_hookimpl

DOCUMENTED_API = {
    "LocalstackError",
    "LocalstackSession",
    "RunningSession",
    "__version__",
    "patch_fixture",
    "plugin",
    "pytest_localstack_hookimpl",
    "session_fixture",
}

MISSING_MODULE = "pytest_localstack_tests_no_such_plugin_module"


def test_all_is_the_documented_api() -> None:
    assert set(pytest_localstack.__all__) == DOCUMENTED_API
    assert len(pytest_localstack.__all__) == len(DOCUMENTED_API)  # no duplicates
    for name in pytest_localstack.__all__:
        assert hasattr(pytest_localstack, name), name


def test_star_import_gives_exactly_the_api() -> None:
    namespace: dict[str, Any] = {}
    exec("from pytest_localstack import *", namespace)
    assert set(namespace) - {"__builtins__"} == DOCUMENTED_API


def test_public_names_are_the_real_objects() -> None:
    from pytest_localstack import exceptions, fixtures, hookspecs, session

    assert pytest_localstack.LocalstackError is exceptions.LocalstackError
    assert pytest_localstack.RunningSession is session.RunningSession
    assert pytest_localstack.LocalstackSession is session.LocalstackSession
    assert issubclass(pytest_localstack.LocalstackSession, pytest_localstack.RunningSession)
    assert pytest_localstack.patch_fixture is fixtures.patch_fixture
    assert pytest_localstack.session_fixture is fixtures.session_fixture
    assert pytest_localstack.pytest_localstack_hookimpl is hookspecs.pytest_localstack_hookimpl
    assert pytest_localstack.plugin is plugin
    assert isinstance(pytest_localstack.__version__, str)
    assert pytest_localstack.__version__


def test_every_error_is_a_localstack_error() -> None:
    from pytest_localstack import exceptions

    errors = [
        value
        for value in vars(exceptions).values()
        if isinstance(value, type)
        and issubclass(value, BaseException)
        and not issubclass(value, Warning)
    ]
    assert len(errors) > 5
    assert all(issubclass(error, pytest_localstack.LocalstackError) for error in errors)


# -- register_plugin_module ---------------------------------------------------------------------


def test_optional_missing_plugin_is_silent(
    recwarn: pytest.WarningsRecorder, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        assert plugin.register_plugin_module(MISSING_MODULE, required=False) is None
    assert plugin.manager.get_plugin(MISSING_MODULE) is None
    assert len(recwarn) == 0
    assert caplog.records == []


def test_required_missing_plugin_raises() -> None:
    with pytest.raises(ImportError, match=MISSING_MODULE):
        plugin.register_plugin_module(MISSING_MODULE, required=True)
    with pytest.raises(ImportError, match=MISSING_MODULE):
        plugin.register_plugin_module(MISSING_MODULE)  # required is the default
    assert plugin.manager.get_plugin(MISSING_MODULE) is None


def test_optional_plugin_with_a_broken_import_is_skipped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``sys.modules[name] = None`` makes ``import name`` raise ImportError."""
    monkeypatch.setitem(sys.modules, "pytest_localstack_tests_blocked_plugin", None)
    plugin.register_plugin_module("pytest_localstack_tests_blocked_plugin", required=False)
    assert plugin.manager.get_plugin("pytest_localstack_tests_blocked_plugin") is None


@pytest.fixture
def plugin_module(monkeypatch: pytest.MonkeyPatch) -> Iterator[types.ModuleType]:
    """An importable plugin module whose hooks record their calls; unregistered afterwards."""
    name = "pytest_localstack_tests_recording_plugin"
    module = types.ModuleType(name)
    module.calls = []  # type: ignore[attr-defined]

    @pytest_localstack_hookimpl
    def contribute_to_module(pytest_localstack: types.ModuleType) -> None:
        module.calls.append(pytest_localstack)  # type: ignore[attr-defined]

    module.contribute_to_module = contribute_to_module  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, name, module)
    yield module
    if plugin.manager.is_registered(module):
        plugin.manager.unregister(module)


def test_register_plugin_module(plugin_module: types.ModuleType) -> None:
    plugin.register_plugin_module(plugin_module.__name__)
    assert plugin.manager.get_plugin(plugin_module.__name__) is plugin_module
    plugin.register_plugin_module(plugin_module.__name__)  # twice is fine
    assert plugin.manager.get_plugin(plugin_module.__name__) is plugin_module


def test_contribute_to_module_is_historic(plugin_module: types.ModuleType) -> None:
    """A plugin registered long after ``import pytest_localstack`` is still called with it."""
    assert plugin_module.calls == []  # type: ignore[attr-defined]
    plugin.register_plugin_module(plugin_module.__name__)
    assert plugin_module.calls == [pytest_localstack]  # type: ignore[attr-defined]
    assert plugin_module.calls[0] is sys.modules["pytest_localstack"]  # type: ignore[attr-defined]


def test_builtin_plugins_are_registered_once() -> None:
    plugin.load_builtin_plugins()
    plugin.load_builtin_plugins()
    plugin.register_plugin_module("pytest_localstack.contrib.botocore")  # as old conftests do
    from pytest_localstack.contrib import boto3 as contrib_boto3
    from pytest_localstack.contrib import botocore as contrib_botocore

    for module in (contrib_botocore, contrib_boto3):
        registered = plugin.manager.get_plugin(module.__name__)
        assert isinstance(registered, plugin.LazyPluginModule)
        assert registered.load() is module
    names = [name for name, _ in plugin.manager.list_name_plugin()]
    assert names.count("pytest_localstack.contrib.botocore") == 1


def test_builtin_plugins_are_registered_at_import_without_importing_them() -> None:
    """A fresh interpreter: ``import pytest_localstack`` registers every built-in plugin by name,
    imports none of them, and a session made afterwards gets their factories."""
    code = """
import sys
import pytest_localstack
from pytest_localstack import plugin
names = {name for name, _ in plugin.manager.list_name_plugin()}
assert names >= {module for module, _ in plugin.BUILTIN_PLUGINS}, names
heavy = ["botocore.session", "boto3", "pytest_localstack.contrib.botocore",
         "pytest_localstack.resources"]
assert [name for name in heavy if name in sys.modules] == [], sys.modules.keys()
session = pytest_localstack.RunningSession("127.0.0.1:4566")
assert session.botocore.client("s3").meta.endpoint_url == "http://127.0.0.1:4566"
assert session.boto3.resource("s3").meta.client.meta.endpoint_url == "http://127.0.0.1:4566"
print("ok")
"""
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_a_builtin_plugins_hooks_reach_its_module(monkeypatch: pytest.MonkeyPatch) -> None:
    """The lazy stand-in forwards each per-session hook to the module's function of that name."""
    name = "pytest_localstack_tests_lazy_plugin"
    module = types.ModuleType(name)
    calls: list[tuple[str, object]] = []
    module.session_started = lambda session: calls.append(("started", session))  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, name, module)
    lazy = plugin.LazyPluginModule(name, required=True)
    plugin.manager.register(lazy, name=name)
    try:
        plugin.manager.hook.session_started(session="a session")
        plugin.manager.hook.session_stopped(session="a session")  # not implemented: ignored
    finally:
        plugin.manager.unregister(lazy)
    assert calls == [("started", "a session")]


def test_an_optional_builtin_that_cannot_be_imported_does_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "pytest_localstack_tests_blocked_plugin", None)
    lazy = plugin.LazyPluginModule("pytest_localstack_tests_blocked_plugin", required=False)
    assert lazy.load() is None
    assert lazy.contribute_to_session(session="a session") is None  # type: ignore[attr-defined]
    required = plugin.LazyPluginModule("pytest_localstack_tests_blocked_plugin", required=True)
    with pytest.raises(ImportError):
        required.load()


def test_builtin_plugins_implement_only_per_session_hooks() -> None:
    """``contribute_to_module`` is historic: a lazy stand-in cannot forward it without importing
    the module at registration, so a built-in plugin must not implement it."""
    plugin.load_builtin_plugins()
    for module_path, _ in plugin.BUILTIN_PLUGINS:
        registered = plugin.manager.get_plugin(module_path)
        if registered is None:
            continue
        module = registered.load()
        if module is None:
            continue
        hooks = {name for name in dir(module) if plugin.manager.parse_hookimpl_opts(module, name)}
        assert hooks <= set(plugin.LAZY_HOOKS), (module_path, hooks)


def test_every_hookspec_is_documented() -> None:
    from pytest_localstack import hookspecs

    names = [
        "contribute_to_module",
        "contribute_to_session",
        "session_starting",
        "session_started",
        "session_stopping",
        "session_stopped",
    ]
    for name in names:
        assert hasattr(plugin.manager.hook, name), name
        doc = getattr(hookspecs, name).__doc__
        assert doc
        assert ".. versionadded::" in doc


SDK_PLUGIN_SCRIPT = """
import sys
from pytest_localstack import plugin
from pytest_localstack.runtimes import Endpoint
from pytest_localstack.session import RunningSession

plugin.load_builtin_plugins()
session = RunningSession(endpoint=Endpoint("http://127.0.0.1:9", "localstack", "", "external"))
assert "aiobotocore" not in sys.modules, "aiobotocore imported before anything used it"
endpoint = Endpoint("http://127.0.0.1:9", "localstack", "", "external")
session = RunningSession(endpoint=endpoint, account_id="123456789012")
with session.botocore.patch_botocore(subprocess_env=False):
    import aiobotocore.session  # first import while a patch is active

    assert "pytest_localstack.contrib.aiobotocore" in sys.modules
    assert aiobotocore.__spec__.loader.__class__.__name__ != "_LoaderWith"
    client = aiobotocore.session.get_session().create_client("sqs", region_name="eu-west-1")
    import asyncio

    async def endpoint():
        async with client as sqs:
            return sqs.meta.endpoint_url, sqs.meta.region_name

    print(*asyncio.run(endpoint()))
"""


def test_sdk_plugin_is_registered_when_its_sdk_is_first_imported() -> None:
    """aiobotocore is not imported for a suite that never uses it; importing it later, even
    inside an active patch, redirects its clients all the same."""
    pytest.importorskip("aiobotocore")
    result = subprocess.run(
        [sys.executable, "-c", SDK_PLUGIN_SCRIPT], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["http://127.0.0.1:9", "eu-west-1"]
