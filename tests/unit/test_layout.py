"""The shape of the package: no import circles, small modules, Docker only in ``runtimes/``.

Read from the source with :mod:`ast`, so that a lazy import inside a function counts as much
as one at the top of a module; only imports under ``if TYPE_CHECKING:`` are left out.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import pytest_localstack

PACKAGE_DIR = Path(pytest_localstack.__file__).parent
MAX_LINES = 450


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE_DIR.rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imported_names(path: Path) -> set[str]:
    """Every module that ``path`` imports at run time (any depth, but not for type checking).

    ``from package import submodule`` counts as an import of the submodule only: the package's
    ``__init__`` runs first for every submodule, which is no circle of their own making.
    """
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            for alias in node.names:  # a submodule, or a name defined in ``base``
                submodule = f"{base}.{alias.name}"
                found.add(submodule if submodule in MODULES else base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text()))
    return found


def internal_graph() -> dict[str, set[str]]:
    """Module -> the package's own modules it imports (a package import counts as its
    ``__init__``, which Python runs first)."""
    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        edges = set()
        for imported in imported_names(path):
            if imported in MODULES and imported != name:
                edges.add(imported)
        graph[name] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


@pytest.mark.parametrize("name", sorted(MODULES))
def test_every_module_imports(name: str) -> None:
    importlib.import_module(name)


def test_the_graph_sees_imports() -> None:
    """The check below can fail: it finds the edges it is meant to find."""
    graph = internal_graph()
    assert "pytest_localstack.config" in graph["pytest_localstack.emulators"]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_circles() -> None:
    assert cycles(internal_graph()) == []


def test_no_module_is_too_long() -> None:
    lengths = {name: len(path.read_text().splitlines()) for name, path in MODULES.items()}
    assert {name: n for name, n in lengths.items() if n > MAX_LINES} == {}


def test_only_runtimes_import_docker() -> None:
    importers = {
        name
        for name, path in MODULES.items()
        if any(i == "docker" or i.startswith("docker.") for i in imported_names(path))
    }
    assert importers, "the docker runtime imports docker: the check sees it"
    above = {name for name in importers if not name.startswith("pytest_localstack.runtimes.")}
    assert above == set()
