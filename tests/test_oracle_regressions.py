"""Oracle bugs found by campaigns, each pinned against real Warp on CPU."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from kernels.harness import WarpModuleFactory

import oracle
from fuzz.engine.launch import launch

SOURCE = """
import warp as wp


@wp.kernel
def half_degrees_frac(x: wp.array(dtype=wp.float16), out: wp.array(dtype=wp.float16), deg: wp.array(dtype=wp.float16)):
    i = wp.tid()
    deg[i] = wp.degrees(x[i])
    out[i] = wp.frac(wp.degrees(x[i]))


@wp.kernel
def signed_zero_sums(a: wp.array(dtype=wp.float32), out: wp.array(dtype=wp.float32)):
    i = wp.tid()
    z = a[i] * wp.float32(0.0)
    y4 = wp.dot(wp.vec4f(z, z, z, z), wp.vec4f(1.0, 2.0, 3.0, 4.0))
    y3 = wp.dot(wp.vec3f(z, z, z), wp.vec3f(1.0, 2.0, 3.0))
    m = wp.mat22f(z, z, z, z) * wp.mat22f(1.0, 2.0, 3.0, 4.0)
    out[4 * i + 0] = wp.atan2(y4, a[i])
    out[4 * i + 1] = wp.atan2(y3, a[i])
    out[4 * i + 2] = wp.atan2(m[0, 1], a[i])
    out[4 * i + 3] = wp.atan2(z, a[i])


@wp.kernel
def float_degrees(x: wp.array(dtype=wp.float32), out: wp.array(dtype=wp.float32)):
    i = wp.tid()
    out[i] = wp.degrees(x[i]) + wp.radians(x[i])


@wp.kernel
def inverse_trig_out_of_domain(x: wp.array(dtype=wp.float32), c: wp.array(dtype=wp.float32), s: wp.array(dtype=wp.float32)):
    i = wp.tid()
    c[i] = wp.acos(x[i])
    s[i] = wp.asin(x[i])
"""


@pytest.fixture(scope="module")
def mod(warp_module: WarpModuleFactory):
    return warp_module("wf_oracle_regressions", SOURCE, folder="oracle_regr")


def test_half_degrees_is_a_double_product_rounded_once(mod) -> None:
    # campaign seed 4341 (CPU and CUDA agreed): Warp computes half * (double)RAD_TO_DEG in double,
    # so degrees(-4.2578125h) is -244.0 and its frac 0; a half-rounded constant gives -243.875
    x = np.array([-4.2578125, 1.5, -0.75, 3.0], dtype=np.float16)
    args = {"x": x, "out": np.zeros(4, np.float16), "deg": np.zeros(4, np.float16)}
    dev = launch(mod.half_degrees_frac, args, (4,), "cpu")
    orc = oracle.evaluate(SOURCE, "half_degrees_frac", args, (4,))
    assert dev["deg"][0] == np.float16(-244.0)
    np.testing.assert_array_equal(orc.arrays["deg"], dev["deg"])
    stable = ~orc.unstable["out"]
    np.testing.assert_array_equal(orc.arrays["out"][stable], dev["out"][stable])


def test_float_degrees_matches_bit_for_bit(mod) -> None:
    x = np.linspace(-10, 10, 257, dtype=np.float32)
    args = {"x": x, "out": np.zeros_like(x)}
    dev = launch(mod.float_degrees, args, (x.size,), "cpu")
    orc = oracle.evaluate(SOURCE, "float_degrees", args, (x.size,))
    err = np.abs(dev["out"].astype(np.float64) - orc.arrays["out"])
    assert np.all(err <= 2 * orc.error_bound["out"] + np.spacing(np.abs(orc.arrays["out"])))


def test_a_function_called_on_no_active_lane_is_not_unsupported() -> None:
    """Campaign seed 3761 (and 1197, 3498, 4947; CPU+CUDA run): a @wp.func called where no lane
    is active made the oracle report "function that never returns a value"."""
    import json

    import grammar
    from grammar.case import KernelCase

    case = KernelCase.from_json(
        json.loads((Path(__file__).parent / "kernels" / "case_3761_no_lane_call.json").read_text())
    )
    orc = oracle.evaluate(case.module_source(), case.kernel_name, grammar.make_inputs(case), case.dim)
    assert orc.arrays["out14"].shape == (case.params[-1].shape[0], 3)


def test_long_dot_and_matrix_products_start_from_plus_zero(mod) -> None:
    # campaign seed 200739 (warp 1.10.1, still on 1.19.0): y = dot(vec4 of -0 products) is +0 in
    # Warp (vec.h accumulates into Type ret(0)) but was -0 in the oracle, so atan2(y, -0) came out
    # +pi on the CPU and -pi in the oracle. vec3 dot sums its products directly and keeps -0.
    a = np.array([-1.5, -0.0, 2.0], dtype=np.float32)
    args = {"a": a, "out": np.zeros(12, np.float32)}
    dev = launch(mod.signed_zero_sums, args, (3,), "cpu")
    orc = oracle.evaluate(SOURCE, "signed_zero_sums", args, (3,))
    pi = np.float32(np.pi)
    assert dev["out"][0] == pi and dev["out"][1] == -pi  # -1.5 * 0 = -0: vec4 -> +0, vec3 -> -0
    assert not orc.unstable["out"][[0, 1, 4, 5]].any()
    np.testing.assert_array_equal(np.signbit(orc.arrays["out"]), np.signbit(dev["out"]))
    np.testing.assert_array_equal(orc.arrays["out"], dev["out"])


def test_acos_asin_clamp_their_argument_as_builtin_h_does(mod) -> None:
    """Reduction of a campaign kernel (test_corpus_e2e, 1.7.1) dropped the generator's clamp
    around acos's argument: Warp computes acos(min(max(x, -1), 1)), so 1.5 gives 0 and NaN gives
    acos(-1) = pi; the oracle gave NaN and called it a mismatch."""
    x = np.array([1.5, -3.0, 0.3, 1.0000001, -0.7, np.nan, np.inf, -np.inf], dtype=np.float32)
    args = {"x": x, "c": np.zeros_like(x), "s": np.zeros_like(x)}
    dev = launch(mod.inverse_trig_out_of_domain, args, (x.size,), "cpu")
    orc = oracle.evaluate(SOURCE, "inverse_trig_out_of_domain", args, (x.size,))
    for name in ("c", "s"):
        got, want = dev[name].astype(np.float64), orc.arrays[name]
        assert np.isfinite(want).all(), (name, want)
        assert np.all(np.abs(got - want) <= 2 * orc.error_bound[name] + 1e-6), (name, got, want)
    # says no: acos is not asin, and the clamped values are not the unclamped NaNs
    assert not np.allclose(dev["c"], orc.arrays["s"])
    assert np.isnan(np.arccos(x[:2])).all() and not np.isnan(orc.arrays["c"][:2]).any()
