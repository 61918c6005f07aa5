"""WarpModule with real Warp on the CPU: build, compile, launch, code cut, discard; a kernel that
does not compile names the device; CUDA ahead of time with NVRTC (no GPU needed)."""

from __future__ import annotations

import glob
import linecache
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from fuzz.engine import warpcompat
from fuzz.engine.runner import CompileFailure as RunnerCompileFailure
from fuzz.engine.wpmodule import CompileFailure, WarpModule, module_text
from grammar.case import MODULE_HEADER

DOUBLE = """
@wp.func
def k_dbl_f0(x: float) -> float:
    return x * 2.0


@wp.kernel
def k_dbl(a: wp.array(dtype=float), out: wp.array(dtype=float)):
    i = wp.tid()
    out[i] = k_dbl_f0(a[i]) + 1.0
"""

THIRD = """
@wp.kernel
def k_third(a: wp.array(dtype=wp.int32), out: wp.array(dtype=wp.int32)):
    i = wp.tid()
    out[i] = a[i] / 3
"""

BROKEN = """
@wp.kernel
def k_broken(a: wp.array(dtype=float), out: wp.array(dtype=float)):
    i = wp.tid()
    out[i] = wp.no_such_builtin(a[i])
"""


@pytest.fixture
def work(tmp_path: Path) -> Iterator[Path]:
    import warp as wp

    warpcompat.quiet()
    saved = wp.config.kernel_cache_dir
    wp.config.kernel_cache_dir = str(tmp_path / "kernel-cache")
    wp.init()
    try:
        yield tmp_path
    finally:
        wp.config.kernel_cache_dir = saved


def test_build_compile_launch_cut_discard(work: Path) -> None:
    import warp as wp

    m = WarpModule.build([DOUBLE, THIRD], "wf_wpm_two", str(work), {"enable_backward": True})
    assert m.path == str(work / "wf_wpm_two.py")
    assert (
        Path(m.path).read_text() == MODULE_HEADER + DOUBLE.rstrip("\n") + "\n\n\n" + THIRD.rstrip("\n") + "\n"
    )
    assert Path(m.path).read_text() == module_text([DOUBLE, THIRD])
    assert m.wmod.options["enable_backward"] is True
    assert m.source("cpu") is None  # nothing compiled yet
    with pytest.raises(ValueError, match="no cpu source"):
        m.kernel_code("cpu", ["k_dbl"])
    sources = m.compile_all(["cpu"])
    assert set(sources) == {"cpu"} and sources["cpu"] == m.source("cpu")
    a = wp.array(np.array([1.0, -2.0, 0.5], dtype=np.float32), device="cpu")
    out = wp.zeros(3, dtype=float, device="cpu")
    wp.launch(m.kernel("k_dbl"), dim=3, inputs=[a, out], device="cpu")
    np.testing.assert_array_equal(out.numpy(), [3.0, -3.0, 2.0])
    ia = wp.array(np.array([7, -7, 9], dtype=np.int32), device="cpu")
    iout = wp.zeros(3, dtype=wp.int32, device="cpu")
    wp.launch(m.kernel("k_third"), dim=3, inputs=[ia, iout], device="cpu")
    np.testing.assert_array_equal(iout.numpy(), [2, -2, 3])  # Warp's int / truncates
    code = m.kernel_code("cpu", ["k_dbl", "k_third"])
    assert "k_dbl_f0" in code["k_dbl"].forward and "cpu_kernel_forward" in code["k_dbl"].forward
    assert code["k_dbl"].backward is not None and "adj_k_dbl_f0" in code["k_dbl"].backward
    assert "k_third" not in code["k_dbl"].forward and "k_dbl" not in code["k_third"].forward
    with pytest.raises(AttributeError, match="defines no k_missing"):
        m.kernel("k_missing")
    dirs = warpcompat.module_cache_dirs(m.wmod)
    assert dirs and all(os.path.isdir(d) for d in dirs)
    linecache.getlines(m.path)
    m.discard()
    assert not any(os.path.exists(d) for d in dirs)
    assert not glob.glob(str(work / "kernel-cache" / "wp_wf_wpm_two_*"))
    assert not os.path.exists(m.path)
    assert "wf_wpm_two" not in sys.modules and m.path not in linecache.cache
    m.discard()  # twice is harmless


def test_options_reach_the_build(work: Path) -> None:
    with WarpModule.build([DOUBLE], "wf_wpm_fwd", str(work), {"enable_backward": False}) as m:
        m.compile("cpu")
        (code,) = m.kernel_code("cpu", ["k_dbl"]).values()
        assert "cpu_kernel_forward" in code.forward
        assert "cpu_kernel_backward" not in (code.backward or "")  # no adjoint kernel was built
        path = m.path
    assert not os.path.exists(path) and "wf_wpm_fwd" not in sys.modules


def test_compile_error_names_the_device(work: Path) -> None:
    m = WarpModule.build([DOUBLE, BROKEN], "wf_wpm_bad", str(work), {"enable_backward": False})
    try:
        with pytest.raises(CompileFailure) as info:
            m.compile_all(["cpu"])
        assert info.value.device == "cpu" and "no_such_builtin" in str(info.value)
        with pytest.raises(CompileFailure) as info2:
            m.compile("cpu:0")
        assert info2.value.device == "cpu"
    finally:
        m.discard()
    assert RunnerCompileFailure is CompileFailure  # existing imports keep working


def test_import_error_leaves_nothing(work: Path) -> None:
    with pytest.raises(NameError):
        WarpModule.build(["x = undefined_name\n"], "wf_wpm_noimport", str(work))
    assert not (work / "wf_wpm_noimport.py").exists() and "wf_wpm_noimport" not in sys.modules


def test_load_keeps_the_users_file(work: Path) -> None:
    path = work / "user_kernels.py"
    path.write_text(MODULE_HEADER + THIRD)
    with WarpModule.load(str(path), "wf_wpm_user", str(work)) as m:
        m.compile("cpu")
        assert "k_third" in m.kernel_code("cpu", ["k_third"])["k_third"].forward
    assert path.exists() and "wf_wpm_user" not in sys.modules


def test_cuda_ahead_of_time_without_a_gpu(work: Path) -> None:
    import warp as wp

    if getattr(wp, "compile_aot_module", None) is None:
        pytest.skip(f"warp {wp.__version__} has no wp.compile_aot_module (NVRTC compile without a GPU)")
    with WarpModule.build([DOUBLE], "wf_wpm_aot", str(work), {"enable_backward": True}) as m:
        sources = m.compile_all(["cpu"], cuda_arch=90)
        assert set(sources) == {"cpu", "cuda"} and sources["cuda"] == m.source("cuda")
        code = m.kernel_code("cuda", ["k_dbl"])["k_dbl"]
        assert "__global__" in code.forward and "cuda_kernel_forward" in code.forward
        assert code.backward is not None and "cuda_kernel_backward" in code.backward
        assert os.path.isdir(work / "wf_wpm_aot-cuda")
    assert not os.path.exists(work / "wf_wpm_aot-cuda")
    with WarpModule.build([BROKEN], "wf_wpm_aot_bad", str(work)) as bad:
        with pytest.raises(CompileFailure) as info:
            bad.compile_cuda_aot(90)
        assert info.value.device == "cuda"
