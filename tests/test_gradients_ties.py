"""Inputs sitting exactly on a kink (campaign seed 1601: -max(a, vec2(0)) with many components
exactly 0) are left out of the gradient comparison whichever side Warp's tie goes: the gradient is
probed two ulps up and two ulps down. Moved one random way, half the ties were kept, and in a dense
direction their one-sided slopes cancelled each other, so the kink checks missed them and a correct
adjoint was reported as a mismatch."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from kernels.harness import WarpModuleFactory

import oracle
from fuzz.engine import gradients as G
from grammar.case import MODULE_HEADER, KernelCase, ParamSpec

SOURCE = """
@wp.kernel
def negmax(a: wp.array(dtype=wp.vec2f), out: wp.array(dtype=wp.vec2f)):
    i = wp.tid()
    out[i] = -wp.max(a[i], wp.vec2f(0.0))
"""
N = 128


@pytest.fixture(scope="module")
def kernel(warp_module: WarpModuleFactory) -> Any:
    return warp_module(
        "wf_gradients_ties", MODULE_HEADER + SOURCE, enable_backward=True, folder="gradties"
    ).negmax


@pytest.mark.parametrize("seed", range(4))
def test_ties_on_a_kink_are_left_out(kernel: Any, seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.01, 2.0, (N, 2)).astype(np.float32) * rng.choice([-1.0, 1.0], (N, 2)).astype(np.float32)
    a[rng.random((N, 2)) < 0.3] = 0.0  # exact ties of max(x, 0)
    params = (ParamSpec("a", "array", "vec2f", (N,), "in"), ParamSpec("out", "array", "vec2f", (N,), "out"))
    case = KernelCase("negmax", SOURCE, "test", seed, "test", params, (N,))
    inputs = {"a": a, "out": np.zeros((N, 2), np.float32)}
    gc = G.check_gradients(kernel, case, inputs, "cpu", oracle.evaluate, np.random.default_rng(seed))
    assert gc.status == G.VERIFIED, gc
    left_out = sum(v for k, v in gc.excluded.items() if k.startswith("input element at a kink"))
    assert left_out >= int((a == 0).sum()) // 2, gc


ABSORBED = """
@wp.kernel
def absorbed(a: wp.array(dtype=wp.vec3f), out: wp.array(dtype=wp.vec3f)):
    i = wp.tid()
    out[i] = wp.min(wp.vec3f(0.5, 0.5, 0.0), a[i] + wp.vec3f(0.5, 0.5, 1.0)) + a[i]
"""


@pytest.fixture(scope="module")
def absorbed_kernel(warp_module: WarpModuleFactory) -> Any:
    return warp_module(
        "wf_gradients_ties_absorbed", MODULE_HEADER + ABSORBED, enable_backward=True, folder="gradties2"
    ).absorbed


@pytest.mark.parametrize("seed", range(3))
def test_a_tie_two_ulps_of_zero_cannot_move_is_still_left_out(absorbed_kernel: Any, seed: int) -> None:
    """Campaign seed 1105056: min(0.5, a + 0.5) at a = 0. Two ulps of 0 are subnormal, a + 0.5
    rounds back to 0.5, so moving a by two of its own ulps left the tie in place and the kink in
    the finite-difference step was judged a mismatch; the probe now moves by two ulps of
    max(|a|, 1)."""
    rng = np.random.default_rng(100 + seed)
    a = rng.uniform(0.0, 1.0, (N, 3)).astype(np.float32)
    a[rng.random((N, 3)) < 0.25] = 0.0
    params = (ParamSpec("a", "array", "vec3f", (N,), "in"), ParamSpec("out", "array", "vec3f", (N,), "out"))
    case = KernelCase("absorbed", ABSORBED, "test", seed, "test", params, (N,))
    inputs = {"a": a, "out": np.zeros((N, 3), np.float32)}
    gc = G.check_gradients(absorbed_kernel, case, inputs, "cpu", oracle.evaluate, np.random.default_rng(seed))
    assert gc.status == G.VERIFIED, gc
    left_out = sum(v for k, v in gc.excluded.items() if k.startswith("input element at a kink"))
    assert left_out >= int((a[:, :2] == 0).sum()) // 2, gc
