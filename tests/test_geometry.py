"""The `geometry` family end to end: cases with mesh / hash grid / BVH parameters round-trip
through JSON and rebuild the same objects from the seed, generated kernels verify on Warp CPU,
a mesh case judged by a wrong oracle is saved to a corpus folder whose replay rebuilds the mesh
(still failing with the wrong oracle, fixed with the right one), and the gradient check
screens geometry kernels instead of differentiating through queries."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import grammar
from corpus.save import save_failures
from fuzz.cli import main
from fuzz.engine.gradients import Limitation, screen
from fuzz.engine.runner import BatchRunner
from fuzz.engine.settings import WorkerSettings
from grammar.case import KernelCase, ParamSpec
from grammar.generate import DEFAULT_WEIGHTS, generate
from grammar.geometry_ops import CLOSED_SHAPES, GEOMETRY_KINDS, well_shaped

WRONG = "tests.support.wrong_oracles:wrong_closest_point"


def _geometry_cases(n: int, start: int = 0) -> list[KernelCase]:
    return [generate(s, family="geometry") for s in range(start, start + n)]


def test_on_by_default() -> None:
    # GENERATOR_VERSION 1.7.0: geometry is drawn in default campaigns
    assert DEFAULT_WEIGHTS["geometry"] > 0.0


def test_cases_round_trip_and_rebuild_the_same_objects() -> None:
    kinds: set[str] = set()
    for case in _geometry_cases(24):
        again = KernelCase.from_json(json.loads(case.dumps()))
        assert again == case and again.dumps() == case.dumps()
        a, b = grammar.make_inputs(case), grammar.make_inputs(again)
        for p in case.params:
            if p.kind in GEOMETRY_KINDS:
                kinds.add(p.kind)
                assert set(a[p.name]) == set(b[p.name])
                for k, v in a[p.name].items():
                    assert np.array_equal(v, b[p.name][k]), (case.seed, p.name, k)
            elif p.recipe:  # the grid's points, as the kernel reads them
                r = p.recipe_dict()
                assert np.array_equal(a[p.name], a[str(r["of"])][str(r["key"])])
        for p in case.params:
            if p.kind == "mesh":
                m = a[p.name]
                tris = m["indices"].reshape(-1, 3)
                assert well_shaped(m["points"].astype(float), tris), (case.seed, p.recipe)
                if p.recipe_dict()["shape"] in CLOSED_SHAPES:  # wound outward: positive volume
                    v = m["points"].astype(float)[tris]
                    assert np.einsum("ij,ij->i", v[:, 0], np.cross(v[:, 1], v[:, 2])).sum() > 0
    assert kinds == GEOMETRY_KINDS


def test_empty_recipe_is_not_stored() -> None:
    """Every other parameter's stored JSON stays what it was before recipes existed."""
    spec = ParamSpec("a1", "array", "float32", (4,), "in", 0.0, 1.0)
    assert "recipe" not in spec.to_json()
    assert ParamSpec.from_json(spec.to_json()) == spec


def test_gradient_check_screens_geometry() -> None:
    s = screen(_geometry_cases(1)[0])
    assert s is not None and s.limitation is Limitation.GEOMETRY


def test_generated_kernels_verify_on_cpu(tmp_path: Path) -> None:
    cases = _geometry_cases(8, start=100)
    runner = BatchRunner(WorkerSettings(run_dir=str(tmp_path), enable_backward=False), str(tmp_path / "w"))
    results, _ = runner.run(cases)
    verdicts = [r.verdict for r in results]
    assert "mismatch" not in verdicts, [(r.seed, r.message) for r in results]
    assert verdicts.count("verified") >= 6, [(r.seed, r.verdict, r.message) for r in results]


def test_mesh_case_saved_and_replayed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A mesh kernel judged by the nearest-vertex oracle is a mismatch; its folder's replay
    rebuilds the mesh from the recipe: still failing with that oracle, fixed without it."""
    case = next(c for c in _geometry_cases(40) if "mesh_query_point_no_sign" in c.source)
    settings = WorkerSettings(run_dir=str(tmp_path), enable_backward=False, registry_factory=WRONG)
    results, _ = BatchRunner(settings, str(tmp_path / "w")).run([case])
    assert results[0].verdict == "mismatch", results[0].message
    (folder,) = save_failures(str(tmp_path), results, settings=settings)
    stored = dict(np.load(Path(folder) / "inputs.npz"))
    mesh = next(p.name for p in case.params if p.kind == "mesh")
    assert {f"{mesh}.points", f"{mesh}.indices", f"{mesh}.velocities"} <= set(stored)
    assert main(["replay", folder, "--oracle", WRONG]) == 1
    assert "still failing" in capsys.readouterr().out
    assert main(["replay", folder]) == 0
    assert "fixed" in capsys.readouterr().out
    # repro.py (warp and numpy only) builds the mesh too: the wrong oracle's expected values
    # are not what Warp computes, so it reports the mismatch (exit 1), not a packing error
    out = subprocess.run([sys.executable, str(Path(folder) / "repro.py")], capture_output=True, text=True)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "uint64" not in out.stderr and "elements differ" in out.stdout + out.stderr, out.stdout


def test_volume_kernels_are_gated_before_cpu_volumes() -> None:
    """A release whose CPU cannot build a wp.Volume gets no volume kernels (the generator redraws)."""
    from grammar.gates import missing_features

    case = next(c for c in _geometry_cases(60) if "volume_sample_f" in c.source)
    assert [g.name for g in missing_features(case.source, "1.14.0")] == ["volume_cpu"]
    assert missing_features(case.source, "1.16.0") == []
    cfg = grammar.GenConfig(warp_version="1.14.0")
    for seed in range(case.seed, case.seed + 20):
        assert "volume_" not in generate(seed, cfg, family="geometry").source
