"""The package layout holds: each package of ``blueprint/`` imports only the packages below it, and no
module imports itself back through others (docs/architecture.md).

Every import is counted, including the ones inside functions and under ``TYPE_CHECKING``: a lazy
import still ties two modules together. Importing ``blueprint.<package>.<module>`` from outside the
package also runs the package's ``__init__.py``, so such an import reaches that package too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "blueprint"

#: What each package may import (besides itself and ``blueprint.__version__``): the layers, lowest first.
MAY_IMPORT: dict[str, set[str]] = {
    "base": set(),
    "runtime": {"base"},
    "intake": {"base", "runtime"},
    "engine": {"base", "intake"},
    "report": {"base", "runtime", "intake", "engine"},
    "review": {"base", "runtime", "intake", "engine", "report"},
    "documents": set(),
    "filings": {"base", "runtime", "intake", "engine", "report", "review", "documents"},
    "compat": {"base", "runtime", "intake", "engine", "report"},
    "synthetic": {"base", "intake"},
    "run": {"base", "runtime", "intake", "engine", "report", "review", "documents", "filings", "compat"},
    "cli": {
        "base",
        "runtime",
        "intake",
        "engine",
        "report",
        "review",
        "documents",
        "filings",
        "compat",
        "synthetic",
        "run",
    },
    "rules": set(),
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The kit's modules that ``name`` imports, anywhere in its code."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            # ``from pkg import sub`` imports the module pkg.sub when there is one
            targets = [f"{module}.{a.name}" if f"{module}.{a.name}" in known else module for a in node.names]
        else:
            continue
        for target in targets:
            if not (target == "blueprint" or target.startswith("blueprint.")):
                continue
            # the module itself, and every package around it that the import runs: not the
            # importer's own packages, which are already running when it is imported
            parts = target.split(".")
            found.add(target)
            found.update(p for p in (".".join(parts[:i]) for i in range(2, len(parts))) if not name.startswith(p + "."))
    found.discard(name)
    return found & known


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: _imports(name, path, known) for name, path in modules.items()}


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def test_every_package_has_a_place_in_the_layers():
    packages = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").is_file()}
    assert packages == set(MAY_IMPORT)
    loose = sorted(p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py")
    assert loose == [], f"modules outside a package: {loose}"


def test_packages_import_only_the_layers_below():
    wrong = []
    for module, targets in _graph().items():
        layer = _layer(module)
        if layer is None:
            continue
        for target in sorted(targets):
            other = _layer(target)
            if other is not None and other != layer and other not in MAY_IMPORT[layer]:
                wrong.append(f"{module} imports {target}")
    assert wrong == []


def test_no_import_circles():
    graph = _graph()
    # Tarjan's strongly connected components: any component of more than one module is a circle.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    assert circles == []


@pytest.mark.parametrize(
    "source, expected",
    [
        # a circle the checks must see: two modules importing each other (one lazily, in a function)
        ({"a": "from . import b\n", "b": "def f():\n    from .a import x\n"}, True),
        ({"a": "from . import b\n", "b": "X = 1\n"}, False),
    ],
)
def test_the_circle_check_sees_a_lazy_circle(tmp_path, source, expected):
    """The graph counts imports inside functions (the form the three old circles took)."""
    pkg = tmp_path / "blueprint" / "base"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    for name, text in source.items():
        (pkg / f"{name}.py").write_text(text)
    known = {"blueprint.base", "blueprint.base.a", "blueprint.base.b"}
    a = _imports("blueprint.base.a", pkg / "a.py", known)
    b = _imports("blueprint.base.b", pkg / "b.py", known)
    assert ("blueprint.base.b" in a and "blueprint.base.a" in b) is expected
