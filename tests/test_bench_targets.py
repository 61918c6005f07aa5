"""`bench --devices/--cuda-arch` and the default worker count of runs compiling CPU and CUDA.

Each worker compiles a batch for CPU and CUDA in two threads; the rule keeps the threads near the
cores, and the compile-only CUDA target (NVRTC, no GPU needed) runs beside the CPU compile, as a
GPU's compile does, so `bench --cuda-arch 90` measures that two-thread floor.
"""

from __future__ import annotations

import threading

import pytest

import grammar
from fuzz.cliutil import BUSY_THREADS_PER_WORKER_BOTH_TARGETS, compiles_both_targets, default_worker_count
from fuzz.engine import warpcompat
from fuzz.engine.wpmodule import CompileFailure, WarpModule


def test_both_targets_get_fewer_workers_than_cores() -> None:
    assert compiles_both_targets(("cpu",), 90) and compiles_both_targets(("cpu", "cuda:0"), None)
    assert not compiles_both_targets(("cpu",), None) and not compiles_both_targets(("cuda:0",), 90)
    # one target: one worker per core, as before
    assert default_worker_count(16, 0, False) == 16 and default_worker_count(16, 1, False) == 16
    # two compile threads per worker: about 1.6 busy threads each, so 16 cores take 10 workers
    assert default_worker_count(16, 1, True) == 10
    assert default_worker_count(16, 1, True) * BUSY_THREADS_PER_WORKER_BOTH_TARGETS <= 16
    assert default_worker_count(16, 0, True) * 2 > 16  # not halved: the rest is single-threaded
    assert default_worker_count(2, 0, True) == 1 and default_worker_count(1, 0, True) == 1
    # still at least one per GPU and a multiple of the GPUs
    assert default_worker_count(16, 4, True) == 8 and default_worker_count(2, 4, True) == 4


def test_cpu_and_ahead_of_time_cuda_compile_in_two_threads(tmp_path, monkeypatch) -> None:
    if getattr(__import__("warp"), "compile_aot_module", None) is None:
        pytest.skip(f"warp {warpcompat.warp_version()} has no compile_aot_module")
    seen: dict[str, int] = {}
    real_load, real_aot = warpcompat.load_module, warpcompat.compile_cuda_aot

    def load(module, device):
        seen["cpu"] = threading.get_ident()
        return real_load(module, device)

    def aot(module, arch, out_dir):
        seen["cuda"] = threading.get_ident()
        return real_aot(module, arch, out_dir)

    monkeypatch.setattr(warpcompat, "load_module", load)
    monkeypatch.setattr(warpcompat, "compile_cuda_aot", aot)
    (tmp_path / "w").mkdir()
    import warp as wp

    warpcompat.quiet()
    wp.config.kernel_cache_dir = str(tmp_path / "kc")
    wp.init()
    case = grammar.generate(0)
    with WarpModule.build([case.source], "wf_two_threads", str(tmp_path / "w")) as mod:
        sources = mod.compile_all(["cpu"], cuda_arch=90)
    assert list(sources) == ["cpu", "cuda"] and all(sources.values())
    assert seen["cpu"] != seen["cuda"]  # in parallel, not one after the other

    # a CUDA compile error raised in its thread is still the CUDA device's finding
    def failing(module, arch, out_dir):
        raise RuntimeError("planted NVRTC failure")

    monkeypatch.setattr(warpcompat, "compile_cuda_aot", failing)
    mod = WarpModule.build([case.source], "wf_two_threads_bad", str(tmp_path / "w"))
    with mod, pytest.raises(CompileFailure, match="planted NVRTC failure") as err:
        mod.compile_all(["cpu"], cuda_arch=90)
    assert err.value.device == "cuda"
