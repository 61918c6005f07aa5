"""The settings sweep on a real CUDA device: a difference planted under a CUDA-only point
(`fast_math=True`) is blamed on that point and on the CUDA device alone; the CUDA points of the
table (`fast_math`, `cuda_output`, `max_unroll`, `mode`, `opt_level`) leave generated kernels
verified on CPU and CUDA.

Skipped with the reason printed where no CUDA device exists (CI has none); run them on a GPU
machine with `bash scripts/gpu-check.sh`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import grammar
from fuzz.engine import sweep
from fuzz.engine.runner import BatchRunner
from fuzz.engine.settings import WorkerSettings
from fuzz.engine.verdict import Verdict
from tests.test_cuda import _cuda_available
from tests.test_settings_sweep import _case, _plant

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not _cuda_available(), reason="no CUDA device here: CUDA execution tests need a GPU"),
]


def _settings(tmp_path: Path, points: tuple[str, ...], plant: str | None = None) -> WorkerSettings:
    return WorkerSettings(
        run_dir=str(tmp_path),
        devices=("cpu", "cuda:0"),
        enable_backward=False,
        gradients=False,
        sweep=points,
        worker_plugins=(_plant(plant),) if plant else (),
    )


def test_a_cuda_only_point_is_blamed_on_cuda(tmp_path: Path) -> None:
    points = sweep.expand("fast_math,cuda_output=ptx")
    runner = BatchRunner(_settings(tmp_path, points, plant="fast_math=True"), str(tmp_path / "w"), tag="cu")
    assert {a.text: a.devices for a in runner.sweep} == {
        "fast_math=True": ("cuda:0",),
        "cuda_output=ptx": ("cuda:0",),
    }
    results, stats = runner.run([_case("cu_a", 1), _case("cu_b", 2)])
    for r in results:
        assert r.verdict == Verdict.SETTING_MISMATCH, r.message
        assert sweep.blamed_point(r.message) == "fast_math=True"
        assert r.message.startswith("fast_math=True on cuda:0: out[0] "), r.message
        assert r.message.splitlines()[-1] == "other swept points: cuda_output=ptx agrees", r.message
        assert (r.stage, r.device) == ("judge", "cuda:0")
    assert stats["sweep:compile:cuda"] > 0 and stats["sweep:launch:cuda"] > 0
    clean = BatchRunner(_settings(tmp_path, points), str(tmp_path / "w2"), tag="cc")
    assert [r.verdict for r in clean.run([_case("cc_a", 1), _case("cc_b", 2)])[0]] == ["verified"] * 2


def test_generated_kernels_stay_verified_under_the_cuda_points(tmp_path: Path) -> None:
    points = sweep.expand("fast_math,cuda_output,max_unroll=0,mode,opt_level=1")
    runner = BatchRunner(_settings(tmp_path, points), str(tmp_path / "w"), tag="cg")
    cases = [grammar.generate(s) for s in range(930100, 930116)]
    results, _ = runner.run(cases)
    verdicts = [r.verdict for r in results]
    assert Verdict.SETTING_MISMATCH not in verdicts, [r.message for r in results if r.verdict != "verified"]
    assert verdicts.count(Verdict.VERIFIED) >= 12, verdicts
