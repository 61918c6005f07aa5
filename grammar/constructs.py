"""What a generated source uses: call names and operator node names, read back from the source.

Reading them from the rendered source (not from what the generator meant to emit) keeps
`KernelCase.constructs` honest; annotations and decorators are not uses.
"""

from __future__ import annotations

import ast

from grammar.gates import is_index_tile_subscript
from oracle.astwalk import walk_nodes
from oracle.types import is_array_annotation

BARE_CALLS = frozenset({"int", "float", "range", "len"})


def constructs_of(source: str, prefix: str) -> tuple[str, ...]:
    """Sorted call names (`wp.<name>`, bare int/float/range/len) and operator names in bodies.

    Component reads of vector/matrix/quaternion values (`v[0]`, `m[1, 2]`, `v.x`) count as
    Warp's `extract`, component writes (`v[1] = e`) as `assign_inplace`: a subscript on anything
    but an array parameter (or its `.shape`) is a composite in generated code.
    """
    found: set[str] = set()
    tree = ast.parse(source)
    for top in tree.body:
        if isinstance(top, ast.FunctionDef):
            arrays = {a.arg for a in top.args.args if is_array_annotation(a.annotation)}
            for stmt in top.body:
                _walk(stmt, found, prefix, arrays)
    return tuple(sorted(found))


def _walk(node: ast.AST, found: set[str], prefix: str, arrays: set[str]) -> None:
    for n in walk_nodes(node):
        if isinstance(n, ast.Subscript):
            v = n.value
            on_array = (isinstance(v, ast.Name) and v.id in arrays) or (
                isinstance(v, ast.Attribute) and v.attr == "shape"
            )
            if not on_array and is_index_tile_subscript(n):
                found.add("tile_slice_indexed")  # `t[ix, :]`: a gather by an index tile
            elif not on_array:
                found.add("assign_inplace" if isinstance(n.ctx, ast.Store) else "extract")
        elif isinstance(n, ast.Attribute) and n.attr in ("x", "y", "z", "w"):
            found.add("assign_inplace" if isinstance(n.ctx, ast.Store) else "extract")
        elif isinstance(n, ast.Call):
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
