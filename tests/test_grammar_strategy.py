"""The public Hypothesis strategy: drawn kernels parse, are prefixed and declare their constructs."""

from __future__ import annotations

import ast

import pytest
from hypothesis import HealthCheck, given, settings

import grammar
from grammar.constructs import constructs_of
from grammar.strategies import kernels

CALLS_OPS = grammar.emittable_calls() | grammar.emittable_operators()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kernels(max_stmts=4, max_depth=3))
def test_drawn_kernels_are_well_formed(case):
    tree = ast.parse(case.source)
    assert all(top.name.startswith(case.kernel_name) for top in tree.body)
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
        settings=settings(max_examples=60, database=None),
    )
    assert case.source.count("\n") <= 8, case.source
