"""mat.h (1.19) accumulates a matrix product's entries with muladd, fmaf for float32: one
rounding per step where the oracle's float32 chain rounds twice. A 16-core 1.19.0 campaign
reported `matrix_from_cols(a, a) + a2 * M - s3` off by 9.5e-7 against a bound of 3.2e-7 (seed
700041, reduced; fixture from its corpus folder). The oracle's bound now covers the fused
evaluation as well, and stays tight."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

import grammar
import oracle
from fuzz.engine.runner import BatchRunner
from fuzz.engine.settings import WorkerSettings
from grammar.case import KernelCase

CASE = KernelCase.from_json(
    json.loads((Path(__file__).parent / "fixtures" / "fused_matmul_case.json").read_text())
)


def test_a_fused_matrix_product_verifies_on_warp_and_the_bound_stays_tight(tmp_path: Path) -> None:
    settings = WorkerSettings(run_dir=str(tmp_path), enable_backward=False)
    (res,), _ = BatchRunner(settings, str(tmp_path / "w")).run([CASE])
    assert res.verdict == "verified", res.message
    orc = oracle.evaluate(CASE.module_source(), CASE.kernel_name, grammar.make_inputs(CASE), CASE.dim)
    err = orc.error_bound["out4"]
    # entries sum values of magnitude <= ~20: a few float32 ulps there, never a blanket tolerance
    assert float(np.max(err)) < 1e-5 and float(np.max(err[208])) > 2.4e-7
