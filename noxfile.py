"""Developer sessions: ``nox -l`` lists them, ``nox -s NAME`` runs one.

- ``unit``: the unit tests (``tests/unit``), no Docker needed;
- ``integration``: the tests against real emulators (``tests/integration``); the Docker tests
  need the images of ``scripts/build-test-images.sh`` (``scripts/test.sh`` sets everything up);
- ``lint``: ruff check and ruff format --check;
- ``typecheck``: mypy (strict, as configured in pyproject.toml);
- ``docs``: the Sphinx documentation, with warnings as errors;
- ``examples``: the ``examples/`` suite.

Arguments after ``--`` go to the tool, e.g. ``nox -s unit -- -k config``.
"""

from __future__ import annotations

import re

import nox

nox.options.sessions = ["unit", "lint", "typecheck", "docs", "examples"]
nox.options.reuse_existing_virtualenvs = True

PROJECT = nox.project.load_toml("pyproject.toml")["project"]

LINT_PATHS = ["src", "tests", "examples", "benchmarks", "docs", "noxfile.py"]

#: Nothing that the tests start may reach the network: a dead proxy catches what is not local.
OFFLINE = {
    "HTTP_PROXY": "http://127.0.0.1:9",
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "http_proxy": "http://127.0.0.1:9",
    "https_proxy": "http://127.0.0.1:9",
    "NO_PROXY": "127.0.0.1,localhost",
    "no_proxy": "127.0.0.1,localhost",
}


def install(session: nox.Session, *extras: str) -> None:
    """Install the checkout (editable) with the requirements of ``extras``.

    The extras name each other (``test`` includes ``pytest-localstack[moto,aio,docs]``); they are
    expanded here rather than left to pip: with such a self-reference, the pip that nox's
    virtualenvs bring (26.x) backtracks through old releases of aiobotocore until one fails to
    build, while the same requirements listed explicitly resolve at once.
    """
    optional: dict[str, list[str]] = PROJECT["optional-dependencies"]
    own = re.compile(rf"^{re.escape(PROJECT['name'])}\[([^\]]+)\]$")
    requirements: list[str] = []
    pending, seen = list(extras), set()
    while pending:
        extra = pending.pop(0)
        if extra in seen:
            continue
        seen.add(extra)
        for requirement in optional[extra]:
            match = own.match(requirement.replace(" ", ""))
            if match:
                pending.extend(match.group(1).split(","))
            elif requirement not in requirements:
                requirements.append(requirement)
    session.install("-e", ".", *requirements)


@nox.session
def unit(session: nox.Session) -> None:
    """Unit tests: configuration, wiring, redirection; the docs test builds the docs too."""
    install(session, "test")
    session.run("pytest", "tests/unit", *session.posargs, env=OFFLINE)


@nox.session
def integration(session: nox.Session) -> None:
    """Integration tests against LocalStack and moto (Docker, embedded and external)."""
    install(session, "test")
    session.run("pytest", "tests/integration", *session.posargs, env=OFFLINE)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check."""
    session.install("ruff>=0.5")
    session.run("ruff", "check", *LINT_PATHS, *session.posargs)
    session.run("ruff", "format", "--check", *LINT_PATHS)


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy, strict, on the package."""
    install(session, "aio")
    session.install("mypy>=1.8", "types-psutil")
    session.run("mypy", *session.posargs)


@nox.session
def docs(session: nox.Session) -> None:
    """Build the HTML docs into docs/_build/html; any warning fails the build."""
    install(session, "docs")
    session.run(
        "sphinx-build",
        "-W",
        "--keep-going",
        "-b",
        "html",
        "docs",
        "docs/_build/html",
        *session.posargs,
    )


@nox.session
def examples(session: nox.Session) -> None:
    """The examples/ suite: LocalStack in Docker if it answers, else the embedded moto server."""
    install(session, "moto")
    session.run("pytest", "-p", "no:cacheprovider", "examples", *session.posargs)
