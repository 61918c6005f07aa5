"""`bench`: how close the full campaign path gets to the compile floor, and to the naive baseline.

All phases run in one process tree, on the same seeds, with warm workers (each worker compiles one
throw-away batch first, so compiler start-up is excluded everywhere):
- full (backward): the campaign path: generate, compile with backward code, launch, oracle, judge, store;
- floor (backward): the same kernel batches, pre-generated, compiled (for every target of the run:
  `--devices`, and CUDA ahead of time with `--cuda-arch`) and nothing else;
- full (forward only): the campaign path without backward code;
- naive: one process, one kernel per Warp module, compiled and launched, no oracle (as the earlier
  template prototype ran).

Per family, each pool phase's worker seconds are split over its kernels: a batch's compile in
proportion to each kernel's emitted C++ (forward and backward text, from the full phase), its
other shared stages (generation, code cutting) evenly, and each kernel's own check
(`CaseResult.check_s`) to that kernel. A family's kernels/s is the phase's rate scaled by how its
seconds per kernel compare with the phase's mean: an estimate of a phase of that family alone
(`--families` measures one alone).
"""

from __future__ import annotations

import os
import resource
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from fuzz.engine.result import CaseResult
from fuzz.engine.settings import WorkerSettings
from fuzz.pool import Done, Lost, Task, WorkerPool
from fuzz.schedule import Plan, PreparedTasks, Scheduler
from fuzz.worker import generate_case


@dataclass
class Phase:
    name: str
    kernels: int = 0
    seconds: float = 0.0
    stage_seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    verdicts: Counter[str] = field(default_factory=Counter)
    peak_rss_kb: dict[str, int] = field(default_factory=dict)
    family_kernels: Counter[str] = field(default_factory=Counter)
    family_seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    @property
    def rate(self) -> float:
        return self.kernels / self.seconds if self.seconds else 0.0

    def family_rate(self, family: str) -> float:
        """The phase's rate scaled by the family's worker seconds per kernel against the mean."""
        n, s = self.family_kernels[family], self.family_seconds.get(family, 0.0)
        total_n, total_s = sum(self.family_kernels.values()), sum(self.family_seconds.values())
        if not n or s <= 0 or not total_n or total_s <= 0:
            return 0.0
        return self.rate * (total_s / total_n) / (s / n)


def family_weights(families: list[str], weights: dict[str, float] | None) -> dict[str, float]:
    """Generator weights that draw only `families`, each at its campaign weight (`weights`, else
    the default one); an opt-in family (default weight 0) named here gets weight 1."""
    from grammar.generate import DEFAULT_WEIGHTS

    base = dict(weights) if weights else dict(DEFAULT_WEIGHTS)
    unknown = [f for f in families if f not in DEFAULT_WEIGHTS]
    if unknown or not families:
        raise ValueError(
            f"unknown families {', '.join(unknown) or '(none given)'}; known: {', '.join(DEFAULT_WEIGHTS)}"
        )
    return {f: (base.get(f) or 1.0) if f in families else 0.0 for f in DEFAULT_WEIGHTS}


def code_weight(result: CaseResult) -> int:
    """How much of its batch's compile a kernel is charged: the length of its emitted C++."""
    return sum(len(result.code.get(k) or "") for k in ("cpp_forward", "cpp_backward"))


def split_batch(
    phase: Phase, results: list[CaseResult], stats: dict[str, float], weights: dict[int, int]
) -> None:
    """Add one batch's worker seconds to its kernels' families (see the module docstring)."""
    if not results:
        return
    own = sum(r.check_s for r in results)
    compile_s = sum(v for k, v in stats.items() if k.startswith("compile"))
    shared = max(sum(stats.values()) - compile_s - own, 0.0)
    w = [max(weights.get(r.seed, 0), 1) for r in results]
    for r, wk in zip(results, w, strict=True):
        phase.family_kernels[r.family] += 1
        phase.family_seconds[r.family] += compile_s * wk / sum(w) + shared / len(results) + r.check_s


def _warm(pool: WorkerPool, seed: int) -> None:
    """Wait for every worker and give each one throw-away batch (compiler start-up, caches)."""
    pending = len(pool.handles)
    warmed: set[int] = set()
    deadline = time.monotonic() + 600
    while len(warmed) < pending:
        for idx in pool.idle():
            if idx not in warmed:
                pool.submit(idx, Task(-1 - idx, [seed + 10_000_000 + idx]))
                warmed.add(idx)
        pool.poll(0.2)
        if time.monotonic() > deadline:
            raise RuntimeError("bench: workers did not start within 10 minutes")
    while pool.busy():
        pool.poll(0.2)


def _drive(
    pool: WorkerPool,
    tasks: list[Task],
    phase: Phase,
    deadline: float | None,
    on_results: Callable[[list[CaseResult]], None],
    weights: dict[int, int],
) -> list[int]:
    """Run `tasks` through the campaign's scheduler (until `deadline` stops new dispatches; what
    is in flight then still finishes, a lost batch is counted, not retried); return the seeds
    completed."""
    done: list[int] = []
    t0 = time.monotonic()

    def finished(ev: Done) -> None:
        results = [CaseResult.from_json(r) for r in ev.results]
        t = time.perf_counter()
        on_results(results)
        phase.stage_seconds["store"] += time.perf_counter() - t
        for k, v in ev.stats.items():
            phase.stage_seconds[k] += v
        for r in results:
            if r.code:
                weights[r.seed] = code_weight(r)
        split_batch(phase, results, ev.stats, weights)
        for r in results:
            phase.verdicts[r.verdict] += 1
            done.append(r.seed)

    def lost(ev: Lost) -> None:
        phase.verdicts[ev.reason] += len(ev.task.seeds)

    size = max((len(t.seeds) for t in tasks), default=1)
    plan = Plan(t0, deadline, size, len(pool.handles), grace_s=None, retry_lost=False, poll_s=0.05)
    Scheduler(pool, PreparedTasks(tasks), plan).run(finished, lost)
    phase.seconds = time.monotonic() - t0
    phase.kernels = len(done)
    # each worker's highest RSS over the phase (start-up and warm-up batch included)
    phase.peak_rss_kb = {f"w{k}": max(p.peak_kb for p in ps) for k, ps in sorted(pool.memory.items())}
    return sorted(done)


def _pool_phase(
    name: str,
    settings: WorkerSettings,
    workers: int,
    tasks: list[Task],
    deadline_s: float | None,
    store_dir: str | None,
    weights: dict[int, int],
) -> tuple[Phase, list[int]]:
    from fuzz.engine.store import Store

    phase = Phase(name)
    pool = WorkerPool(settings, workers)
    store = Store(store_dir) if store_dir else None
    try:
        _warm(pool, tasks[0].seeds[0] if tasks and tasks[0].seeds else 0)
        deadline = time.monotonic() + deadline_s if deadline_s is not None else None

        def keep(results: list[CaseResult]) -> None:
            if store is not None:
                store.add_results(results, 0)

        done = _drive(pool, tasks, phase, deadline, keep, weights)
    finally:
        pool.close()
        if store is not None:
            store.close()
    return phase, done


def _naive(seeds: list[int], work_dir: str, deadline_s: float, gen_config: dict[str, Any]) -> Phase:
    """One kernel per Warp module, compiled and launched in this process; no oracle."""
    import warp as wp

    import grammar
    from fuzz.engine import warpcompat
    from fuzz.engine.launch import launch
    from fuzz.engine.wpmodule import WarpModule

    phase = Phase("naive")
    os.makedirs(work_dir, exist_ok=True)
    warpcompat.quiet()
    wp.config.kernel_cache_dir = os.path.join(work_dir, "kernel-cache")
    wp.init()

    def one(seed: int, tag: str) -> None:
        case = generate_case(seed, gen_config)  # the same kernels the pool phases get
        # kept loaded, not discarded: the prototype this baseline stands for never unloaded a module
        mod = WarpModule.build([case.source], f"wf_naive_{tag}_{seed}", work_dir)
        launch(mod.kernel(case.kernel_name), grammar.make_inputs(case), case.dim, "cpu")

    from grammar.native_output import stderr_to

    # clang's warnings go to a log, as the pool workers' do, instead of flooding the bench output
    with stderr_to(os.path.join(work_dir, "naive.log")):
        one(seeds[0] + 20_000_000, "warm")  # compiler start-up excluded, as for the pools
        t0 = time.monotonic()
        for s in seeds:
            if time.monotonic() - t0 > deadline_s:
                break
            try:
                one(s, "b")
                phase.verdicts["launched"] += 1
            except Exception:
                phase.verdicts["failed"] += 1
            phase.kernels += 1
        phase.seconds = time.monotonic() - t0
    phase.peak_rss_kb = {"main": int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)}
    return phase


def run_bench(
    budget_s: float,
    workers: int,
    batch: int,
    seed: int,
    out_dir: str,
    gen_config: dict[str, Any],
    cpu_opt_level: int | None,
    log: Callable[[str], None],
    devices: tuple[str, ...] = ("cpu",),
    cuda_arch: int | None = None,
) -> dict[str, Any]:
    """Run the four phases; return figures and the two ratios.

    cpu_opt_level applies to the three pool phases; the naive baseline keeps Warp's default, as
    the earlier prototype did. `devices` and `cuda_arch` (CUDA compiled ahead of time with NVRTC,
    no GPU needed) are the pool phases' targets, as in a campaign: the floor then compiles every
    batch for each of them and does nothing else; the naive baseline stays on the CPU."""

    base = WorkerSettings(
        run_dir=out_dir,
        devices=devices,
        enable_backward=True,
        gen_config=gen_config,
        cpu_opt_level=cpu_opt_level,
        cuda_arch=cuda_arch,
    )
    slice_s = budget_s / 4
    weights: dict[int, int] = {}  # seed -> emitted C++ length (from the full phase)
    seeds_all = list(range(seed, seed + 1_000_000))

    def tasks_from(seeds: list[int], cases: bool = False) -> list[Task]:
        out = []
        for k in range(0, len(seeds), batch):
            chunk = seeds[k : k + batch]
            if cases:
                out.append(Task(k, chunk, cases=[generate_case(s, gen_config).to_json() for s in chunk]))
            else:
                out.append(Task(k, chunk))
        return out

    log(f"full (backward): campaign path for {slice_s:.0f} s")
    full_bw, seeds = _pool_phase(
        "full_backward", replace(base, run_dir=os.path.join(out_dir, "full")), workers,
        tasks_from(seeds_all[: 200_000]), slice_s, os.path.join(out_dir, "full"), weights,
    )  # fmt: skip
    log(f"  {full_bw.kernels} kernels, {full_bw.rate:.2f}/s; floor (backward) on the same {len(seeds)} seeds")
    floor_bw, _ = _pool_phase(
        "floor_backward", replace(base, run_dir=os.path.join(out_dir, "floor"), compile_only=True), workers,
        tasks_from(seeds, cases=True), None, None, weights,
    )  # fmt: skip
    log(f"  {floor_bw.rate:.2f}/s; full (forward only) on the same seeds")
    full_fw, _ = _pool_phase(
        "full_forward", replace(base, run_dir=os.path.join(out_dir, "fwd"), enable_backward=False), workers,
        tasks_from(seeds), None, os.path.join(out_dir, "fwd"), weights,
    )  # fmt: skip
    log(f"  {full_fw.rate:.2f}/s; naive baseline for up to {slice_s:.0f} s")
    naive = _naive(seeds, os.path.join(out_dir, "naive"), slice_s, gen_config)
    phases = [full_bw, floor_bw, full_fw, naive]
    return {
        "cores": os.cpu_count(),
        "workers": workers,
        "batch": batch,
        "cpu_opt_level": cpu_opt_level,
        "devices": list(devices),
        "cuda_arch": cuda_arch,
        "seeds": [seeds[0], seeds[-1]] if seeds else [],
        "phases": {
            p.name: {
                "kernels": p.kernels,
                "seconds": round(p.seconds, 2),
                "kernels_per_s": round(p.rate, 3),
                "verdicts": dict(p.verdicts),
                "stage_seconds": {k: round(v, 2) for k, v in sorted(p.stage_seconds.items())},
                "peak_rss_kb": p.peak_rss_kb,
                "families": {
                    f: {
                        "kernels": n,
                        "worker_seconds": round(p.family_seconds.get(f, 0.0), 3),
                        "kernels_per_s": round(p.family_rate(f), 3),
                    }
                    for f, n in sorted(p.family_kernels.items())
                },
            }
            for p in phases
        },
        "full/floor": round(full_bw.rate / floor_bw.rate, 3) if floor_bw.rate else None,
        "full/naive": round(full_bw.rate / naive.rate, 3) if naive.rate else None,
        "full_forward/floor_backward": round(full_fw.rate / floor_bw.rate, 3) if floor_bw.rate else None,
    }
