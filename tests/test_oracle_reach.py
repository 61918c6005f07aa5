"""Oracle vs real Warp (CPU) on the reach constructs: call order in every operand position,
every lvalue form, reused names, loops, non-finite values; hand-written kernels (one module
compile) and generated kernels of every reach family. Planted wrong semantics (and/or that
evaluate both sides, min/max that pick the second operand on NaN) must be caught."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from kernels import harness as h

import grammar
import oracle
from grammar.families import REACH_FAMILIES
from oracle import scalar_builtins as obuiltins
from oracle.interpreter import Interpreter

FILE = "reach.py"
N = 45
SPECIALS = np.array([np.nan, np.inf, -np.inf, -0.0, 1e-40, 3.4028235e38, -3.4028235e38, 0.0, 1.5], np.float32)


def _args(kernel: str) -> dict[str, Any]:
    rng = np.random.default_rng(7)
    x = rng.uniform(-2, 2, N).astype(np.float32)
    ints = rng.integers(0, 7, N).astype(np.int32)
    return {
        "order": dict(
            log=np.zeros(N * 8, np.int32), cnt=np.zeros(N, np.int32), x=x,
            out=np.zeros(N, np.int32), slots=np.zeros(N * 4, np.int32),
        ),
        "lvalues": dict(
            x=x, k=rng.integers(-20, 20, N).astype(np.int32), fo=np.zeros(N, np.float32),
            fo2=np.zeros((N, 3), np.float32), io=np.zeros(N, np.int32), vo=np.zeros((N, 3), np.float32),
            out=np.zeros(N, np.float32),
        ),
        "names": dict(n=rng.integers(0, 5, N).astype(np.int32), x=x, out=np.zeros(N, np.float32)),
        "loops": dict(a=ints, b=rng.integers(0, 7, N).astype(np.int32), x=x, out=np.zeros(N, np.float32)),
        "nonfinite": dict(
            x=np.resize(SPECIALS, N), y=np.linspace(-4, 4, N).astype(np.float32),
            out=np.zeros(N * 8, np.float32), flags=np.zeros(N, np.int32),
        ),
    }[kernel]  # fmt: skip


@pytest.mark.parametrize(
    ("kernel", "min_checked"),
    [("order", 600), ("lvalues", 450), ("names", 45), ("loops", 45), ("nonfinite", 400)],
)
def test_reach_kernels_match_warp(mod, src, kernel, min_checked):
    h.check_against_oracle(mod, src, kernel, _args(kernel), (N,), min_checked)


def test_call_order_is_pythons(mod, src):
    """The log itself, from Warp: left to right, value before a store's index, an augmented
    target's index before its value, short-circuit and/or, one ternary branch, bounds once."""
    args = _args("order")
    dev = h.run_device(mod, "order", args, (N,))
    log = dev["log"].reshape(N, 8)
    got = {p: list(log[p][: dev["cnt"][p]]) for p in (0, 1, 2, 3, 6, 7)}
    assert got == {
        0: [1, 2],
        1: [2, 1],
        2: [1, 2],
        3: [1] if args["x"][3] > 0 else [1, 2],
        6: [1, 2],
        7: [3, 4, 4],
    }
    orc = oracle.evaluate(src, "order", args, (N,))
    np.testing.assert_array_equal(orc.arrays["log"], dev["log"])


def test_nonfinite_elements_are_compared_not_skipped(mod, src):
    """NaN, ±Inf and the float max reach the outputs with exact (zero) bounds, so the judge
    compares them instead of counting them unstable."""
    args = _args("nonfinite")
    orc = h.check_against_oracle(mod, src, "nonfinite", args, (N,), 400)
    out = orc.arrays["out"]
    ok = ~orc.unstable["out"]
    assert (np.isnan(out) & ok).sum() >= 20 and (np.isinf(out) & ok).sum() >= 20


def _both_sides(self, node, m):
    """and/or as before Warp 1.13: every operand evaluated on every lane."""
    vals = [oracle.interpreter.truth(self.value(v, m), self.ctx(m)) for v in node.values]
    res = vals[0].data.copy()
    for v in vals[1:]:
        res = (res & v.data) if type(node.op).__name__ == "And" else (res | v.data)
    return oracle.interpreter.Value(oracle.interpreter.BOOL, res, np.zeros(self.lanes), vals[0].taint)


def test_planted_eager_and_or_is_caught(mod, src, monkeypatch):
    monkeypatch.setattr(Interpreter, "boolop", _both_sides)
    args = _args("order")
    dev = h.run_device(mod, "order", args, (N,))
    cmp = h.compare(dev, oracle.evaluate(src, "order", args, (N,)))
    assert not cmp.ok and any(m.startswith("log") for m in cmp.mismatches), cmp.mismatches


def test_planted_nan_blind_min_max_is_caught(mod, src, monkeypatch):
    """min/max as `a < b ? a : b` (Warp before 1.14): NaN in the first operand picks the second."""
    real = obuiltins.minmax

    def c_ternary(name, a, b, ctx):
        r = real(name, a, b, ctx)
        if a.t.is_float:
            with np.errstate(invalid="ignore"):
                pick_a = (a.data < b.data) if name == "min" else (a.data > b.data)
            r.data = np.where(pick_a, a.data, b.data).astype(a.t.np)
        return r

    monkeypatch.setattr(obuiltins, "minmax", c_ternary)
    args = _args("nonfinite")
    dev = h.run_device(mod, "nonfinite", args, (N,))
    cmp = h.compare(dev, oracle.evaluate(src, "nonfinite", args, (N,)))
    assert not cmp.ok, "a NaN-blind min/max passed"


def _load_case(case: grammar.KernelCase, tmp: Path) -> Any:
    path = tmp / f"{case.kernel_name}.py"
    path.write_text(case.module_source())
    spec = importlib.util.spec_from_file_location(f"reach_case_{case.kernel_name}", path)
    assert spec is not None and spec.loader is not None
    m = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = m
    spec.loader.exec_module(m)
    return m


@pytest.mark.parametrize("family", REACH_FAMILIES)
def test_generated_reach_kernels_match_warp(family, tmp_path):
    h.init_warp()
    checked = 0
    for seed in range(3):
        case = grammar.generate(seed, family=family)
        m = _load_case(case, tmp_path)
        args = grammar.make_inputs(case)
        dev = h.run_device(m, case.kernel_name, args, case.dim)
        cmp = h.compare(dev, oracle.evaluate(case.source, case.kernel_name, args, case.dim))
        assert cmp.ok, f"{family} seed {seed}: " + "; ".join(cmp.mismatches[:4])
        checked += cmp.checked
    assert checked >= 3 * 16
