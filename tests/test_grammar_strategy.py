"""The public Hypothesis strategy: drawn kernels parse, are prefixed and declare their constructs."""

from __future__ import annotations

import ast

import pytest
from hypothesis import HealthCheck, given, settings

import grammar
from grammar.constructs import constructs_of
from grammar.strategies import kernels

# with the language forms the text-body families write and grammar.registry does not declare
# (test_grammar_generate.test_constructs_are_declared_emittable lists them): compile_time's
# wp.static, custom_adjoint's wp.grad, a factory's nested `wp.kernel(...)` and `wp.array` annotations
CALLS_OPS = grammar.emittable_calls() | grammar.emittable_operators() | {"static", "grad", "kernel", "array"}


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kernels(max_stmts=4, max_depth=3))
def test_drawn_kernels_are_well_formed(case):
    tree = ast.parse(case.source)
    # every module-level name a case binds carries its kernel's name (`import typing` aside)
    bound = [
        n.id if isinstance(n, ast.Name) else n.name
        for top in tree.body
        if not isinstance(top, ast.Import | ast.Expr)
        for n in ([top] if isinstance(top, ast.FunctionDef | ast.ClassDef) else ast.walk(top))
        if isinstance(n, ast.FunctionDef | ast.ClassDef)
        or (isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store))
    ]
    assert bound and all(b.startswith(case.kernel_name) for b in bound), bound
    assert case.constructs == constructs_of(case.source, case.kernel_name)
    assert set(case.constructs) <= CALLS_OPS


def test_unknown_family_is_refused():
    with pytest.raises(ValueError, match="known families"):
        kernels(families=["nope"])


@pytest.mark.slow  # shrinking runs hundreds of generations (~1.5 min on 2 busy cores)
def test_strategy_shrinks_toward_small_kernels():
    """Hypothesis's minimal kernel satisfying 'has an if' is small: choices shrink toward less code."""
    from hypothesis import find

    case = find(
        kernels(families=["branch"]),
        lambda c: "if " in c.source,
        settings=settings(max_examples=300, database=None),  # 60 found none in some runs
    )
    assert case.source.count("\n") <= 8, case.source
