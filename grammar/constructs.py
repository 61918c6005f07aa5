"""What a generated source uses: call names and operator node names, read back from the source.

Reading them from the rendered source (not from what the generator meant to emit) keeps
`KernelCase.constructs` honest; annotations and decorators are not uses.
"""

from __future__ import annotations

import ast

BARE_CALLS = frozenset({"int", "float", "range", "len"})


def constructs_of(source: str, prefix: str) -> tuple[str, ...]:
    """Sorted call names (`wp.<name>`, bare int/float/range/len) and operator names in bodies."""
    found: set[str] = set()
    tree = ast.parse(source)
    for top in tree.body:
        if isinstance(top, ast.FunctionDef):
            for stmt in top.body:
                _walk(stmt, found, prefix)
    return tuple(sorted(found))


def _walk(node: ast.AST, found: set[str], prefix: str) -> None:
    for n in ast.walk(node):
        if isinstance(n, ast.Call):
            f = n.func
            if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "wp":
                found.add(f.attr)
            elif isinstance(f, ast.Name) and f.id in BARE_CALLS:
                found.add(f.id)
        elif isinstance(n, ast.BinOp | ast.UnaryOp | ast.BoolOp | ast.AugAssign):
            found.add(type(n.op).__name__)
        elif isinstance(n, ast.Compare):
            found.update(type(o).__name__ for o in n.ops)
        elif isinstance(n, ast.IfExp):
            found.add("IfExp")
