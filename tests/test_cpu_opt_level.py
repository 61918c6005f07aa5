"""CPU code compiled at -O0 (the campaign default) verifies the same code as Warp's default -O2.

The option is only worth having if it changes nothing a pair records: these tests compare the
emitted C++ and the verdicts of the same batch at both levels, check that the level reaches
Warp's build, and that runs compiling CUDA leave it alone.
"""

from __future__ import annotations

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


def test_runs_that_compile_cuda_keep_warps_defaults(tmp_path):
    note = warpcompat.cpu_opt_level_note(0, compiles_cuda=True)
    assert note is not None and "CUDA" in note
    assert warpcompat.cpu_opt_level_note(None, compiles_cuda=True) is None
    settings = WorkerSettings(run_dir=str(tmp_path), cpu_opt_level=0, cuda_arch=90)
    assert settings.compiles_cuda
    runner = BatchRunner(settings, str(tmp_path / "w"))
    assert "optimization_level" not in runner.module_options
