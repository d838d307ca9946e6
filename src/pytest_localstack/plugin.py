"""The pluggy manager behind pytest-localstack's hooks, and the way to add plugins to it."""

from __future__ import annotations

import importlib
import logging

import pluggy

from pytest_localstack import hookspecs

logger = logging.getLogger(__name__)

manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
manager.add_hookspecs(hookspecs)

#: The plugins that ship with pytest-localstack, registered on first use of a session. The SDK
#: modules install their redirection when imported (aiobotocore joins botocore's patch), and
#: the resources' hooks delete what a stopping session's factory left.
BUILTIN_PLUGINS = (
    ("pytest_localstack.contrib.botocore", True),
    ("pytest_localstack.contrib.boto3", False),
    ("pytest_localstack.contrib.aiobotocore", False),
    ("pytest_localstack.contrib.aioboto3", False),
    ("pytest_localstack.resources._hooks", True),
)

_builtins_loaded = False


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
    if not manager.is_registered(module):
        manager.register(module, name=module_path)


def load_builtin_plugins() -> None:
    """Register the bundled and entry-point plugins once; importing them is deferred to here."""
    global _builtins_loaded
    if _builtins_loaded:
        return
    _builtins_loaded = True
    for module_path, required in BUILTIN_PLUGINS:
        register_plugin_module(module_path, required)
    manager.load_setuptools_entrypoints("localstack")
