"""The layout rules of docs/architecture.md, checked on the source: sizes, import direction, cycles.

Read from the files with `ast` (nothing is imported), counting imports inside functions too: a
lazy import still ties two modules together.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "dlicli"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60  # the body, signature and decorators aside


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


MODULES = modules()


def imports_of(name: str, path: Path) -> set[str]:
    """The dlicli modules `name` imports anywhere in its file (TYPE_CHECKING blocks aside)."""
    tree = ast.parse(path.read_text())
    skip = {id(n) for node in ast.walk(tree) if _is_type_checking(node) for n in ast.walk(node)}
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else [])
                )
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {_owner(m) for m in found if m.startswith("dlicli")} - {None, name}


def _is_type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _owner(dotted: str) -> str | None:
    """The module a dotted import name lands in (`dlicli.cli.app.app` → `dlicli.cli.app`)."""
    while dotted and dotted not in MODULES:
        dotted = dotted.rpartition(".")[0]
    return dotted or None


GRAPH = {name: imports_of(name, path) for name, path in MODULES.items()}


def _cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in GRAPH.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for name in GRAPH:
        if name not in index:
            visit(name)
    return found


def test_no_import_cycles():
    # a package's __init__ importing its own modules is how a package exposes them, not a cycle
    cycles = [c for c in _cycles() if not all(m.startswith(c[0] + ".") or m == c[0] for m in c)]
    assert cycles == []


def test_modules_are_short():
    long = {name: n for name, path in MODULES.items() if (n := len(path.read_text().splitlines())) > MAX_MODULE_LINES}
    assert long == {}


def test_functions_are_short():
    long = []
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.body[0].lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long.append(f"{name}.{node.name}: {length} lines")
    assert long == []


@pytest.mark.parametrize(
    ("layer", "may_not_import"),
    [
        ("dlicli.client", ("dlicli.cli", "dlicli.config", "dlicli.output", "dlicli.engine", "dlicli.credentials")),
        ("dlicli.engine", ("dlicli.cli", "dlicli.client", "dlicli.config", "dlicli.output")),
        ("dlicli.wmla", ("dlicli.cli", "dlicli.client", "dlicli.engine", "dlicli.config", "dlicli.output")),
    ],
)
def test_imports_flow_one_way(layer, may_not_import):
    wrong = sorted(
        f"{name} → {dep}"
        for name, deps in GRAPH.items()
        if name == layer or name.startswith(layer + ".")
        for dep in deps
        if any(dep == banned or dep.startswith(banned + ".") for banned in may_not_import)
    )
    assert wrong == []


def test_typer_only_in_cli():
    users = sorted(
        name
        for name, path in MODULES.items()
        if not name.startswith("dlicli.cli")
        and any(
            isinstance(node, (ast.Import, ast.ImportFrom))
            and any((getattr(node, "module", None) or alias.name).startswith("typer") for alias in node.names)
            for node in ast.walk(ast.parse(path.read_text()))
        )
    )
    assert users == []


def test_the_checks_see_real_imports():
    # guards against a checker that finds nothing: these edges exist by design
    assert "dlicli.client.http" in GRAPH["dlicli.cli.state"]
    assert "dlicli.wmla" in GRAPH["dlicli.hpospec"] or any(
        "dlicli.wmla" in deps for name, deps in GRAPH.items() if name.startswith("dlicli.hpospec")
    )
