"""summary.json: the whole run's figures from the store, and this session's from its counts.

Written when a session ends (also after a signal or an error, from what was stored); the final
table (`fuzz.progress.print_summary`) and the run command's closing lines read it.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from typing import Any

import grammar
from corpus.save import corpus_dir
from fuzz.accounting import Ledger, device_counts
from fuzz.campaign_config import CampaignConfig
from fuzz.engine import sweep, warpcompat
from fuzz.engine.verdict import Verdict
from fuzz.placement import workers_per_device
from fuzz.pool import WorkerPool
from fuzz.reducequeue import ReductionQueue
from fuzz.stopping import StopRequest


def campaign_summary(
    cfg: CampaignConfig,
    ledger: Ledger,
    warp_version: str,
    pool: WorkerPool,
    reductions: ReductionQueue,
    stop: StopRequest,
    closed_sessions: list[tuple[int, int]],
) -> dict[str, Any]:
    store, settings, snap = ledger.store, ledger.settings, ledger.snapshot
    verdicts = store.counts("verdict")
    kernels = store.n_cases()
    elapsed = store.total_elapsed()
    verified = verdicts.get(Verdict.VERIFIED, 0)
    corpus = corpus_dir(os.path.abspath(cfg.run_dir))
    return {
        "run_dir": os.path.abspath(cfg.run_dir),
        "corpus_dir": corpus,
        "corpus_folders": len(os.listdir(corpus)) if os.path.isdir(corpus) else 0,
        "next_command": f"python -m fuzz triage {cfg.run_dir}",
        "interrupted": stop.by or None,
        "kernels": kernels,
        "verified": verified,
        "verdicts": verdicts,
        "families": store.counts("family"),
        "elapsed_s": round(elapsed, 2),
        "verified_per_s": round(verified / elapsed, 4) if elapsed else 0.0,
        "kernels_per_s": round(kernels / elapsed, 4) if elapsed else 0.0,
        "warp_version": warp_version,
        "generator_version": grammar.GENERATOR_VERSION,
        "devices": list(settings.devices),
        "device_facts": [warpcompat.device_facts(d) for d in settings.devices],
        # every stored case counts for each device of the worker that ran it (fuzz.accounting)
        "per_device": {c.device: c.to_json(elapsed) for c in device_counts(store)},
        "settings_sweep": sweep_summary(store, settings.sweep),
        "first_seed": cfg.seed,
        "shard": cfg.shard.label if cfg.shard else None,
        "session": {
            "kernels": snap.kernels,
            "verified": snap.verified,
            "verdicts": dict(snap.verdicts),
            "elapsed_s": round(snap.elapsed_s, 2),
            "verified_per_s": round(snap.verified / snap.elapsed_s, 4) if snap.elapsed_s else 0.0,
            "budget_s": cfg.budget_s,
            "workers": cfg.workers,
            "workers_per_device": workers_per_device(pool.placement),
            "per_device": {c.device: c.to_json(snap.elapsed_s) for c in snap.per_device()},
            "batch": cfg.batch,
            "worker_restarts": pool.restarts,
            "workers_recycled": pool.recycled,
            "reduction": {
                "share": cfg.reduce_share,
                "job_s": cfg.reduce_job_s,
                "reduced": reductions.reduced,
                "failed": reductions.failed,
                "worker_s": round(reductions.busy_s, 2),
                # every saved failure of the run (this session's and earlier ones') left unreduced
                "unreduced": reductions.unreduced(corpus) if cfg.reduce_share > 0 else None,
            },
            "interrupted": stop.requested,
            "resumed_from_kernels": snap.resumed_from,
            "closed_stale_sessions": [{"session": s, "kernels": k} for s, k in closed_sessions],
            "stage_seconds": {k: round(v, 2) for k, v in sorted(snap.stage_s.items())},
            "worker_memory": pool.memory_report(),
            "settings": {
                "enable_backward": settings.enable_backward,
                "cuda_arch": settings.cuda_arch,
                "cpu_opt_level": settings.cpu_opt_level,
                "sweep": list(settings.sweep),
                "gen_config": settings.gen_config,
                "policy": asdict(settings.policy),
            },
        },
    }


def sweep_summary(store: Any, points: tuple[str, ...]) -> dict[str, Any] | None:
    """The settings sweep of the run: its points and, per point, the setting_mismatch cases that
    blame it (None without a sweep)."""
    if not points:
        return None
    per_point = dict.fromkeys(points, 0)
    for r in store.results("verdict = ?", (str(Verdict.SETTING_MISMATCH),)):
        point = sweep.blamed_point(r.message) or "?"
        per_point[point] = per_point.get(point, 0) + 1
    return {"points": list(points), "setting_mismatch_per_point": per_point}


def write_summary(run_dir: str, summary: dict[str, Any]) -> None:
    """RUN_DIR/summary.json, replaced whole (a reader never sees half a file)."""
    tmp = os.path.join(run_dir, "summary.json.tmp")
    with open(tmp, "w") as f:
        json.dump(summary, f, indent=2, sort_keys=True)
    os.replace(tmp, os.path.join(run_dir, "summary.json"))
