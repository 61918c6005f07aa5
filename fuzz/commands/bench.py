"""`python -m fuzz bench`: full campaign path vs the compile floor and the naive baseline."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from typing import Any

from fuzz.budget import BudgetError, parse_budget
from fuzz.cliutil import (
    UsageError,
    add_cpu_opt_option,
    add_generator_options,
    compiles_both_targets,
    cpu_opt_level_from_args,
    default_worker_count,
    gen_config_from_args,
    resolve_devices,
)

NAME = "bench"
HELP = "measure kernels/s of the campaign path against the compile floor and the naive baseline"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--budget", default="4m", help="total time, split over the phases")
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        help="worker processes of the pool phases (default: a campaign's, one per core, cores/1.6 when "
        "every batch is compiled for CPU and CUDA; docs/throughput.md)",
    )
    p.add_argument(
        "--devices",
        default="cpu",
        help="targets of the pool phases: cpu (default), cpu,cuda, cuda (cuda: cuda:0); the naive "
        "baseline stays on the CPU",
    )
    p.add_argument(
        "--cuda-arch",
        type=int,
        default=None,
        metavar="N",
        help="also compile every batch for CUDA sm_N with NVRTC (no GPU needed), as a campaign's --cuda-arch",
    )
    p.add_argument("--batch", type=int, default=16, help="kernels compiled together as one Warp module")
    p.add_argument(
        "--seed", type=int, default=0, help="first case seed of every phase (same kernels in each)"
    )
    p.add_argument("--out", default=None, help="write the figures as JSON here too")
    p.add_argument(
        "--families",
        default=None,
        help="measure only these families, e.g. lvalues,tiles (each at its campaign weight; an "
        "opt-in family at weight 1; default: the default campaign's mix)",
    )
    add_cpu_opt_option(p)
    add_generator_options(p)


def run(args: argparse.Namespace) -> int:
    from fuzz.bench import run_bench

    try:
        budget = parse_budget(args.budget)
    except BudgetError as e:
        raise UsageError(str(e)) from e
    if (args.workers is not None and args.workers < 1) or args.batch < 1:
        raise UsageError("--workers and --batch must be at least 1")
    gen_config = gen_config_from_args(args)
    if args.families is not None:
        from fuzz.bench import family_weights

        names = [f.strip() for f in args.families.split(",") if f.strip()]
        try:
            gen_config["weights"] = family_weights(names, gen_config.get("weights"))
        except ValueError as e:
            raise UsageError(f"--families: {e}") from e
    import warp as wp

    from fuzz.engine import warpcompat

    warpcompat.quiet()
    wp.init()
    devices = resolve_devices(args.devices)
    gpus = sum(1 for d in devices if d.startswith("cuda"))
    both = compiles_both_targets(devices, args.cuda_arch)
    workers = args.workers or default_worker_count(os.cpu_count() or 1, gpus, both)
    compiles_cuda = args.cuda_arch is not None or gpus > 0
    cpu_opt_level = cpu_opt_level_from_args(args, compiles_cuda=compiles_cuda)
    with tempfile.TemporaryDirectory(prefix="warpfuzz-bench-") as tmp:
        res = run_bench(
            budget,
            workers,
            args.batch,
            args.seed,
            tmp,
            gen_config,
            cpu_opt_level,
            lambda m: print(m, file=sys.stderr, flush=True),
            devices,
            args.cuda_arch,
        )
    opt = "warp default (-O2)" if res["cpu_opt_level"] is None else f"-O{res['cpu_opt_level']}"
    targets = ",".join(devices) + (
        f" + CUDA sm_{args.cuda_arch} (NVRTC)" if args.cuda_arch and not gpus else ""
    )
    print(
        f"cores: {res['cores']}  workers: {res['workers']}  batch: {res['batch']}  targets: {targets}  "
        f"CPU code: {opt}{' (CUDA: warp default -O3)' if compiles_cuda else ''} (naive: cpu, warp default)"
    )
    for name, ph in res["phases"].items():
        print(
            f"{name:>15}: {ph['kernels_per_s']:8.3f} kernels/s  ({ph['kernels']} kernels in {ph['seconds']} s)"
        )
    full = res["phases"]["full_backward"]["stage_seconds"]
    total = sum(full.values()) or 1.0
    print("where the full path's time goes (summed over workers):")
    for k, v in sorted(full.items(), key=lambda kv: -kv[1]):
        print(f"  {k:>14}: {v:8.2f} s  {100 * v / total:5.1f} %")
    print_family_table(res)
    print("peak RSS (KiB): " + "; ".join(
        f"{name} " + " ".join(f"{k} {v}" for k, v in ph["peak_rss_kb"].items()) for name, ph in res["phases"].items()
    ))  # fmt: skip
    print(f"full/floor: {res['full/floor']}")
    print(f"full/naive: {res['full/naive']}")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(res, f, indent=2)
    return 0


def print_family_table(res: dict[str, Any]) -> None:
    """Per family: kernels and estimated kernels/s of the full (backward) and floor phases."""
    full = res["phases"]["full_backward"].get("families", {})
    floor = res["phases"]["floor_backward"].get("families", {})
    if not full:
        return
    print("per family (kernels/s of a phase of that family alone, estimated from worker seconds):")
    print(f"  {'family':>16} {'kernels':>7} {'full':>9} {'floor':>9} {'full/floor':>10}")
    for fam, row in sorted(full.items(), key=lambda kv: -kv[1]["kernels"]):
        fr = floor.get(fam, {}).get("kernels_per_s", 0.0)
        ratio = f"{row['kernels_per_s'] / fr:10.3f}" if fr else f"{'-':>10}"
        print(f"  {fam:>16} {row['kernels']:7d} {row['kernels_per_s']:9.3f} {fr:9.3f} {ratio}")
