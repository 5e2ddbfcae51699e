"""The import graph of the four packages: no cycles, no layer importing one above it.

Drawn with plain ``ast`` from the source: every import statement counts (top level, inside a
function, under ``TYPE_CHECKING``), and importing ``a.b.c`` also depends on the package
``a.b`` whose ``__init__`` runs first, except from a module inside ``a.b`` (Python started
``a.b`` before running it; naming ``a.b`` itself there still counts). ``kimi_core``'s root
``__init__`` and the adapters' ``kimi_core.integration`` mirror their lazy name tables under
``TYPE_CHECKING`` for type checkers; those mirrors are checked against the tables instead of
being graph edges.

Rules (``CONTRIBUTING.md``, "Layers"):

- inside ``kimi_core`` a module imports only from lower layers or its own sub-package;
- nothing imports the deprecation shims (the old flat module paths);
- ``kimi_core`` never imports ``kimi_emulator``, except through its shim ``kimi_core.emulator``;
- ``kimi_emulator`` may import ``kimi_core``, never the adapters;
- an adapter imports only ``kimi_core.integration`` from the core, never the other adapter
  or the emulator.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("kimi_core", "kimi_emulator", "langchain_kimi", "llama_index_kimi")
ADAPTERS = ("langchain_kimi", "llama_index_kimi")

# kimi_core's layers, bottom up: a module may import a lower rank, or its own sub-package.
RANKS = {
    "_version": 0,
    "_fastpath": 0,
    "errors": 0,
    "arguments": 1,
    "wire": 1,
    "types": 2,
    "catalog": 3,
    "limits": 3,
    "chat": 4,
    "options": 5,
    "transport": 6,
    "resources": 7,
    "batch": 8,
    "client": 9,
    "lifecycle": 10,
    "integration": 11,
}
# The old flat paths, kept one release as thin modules that warn (issue 22).
SHIMS = {
    "kimi_core.tools",
    "kimi_core.messages",
    "kimi_core.token_estimate",
    "kimi_core.ratelimit",
    "kimi_core.ratelimit_redis",
    "kimi_core.batch_jsonl",
    "kimi_core.cost",
    "kimi_core.emulator",
    "kimi_core.emulator.__main__",
}
MIRRORS = {"kimi_core", "kimi_core.integration"}


@dataclass
class Graph:
    modules: set[str] = field(default_factory=set)
    packages: set[str] = field(default_factory=set)
    edges: dict[str, set[str]] = field(default_factory=dict)


def module_name(path: Path, root: Path = ROOT) -> tuple[str, bool]:
    parts = list(path.relative_to(root).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts.pop()
    return ".".join(parts), is_package


def _resolve(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def _type_checking_block(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def imports_of(tree: ast.Module, module: str, is_package: bool) -> Iterable[str]:
    """Every module name an import statement of ``tree`` names (``from p import m`` names
    ``p.m`` when that is a module: decided by the caller)."""
    skip: set[int] = set()
    if module in MIRRORS:
        for node in tree.body:
            if _type_checking_block(node):
                skip.update(id(child) for child in ast.walk(node))
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(node, module, is_package)
            yield target
            for alias in node.names:
                yield f"{target}.{alias.name}"


def build_graph(root: Path = ROOT, packages: Iterable[str] = PACKAGES) -> Graph:
    graph = Graph()
    trees: dict[str, tuple[ast.Module, bool]] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            name, is_package = module_name(path, root)
            trees[name] = (ast.parse(path.read_text(encoding="utf-8")), is_package)
            graph.modules.add(name)
            if is_package:
                graph.packages.add(name)
    for name, (tree, is_package) in trees.items():
        targets: set[str] = set()
        for target in imports_of(tree, name, is_package):
            if target not in graph.modules:
                continue  # a name imported from a module, or outside the four packages
            # Importing a.b.c runs a.b's __init__ first (the root packages are checked apart),
            # unless the importer is inside a.b: then a.b was started before it ran.
            parts = target.split(".")
            for depth in range(2, len(parts) + 1):
                ancestor = ".".join(parts[:depth])
                inside = name.startswith(f"{ancestor}.")
                if ancestor != name and (
                    ancestor == target or (ancestor in graph.packages and not inside)
                ):
                    targets.add(ancestor)
        graph.edges[name] = targets
    return graph


def find_cycle(edges: Mapping[str, Iterable[str]]) -> list[str] | None:
    """One import cycle (``[a, b, ..., a]``), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "kimi_core" and len(parts) > 1 else None


def _is_shim(module: str) -> bool:
    return module in SHIMS


def layer_violations(edges: Mapping[str, Iterable[str]]) -> list[str]:
    """Every edge the rules in the module docstring forbid, as ``"a -> b: why"``."""
    found = []
    for source, targets in sorted(edges.items()):
        top = source.split(".")[0]
        for target in sorted(targets):
            target_top = target.split(".")[0]
            why = None
            if _is_shim(target):
                why = "imports a deprecation shim (use the new path)"
            elif top == "kimi_core" and not _is_shim(source) and source != "kimi_core":
                if target_top != "kimi_core":
                    why = f"kimi_core imports {target_top}"
                else:
                    src_layer, dst_layer = _layer(source), _layer(target)
                    if src_layer is None or dst_layer is None:
                        why = "imports the root package"
                    elif src_layer != dst_layer and RANKS[dst_layer] >= RANKS[src_layer]:
                        why = f"layer {src_layer} imports layer {dst_layer}, not below it"
            elif top == "kimi_emulator" and target_top in ADAPTERS:
                why = "the emulator imports an adapter"
            elif top in ADAPTERS:
                if target_top == "kimi_core" and target not in {"kimi_core.integration"}:
                    why = "an adapter imports the core other than through kimi_core.integration"
                elif target_top not in {top, "kimi_core"}:
                    why = f"{top} imports {target_top}"
            if why:
                found.append(f"{source} -> {target}: {why}")
    return found


@pytest.fixture(scope="module")
def graph() -> Graph:
    return build_graph()


def test_no_import_cycle(graph: Graph) -> None:
    assert find_cycle(graph.edges) is None


def test_no_layer_imports_one_above_it(graph: Graph) -> None:
    assert layer_violations(graph.edges) == []


def test_every_core_module_has_a_layer(graph: Graph) -> None:
    unplaced = sorted(
        module
        for module in graph.modules
        if module.startswith("kimi_core.") and not _is_shim(module) and _layer(module) not in RANKS
    )
    assert unplaced == []


def test_the_root_package_imports_only_its_errors_eagerly(graph: Graph) -> None:
    assert graph.edges["kimi_core"] == {"kimi_core.errors", "kimi_core._version"}


def test_the_checker_finds_a_cycle_and_an_upward_import() -> None:
    # The checks must be able to fail: a cycle through a function-level import, and a
    # lower layer importing a higher one, are both reported.
    cyclic = {
        "kimi_core.client": {"kimi_core.batch.job"},
        "kimi_core.batch.job": {"kimi_core.client"},
    }
    assert find_cycle(cyclic) == ["kimi_core.batch.job", "kimi_core.client", "kimi_core.batch.job"]
    assert layer_violations(cyclic) == [
        "kimi_core.batch.job -> kimi_core.client: layer batch imports layer client, not below it"
    ]
    assert layer_violations({"langchain_kimi.chat_models": {"kimi_core.chat.request"}}) == [
        "langchain_kimi.chat_models -> kimi_core.chat.request: an adapter imports the core "
        "other than through kimi_core.integration"
    ]
    assert layer_violations({"kimi_core.chat.request": {"kimi_core.tools"}}) == [
        "kimi_core.chat.request -> kimi_core.tools: imports a deprecation shim (use the new path)"
    ]


def test_the_graph_sees_imports_inside_functions_and_type_checking(tmp_path: Path) -> None:
    package = tmp_path / "kimi_core"
    (package / "chat").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "chat" / "__init__.py").write_text("")
    (package / "client.py").write_text("def later():\n    from .chat import turn\n")
    (package / "chat" / "turn.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..client import X\n"
    )
    graph = build_graph(tmp_path, ["kimi_core"])
    assert graph.edges["kimi_core.client"] == {"kimi_core.chat", "kimi_core.chat.turn"}
    assert graph.edges["kimi_core.chat.turn"] == {"kimi_core.client"}
    assert find_cycle(graph.edges) is not None


def test_a_sibling_import_inside_a_package_that_imports_it_is_no_cycle(tmp_path: Path) -> None:
    # kimi_core/catalog/__init__.py re-exports model_info, which imports its sibling hosts:
    # Python has started kimi_core.catalog before model_info runs, so that is no cycle.
    catalog = tmp_path / "kimi_core" / "catalog"
    catalog.mkdir(parents=True)
    (catalog.parent / "__init__.py").write_text("")
    (catalog / "__init__.py").write_text("from .model_info import *\n")
    (catalog / "model_info.py").write_text("from .hosts import HostProfile\n")
    (catalog / "hosts.py").write_text("")
    graph = build_graph(tmp_path, ["kimi_core"])
    assert graph.edges["kimi_core.catalog.model_info"] == {"kimi_core.catalog.hosts"}
    assert find_cycle(graph.edges) is None
    # Naming the package itself from inside it still counts: a real cycle.
    (catalog / "hosts.py").write_text("from kimi_core.catalog import CATALOG\n")
    graph = build_graph(tmp_path, ["kimi_core"])
    assert graph.edges["kimi_core.catalog.hosts"] == {"kimi_core.catalog"}
    assert find_cycle(graph.edges) is not None


def _mirror(path: Path) -> set[tuple[str, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in tree.body:
        if _type_checking_block(node):
            for child in ast.walk(node):
                if isinstance(child, ast.ImportFrom):
                    module = ("." * child.level) + (child.module or "")
                    for alias in child.names:
                        names.add((module, alias.asname or alias.name))
    return names


@pytest.mark.parametrize("module", ["kimi_core", "kimi_core.integration"])
def test_type_checking_mirror_equals_the_lazy_table(module: str) -> None:
    import importlib

    mod = importlib.import_module(module)
    expected = {
        (name if name == "kimi_emulator" else f".{name}", attr)
        for name, attrs in mod._MODULES.items()
        for attr in attrs
    }
    for alias, target in getattr(mod, "_SUBMODULES", {}).items():
        parent, _, _ = f".{target}".rpartition(".")
        expected.add((parent or ".", alias))
    path = Path(mod.__file__)
    assert _mirror(path) == expected
    assert set(mod.__all__) >= {attr for _, attr in expected}
    for name in mod.__all__:
        assert getattr(mod, name) is not None
    assert set(dir(mod)) >= set(mod.__all__)
