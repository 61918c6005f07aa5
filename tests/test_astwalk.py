"""`oracle.astwalk.walk_nodes` yields exactly `ast.walk`'s nodes in its order (the gradient screen
reports the first limitation it meets, so the order is part of its answer)."""

from __future__ import annotations

import ast
from pathlib import Path

from oracle.astwalk import walk_nodes

ROOT = Path(__file__).resolve().parent.parent


def test_same_nodes_in_the_same_order() -> None:
    files = sorted((ROOT / "tests" / "kernels").glob("*.py")) + sorted((ROOT / "oracle").glob("*.py"))
    assert len(files) > 10
    for f in files:
        tree = ast.parse(f.read_text())
        expected = list(ast.walk(tree))
        got = walk_nodes(tree)
        assert len(got) == len(expected), f
        assert all(a is b for a, b in zip(got, expected, strict=True)), f


def test_a_subtree_alone() -> None:
    fn = ast.parse("def f(a):\n    b = a + 1\n    return b\n").body[0]
    assert [type(n).__name__ for n in walk_nodes(fn)][:3] == ["FunctionDef", "arguments", "Assign"]
