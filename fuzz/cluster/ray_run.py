"""A campaign as N shards on Ray: one Ray task per shard, one ordinary campaign per task.

Each shard task is pinned to `num_cpus`/`num_gpus` and runs `python -m fuzz run --shard K/N`
in a subprocess on its node's local disk (SQLite WAL must not live on a network filesystem).
Checkpoints of the shard folder (fuzz.cluster.snapshot) go to DIR/shards/K on the driver's
machine through a small actor pinned there, or, with `storage`, to STORAGE/shards/K on a shared
filesystem that every node mounts. When a shard's node or worker process dies, Ray reruns the
task (max_retries): the new attempt unpacks the last checkpoint and resumes that store, so what
was checkpointed is kept and a seed is never stored twice; what the dead attempt judged after
its last checkpoint is judged again. Only checkpoints of a shard's latest attempt are accepted.

This is the only module that imports ray (the `warpfuzz[ray]` extra).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import ray

from fuzz.cluster import snapshot
from fuzz.cluster.layout import shard_dir
from fuzz.cluster.merge import write_merged_summary

# set PR_SET_PDEATHSIG (SIGTERM) and exec: the campaign stops in order when its Ray worker dies
_LAUNCH = (
    "import os, signal, sys\n"
    "if sys.platform.startswith('linux'):\n"
    "    import ctypes\n"
    "    ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM), 0, 0, 0)\n"
    "    if os.getppid() != int(sys.argv[1]):\n"
    "        sys.exit(143)\n"
    "os.execv(sys.executable, [sys.executable, '-m', 'fuzz', *sys.argv[2:]])\n"
)


class ShardFailed(RuntimeError):
    """A shard's campaign exited with an error (not retried: rerunning would fail the same way)."""


@dataclass(frozen=True)
class ClusterConfig:
    out: str
    shards: int
    budget_s: float
    address: str = "local"  # "local" (start Ray here), "auto" (the running cluster), or an address
    campaign_args: tuple[str, ...] = ()  # forwarded to `python -m fuzz run`, e.g. ("--seed", "5")
    max_kernels: int | None = None  # per shard, over all its attempts
    cpus_per_shard: float = 1.0
    gpus_per_shard: float = 0.0
    storage: str | None = None  # shared filesystem path for checkpoints (default: through the driver)
    local_dir: str | None = None  # node-local scratch root (default: the node's temp folder)
    checkpoint_s: float = 120.0
    max_retries: int = 3


@dataclass(frozen=True)
class ShardJob:
    index: int
    count: int
    deadline: float  # epoch seconds: the end of the cluster's budget
    campaign_args: tuple[str, ...]
    max_kernels: int | None
    storage: str | None
    local_dir: str | None
    checkpoint_s: float
    pythonpath: str


@dataclass
class ShardProgress:
    """What a shard reported last (the driver's live view and DIR/progress.json show these)."""

    attempt: int = 0
    pid: int = 0  # the Ray worker process running the shard
    node: str = ""
    kernels: int = 0
    verified: int = 0
    verdicts: dict[str, int] = field(default_factory=dict)
    checkpoints: int = 0
    state: str = "pending"


class Checkpoints:
    """Ray actor on the driver's node: shard checkpoints into DIR/shards/K and shard progress."""

    def __init__(self, out: str, storage: str | None) -> None:
        self.out = out
        self.storage = storage
        self.attempts: dict[int, int] = {}
        self.progress: dict[int, ShardProgress] = {}

    def begin(self, index: int, pid: int, node: str) -> int:
        n = self.attempts.get(index, 0) + 1
        self.attempts[index] = n
        self.progress[index] = ShardProgress(
            attempt=n, pid=pid, node=node, state="starting",
            checkpoints=self.progress.get(index, ShardProgress()).checkpoints,
        )  # fmt: skip
        return n

    def current(self, index: int, attempt: int) -> bool:
        return self.attempts.get(index) == attempt

    def get(self, index: int) -> bytes | None:
        d = shard_dir(self.out, index)
        return snapshot.pack(d) if os.path.isfile(os.path.join(d, snapshot.DB)) else None

    def put(self, index: int, attempt: int, data: bytes) -> bool:
        if not self.current(index, attempt):
            return False  # a superseded attempt: its copy is older than the live one's
        snapshot.unpack(data, shard_dir(self.out, index))
        self.progress[index].checkpoints += 1
        return True

    def report(self, index: int, attempt: int, counts: dict[str, Any], state: str) -> None:
        p = self.progress.get(index)
        if p is None or p.attempt != attempt:
            return
        p.kernels, p.verified, p.verdicts, p.state = (
            counts["kernels"], counts["verified"], counts["verdicts"], state,
        )  # fmt: skip

    def reports(self) -> dict[int, dict[str, Any]]:
        return {k: asdict(v) for k, v in self.progress.items()}


def _counts(run_dir: str) -> dict[str, Any]:
    c = snapshot.StoreCounts.read(run_dir)
    return {"kernels": c.kernels, "verified": c.verified, "verdicts": dict(c.verdicts)}


def _run_shard(job: ShardJob, collector: Any) -> dict[str, Any]:
    """One attempt of one shard (runs in a Ray worker on some node)."""
    node = ray.get_runtime_context().get_node_id()
    attempt = ray.get(collector.begin.remote(job.index, os.getpid(), node))
    local = os.path.join(
        job.local_dir or tempfile.gettempdir(), f"warpfuzz-shard{job.index}-{uuid.uuid4().hex[:8]}"
    )
    remote_dir = shard_dir(job.storage, job.index) if job.storage else None

    def fetch() -> bytes | None:
        if remote_dir is None:
            data: bytes | None = ray.get(collector.get.remote(job.index))
            return data
        return snapshot.pack(remote_dir) if os.path.isfile(os.path.join(remote_dir, snapshot.DB)) else None

    def push() -> None:
        if not os.path.isfile(os.path.join(local, snapshot.DB)):
            return
        data = snapshot.pack(local)
        if remote_dir is None:
            ray.get(collector.put.remote(job.index, attempt, data))
        elif ray.get(collector.current.remote(job.index, attempt)):
            snapshot.unpack(data, remote_dir)

    try:
        data = fetch()
        if data is not None:
            snapshot.unpack(data, local)
        os.makedirs(local, exist_ok=True)
        stored = snapshot.StoreCounts.read(local).kernels
        remaining = job.deadline - time.time()
        todo = None if job.max_kernels is None else job.max_kernels - stored
        if remaining < 5 or (todo is not None and todo <= 0):
            collector.report.remote(job.index, attempt, _counts(local), "done")
            return {"index": job.index, "attempt": attempt, "rc": 0, "ran": False}
        argv = [
            "run",
            "--shard",
            f"{job.index}/{job.count}",
            "--out",
            local,
            "--budget",
            f"{int(remaining)}s",
        ]
        argv += ["--no-progress", *job.campaign_args]
        if todo is not None:
            argv += ["--max-kernels", str(todo)]
        env = dict(
            os.environ,
            PYTHONPATH=os.pathsep.join(p for p in (job.pythonpath, os.environ.get("PYTHONPATH")) if p),
        )
        log_path = os.path.join(local, "shard.log")
        with open(log_path, "ab") as log:
            proc = subprocess.Popen(
                [sys.executable, "-c", _LAUNCH, str(os.getpid()), *argv],
                stdout=log, stderr=subprocess.STDOUT, env=env,
            )  # fmt: skip
            try:
                last_ckpt = time.monotonic()
                while proc.poll() is None:
                    time.sleep(1.0)
                    collector.report.remote(job.index, attempt, _counts(local), "running")
                    if time.monotonic() - last_ckpt >= job.checkpoint_s:
                        push()
                        last_ckpt = time.monotonic()
            except BaseException:  # cancelled (Ctrl-C at the driver): stop in order, keep what it stored
                proc.terminate()
                proc.wait(timeout=60)
                push()
                raise
        push()
        rc = proc.returncode
        collector.report.remote(job.index, attempt, _counts(local), "done" if rc == 0 else f"exit {rc}")
        if rc not in (0, 130, 143):
            with open(log_path, encoding="utf-8", errors="replace") as f:
                tail = f.read()[-2000:]
            raise ShardFailed(
                f"shard {job.index}/{job.count}: `python -m fuzz {' '.join(argv)}` exited {rc}; what it "
                f"stored is kept in its shard folder. Its log ends:\n{tail}"
            )
        return {"index": job.index, "attempt": attempt, "rc": rc, "ran": True}
    finally:
        shutil.rmtree(local, ignore_errors=True)


def _init_ray(address: str, pythonpath: str) -> bool:
    """Connect (or start, for "local"); True when this call started the connection."""
    if ray.is_initialized():
        return False
    env = {"env_vars": {"PYTHONPATH": pythonpath}}
    if address == "local":
        ray.init(include_dashboard=False, runtime_env=env, log_to_driver=False)
    else:
        ray.init(address=address, include_dashboard=False, runtime_env=env, log_to_driver=False)
    return True


class ClusterError(RuntimeError):
    """The cluster cannot run the shards as asked; the message says what to change."""


def _check_resources(cfg: ClusterConfig) -> None:
    """Refuse shards that no node can ever place (Ray would leave them pending without a word)."""
    nodes = [n for n in ray.nodes() if n.get("Alive")]
    for key, want, opt in (
        ("CPU", cfg.cpus_per_shard, "--cpus-per-shard"),
        ("GPU", cfg.gpus_per_shard, "--gpus-per-shard"),
    ):
        best = max((float(n.get("Resources", {}).get(key, 0.0)) for n in nodes), default=0.0)
        if want > best:
            raise ClusterError(
                f"{opt} {want:g}: no node of the Ray cluster ({cfg.address}) has that many {key}s (the largest has "
                f"{best:g}); lower {opt} or add such nodes"
            )


def run_cluster(
    cfg: ClusterConfig, on_progress: Callable[[dict[int, dict[str, Any]], float], None] | None = None
) -> dict[str, Any]:
    """Run the shards to the end of the budget, then write DIR/summary.json (merged) and return it."""
    import json

    from fuzz.runlock import run_lock

    pythonpath = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    os.makedirs(cfg.out, exist_ok=True)
    with run_lock(cfg.out, "cluster"):
        started = _init_ray(cfg.address, pythonpath)
        try:
            _check_resources(cfg)
            node = ray.get_runtime_context().get_node_id()
            from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

            collector: Any = (
                ray.remote(Checkpoints)
                .options(num_cpus=0, scheduling_strategy=NodeAffinitySchedulingStrategy(node, soft=False))
                .remote(os.path.abspath(cfg.out), cfg.storage)
            )
            task = ray.remote(_run_shard).options(
                num_cpus=cfg.cpus_per_shard, num_gpus=cfg.gpus_per_shard, max_retries=cfg.max_retries
            )
            t0 = time.time()
            deadline = t0 + cfg.budget_s
            refs = {}
            for k in range(cfg.shards):
                job = ShardJob(
                    index=k, count=cfg.shards, deadline=deadline, campaign_args=tuple(cfg.campaign_args),
                    max_kernels=cfg.max_kernels, storage=cfg.storage and os.path.abspath(cfg.storage),
                    local_dir=cfg.local_dir, checkpoint_s=cfg.checkpoint_s, pythonpath=pythonpath,
                )  # fmt: skip
                refs[task.remote(job, collector)] = k
            results: dict[int, dict[str, Any]] = {}
            failures: dict[int, str] = {}
            pending = list(refs)
            progress_path = os.path.join(cfg.out, "progress.json")
            while pending:
                ready, pending = ray.wait(pending, num_returns=len(pending), timeout=1.0, fetch_local=False)
                for ref in ready:
                    k = refs[ref]
                    try:
                        results[k] = ray.get(ref)
                    except (ray.exceptions.RayError, ShardFailed) as e:
                        failures[k] = str(e)
                prog: dict[int, dict[str, Any]] = ray.get(collector.reports.remote())
                with open(progress_path + ".tmp", "w", encoding="utf-8") as f:
                    json.dump({"elapsed_s": time.time() - t0, "shards": prog}, f)
                os.replace(progress_path + ".tmp", progress_path)
                if on_progress is not None:
                    on_progress(prog, time.time() - t0)
            prog = ray.get(collector.reports.remote())
            wall = time.time() - t0
            if cfg.storage and os.path.abspath(cfg.storage) != os.path.abspath(cfg.out):
                for k in range(cfg.shards):
                    src = shard_dir(cfg.storage, k)
                    if os.path.isfile(os.path.join(src, snapshot.DB)):
                        snapshot.unpack(snapshot.pack(src), shard_dir(cfg.out, k))
            extra = {
                "address": cfg.address,
                "storage": cfg.storage,
                "shard_count": cfg.shards,
                "budget_s": cfg.budget_s,
                "cpus_per_shard": cfg.cpus_per_shard,
                "gpus_per_shard": cfg.gpus_per_shard,
                "attempts": {str(k): v.get("attempt", 0) for k, v in sorted(prog.items())},
                "failed_shards": {str(k): v for k, v in sorted(failures.items())},
                "campaign_args": list(cfg.campaign_args),
            }
            return write_merged_summary(cfg.out, wall, extra)
        finally:
            if started:
                ray.shutdown()


def totals(prog: dict[int, dict[str, Any]]) -> tuple[int, int, Counter[str]]:
    """Kernels, verified and verdicts summed over the shards' last reports."""
    verdicts: Counter[str] = Counter()
    for p in prog.values():
        verdicts.update(p.get("verdicts", {}))
    return (
        sum(p.get("kernels", 0) for p in prog.values()),
        sum(p.get("verified", 0) for p in prog.values()),
        verdicts,
    )
