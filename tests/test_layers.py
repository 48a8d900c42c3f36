"""The import graph of litetrack's own modules: no cycle, and imports point down the layers.

The graph is built with ``ast`` from every ``import`` / ``from ... import``
anywhere in each module, inside functions included (an import moved into a
function to dodge a cycle still is one). Relative imports are resolved, and
``from litetrack.x import y`` counts as importing ``litetrack.x.y`` when ``y``
is a submodule. Imports under ``if TYPE_CHECKING:`` never run and are left
out of the cycle check (a module may name the type of the store that owns
it); they do count for the layer rules. So are the imports inside a
module-level ``__getattr__``: they are MLflow-path re-exports loaded on first
access (``litetrack.pyfunc.spark_udf`` lives in ``litetrack.spark``), the same
device as the lazy attribute table of ``litetrack/__init__.py``.

The layers (docs/architecture.md), bottom up: base, store, api, models,
flavours, apps. See ``LAYERS`` for which module is where.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "litetrack"

# Edges that are allowed to close a cycle: the package's lazy attribute table
# (``litetrack.__init__`` loads submodules by name on first access, with
# ``importlib``: no import statement, so nothing to list) and MLflow-path
# re-export modules, which only re-export names from below.
REEXPORT_MODULES = {
    "litetrack.tracking",
    "litetrack.tracking.client",
    "litetrack.exceptions",
    "litetrack.types",
    "litetrack.types.schema",
}

# Module -> layer, by longest matching prefix.
LAYERS: dict[str, str] = {
    "litetrack.errors": "base",
    "litetrack.validation": "base",
    "litetrack.entities": "base",
    "litetrack.query": "base",
    "litetrack.settings": "base",
    "litetrack.yamlfmt": "base",
    "litetrack.paging": "base",
    "litetrack.clock": "base",
    "litetrack.utils": "base",
    "litetrack.store": "store",
    "litetrack.client": "api",
    "litetrack.fluent": "api",
    "litetrack.registry": "api",
    "litetrack.search": "api",
    "litetrack.tables": "api",
    "litetrack.artifacts": "api",
    "litetrack.payloads": "api",
    "litetrack.capture": "api",
    "litetrack.data": "api",
    "litetrack.source": "api",
    "litetrack.environment": "api",
    "litetrack.models": "models",
    "litetrack.pyfunc": "flavours",
    "litetrack.sklearn": "flavours",
    "litetrack.xgboost": "flavours",
    "litetrack.spark": "flavours",
    "litetrack.autologging": "flavours",
    "litetrack.cli": "apps",
    "litetrack.importers": "apps",
    "litetrack.ui": "apps",
    "litetrack.projects": "apps",
    "litetrack.__main__": "apps",
}
ORDER = ["base", "store", "api", "models", "flavours", "apps"]


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    line: int
    type_only: bool
    reexport: bool = False


def _modules() -> dict[str, Path]:
    mods = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods[".".join(parts)] = path
    return mods


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    """ids of the import nodes under ``if TYPE_CHECKING:``."""
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            test = node.test
            name = test.id if isinstance(test, ast.Name) else getattr(test, "attr", None)
            if name == "TYPE_CHECKING":
                for stmt in node.body:
                    out.update(id(n) for n in ast.walk(stmt))
    return out


def _module_getattr_nodes(tree: ast.Module) -> set[int]:
    """ids of the nodes inside a module-level ``__getattr__`` (lazy re-exports)."""
    return {
        id(n)
        for stmt in tree.body
        if isinstance(stmt, ast.FunctionDef) and stmt.name == "__getattr__"
        for n in ast.walk(stmt)
    }


def _resolve(name: str, mods: dict[str, Path]) -> str | None:
    """The longest prefix of ``name`` that is one of our modules."""
    while name and name not in mods:
        name = name.rpartition(".")[0]
    return name or None


def build_graph() -> tuple[dict[str, Path], list[Edge]]:
    """Every import edge between litetrack modules (see the module docstring)."""
    mods = _modules()
    edges: list[Edge] = []
    for mod, path in mods.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        type_only = _type_checking_nodes(tree)
        reexport = _module_getattr_nodes(tree)
        seen: set[tuple[str, int]] = set()
        package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[: len(base) - (node.level - 1)]
                    module = ".".join(base + ([node.module] if node.module else []))
                else:
                    module = node.module or ""
                for alias in node.names:
                    sub = f"{module}.{alias.name}"
                    targets.append(sub if sub in mods else module)
            else:
                continue
            for target in targets:
                if target.split(".")[0] != "litetrack":
                    continue
                resolved = _resolve(target, mods)
                if resolved and resolved != mod and (resolved, node.lineno) not in seen:
                    seen.add((resolved, node.lineno))
                    edge = Edge(
                        mod, resolved, node.lineno, id(node) in type_only, id(node) in reexport
                    )
                    edges.append(edge)
    return mods, edges


def find_cycles(nodes: list[str], edges: list[Edge]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    graph: dict[str, set[str]] = {n: set() for n in nodes}
    for e in edges:
        graph[e.source].add(e.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = 0

    def visit(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def layer_of(module: str) -> str | None:
    best = None
    for prefix, layer in LAYERS.items():
        if (module == prefix or module.startswith(prefix + ".")) and (
            best is None or len(prefix) > len(best[0])
        ):
            best = (prefix, layer)
    return best[1] if best else None


def test_the_graph_sees_imports_inside_functions() -> None:
    _, edges = build_graph()
    # Client.search_runs loads the query module on first use.
    assert any(
        e.source == "litetrack.client" and e.target == "litetrack.store.search" for e in edges
    )


def test_no_import_cycle() -> None:
    mods, edges = build_graph()
    runtime = [
        e
        for e in edges
        if not e.type_only and not e.reexport and e.source not in REEXPORT_MODULES
    ]
    cycles = find_cycles(list(mods), runtime)
    if cycles:
        lines = []
        for comp in cycles:
            members = set(comp)
            lines.append(" <-> ".join(comp))
            lines += [
                f"    {e.source}:{e.line} imports {e.target}"
                for e in runtime
                if e.source in members and e.target in members
            ]
        pytest.fail("import cycles among litetrack modules:\n" + "\n".join(lines))


def test_every_module_has_a_layer() -> None:
    mods, _ = build_graph()
    missing = [
        m for m in mods if layer_of(m) is None and m != "litetrack" and m not in REEXPORT_MODULES
    ]
    assert missing == []


@pytest.mark.parametrize(
    ("lower", "forbidden"),
    [
        ("base", {"store", "api", "models", "flavours", "apps"}),
        ("store", {"api", "models", "flavours", "apps"}),
        ("api", {"models", "flavours", "apps"}),
        ("models", {"flavours", "apps"}),
        ("flavours", {"apps"}),
    ],
)
def test_imports_point_down(lower: str, forbidden: set[str]) -> None:
    _, edges = build_graph()
    wrong = [
        f"{e.source}:{e.line} ({lower}) imports {e.target} ({layer_of(e.target)})"
        for e in edges
        if layer_of(e.source) == lower and layer_of(e.target) in forbidden
    ]
    wrong = sorted(set(wrong))
    assert wrong == [], "\n".join(wrong)


def test_no_module_reaches_into_fluent_privates() -> None:
    """"The store in use" and "the active run" have public owners (store.core, fluent)."""
    wrong = []
    for mod, path in _modules().items():
        if mod == "litetrack.fluent":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module == "litetrack.fluent"
                and any(a.name.startswith("_") for a in node.names)
            ) or (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "fluent"
                and node.attr.startswith("_")
            ):
                wrong.append(f"{mod}:{node.lineno}")
    assert wrong == []
