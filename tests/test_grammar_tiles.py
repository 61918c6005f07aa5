"""The tiles family: its kernels use the tile builtins, carry a block_dim that reaches the tiled
launch, compile and verify against the oracle in one in-process batch on Warp CPU; the family is
opt-in (zero default weight), so every other seed keeps its kernel; the gate finds tile calls."""

from __future__ import annotations

import ast
from collections import Counter

import pytest

import grammar
from fuzz.engine.runner import BatchRunner
from fuzz.engine.settings import WorkerSettings
from grammar import GenConfig, generate, parse_weights
from grammar.case import KernelCase
from grammar.gates import GATES, features_used
from grammar.generate import DEFAULT_WEIGHTS
from grammar.tile_families import BLOCK_DIMS

TILES = GenConfig(weights=parse_weights("tiles=5"))


def _calls(source: str) -> set[str]:
    out = set()
    for n in ast.walk(ast.parse(source)):
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "wp":
            out.add(n.attr)
    return out


def test_tile_kernels_reach_many_tile_builtins() -> None:
    seen: Counter[str] = Counter()
    for seed in range(150):
        c = generate(seed, family="tiles")
        assert c.block_dim in BLOCK_DIMS
        assert "tile_load" in c.source and "tile_store" in c.source
        seen.update(n for n in _calls(c.source) if n.startswith("tile"))
    assert len(seen) >= 44, sorted(seen)  # 48 at GENERATOR_VERSION 1.5.0 (issue 19 asks 35)


def test_tiles_is_on_by_default_and_zero_weight_turns_it_off() -> None:
    assert DEFAULT_WEIGHTS["tiles"] == 3.0
    share = sum(generate(s).family == "tiles" for s in range(400)) / 400
    assert 0.04 <= share <= 0.16, share  # 3 of 32 weight units
    off = GenConfig(weights={**DEFAULT_WEIGHTS, "tiles": 0.0})
    assert all(generate(s, off).family != "tiles" for s in range(200))
    assert any(generate(s, TILES).family == "tiles" for s in range(40))


def test_block_dim_round_trips_and_plain_cases_store_no_key() -> None:
    t = generate(3, family="tiles")
    assert t.block_dim is not None
    assert KernelCase.from_json(t.to_json()) == t
    plain = generate(3, family="elementwise")
    assert plain.block_dim is None and "block_dim" not in plain.to_json()
    assert KernelCase.from_json(plain.to_json()) == plain


def test_determinism() -> None:
    for s in range(10):
        assert generate(s, family="tiles").dumps() == generate(s, family="tiles").dumps()
    assert grammar.GENERATOR_VERSION == "1.7.3"


def test_gate_sees_tile_calls() -> None:
    gate = {g.name: g for g in GATES}["tiles"]
    assert gate.since == "1.12.0"
    assert "tiles" in features_used(generate(1, family="tiles").source)
    assert "tiles" not in features_used(generate(1, family="elementwise").source)


def test_tile_batch_compiles_and_verifies_on_cpu(tmp_path) -> None:  # type: ignore[no-untyped-def]
    cases = [generate(s, family="tiles") for s in range(24)]
    runner = BatchRunner(
        WorkerSettings(run_dir=str(tmp_path), devices=("cpu",)), str(tmp_path / "w"), tag="tl"
    )
    results, _ = runner.run(cases)
    verdicts = Counter(r.verdict for r in results)
    bad = [(r.seed, r.verdict, (r.message or "")[-300:]) for r in results if r.verdict != "verified"]
    assert verdicts["verified"] >= 22, bad
    assert not any(
        r.verdict in ("mismatch", "internal_error", "invalid_kernel", "compile_error") for r in results
    ), bad


def test_older_targets_leave_out_the_tile_builtins_they_cannot_build() -> None:
    """tile_map(wp.tanh) has no buildable adjoint through 1.18.0 and tile_axpy/tile_dot arrive in
    1.13.0: the family leaves them out there (no whole-kernel redraws), and 1.19.0 keeps them;
    a release without tiles draws no tile kernel at all."""
    from grammar.gates import missing_features

    def sources(version: str | None) -> list[str]:
        return [generate(s, GenConfig(warp_version=version), family="tiles").source for s in range(80)]

    new = sources(None)
    assert any("wp.tile_map(wp.tanh" in src for src in new)
    assert any("tile_axpy(" in src or "tile_dot(" in src for src in new)
    for version in ("1.12.0", "1.18.0"):
        old = sources(version)
        assert not any("wp.tile_map(wp.tanh" in src for src in old), version
        assert all(not missing_features(src, version) for src in old), version
        if version == "1.12.0":
            assert not any("tile_axpy(" in src or "tile_dot(" in src for src in old)
    assert "tiles" not in {generate(s, GenConfig(warp_version="1.10.1")).family for s in range(200)}


def test_mathdx_tile_kernels_launch_at_least_32_threads_and_build_for_cuda(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """tile_matmul / Cholesky / triangular solves build on CUDA through MathDx LTOs, which fail
    below 32 threads per block; such kernels draw block_dim >= 32, and their CUDA code (NVRTC,
    no GPU needed) builds at that block_dim, as the runner builds a tiled group's module."""
    from fuzz.engine.wpmodule import CompileFailure, WarpModule
    from grammar.tile_families import MATHDX_OPS

    cases = [generate(s, family="tiles") for s in range(120)]
    mathdx = [c for c in cases if any(f"wp.{op}(" in c.source for op in MATHDX_OPS)]
    others = [c for c in cases if c not in mathdx]
    assert mathdx and all(c.block_dim is not None and c.block_dim >= 32 for c in mathdx)
    assert any(c.block_dim is not None and c.block_dim < 32 for c in others)  # the rest keep small blocks
    import warp as wp

    wp.config.quiet = True  # type: ignore[attr-defined]
    wp.init()
    bd = mathdx[0].block_dim
    pick = [c for c in mathdx if c.block_dim == bd][:2]
    fwd = {"enable_backward": False}  # the forward code's LTOs are the ones at stake; half the NVRTC time
    with WarpModule.build(
        [c.source for c in pick], "mathdx_ok", str(tmp_path), {"block_dim": bd, **fwd}
    ) as mod:
        mod.compile_cuda_aot(90)
    small = WarpModule.build([pick[0].source], "mathdx_small", str(tmp_path), {"block_dim": 16, **fwd})
    with small, pytest.raises(CompileFailure, match="LTO"):
        small.compile_cuda_aot(90)  # the check can say no: the same kernel at 16 threads fails
