"""The floor plan in figures: import edges that point up, cycles, and the largest functions.

Run before and after a structural change and compare (``python bench/architecture.py``).
The layer order below is the one ``pyproject.toml``'s import-linter contract enforces;
an edge "points up" when a module imports one from a higher layer.
"""

from __future__ import annotations

import ast
import collections
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1] / "src"
PACKAGE = "deconflict"

# Bottom first. Names on one line share a layer.
LAYERS: list[tuple[str, ...]] = [
    ("errors",),
    ("auth",),
    ("equal_priority",),
    ("settings",),
    ("geo",),
    ("model",),
    ("access", "io", "synth"),
    ("scenarios", "client"),
    ("core",),
    ("dss", "airspace"),
    ("audit",),
    ("hotline", "tactical"),
    ("store",),
    ("notify",),
    ("service",),
    ("api",),
    ("cli",),
]
RANK = {name: i for i, names in enumerate(LAYERS) for name in names}


def modules() -> dict[str, pathlib.Path]:
    found = {}
    for path in (ROOT / PACKAGE).rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def imports(mods: dict[str, pathlib.Path]) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = collections.defaultdict(set)
    for name, path in mods.items():
        tree = ast.parse(path.read_text())
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parts, *([node.module] if node.module else [])])
                named = [f"{base}.{a.name}" for a in node.names]
                targets = [n if n in mods else base for n in named]
            for target in targets:
                while target and target not in mods:
                    target = target.rpartition(".")[0]
                if target.startswith(PACKAGE + ".") and target != name:
                    edges[name].add(target)
    return edges


def area(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "<root>"


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    nodes = set(edges) | {t for ts in edges.values() for t in ts}
    for start in sorted(nodes):
        if start in index:
            continue
        work = [(start, iter(sorted(edges.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        top = stack.pop()
                        on.discard(top)
                        component.append(top)
                        if top == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
            elif child not in index:
                index[child] = low[child] = counter
                counter += 1
                stack.append(child)
                on.add(child)
                work.append((child, iter(sorted(edges.get(child, ())))))
            elif child in on:
                low[node] = min(low[node], index[child])
    return found


def largest_functions(mods: dict[str, pathlib.Path], most: int) -> list[tuple[int, str]]:
    sizes = []
    for name, path in mods.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                sizes.append((node.end_lineno - node.lineno + 1, f"{name}.{node.name}"))
    return sorted(sizes, reverse=True)[:most]


def main() -> None:
    mods = modules()
    edges = imports(mods)
    total = sum(len(t) for t in edges.values())
    upward = sorted(
        (a, b)
        for a, targets in edges.items()
        for b in targets
        if RANK.get(area(b), 0) > RANK.get(area(a), len(LAYERS))
    )
    package_edges: dict[str, set[str]] = collections.defaultdict(set)
    for a, targets in edges.items():
        for b in targets:
            if area(a) != area(b):
                package_edges[area(a)].add(area(b))
    module_cycles = cycles(edges)
    package_cycles = cycles(package_edges)
    lines = sum(len(p.read_text().splitlines()) for p in mods.values())
    print(f"modules: {len(mods)}  lines: {lines}  import edges: {total}")
    print(f"upward edges: {len(upward)}")
    for a, b in upward:
        print(f"  {a} -> {b}")
    print(f"package cycles: {len(package_cycles)}")
    for c in package_cycles:
        print("  " + " <-> ".join(c))
    print(f"module cycles: {len(module_cycles)}")
    for c in module_cycles:
        print("  " + " <-> ".join(c))
    print("largest functions (lines):")
    for size, name in largest_functions(mods, int(sys.argv[1]) if len(sys.argv) > 1 else 10):
        print(f"  {size:4d}  {name}")
    names = collections.Counter(p.name for p in mods.values() if p.name != "__init__.py")
    repeated = {n: c for n, c in names.items() if c > 1}
    print(f"module names used more than once: {len(repeated)}  {dict(sorted(repeated.items()))}")


if __name__ == "__main__":
    main()
