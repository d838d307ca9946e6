"""The pluggy manager behind pytest-localstack's hooks, and the way to add plugins to it.

The built-in plugins are registered when :mod:`pytest_localstack` is imported, as in the
original project, so that a third-party plugin or a ``contribute_to_session`` call sees them at
once. Importing them (botocore, boto3, aiobotocore) is slow, so each is registered under its
module name as a :class:`LazyPluginModule` that imports the module at its first hook call.
"""

from __future__ import annotations

import importlib
import logging
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
        """The plugin module, imported now if it was not; ``None`` if optional and missing."""
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
    manager.load_setuptools_entrypoints("localstack")


def load_builtin_plugins() -> None:
    """Register the built-in plugins if they are not yet, and import them."""
    register_builtin_plugins()
    for module_path, _ in BUILTIN_PLUGINS:
        lazy = manager.get_plugin(module_path)
        if isinstance(lazy, LazyPluginModule):
            lazy.load()
