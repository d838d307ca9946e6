"""Plugins that ship with pytest-localstack: client factories for AWS SDKs."""
