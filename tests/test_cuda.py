"""CUDA execution: three-way checks (CPU · CUDA · NumPy), CUDA source in pairs, fault isolation.

Skipped with the reason printed where no CUDA device exists (CI has none); run them on a GPU
machine with `bash scripts/gpu-check.sh`.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.support import faults


def _cuda_available() -> bool:
    import warp as wp

    from fuzz.engine import warpcompat

    warpcompat.quiet()
    wp.init()
    return bool(wp.is_cuda_available())


pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not _cuda_available(), reason="no CUDA device here: CUDA execution tests need a GPU"),
]


def _campaign(run: Path, n: int, **settings: object) -> dict:
    from fuzz.campaign import Campaign, CampaignConfig
    from fuzz.engine.settings import WorkerSettings

    ws = WorkerSettings(run_dir=str(run), devices=("cpu", "cuda:0"), **settings)  # type: ignore[arg-type]
    cfg = CampaignConfig(
        run_dir=str(run),
        budget_s=900,
        seed=2000,
        workers=2,
        batch=8,
        settings=ws,
        max_kernels=n,
        reduce_share=0.0,
    )
    return Campaign(cfg).run()


def test_three_way_verification_on_cpu_and_cuda(tmp_path: Path) -> None:
    s = _campaign(tmp_path / "run", 24)
    assert s["kernels"] == 24 and s["verified"] > 0, s
    assert s["devices"] == ["cpu", "cuda:0"]
    facts = {f["device"]: f for f in s["device_facts"]}
    assert facts["cuda:0"]["sm_arch"] >= 70 and facts["cuda:0"]["name"]
    with sqlite3.connect(tmp_path / "run" / "campaign.db") as db:
        seed, checks = db.execute(
            "SELECT seed, checks_json FROM cases WHERE verdict='verified' LIMIT 1"
        ).fetchone()
        cuda_fwd, cuda_bwd, cpp_fwd = db.execute(
            "SELECT cuda_forward, cuda_backward, cpp_forward FROM code WHERE seed=?", (seed,)
        ).fetchone()
    assert f"k_{seed}" in cuda_fwd and "__global__" in cuda_fwd and "cuda_kernel_backward" in (cuda_bwd or "")
    assert f"k_{seed}" in cpp_fwd
    assert '"device": "cuda:0"' in checks and '"device": "cpu~cuda:0"' in checks


def test_cuda_fault_replaces_the_worker_and_the_campaign_goes_on(tmp_path: Path) -> None:
    s = _campaign(tmp_path / "run", 16, worker_plugins=faults.plugins(cuda_fault=(2005,)))
    assert s["kernels"] == 16, s
    with sqlite3.connect(tmp_path / "run" / "campaign.db") as db:
        verdicts = dict(db.execute("SELECT seed, verdict FROM cases"))
        msg = db.execute("SELECT message FROM cases WHERE seed=2005").fetchone()[0]
    assert verdicts[2005] == "crash", msg
    assert "cuda" in msg.lower()
    assert sum(v == "verified" for k, v in verdicts.items() if k != 2005) > 0
    assert s["session"]["worker_restarts"] >= 1
