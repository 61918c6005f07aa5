"""Gradient verification against real Warp on CPU: correct backward code passes across kinds of
kernels, a deliberately wrong custom adjoint is caught, non-differentiable and unsupported kernels
are labelled as such (never as verified), and the store/runner carry the record."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from kernels.harness import WarpModuleFactory

import oracle
from fuzz.engine import gradients as G
from grammar.case import MODULE_HEADER, KernelCase, ParamSpec

SOURCE = "@wp.kernel\ndef poly(a: wp.array(dtype=wp.float32), b: wp.array(dtype=wp.float32), out: wp.array(dtype=wp.float32)):\n    i = wp.tid()\n    out[i] = a[i] * a[i] * b[i] + 3.0 * a[i] - b[i] * b[i] * b[i]\n\n\n@wp.kernel\ndef sinexp(a: wp.array(dtype=wp.float32), b: wp.array(dtype=wp.float32), out: wp.array(dtype=wp.float32)):\n    i = wp.tid()\n    out[i] = wp.exp(wp.sin(a[i]) * 0.5) + wp.cos(a[i] * b[i])\n\n\n@wp.kernel\ndef branch(a: wp.array(dtype=wp.float32), b: wp.array(dtype=wp.float32), out: wp.array(dtype=wp.float32)):\n    i = wp.tid()\n    if a[i] > 0.25:\n        out[i] = a[i] * a[i]\n    else:\n        out[i] = 2.0 * a[i] + b[i]\n\n\n@wp.kernel\ndef kinks(a: wp.array(dtype=wp.float32), b: wp.array(dtype=wp.float32), out: wp.array(dtype=wp.float32)):\n    i = wp.tid()\n    out[i] = wp.abs(a[i]) + wp.max(a[i], b[i]) * wp.floor(b[i])\n\n\n@wp.kernel\ndef vec3k(v: wp.array(dtype=wp.vec3), u: wp.array(dtype=wp.vec3), out: wp.array(dtype=wp.float32)):\n    i = wp.tid()\n    out[i] = wp.length(v[i]) + wp.dot(wp.normalize(v[i]), u[i])\n\n\n@wp.func\ndef helper_h(x: float, y: float) -> float:\n    return x * wp.sqrt(y * y + 1.0)\n\n\n@wp.kernel\ndef helper(a: wp.array(dtype=wp.float32), b: wp.array(dtype=wp.float32), out: wp.array(dtype=wp.float32)):\n    i = wp.tid()\n    out[i] = helper_h(a[i], b[i]) - float(2.0) * b[i]\n\n\n@wp.func\ndef wrong_sq(x: float) -> float:\n    return x * x\n\n\n@wp.func_grad(wrong_sq)\ndef adj_wrong_sq(x: float, adj_ret: float):\n    wp.adjoint[x] += 3.0 * x * adj_ret\n\n\n@wp.kernel\ndef wrong(a: wp.array(dtype=wp.float32), b: wp.array(dtype=wp.float32), out: wp.array(dtype=wp.float32)):\n    i = wp.tid()\n    out[i] = wrong_sq(a[i]) + b[i]\n\n\n@wp.kernel\ndef reduce_sq(a: wp.array(dtype=wp.float32), acc: wp.array(dtype=wp.float32)):\n    i = wp.tid()\n    wp.atomic_add(acc, i % 4, a[i] * a[i])\n\n\n@wp.kernel\ndef ints(a: wp.array(dtype=wp.int32), out: wp.array(dtype=wp.int32)):\n    i = wp.tid()\n    out[i] = a[i] * 2\n\n\n@wp.kernel\ndef dynloop(a: wp.array(dtype=wp.float32), n: int, out: wp.array(dtype=wp.float32)):\n    i = wp.tid()\n    s = float(0.0)\n    for k in range(n):\n        s = s * a[i] + 1.0\n    out[i] = s\n\n\n@wp.kernel\ndef inplace(a: wp.array(dtype=wp.float32), out: wp.array(dtype=wp.float32)):\n    i = wp.tid()\n    out[i] = a[i] * 2.0\n    out[i] = out[i] * a[i]\n\n\n@wp.kernel\ndef frack(a: wp.array(dtype=wp.float32), out: wp.array(dtype=wp.float32)):\n    i = wp.tid()\n    out[i] = wp.frac(a[i]) * 2.0\n"

N = 16


def _source_of(names: list[str]) -> str:
    tree = ast.parse(SOURCE)
    parts = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name in names:
            decos = "\n".join("@" + str(ast.get_source_segment(SOURCE, d)) for d in node.decorator_list)
            parts.append(decos + "\n" + str(ast.get_source_segment(SOURCE, node)))
    return "\n\n\n".join(parts) + "\n"


def _arr(name: str, dtype: str = "float32", role: str = "in", shape: tuple[int, ...] = (N,)) -> ParamSpec:
    return ParamSpec(name, "array", dtype, shape, role)


F3 = [_arr("a"), _arr("b"), _arr("out", role="out")]
CASES: dict[str, tuple[list[str], list[ParamSpec]]] = {
    "poly": (["poly"], F3),
    "sinexp": (["sinexp"], F3),
    "branch": (["branch"], F3),
    "kinks": (["kinks"], F3),
    "vec3k": (["vec3k"], [_arr("v", "vec3f"), _arr("u", "vec3f"), _arr("out", role="out")]),
    "helper": (["helper_h", "helper"], F3),
    "reduce_sq": (["reduce_sq"], [_arr("a"), _arr("acc", role="inout", shape=(4,))]),
    "wrong": (["wrong_sq", "adj_wrong_sq", "wrong"], F3),
    "frack": (["frack"], [_arr("a"), _arr("out", role="out")]),
    "ints": (["ints"], [_arr("a", "int32"), _arr("out", "int32", role="out")]),
    "dynloop": (["dynloop"], [_arr("a"), ParamSpec("n", "scalar", "int32"), _arr("out", role="out")]),
    "inplace": (["inplace"], [_arr("a"), _arr("out", role="out")]),
}


@pytest.fixture(scope="module")
def mod(warp_module: WarpModuleFactory) -> Any:
    return warp_module("wf_gradients_test", MODULE_HEADER + SOURCE, enable_backward=True, folder="grad")


def _case(name: str) -> tuple[KernelCase, dict[str, Any]]:
    names, params = CASES[name]
    case = KernelCase(name, _source_of(names), "test", 7, "test", tuple(params), (N,))
    rng = np.random.default_rng(3)
    # edge values on purpose: kinks of abs/max/floor and the branch threshold 0.25
    edges = np.array([0.25, 0.0, -0.0, 1.0], np.float32)
    inputs: dict[str, Any] = {}
    for p in params:
        comp = (3,) if p.dtype == "vec3f" else ()
        if p.kind == "scalar":
            inputs[p.name] = np.int32(3)
        elif p.role != "in":
            inputs[p.name] = np.zeros(p.shape + comp, np.int32 if p.dtype == "int32" else np.float32)
        elif p.dtype == "int32":
            inputs[p.name] = np.arange(N, dtype=np.int32)
        elif comp:
            inputs[p.name] = rng.uniform(-2, 2, p.shape + comp).astype(np.float32)
        else:
            inputs[p.name] = np.concatenate([edges, rng.uniform(-2, 2, N - 4)]).astype(np.float32)
    return case, inputs


def _check(mod: Any, name: str, seed: int = 1) -> G.GradientCheck:
    case, inputs = _case(name)
    return G.check_gradients(
        getattr(mod, name), case, inputs, "cpu", oracle.evaluate, np.random.default_rng(seed)
    )


@pytest.mark.parametrize("name", ["poly", "sinexp", "branch", "kinks", "vec3k", "helper", "reduce_sq"])
def test_correct_backward_code_verifies(mod: Any, name: str) -> None:
    gc = _check(mod, name)
    assert gc.status == G.VERIFIED, gc
    # kinks: its kink elements are left out (moved up and down), fewer directions remain
    assert gc.checked >= (2 if name == "kinks" else 3) and gc.max_rel_err < 1e-4, gc


KINK = "input element at a kink"
JUMP = "input element at a kink (Warp's gradient jumps within two ulps)"


def test_kinks_are_excluded_and_counted(mod: Any) -> None:
    gc = _check(mod, "kinks")
    # a[1] = 0 and a[2] = -0 sit on abs's kink; b = 0/1 on floor's jumps: left out either where
    # Warp's gradient jumps within two ulps (up or down) or where the finite differences see it
    assert gc.excluded.get(JUMP, 0) + gc.excluded.get(KINK, 0) >= 4, gc
    assert gc.excluded.get(JUMP, 0) >= 2, gc
    # the branch tie a == 0.25 is left out: as an unstable output (when the oracle marks the
    # decision) or as an input at a kink (Warp's gradient jumps there within two ulps)
    ex = _check(mod, "branch").excluded
    tie = ex.get("output unstable or non-finite", 0) + ex.get(
        "input element at a kink (Warp's gradient jumps within two ulps)", 0
    )
    assert tie >= 1, ex


def test_wrong_custom_adjoint_is_caught(mod: Any) -> None:
    gc = _check(mod, "wrong")
    assert gc.status == G.MISMATCH, gc
    assert not gc.passed and "d(sum w*out)/da[" in gc.message and gc.max_rel_err > 0.1, gc


def test_caught_with_every_seed(mod: Any) -> None:
    assert all(_check(mod, "wrong", seed).status == G.MISMATCH for seed in range(3))


def test_missing_adjoint_of_frac_is_caught(mod: Any) -> None:
    # Warp 1.19.0's adj_frac accumulates nothing (d frac(x)/dx = 1 between integers)
    gc = _check(mod, "frack")
    assert gc.status == G.MISMATCH and "Warp 0 vs" in gc.message, gc
    assert gc.known_gaps == ["frac-derivative"], gc  # and the re-check says why


def test_integer_kernel_is_not_differentiable(mod: Any) -> None:
    gc = _check(mod, "ints")
    assert gc.status == G.NOT_DIFFERENTIABLE and gc.passed and gc.checked == 0


@pytest.mark.parametrize(
    ("name", "why"), [("dynloop", "dynamic `for` loop"), ("inplace", "reads array 'out'")]
)
def test_documented_unsupported_reverse_mode(mod: Any, name: str, why: str) -> None:
    gc = _check(mod, name)
    assert gc.status == G.UNSUPPORTED and why in gc.message, gc


def test_dynamic_loop_would_really_disagree(mod: Any) -> None:
    """The unsupported label is earned: forcing the comparison on the dynamic loop does fail."""
    case, inputs = _case("dynloop")
    weights = {"out": np.ones(N)}
    g = G.warp_gradients(mod.dynloop, inputs, case.dim, "cpu", weights, ["a"])["a"]
    x = inputs["a"].astype(np.float64)
    assert not np.allclose(g, 2 * x + 1, rtol=1e-3)  # d/dx of x^2 + x + 1


def test_float64_source_promotes_floats_and_keeps_int_and_float16() -> None:
    src = (
        "@wp.kernel\ndef k(a: wp.array(dtype=wp.float32), v: wp.array(dtype=wp.vec3), "
        "h: wp.array(dtype=wp.float16), n: int):\n"
        "    i = wp.tid()\n    x = float(a[i]) * 2.0 + wp.float32(0.1)\n"
        "    y = wp.vec3f(1.0, 2.0, 3.0)\n    h[i] = wp.float16(0.5) * h[i]\n"
    )
    out = G.float64_source(src)
    assert "float32" not in out and "vec3f" not in out and "vec3(" not in out
    assert "wp.array(dtype=wp.vec3d)" in out and "wp.float64(2.0)" in out and "wp.float64(0.1)" in out
    assert "wp.float16(0.5)" in out and "n: int" in out


def test_float64_twin_agrees_with_float32_oracle(mod: Any) -> None:
    case, inputs = _case("sinexp")
    r32 = oracle.evaluate(case.module_source(), case.kernel_name, inputs, case.dim)
    r64 = oracle.evaluate(G.float64_source(case.module_source()), case.kernel_name, inputs, case.dim)
    assert r64.arrays["out"].dtype == np.float64
    np.testing.assert_allclose(r64.arrays["out"], r32.arrays["out"], rtol=1e-5)
    assert not np.array_equal(r64.arrays["out"], r32.arrays["out"].astype(np.float64))


def test_store_round_trips_gradient_check(tmp_path: Path) -> None:
    import sqlite3

    from fuzz.engine.result import CaseResult
    from fuzz.engine.store import Store

    # a database created before the column existed is migrated in place
    old = tmp_path / "old"
    old.mkdir()
    db = sqlite3.connect(old / "campaign.db")
    db.execute(
        "CREATE TABLE cases (seed INTEGER PRIMARY KEY, kernel_name TEXT NOT NULL, family TEXT NOT NULL,"
        " generator_version TEXT NOT NULL, verdict TEXT NOT NULL, stage TEXT, device TEXT, signature TEXT,"
        " message TEXT, case_json TEXT NOT NULL, checks_json TEXT, unstable_fraction REAL,"
        " oracle_ops INTEGER, session INTEGER, created REAL NOT NULL)"
    )
    db.commit()
    db.close()
    case, _ = _case("poly")
    gc = G.GradientCheck("cpu", G.MISMATCH, 0.5, 2e-3, 3, {"input element at a kink": 1}, "x")
    r = CaseResult(1, "poly", "test", "v", case.to_json(), "gradient_mismatch", "gradient", "cpu",
                   gradient_check=[gc.to_json()])  # fmt: skip
    for d in (old, tmp_path / "new"):
        st = Store(str(d))
        st.add_results([r], session=1)
        back = next(st.results())
        st.close()
        assert back.gradient_check == [gc.to_json()] and back.verdict == "gradient_mismatch"


@pytest.mark.slow
def test_batch_runner_records_gradients_and_flags_wrong_adjoint(tmp_path: Path) -> None:
    """Through BatchRunner: inputs from grammar.make_inputs, verdict gradient_mismatch, off switch."""
    import grammar
    from fuzz.engine.runner import BatchRunner
    from fuzz.engine.settings import WorkerSettings

    def mk(name: str, seed: int) -> KernelCase:
        names, params = CASES[name]
        ps = tuple(
            ParamSpec(p.name, p.kind, p.dtype, p.shape, p.role, low=-2.0, high=2.0) if p.role == "in" else p
            for p in params
        )
        return KernelCase(f"k_{seed}", _source_of(names).replace(name + "(", f"k_{seed}("), "test", seed,
                          grammar.GENERATOR_VERSION, ps, (N,))  # fmt: skip

    cases = [mk("poly", 11), mk("wrong", 12)]
    on = BatchRunner(WorkerSettings(run_dir=str(tmp_path)), str(tmp_path / "on"))
    res, secs = on.run(cases)
    assert [r.verdict for r in res] == ["verified", "gradient_mismatch"], [r.message for r in res]
    assert res[0].gradient_check[0]["status"] == "verified" and secs.get("gradient", 0) > 0
    assert res[1].stage == "gradient" and "cpu backward" in res[1].message
    off = BatchRunner(WorkerSettings(run_dir=str(tmp_path), gradients=False), str(tmp_path / "off"))
    res, _ = off.run(cases)
    assert [r.verdict for r in res] == ["verified", "verified"] and not res[1].gradient_check
