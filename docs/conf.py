"""Sphinx configuration of the pytest-localstack documentation.

Build: ``nox -s docs``, or ``python -m sphinx -W --keep-going -b html docs docs/_build/html``.
Pages are Markdown (MyST) or reStructuredText; the API and hook references are autodoc of the
public names only.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Document the checkout even when the package is not installed (e.g. a bare docs build).
sys.path.insert(0, str(ROOT / "src"))

import pytest_localstack  # noqa: E402

project = "pytest-localstack"
author = "pytest-localstack contributors"
copyright = "pytest-localstack contributors"
release = pytest_localstack.__version__
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.viewcode",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", ".gitignore"]

# Cross references that cannot be resolved offline (no intersphinx: the docs build without
# network access) would all be warnings in nitpicky mode, so it stays off.
nitpicky = False

myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_default_options = {"show-inheritance": True}

html_theme = "furo"
html_title = f"pytest-localstack {release}"
html_static_path: list[str] = []
