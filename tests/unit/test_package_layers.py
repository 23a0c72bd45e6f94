"""The packages form layers (docs/design.md, "Packages and layers"): no two packages import each
other, directly or through others, counting the imports written inside functions; `domain`
imports nothing of ispcube but `errors`.

Each package of `services/` counts as a package of its own, as do `domain`, `db`, `adapters`,
`cli`, `sim` and the top-level modules.
"""

import ast
from collections import defaultdict
from pathlib import Path

import ispcube

SOURCE = Path(ispcube.__file__).parent


def _package(module: str) -> str:
    parts = module.split(".")[1:]
    if parts[:1] == ["services"] and len(parts) > 1:
        return "services." + parts[1]
    return parts[0] if parts else "ispcube"


def _module_name(path: Path) -> tuple[str, bool]:
    relative = path.relative_to(SOURCE.parent).with_suffix("")
    parts = list(relative.parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts.pop()
    return ".".join(parts), is_package


def _imported(node: ast.AST, module: str, is_package: bool) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        if node.level:
            base = module.split(".") if is_package else module.split(".")[:-1]
            base = base[:len(base) - (node.level - 1)]
            prefix = ".".join(base + ([node.module] if node.module else []))
        else:
            prefix = node.module or ""
        return [prefix] + [f"{prefix}.{alias.name}" for alias in node.names]
    return []


def import_edges() -> dict[str, dict[str, list[str]]]:
    """{package: {imported package: ["module imports target (line N)", ...]}}."""
    edges: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for path in sorted(SOURCE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        module, is_package = _module_name(path)
        source = _package(module)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            for target in _imported(node, module, is_package):
                if target.split(".")[0] != "ispcube" or target in ("ispcube", "ispcube.__version__"):
                    continue
                imported = _package(target)
                if imported != source:
                    edges[source][imported].append(f"{module} imports {target} (line {node.lineno})")
    return edges


def package_cycles(edges: dict[str, dict[str, list[str]]]) -> list[list[str]]:
    """The strongly connected groups of more than one package (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in edges.get(node, {}):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(set(edges) | {t for targets in edges.values() for t in targets}):
        if node not in index:
            visit(node)
    return groups


def _explain(edges: dict[str, dict[str, list[str]]], group: list[str]) -> str:
    lines = [f"packages that reach each other: {', '.join(group)}"]
    for source in group:
        for target in group:
            for where in edges.get(source, {}).get(target, [])[:3]:
                lines.append(f"  {where}")
    return "\n".join(lines)


def test_no_package_reaches_back_to_itself():
    edges = import_edges()
    cycles = package_cycles(edges)
    assert not cycles, "\n".join(_explain(edges, group) for group in cycles)


def test_domain_imports_only_errors():
    edges = import_edges()
    assert set(edges.get("domain", {})) <= {"errors"}, "\n".join(
        where for target, places in edges["domain"].items() if target != "errors" for where in places)


def test_the_check_sees_a_cycle_and_a_function_level_import():
    """The check itself: a cycle made by an import written inside a function is found."""
    sample = {"services.a": {"services.b": ["a imports b (line 1)"]},
              "services.b": {"services.c": ["b imports c (line 9)"]},
              "services.c": {"services.a": ["c imports a (line 4)"]}}
    assert package_cycles(sample) == [["services.a", "services.b", "services.c"]]
    tree = ast.parse("def f():\n    from ispcube.services.ledger import pay\n")
    found = [target for node in ast.walk(tree) for target in _imported(node, "ispcube.services.clients.x", False)]
    assert "ispcube.services.ledger.pay" in found
    relative = ast.parse("from ..ledger import pay\n").body[0]
    assert _imported(relative, "ispcube.services.clients.x", False)[0] == "ispcube.services.ledger"
