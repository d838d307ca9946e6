"""The pluggy manager behind pytest-localstack's hooks, and the way to add plugins to it.

The built-in plugins are registered when :mod:`pytest_localstack` is imported, as in the
original project, so that a third-party plugin or a ``contribute_to_session`` call sees them at
once. Importing them (botocore, boto3, aiobotocore) is slow, so each is registered under its
module name as a :class:`LazyPluginModule` that imports the module at its first hook call.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import logging
import sys
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

import pluggy

from pytest_localstack import hookspecs

logger = logging.getLogger(__name__)

manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
manager.add_hookspecs(hookspecs)

#: The plugins that ship with pytest-localstack (module, required), registered at import. The
#: SDK modules install their redirection when imported (aiobotocore joins botocore's patch), and
#: the resources' hooks delete what a stopping session's factory left. pluggy calls the last
#: registered first: the clean slate (which empties the account's S3 buckets) comes before the
#: resources' hooks here so that it runs after them.
BUILTIN_PLUGINS = (
    ("pytest_localstack.contrib.botocore", True),
    ("pytest_localstack.contrib.boto3", False),
    ("pytest_localstack.contrib.aiobotocore", False),
    ("pytest_localstack.contrib.aioboto3", False),
    ("pytest_localstack.clean_slate", True),
    ("pytest_localstack.resources._hooks", True),
)

#: SDK -> the built-in plugin for it, imported only once something imports the SDK: importing
#: aiobotocore costs half as much again as boto3, and a suite that never uses it should not pay
#: at its first session. The plugin's redirection is in place before the importer gets the SDK,
#: so that no client of it escapes a patch that is already active.
SDK_PLUGINS = {
    "aiobotocore": "pytest_localstack.contrib.aiobotocore",
    "aioboto3": "pytest_localstack.contrib.aioboto3",
}
_SDK_OF = {module_path: sdk for sdk, module_path in SDK_PLUGINS.items()}

#: The hooks a built-in plugin may implement: called per session, so they can load it lazily.
#: ``contribute_to_module`` is historic (called at registration) and so not among them.
LAZY_HOOKS: tuple[str, ...] = ("contribute_to_session", "session_starting", "session_started")
LAZY_HOOKS += ("session_stopping", "session_stopped")

_builtins_loaded = False


class LazyPluginModule:
    """A stand-in for a plugin module that imports it at the first hook call.

    It implements every per-session hook and forwards each call to the module's function of
    that name, if it has one. An optional module that cannot be imported implements nothing.
    """

    def __init__(self, module_path: str, required: bool) -> None:
        self.module_path = module_path
        self.required = required
        self._module: ModuleType | None = None
        self._failed = False
        for name in LAZY_HOOKS:
            setattr(self, name, self._forwarder(name))

    def __repr__(self) -> str:
        return f"<LazyPluginModule {self.module_path}>"

    def load(self) -> ModuleType | None:
        """The plugin module, imported now if it was not; ``None`` if optional and missing, or
        if it is the plugin of an SDK that nothing imported yet (:data:`SDK_PLUGINS`)."""
        sdk = _SDK_OF.get(self.module_path)
        if sdk is not None and sdk not in sys.modules:
            return None
        if self._module is None and not self._failed:
            try:
                self._module = importlib.import_module(self.module_path)
            except ImportError:
                if self.required:
                    raise
                self._failed = True
                logger.debug("optional plugin %s not loaded", self.module_path, exc_info=True)
        return self._module

    def _forwarder(self, hook_name: str) -> Any:
        # pluggy reads the argument names from the signature: every per-session hook takes
        # exactly ``session``.
        @hookspecs.pytest_localstack_hookimpl
        def forward(session: Any) -> Any:
            function = getattr(self.load(), hook_name, None)
            return None if function is None else function(session=session)

        forward.__name__ = hook_name
        return forward


def register_plugin_module(module_path: str, required: bool = True) -> None:
    """Import ``module_path`` and register it as a plugin.

    :param module_path: dotted path of a module with ``pytest_localstack_hookimpl`` functions.
    :param required: if false, a module that cannot be imported (an optional dependency that is
        not installed) is skipped instead of raising :class:`ImportError`.
    """
    try:
        module = importlib.import_module(module_path)
    except ImportError:
        if required:
            raise
        logger.debug("optional plugin %s not loaded", module_path, exc_info=True)
        return
    if isinstance(manager.get_plugin(module_path), LazyPluginModule):
        return  # a built-in plugin, registered at import
    if not manager.is_registered(module):
        manager.register(module, name=module_path)


def register_builtin_plugins() -> None:
    """Register the bundled plugins (lazily) and the ``localstack`` entry points, once."""
    global _builtins_loaded
    if _builtins_loaded:
        return
    _builtins_loaded = True
    for module_path, required in BUILTIN_PLUGINS:
        if manager.get_plugin(module_path) is None:
            manager.register(LazyPluginModule(module_path, required), name=module_path)
    _LoadOnImport.install()
    manager.load_setuptools_entrypoints("localstack")


def load_builtin_plugins() -> None:
    """Register the built-in plugins if they are not yet, and import them."""
    register_builtin_plugins()
    for module_path, _ in BUILTIN_PLUGINS:
        lazy = manager.get_plugin(module_path)
        if isinstance(lazy, LazyPluginModule):
            lazy.load()


class _LoadOnImport(importlib.abc.MetaPathFinder):
    """Imports the plugin of an SDK in :data:`SDK_PLUGINS` right after the SDK is imported."""

    _installed = False

    @classmethod
    def install(cls) -> None:
        if not cls._installed:
            cls._installed = True
            sys.meta_path.insert(0, cls())

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        plugin_module = SDK_PLUGINS.get(fullname)
        if plugin_module is None:
            return None
        others = [finder for finder in sys.meta_path if finder is not self]
        for finder in others:
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        original_exec = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            module.__loader__ = loader  # the SDK sees its own loader, as without this hook
            if module.__spec__ is not None:
                module.__spec__.loader = loader
            original_exec(module)
            # The SDK is complete in sys.modules now; its plugin may import the rest of it.
            lazy = manager.get_plugin(plugin_module)
            if isinstance(lazy, LazyPluginModule):
                lazy.load()

        spec.loader = _LoaderWith(loader, exec_module)
        return spec


class _LoaderWith(importlib.abc.Loader):
    """``loader`` with another ``exec_module``."""

    def __init__(
        self, loader: importlib.abc.Loader, exec_module: Callable[[ModuleType], None]
    ) -> None:
        self._loader = loader
        self._exec_module = exec_module

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._exec_module(module)

    def __getattr__(self, name: str) -> object:
        return getattr(self._loader, name)
