"""Cutting one kernel's forward/backward code out of a real module's C++ and CUDA source."""

from __future__ import annotations

from pathlib import Path

import pytest
from kernels.harness import WarpModuleFactory

from fuzz.engine import warpcompat
from fuzz.engine.codecut import cut_kernel

SOURCE = """
import warp as wp


@wp.func
def k_7_f0(x: float) -> float:
    return x * 2.0


@wp.kernel
def k_7(a: wp.array(dtype=float), out: wp.array(dtype=float)):
    i = wp.tid()
    out[i] = k_7_f0(a[i]) + 1.0


@wp.kernel
def k_70(a: wp.array(dtype=wp.int32), out: wp.array(dtype=wp.int32)):
    i = wp.tid()
    out[i] = a[i] / 3
"""


@pytest.fixture(scope="module")
def module(warp_module: WarpModuleFactory):
    import warp as wp

    mod = warp_module("wf_codecut_mod", SOURCE, folder="codecut")
    d = Path(mod.__file__).parent
    wmod = wp.get_module("wf_codecut_mod")
    warpcompat.load_module(wmod, "cpu")
    return d, wmod


def test_cut_cpu_forward_and_backward(module) -> None:
    _, wmod = module
    src = warpcompat.module_source(wmod, "cpu")
    assert src is not None
    k7 = cut_kernel(src, "k_7")
    k70 = cut_kernel(src, "k_70")
    assert "k_7_f0" in k7.forward and "cpu_kernel_forward" in k7.forward
    assert k7.backward is not None and "cpu_kernel_backward" in k7.backward and "adj_k_7_f0" in k7.backward
    assert "k_70" not in k7.forward and "k_70" not in (k7.backward or "")
    assert "wp::div" in k70.forward and "k_7_f0" not in k70.forward
    assert not k7.forward.lstrip().startswith("#")


def test_cut_cuda_compiled_without_gpu(module) -> None:
    d, wmod = module
    src = warpcompat.compile_cuda_aot(wmod, 90, str(d / "aot"))
    k7 = cut_kernel(src, "k_7")
    assert "__global__" in k7.forward and "cuda_kernel_forward" in k7.forward
    assert k7.backward is not None and "cuda_kernel_backward" in k7.backward
    assert "k_70" not in k7.forward
