"""Oracle bugs found by campaigns, each pinned against real Warp on CPU."""

from __future__ import annotations

import importlib.util
import sys

import numpy as np
import pytest

import oracle
from fuzz.launch import launch

SOURCE = """
import warp as wp


@wp.kernel
def half_degrees_frac(x: wp.array(dtype=wp.float16), out: wp.array(dtype=wp.float16), deg: wp.array(dtype=wp.float16)):
    i = wp.tid()
    deg[i] = wp.degrees(x[i])
    out[i] = wp.frac(wp.degrees(x[i]))


@wp.kernel
def float_degrees(x: wp.array(dtype=wp.float32), out: wp.array(dtype=wp.float32)):
    i = wp.tid()
    out[i] = wp.degrees(x[i]) + wp.radians(x[i])
"""


@pytest.fixture(scope="module")
def mod(tmp_path_factory: pytest.TempPathFactory):
    import warp as wp

    d = tmp_path_factory.mktemp("oracle_regr")
    wp.config.quiet = True
    wp.config.kernel_cache_dir = str(d / "cache")
    path = d / "wf_oracle_regressions.py"
    path.write_text(SOURCE)
    spec = importlib.util.spec_from_file_location("wf_oracle_regressions", path)
    assert spec and spec.loader
    m = importlib.util.module_from_spec(spec)
    sys.modules["wf_oracle_regressions"] = m
    spec.loader.exec_module(m)
    return m


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


NO_LANE = """
import warp as wp


@wp.func
def f_v(x: float) -> wp.vec2f:
    if x > 100.0:
        return wp.vec2f(x, x)
    return wp.vec2f(1.0, x)


@wp.kernel
def nolane(a: wp.array(dtype=float), out: wp.array(dtype=wp.vec2f)):
    i = wp.tid()
    if a[i] > 1000.0:
        out[i] = f_v(a[i])
    else:
        out[i] = wp.vec2f(0.0, a[i])
"""


def test_a_function_called_on_no_active_lane_is_not_unsupported() -> None:
    # campaign seeds 1197 and 3 more (H200 run): a @wp.func called only inside a branch no lane
    # takes made the oracle report "function that never returns a value"
    a = np.linspace(-2, 2, 16, dtype=np.float32)
    orc = oracle.evaluate(NO_LANE, "nolane", {"a": a, "out": np.zeros((16, 2), np.float32)}, (16,))
    np.testing.assert_array_equal(orc.arrays["out"][:, 1], a)
