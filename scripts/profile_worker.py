"""Profile one worker's batch path in this process: where the time that is not compiling goes.

Why: on a shared machine wall-clock rates are noise, but the shares of one process's time are
not. This runs what a campaign worker runs for each batch (`fuzz.worker.generate_case` per seed,
then `BatchRunner.run`: compile, inputs, oracle, launch, judge, gradient check) under cProfile,
then prints the runner's per-stage seconds, per family the generation and check seconds per
kernel (check: inputs, oracle, launch, judge and gradient check, timed between the runner's
`before_case` hooks), and the functions with the most cumulative time outside Warp's build.

    python scripts/profile_worker.py --seed 0 --batches 4 [--batch 16] [--top 30]
        [--devices cpu,cuda:0 | --cuda-arch 90]

With `--devices cpu,cuda:0` (a GPU machine) or `--cuda-arch 90` (NVRTC without a GPU) it compiles
for both targets, as a CPU+CUDA worker does: one process's per-kernel compile seconds, free of
other workers' contention, compare machines (`bash scripts/gpu-throughput.sh machine`).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pickle
import pstats
import sys
import tempfile
import time
from collections import defaultdict
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Warp's own frames (codegen, build, load) and the runner's frames that only wrap the compile
SKIP_FILES = ("site-packages/warp/",)
SKIP_FUNCTIONS = frozenset({"compile", "compile_all", "build", "load_module", "_compile"})


def _per_stage(stats: dict[str, float], overlapped: float = 0.0) -> str:
    """Each stage's seconds and share; `overlapped` compile seconds ran beside the other target's
    compile, so they leave the total (shares of compile stages can then add up past 100 %)."""
    total = (sum(stats.values()) - overlapped) or 1.0
    rest = sum(v for k, v in stats.items() if not k.startswith("compile")) or 1.0
    lines = [f"  {'stage':>14} {'seconds':>9} {'of all':>7} {'of non-compile':>15}"]
    for k, v in sorted(stats.items(), key=lambda kv: -kv[1]):
        share = "" if k.startswith("compile") else f"{100 * v / rest:14.1f} %"
        lines.append(f"  {k:>14} {v:9.3f} {100 * v / total:6.1f} % {share}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=0, help="first seed (default 0)")
    ap.add_argument("--batches", type=int, default=4, help="batches to run (default 4)")
    ap.add_argument("--batch", type=int, default=16, help="kernels per batch (default 16)")
    ap.add_argument("--top", type=int, default=30, help="functions to list (default 30)")
    ap.add_argument("--no-profile", action="store_true", help="stage timers only (no cProfile overhead)")
    ap.add_argument("--dump", default=None, help="also write the raw profile here (pstats format)")
    ap.add_argument("--no-backward", action="store_true", help="forward code only (no gradient check)")
    ap.add_argument(
        "--devices", default="cpu", help="devices the batches run on, e.g. cpu,cuda:0 (default cpu)"
    )
    ap.add_argument(
        "--cuda-arch", type=int, default=None, help="also compile CUDA for sm_N with NVRTC (no GPU needed)"
    )
    args = ap.parse_args(argv)

    from grammar.native_output import stderr_to

    work = tempfile.mkdtemp(prefix="warpfuzz-profile-")
    log = os.path.join(work, "compiler.log")
    print(f"compiler output goes to {log}", flush=True)
    with stderr_to(log):  # clang's warnings, as a worker's go to its worker.log
        return _profile(args, work)


def _profile(args: argparse.Namespace, work: str) -> int:
    from fuzz import memory
    from fuzz.engine.runner import BatchRunner
    from fuzz.engine.settings import WorkerSettings
    from fuzz.worker import generate_case

    settings = WorkerSettings(
        run_dir=work,
        devices=tuple(d for d in args.devices.split(",") if d),
        enable_backward=not args.no_backward,
        cpu_opt_level=0,
        cuda_arch=args.cuda_arch,
    )
    runner = BatchRunner(settings, os.path.join(work, "w0"), tag="p0")
    # warm: compiler start-up and first-use imports are excluded, as `bench` excludes them
    runner.run([generate_case(args.seed + 10_000_000 + k, {}) for k in range(2)])

    stage: dict[str, float] = defaultdict(float)
    family_n: dict[str, int] = defaultdict(int)
    verdicts: dict[str, int] = defaultdict(int)
    family_gen: dict[str, float] = defaultdict(float)
    family_check: dict[str, float] = defaultdict(float)
    current: list[Any] = []  # [family, start] of the case being checked

    def close_current() -> None:
        if current:
            family_check[current[0]] += time.perf_counter() - current[1]
            current.clear()

    def before_case(case: Any) -> None:
        close_current()
        current.extend([case.family, time.perf_counter()])

    runner.before_case.append(before_case)
    payload_bytes = 0
    overlapped = 0.0  # compile seconds run beside another target's compile
    prof = cProfile.Profile()
    wall = time.perf_counter()
    for b in range(args.batches):
        seeds = range(args.seed + b * args.batch, args.seed + (b + 1) * args.batch)
        if not args.no_profile:
            prof.enable()
        cases: list[Any] = []
        for s in seeds:
            t = time.perf_counter()
            case = generate_case(s, {})
            dt = time.perf_counter() - t
            family_gen[case.family] += dt
            stage["generate"] += dt
            cases.append(case)
        t = time.perf_counter()
        results, st = runner.run(cases)
        close_current()
        # what the worker does outside the runner's timers: module unload and cache pruning
        # (inside run, untimed), the results' JSON form, pickling it for the pipe, the memory sample
        # (a batch compiled for CPU and CUDA compiles both in two threads: the shorter one's
        # seconds overlap the longer one's and are not part of the batch's wall time)
        compiles = [v for k, v in st.items() if k.startswith("compile")]
        overlap = sum(compiles) - max(compiles, default=0.0)
        overlapped += overlap
        stage["untimed in run"] += time.perf_counter() - t - sum(st.values()) + overlap
        t = time.perf_counter()
        payload = pickle.dumps([r.to_json() for r in results])
        stage["hand-off"] += time.perf_counter() - t
        t = time.perf_counter()
        memory.after_batch()
        stage["memory"] += time.perf_counter() - t
        prof.disable()
        payload_bytes += len(payload)
        for k, v in st.items():
            stage[k] += v
        for c, r in zip(cases, results, strict=True):
            family_n[c.family] += 1
            verdicts[str(r.verdict)] += 1
    wall = time.perf_counter() - wall
    n = sum(family_n.values())
    print(f"{n} kernels in {args.batches} batches, {wall:.1f} s wall; verdicts {dict(verdicts)}")
    print(f"results sent to the campaign: {payload_bytes / max(n, 1) / 1024:.1f} KiB per kernel (pickled)")
    print("per stage (the runner's own timers, as a worker reports them):")
    print(_per_stage(dict(stage), overlapped))
    if overlapped:
        print(
            f"  (CPU and CUDA compiled side by side: {overlapped:.3f} s of compile overlapped the other target's)"
        )

    tot_gen, tot_check = sum(family_gen.values()) or 1.0, sum(family_check.values()) or 1.0
    print("per family: kernels, ms per kernel and share of all generate / check seconds")
    print(f"  {'family':>16} {'n':>4} {'gen ms':>8} {'gen %':>6} {'check ms':>9} {'check %':>8}")
    for fam in sorted(family_n, key=lambda f: -(family_gen[f] + family_check[f])):
        k = family_n[fam]
        g, c = family_gen[fam], family_check[fam]
        print(
            f"  {fam:>16} {k:4d} {1000 * g / k:8.1f} {100 * g / tot_gen:6.1f}"
            f" {1000 * c / k:9.1f} {100 * c / tot_check:8.1f}"
        )

    if args.no_profile:
        return 0
    ps = pstats.Stats(prof)
    if args.dump:
        ps.dump_stats(args.dump)
    raw: dict[Any, Any] = ps.stats  # type: ignore[attr-defined]
    rows = []
    for (file, line, fn), (_cc, _nc, tt, ct, _callers) in raw.items():
        where = f"{file}:{line}({fn})"
        if any(c in file for c in SKIP_FILES) or file.startswith("~") or fn in SKIP_FUNCTIONS:
            continue
        rows.append((ct, tt, where))
    rows.sort(reverse=True)
    print(f"top {args.top} functions by cumulative seconds (Warp's own frames and builtins left out):")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
    for ct, tt, where in rows[: args.top]:
        print(f"  {ct:8.3f} cum {tt:8.3f} own  {where.replace(root, '')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
