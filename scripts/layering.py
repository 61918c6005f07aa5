"""The project's import graph and its three rules: no cycles, no underscore names, no upward imports.

`tests/test_layering.py` runs the checks on the tree; `python scripts/layering.py` prints the graph
summary (modules, edges, package-to-package edges) and every violation.

What counts as an import: every `import` / `from ... import` anywhere in a module, at module level,
inside functions and classes, and under `if TYPE_CHECKING:` (those do not run, but a cycle through
them is still two modules that each need the other's names: a layering fault). A package's
`__init__` is an edge only where a module names it (`import grammar`, `from grammar import generate`
where `generate` is defined in the `__init__`); the parents Python executes implicitly on
`import a.b.c` are not edges, or every module would depend on its package's re-exports.

Underscore rule: no module imports another module's `_name` (`from x import _y`, or `x._y` on a
module bound by an import), within a package as across packages. A name other modules use is part
of its module's interface and is spelled without the underscore. Dunder names are exempt.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

# Lowest first. A module belongs to the layer of the longest prefix naming it; it may import its own
# layer and the layers below. README.md's "Layout" table says the same in words.
LAYERS: tuple[tuple[str, str], ...] = (
    ("oracle", "the reference interpreter: NumPy semantics of Warp kernels"),
    ("grammar", "the kernel generator and its inputs"),
    ("fuzz.engine", "build, launch and judge one batch of kernels"),
    ("corpus", "stored findings: save, reduce, replay, triage"),
    ("fuzz", "commands, campaigns, pool, report, export and the rest of fuzz/"),
)
PACKAGES = ("fuzz", "grammar", "oracle", "corpus")
SKIP_PARTS = frozenset({"seeds", "__pycache__"})  # corpus/seeds/: stored findings, not project code


@dataclass(frozen=True)
class Edge:
    src: str
    dst: str
    line: int


@dataclass(frozen=True)
class PrivateUse:
    src: str
    dst: str
    name: str
    line: int


@dataclass
class Graph:
    root: Path
    files: dict[str, Path]  # module name -> file
    edges: dict[str, dict[str, Edge]] = field(default_factory=dict)  # src -> dst -> first edge
    private: list[PrivateUse] = field(default_factory=list)

    def rel(self, module: str) -> str:
        return str(self.files[module].relative_to(self.root))


def module_files(root: Path, packages: tuple[str, ...] = PACKAGES) -> dict[str, Path]:
    out: dict[str, Path] = {}
    for pkg in packages:
        for f in sorted((root / pkg).rglob("*.py")):
            rel = f.relative_to(root)
            if SKIP_PARTS & set(rel.parts):
                continue
            parts = list(rel.with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = f
    return out


def _resolve(name: str, files: Mapping[str, Path]) -> str | None:
    """The project module `name` refers to: itself, or the longest module prefix of it."""
    while name:
        if name in files:
            return name
        name = name.rpartition(".")[0]
    return None


def _from_base(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    parts = module.split(".") if is_package else module.split(".")[:-1]
    parts = parts[: len(parts) - (node.level - 1)]
    return ".".join([*parts, *([node.module] if node.module else [])])


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _scan(graph: Graph, module: str) -> None:
    path = graph.files[module]
    tree = ast.parse(path.read_text(), filename=str(path))
    files = graph.files
    out = graph.edges.setdefault(module, {})
    bound: dict[str, str] = {}  # local name -> project module it is bound to by an import

    def edge(dst: str | None, line: int) -> None:
        if dst is not None and dst != module and dst not in out:
            out[dst] = Edge(module, dst, line)

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                dst = _resolve(a.name, files)
                edge(dst, node.lineno)
                if a.asname and a.name in files:
                    bound[a.asname] = a.name
                elif not a.asname and a.name.split(".")[0] in files:
                    bound[a.name.split(".")[0]] = a.name.split(".")[0]
                if dst is not None and any(_is_private(p) for p in a.name.split(".")):
                    graph.private.append(PrivateUse(module, dst, a.name, node.lineno))
        elif isinstance(node, ast.ImportFrom):
            base = _from_base(module, path.name == "__init__.py", node)
            # `from pkg import sub` inside pkg's own tree names pkg: its __init__ runs first, so
            # a package file importing its submodules closes a cycle with them (across packages
            # the submodule edge already says everything the layer rule needs)
            if base in files and base.split(".")[0] == module.split(".")[0]:
                edge(base, node.lineno)
            for a in node.names:
                full = f"{base}.{a.name}"
                dst = full if full in files else _resolve(base, files)
                edge(dst, node.lineno)
                if full in files:
                    bound[a.asname or a.name] = full
                if dst is not None and dst != module and _is_private(a.name):
                    graph.private.append(PrivateUse(module, dst, a.name, node.lineno))

    def target(expr: ast.expr) -> str | None:
        if isinstance(expr, ast.Name):
            return bound.get(expr.id)
        if isinstance(expr, ast.Attribute):
            base = target(expr.value)
            if base is not None and f"{base}.{expr.attr}" in files:
                return f"{base}.{expr.attr}"
        return None

    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _is_private(node.attr):
            dst = target(node.value)
            if dst is not None and dst != module:
                graph.private.append(PrivateUse(module, dst, node.attr, node.lineno))


def build_graph(root: Path, packages: tuple[str, ...] = PACKAGES) -> Graph:
    graph = Graph(root, module_files(root, packages))
    for module in graph.files:
        _scan(graph, module)
    return graph


def components(graph: Graph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    for start in graph.files:
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph.edges[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on.add(start)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph.edges[w]))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return sorted(out)


def cycle_in(graph: Graph, comp: list[str]) -> list[Edge]:
    """One shortest cycle through the component's first module (breadth first inside it)."""
    members = set(comp)
    start = comp[0]
    prev: dict[str, Edge] = {}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w, e in sorted(graph.edges[v].items()):
                if w not in members:
                    continue
                if w == start:
                    path = [e]
                    while path[0].src != start:
                        path.insert(0, prev[path[0].src])
                    return path
                if w not in prev:
                    prev[w] = e
                    nxt.append(w)
        frontier = nxt
    raise AssertionError(f"no cycle through {start} inside {comp}")


def layer_of(module: str, layers: tuple[tuple[str, str], ...] = LAYERS) -> int | None:
    best: tuple[int, int] | None = None  # (prefix length, layer index)
    for i, (prefix, _) in enumerate(layers):
        inside = module == prefix or module.startswith(prefix + ".")
        if inside and (best is None or len(prefix) > best[0]):
            best = (len(prefix), i)
    return None if best is None else best[1]


def upward(graph: Graph, layers: tuple[tuple[str, str], ...] = LAYERS) -> list[Edge]:
    """Imports of a module in a higher layer than the importer's."""
    out = []
    for src, dsts in graph.edges.items():
        ls = layer_of(src, layers)
        for dst, e in dsts.items():
            ld = layer_of(dst, layers)
            if ls is not None and ld is not None and ld > ls:
                out.append(e)
    return sorted(out, key=lambda e: (e.src, e.dst))


def describe_cycle(graph: Graph, path: list[Edge]) -> str:
    steps = [path[0].src] + [f"-> {e.dst} ({graph.rel(e.src)}:{e.line})" for e in path]
    return " ".join(steps)


def violations(graph: Graph, layers: tuple[tuple[str, str], ...] = LAYERS) -> list[str]:
    """Every rule broken, one line each, naming the modules, files and lines."""
    out = [
        f"cycle: {describe_cycle(graph, cycle_in(graph, c))} [component: {', '.join(c)}]"
        for c in components(graph)
    ]
    for p in sorted(graph.private, key=lambda p: (p.src, p.line, p.name)):
        out.append(f"underscore name: {graph.rel(p.src)}:{p.line} uses {p.dst}.{p.name}")
    for e in upward(graph, layers):
        out.append(
            f"upward import: {graph.rel(e.src)}:{e.line} imports {e.dst} "
            f"(layer {layers[layer_of(e.dst, layers) or 0][0]} is above {layers[layer_of(e.src, layers) or 0][0]})"
        )
    return out


def summary(graph: Graph) -> list[str]:
    n_edges = sum(len(d) for d in graph.edges.values())
    pkg: dict[tuple[str, str], int] = {}
    for src, dsts in graph.edges.items():
        for dst in dsts:
            a, b = LAYERS[layer_of(src) or 0][0], LAYERS[layer_of(dst) or 0][0]
            if a != b:
                pkg[(a, b)] = pkg.get((a, b), 0) + 1
    lines = [f"{len(graph.files)} modules, {n_edges} import edges"]
    lines += [f"  {a} -> {b}: {n}" for (a, b), n in sorted(pkg.items())]
    return lines


def main(argv: list[str]) -> int:
    root = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent.parent
    graph = build_graph(root)
    for line in summary(graph):
        print(line)
    bad = violations(graph)
    for line in bad:
        print(line)
    print(f"{len(bad)} violations")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
