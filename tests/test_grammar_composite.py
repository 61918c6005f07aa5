"""Composite, helper and struct families: shapes of what they emit, oracle agreement on validity,
and that composite guards are enforced (an unguarded composite production is caught)."""

from __future__ import annotations

import ast

import libcst as cst
import numpy as np
import pytest

import grammar
import oracle
from grammar import FAMILIES, GenConfig, generate, make_inputs
from grammar.composite import component_shape, composite
from grammar.composite_ops import VEC_TYPES, _p, ccap
from grammar.dtypes import Interval
from grammar.expr import GuardViolation, binop
from grammar.generate import generate_counted
from grammar.registry import build_registry

NEW = ("vector", "matrix", "quaternion", "helper_func", "struct")
COMPONENT_CONSTRUCTS = {"extract", "assign_inplace"}


def test_every_emittable_call_is_supported_by_the_oracle():
    missing = grammar.emittable_calls() - oracle.supported_calls() - COMPONENT_CONSTRUCTS
    assert not missing, sorted(missing)


@pytest.mark.parametrize("fam", NEW)
def test_new_families_emit_their_constructs(fam):
    seen: set[str] = set()
    for seed in range(15):
        c = generate(seed, family=fam)
        seen |= set(c.constructs)
        tree = ast.parse(c.source)
        if fam == "helper_func":
            funcs = [t for t in tree.body if isinstance(t, ast.FunctionDef) and t.name != c.kernel_name]
            assert funcs and all(f.returns is not None for f in funcs), c.source
            kernel = tree.body[-1]
            assert funcs[-1].name in ast.unparse(kernel), c.source  # the kernel calls its helpers
        if fam == "struct":
            (sp,) = [p for p in c.params if p.kind == "struct"]
            assert sp.fields and isinstance(tree.body[0], ast.ClassDef)
            val = make_inputs(c)[sp.name]
            assert set(val) == {f.name for f in sp.fields}
            for f in sp.fields:
                assert np.asarray(val[f.name]).shape == component_shape(f.dtype)
    wanted = {
        "vector": {"extract", "dot", "normalize", "cw_mul"},
        "matrix": {"inverse", "determinant", "transpose", "outer"},
        "quaternion": {"quat_rotate", "quat_from_axis_angle", "normalize"},
        "helper_func": {"clamp"},
        "struct": {"tid"},
    }[fam]
    assert wanted <= seen, sorted(wanted - seen)


def test_helper_chains_call_earlier_helpers_only():
    chained = 0
    for seed in range(20):
        c = generate(seed, family="helper_func")
        tree = ast.parse(c.source)
        names = [t.name for t in tree.body if isinstance(t, ast.FunctionDef)]
        for k, t in enumerate(tree.body[:-1]):
            called = {
                n.func.id for n in ast.walk(t) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
            }
            called &= set(names)
            assert called <= set(names[:k]), (seed, t.name, called)  # never itself or a later one
            chained += bool(called)
    assert chained >= 5


@pytest.mark.parametrize("fam", NEW)
def test_oracle_finds_no_undefined_behaviour(fam):
    """The oracle interprets the kernels without refusing them and finds every output finite."""
    for seed in range(2):
        c = generate(1000 + seed, family=fam)
        res = oracle.evaluate(c.module_source(), c.kernel_name, make_inputs(c), c.dim)
        for name, arr in res.arrays.items():
            a = np.asarray(arr)
            if a.dtype.kind == "f":
                assert np.all(np.isfinite(a)), (fam, seed, name)


def test_quaternion_outputs_are_unit():
    """Quaternions are unit by construction: every quaternion output of the oracle has norm 1."""
    checked = 0
    for seed in range(16):
        c = generate(seed, family="quaternion")
        outs = [p for p in c.params if p.role == "out" and p.dtype.startswith("quat")]
        if not outs:
            continue
        res = oracle.evaluate(c.module_source(), c.kernel_name, make_inputs(c), c.dim)
        for p in outs:
            n = np.linalg.norm(np.asarray(res.arrays[p.name], dtype=np.float64), axis=-1)
            assert np.allclose(n, 1.0, atol=1e-3), (seed, p.name, n.min(), n.max())
            checked += 1
    assert checked >= 2


def _unguarded_vec_scale():
    """Component-wise products with no guard: bounded operands multiply past the scalar cap."""
    return _p(
        "vscale",
        "vector",
        lambda g, d: (d, d),
        lambda d, a: Interval(-(a[0].iv.mag * a[1].iv.mag), a[0].iv.mag * a[1].iv.mag),
        lambda g, d, a: binop(a[0].node, cst.Multiply(), a[1].node),
        makes=VEC_TYPES,
        weight=500.0,
    )


def test_interval_check_catches_an_unguarded_composite_production():
    bad = build_registry(extra=(_unguarded_vec_scale(),))
    cfg = GenConfig(weights=dict.fromkeys(FAMILIES, 0.0) | {"vector": 1.0})
    with pytest.raises(GuardViolation, match="exceeds the safe range"):
        for seed in range(200):
            generate_counted(seed, cfg, registry=bad)


def test_composite_bounds_are_below_the_scalar_cap():
    for s in ("float16", "float32", "float64", "int32"):
        from grammar.dtypes import cap

        assert ccap(s) * 10 <= cap(s).hi
    assert composite("transformd") is not None and composite("vec3h") is not None
