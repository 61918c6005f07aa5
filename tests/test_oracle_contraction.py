"""A float product that overflows may be contracted into an FMA and never rounded (NVRTC
contracts `x * 2.0 + inf` by default, clang at -O0 does not): the H200 campaign found CUDA giving
clamp(x * 2.0 + inf, 0, 1) = 1 where CPU and the oracle gave 0 for x = -FLT_MAX. The oracle marks
such lanes unstable, so neither outcome is judged; the other lanes are still compared."""

from __future__ import annotations

import numpy as np

import oracle

SRC = """
import warp as wp

@wp.kernel
def k(acc: wp.array(dtype=wp.float32), out: wp.array(dtype=wp.float32)):
    i = wp.tid()
    out[i] = wp.clamp(acc[i] * 2.0 + wp.inf, 0.0, 1.0)
"""


def test_an_overflowing_product_is_unstable_and_the_rest_is_judged() -> None:
    fmax = np.finfo(np.float32).max
    acc = np.array([-fmax, -np.inf, 3.5, -0.0, np.nan, 1.0], np.float32)
    r = oracle.evaluate(SRC, "k", {"acc": acc, "out": np.zeros(6, np.float32)}, (6,))
    # -FLT_MAX * 2 overflows: -inf + inf (NaN, clamp 0) rounded, or inf (clamp 1) contracted
    assert r.unstable["out"].tolist() == [True, False, False, False, False, False]
    # an operand that is already infinite or NaN decides the class whatever the code generation
    assert r.arrays["out"][1:].tolist() == [0.0, 1.0, 1.0, 0.0, 1.0]
    assert r.error_bound["out"][1] == 0.0
