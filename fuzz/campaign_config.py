"""What one campaign session is asked to do: the run command's options, as one record."""

from __future__ import annotations

from dataclasses import dataclass, field

from fuzz.engine.settings import WorkerSettings
from fuzz.reducequeue import ReducePolicy
from fuzz.shard import Shard


@dataclass
class CampaignConfig:
    """A resume must pass the same seed, generator settings and shard (the store refuses others)."""

    run_dir: str
    budget_s: float
    seed: int = 0
    workers: int = 2
    batch: int = 16
    devices: tuple[str, ...] = ("cpu",)
    settings: WorkerSettings | None = None
    argv: list[str] = field(default_factory=list)
    max_kernels: int | None = None
    grace_s: float = 20.0
    # share of worker time for reducing every saved failure while fuzzing (0: no reductions);
    # see fuzz.reducequeue for the per-job limit and the budget's reductions-only tail
    reduce_share: float = ReducePolicy.share
    reduce_job_s: float = ReducePolicy.job_s
    reduce_tail: float = ReducePolicy.tail
    save_corpus: bool = True
    base_timeout_s: float = 60.0
    per_kernel_timeout_s: float = 15.0
    recycle_mb: int | None = 16  # replace a worker whose RSS grew this much past its warm level (None: never)
    shard: Shard | None = None  # run only this shard's seeds (fuzz.shard); None: every seed
