"""CPU code compiled at -O0 (the campaign default) verifies the same code as Warp's default -O2.

The option is only worth having if it changes nothing a pair records: these tests compare the
emitted C++ and the verdicts of the same batch at both levels, check that the level reaches
Warp's build, and that in runs compiling CUDA it reaches the CPU build alone (NVRTC keeps -O3).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace

import pytest

import grammar
from fuzz.engine import warpcompat
from fuzz.engine.runner import BatchRunner
from fuzz.engine.settings import WorkerSettings
from fuzz.engine.wpmodule import WarpModule
from fuzz.nativenames import canonical_function_ids

SEEDS = [0, 1, 7, 8, 19, 20]  # a mix of families, most with a verified float gradient


def _same_process_names(code: dict, python: str) -> dict:
    """Warp numbers a @wp.func's native name per process (`k_20_f1_0`, then `k_20_f1_1` when the
    same kernel is built again): that counter, not the -O level, is what a second build changes."""
    return {k: canonical_function_ids(v, python) for k, v in code.items()}


def _run(tmp_path, level):
    settings = WorkerSettings(run_dir=str(tmp_path), cpu_opt_level=level)
    runner = BatchRunner(settings, str(tmp_path / f"w{level}"), tag=f"o{level}")
    results, _ = runner.run([grammar.generate(s) for s in SEEDS])
    return runner, {r.seed: r for r in results}


def test_o0_emits_the_same_code_and_reaches_the_same_verdicts(tmp_path):
    if not warpcompat.has_optimization_level():
        pytest.skip(f"warp {warpcompat.warp_version()} has no optimization_level module option")
    fast, at_o0 = _run(tmp_path, 0)
    default, at_o2 = _run(tmp_path, None)
    assert fast.module_options.get("optimization_level") == 0
    assert "optimization_level" not in default.module_options
    for seed in SEEDS:
        a, b = at_o0[seed], at_o2[seed]
        assert a.verdict == b.verdict, (seed, a.verdict, b.verdict, a.message, b.message)
        assert a.code["cpp_forward"] and a.code["cpp_backward"], seed
        src = a.case["source"]
        assert _same_process_names(a.code, src) == _same_process_names(b.code, src), (
            f"seed {seed}: emitted C++ differs between -O0 and Warp's default"
        )
        grads_a = [(g.get("device"), g.get("status")) for g in a.gradient_check]
        grads_b = [(g.get("device"), g.get("status")) for g in b.gradient_check]
        assert grads_a == grads_b, seed
    assert sum(r.verdict == "verified" for r in at_o0.values()) >= len(SEEDS) - 1


def test_the_level_reaches_warps_cpu_build(tmp_path):
    if not warpcompat.has_optimization_level():
        pytest.skip(f"warp {warpcompat.warp_version()} has no optimization_level module option")
    runner = BatchRunner(WorkerSettings(run_dir=str(tmp_path), cpu_opt_level=0), str(tmp_path / "w"))
    case = grammar.generate(SEEDS[0])
    # a module built with the runner's options, as its batches are
    with WarpModule.build([case.source], "wf_opt_probe", str(tmp_path / "w"), runner.module_options) as mod:
        mod.compile("cpu")
        resolved = [o for o in getattr(mod.wmod, "resolved_options", {}).values() if o]
        assert resolved and all(o["optimization_level"] == 0 for o in resolved)


@dataclass
class Build:
    """What Warp's native build steps were asked and made for one module (real Warp, recorded)."""

    cpu_flags: list[str] = field(default_factory=list)  # extra clang flags, after Warp's own -O
    cpu_level: int | None = None  # the optimization_level Warp passed to its CPU build
    cpu_object_bytes: int = 0
    cuda_level: int | None = None  # the optimization_level Warp passed to NVRTC
    cuda_output: bytes = b""
    sources: dict = field(default_factory=dict)


def _build(tmp_path, monkeypatch, name: str, options: dict, cuda_arch: int | None) -> Build:
    import warp._src.build as wbuild

    rec = Build()
    real_cpu, real_cuda = wbuild.build_cpu, wbuild.build_cuda

    def build_cpu(obj_path, cpp_path, **kw):
        real_cpu(obj_path, cpp_path, **kw)
        rec.cpu_flags = (kw.get("extra_flags") or "").split()
        rec.cpu_level = kw.get("optimization_level")
        rec.cpu_object_bytes = os.path.getsize(obj_path)

    def build_cuda(cu_path, arch, output_path, **kw):
        real_cuda(cu_path, arch, output_path, **kw)
        rec.cuda_level = kw.get("optimization_level")
        with open(output_path, "rb") as f:
            rec.cuda_output = _INTERNAL.sub(b"_INTERNAL_", f.read())

    monkeypatch.setattr(wbuild, "build_cpu", build_cpu)
    monkeypatch.setattr(wbuild, "build_cuda", build_cuda)
    case = grammar.generate(SEEDS[0])
    try:
        with WarpModule.build([case.source], name, str(tmp_path / "w"), options) as mod:
            rec.sources = mod.compile_all(["cpu"], cuda_arch=cuda_arch)
    finally:
        monkeypatch.setattr(wbuild, "build_cpu", real_cpu)
        monkeypatch.setattr(wbuild, "build_cuda", real_cuda)
    # the module file's name is in the source's line comments; everything else must match
    named = {k: v.replace(f"{name}.py", "MODULE.py") for k, v in rec.sources.items() if v}
    rec.sources = _same_process_names(named, case.source)
    return rec


# NVRTC names a module's internal symbols after its file (module name and hash): not code
_INTERNAL = re.compile(rb"_INTERNAL_[0-9a-f]{8}_[0-9]+_[A-Za-z0-9_]+?_cu_[0-9a-f]{8}")


def _last_level(flags: list[str]) -> int | None:
    """The -O level clang takes from the extra flags (the last -O wins), None when they set none."""
    levels = [int(f[2:]) for f in flags if re.fullmatch(r"-O[0-3]", f)]
    return levels[-1] if levels else None


def _compiled_at_o0(obj: int, default_obj: int, warp_o0_obj: int) -> bool:
    """An object compiled without optimisation: nearer Warp's own -O0 object than the -O2 one
    (unoptimised code of these kernels is several times larger)."""
    return abs(obj - warp_o0_obj) < abs(obj - default_obj)


def test_cuda_runs_compile_cpu_at_the_level_and_cuda_at_its_own(tmp_path, monkeypatch):
    if not warpcompat.has_cpu_compiler_flags():
        pytest.skip(f"warp {warpcompat.warp_version()} has no cpu_compiler_flags module option")
    settings = WorkerSettings(run_dir=str(tmp_path), cpu_opt_level=0, cuda_arch=90)
    assert settings.compiles_cuda and warpcompat.cpu_opt_level_note(0, True) is None
    ours = BatchRunner(settings, str(tmp_path / "w"), tag="o0").module_options
    plain = BatchRunner(replace(settings, cpu_opt_level=None), str(tmp_path / "w"), tag="o2").module_options
    assert "optimization_level" not in ours and "optimization_level" not in plain
    fast = _build(tmp_path, monkeypatch, "wf_opt_cuda_o0", ours, 90)
    default = _build(tmp_path, monkeypatch, "wf_opt_cuda_o2", plain, 90)
    warp_o0 = _build(tmp_path, monkeypatch, "wf_opt_warp_o0", {**plain, "optimization_level": 0}, 90)
    # the CPU build got -O0 after Warp's own level, and clang compiled without optimising
    assert _last_level(fast.cpu_flags) == 0 and fast.cpu_level == 2
    assert _last_level(default.cpu_flags) is None and default.cpu_level == 2
    assert _compiled_at_o0(fast.cpu_object_bytes, default.cpu_object_bytes, warp_o0.cpu_object_bytes), (
        fast.cpu_object_bytes, default.cpu_object_bytes, warp_o0.cpu_object_bytes,
    )  # fmt: skip
    # the check says no to an optimised object, and the level check to Warp's one-for-all level
    assert not _compiled_at_o0(default.cpu_object_bytes, default.cpu_object_bytes, warp_o0.cpu_object_bytes)
    assert warp_o0.cuda_level == 0 != fast.cuda_level
    # CUDA keeps Warp's -O3: same NVRTC level and the very same output as the default build
    assert fast.cuda_level == default.cuda_level == 3
    assert fast.cuda_output and fast.cuda_output == default.cuda_output
    assert warp_o0.cuda_output != default.cuda_output  # a level NVRTC did get shows in its output
    # and the emitted C++ and CUDA text do not depend on either level
    assert fast.sources["cpu"] and fast.sources["cuda"]
    assert fast.sources == default.sources == warp_o0.sources


def test_releases_without_cpu_flags_keep_warps_defaults_with_a_note(tmp_path, monkeypatch):
    monkeypatch.setattr(warpcompat, "has_cpu_compiler_flags", lambda: False)
    note = warpcompat.cpu_opt_level_note(0, compiles_cuda=True)
    assert note is not None and "CUDA" in note and "cpu_compiler_flags" in note
    assert warpcompat.cpu_opt_level_note(None, compiles_cuda=True) is None
    assert warpcompat.cpu_opt_level_options(0, compiles_cuda=True) == {}
    settings = WorkerSettings(run_dir=str(tmp_path), cpu_opt_level=0, cuda_arch=90)
    assert BatchRunner(settings, str(tmp_path / "w")).module_options == {"enable_backward": True}


def test_a_swept_level_replaces_the_cpu_flags_level() -> None:
    base = {"enable_backward": True, "cpu_compiler_flags": "-march=native -O0"}
    assert warpcompat.with_point_options(base, {"optimization_level": 3}) == {
        "enable_backward": True,
        "optimization_level": 3,
    }
    assert warpcompat.with_point_options(base, {"max_unroll": 0}) == {**base, "max_unroll": 0}
