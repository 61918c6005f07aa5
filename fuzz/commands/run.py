"""`python -m fuzz run` (the default command): a fuzzing campaign."""

from __future__ import annotations

import argparse
import os
import sys
import time

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
from fuzz.placement import DeviceSpecError, assign_devices, describe, is_cuda
from fuzz.shard import Shard, ShardSpecError

NAME = "run"
HELP = "run a campaign (the default command)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--budget", required=True, help="wall-clock budget: 90s, 10m, 2h, 1h30m")
    p.add_argument(
        "--out",
        default=None,
        help="run directory (default: runs/<UTC time>); an existing one is resumed; one campaign at a time "
        "per folder",
    )
    p.add_argument("--seed", type=int, default=0, help="first case seed (cases use seed, seed+1, ...)")
    p.add_argument(
        "--shard",
        default=None,
        metavar="K/N",
        help="run shard K of N (K from 0): seeds seed+K, seed+K+N, ... (docs/scale-out.md)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        help="worker processes, each running one GPU of --devices (default: one per core, here "
        f"{os.cpu_count() or 1}; cores/1.6 when every batch is compiled for CPU and CUDA, since each "
        "worker then compiles in two threads; rounded down to a multiple of the GPUs and at least "
        "one per GPU; docs/throughput.md)",
    )
    p.add_argument("--batch", type=int, default=16, help="kernels compiled together as one Warp module")
    p.add_argument(
        "--devices",
        default="auto",
        help="cpu, cuda (every CUDA device), cuda:N, a list such as cpu,cuda:0,cuda:2, or auto (cpu and every "
        "CUDA device there is); the workers are spread over the GPUs, one GPU each",
    )
    p.add_argument("--no-backward", action="store_true", help="compile forward code only")
    p.add_argument(
        "--gradients",
        choices=("on", "off"),
        default="on",
        help="check backward code against finite differences of the oracle (see docs/gradients.md)",
    )
    p.add_argument(
        "--cuda-arch",
        type=int,
        default=None,
        help="also compile each batch for CUDA sm_ARCH with NVRTC (works without a GPU; e.g. 90)",
    )
    p.add_argument(
        "--kernel-timeout",
        type=float,
        default=15.0,
        help="seconds allowed per kernel of a batch (plus 60 s per batch) before its worker counts as hung",
    )
    p.add_argument(
        "--recycle-mb",
        type=int,
        default=16,
        help="replace a worker by a fresh process once its RSS grows this many MiB past its level "
        "after 10 batches (0: never; see docs/throughput.md)",
    )
    p.add_argument("--max-kernels", type=int, default=None, help="stop after this many kernels")
    p.add_argument(
        "--no-reduce",
        action="store_true",
        help="do not reduce saved failures (by default the workers reduce every failure while the campaign "
        "runs, within half of their time, and the last 10%% of the budget reduces what is left)",
    )
    p.add_argument("--no-progress", action="store_true", help="no live progress display")
    p.add_argument(
        "--settings-sweep",
        default=None,
        metavar="NAMES",
        help="also build and run every verified case under each point of these Warp settings (a name: all its "
        "points; name=value: one), blaming a point whose outputs differ from the baseline (setting_mismatch); "
        "e.g. max_unroll,mode,fast_math,opt_level (docs/settings-sweep.md)",
    )
    add_cpu_opt_option(p)
    add_generator_options(p)


def _confirm_gates() -> None:
    """Probe the feature-gate table on the installed Warp (cached per release): a wrong entry is a
    clear message here rather than a stream of false compile errors later."""
    from fuzz.engine.gateprobe import confirm_gates

    try:
        report = confirm_gates()
    except Exception as e:  # a broken probe machinery must not stop a campaign: say so
        print(f"warning: could not confirm the feature-gate table: {type(e).__name__}: {e}", file=sys.stderr)
        return
    print(("" if report.ok else "WARNING: ") + report.message(), file=sys.stderr)


def _shard_from_args(args: argparse.Namespace) -> Shard | None:
    if args.shard is None:
        return None
    try:
        return Shard.parse(args.shard)
    except ShardSpecError as e:
        raise UsageError(str(e)) from e


def sweep_from_args(
    args: argparse.Namespace, devices: tuple[str, ...], cuda_arch: int | None, cpu_opt_level: int | None
) -> tuple[str, ...]:
    """The points of --settings-sweep the installed Warp sweeps on `devices`; a note for each one
    skipped (a setting the release lacks, one no device of the run concerns, one equal to the
    baseline), printed once here rather than by every worker."""
    from fuzz.engine import sweep

    if not args.settings_sweep:
        return ()
    try:
        points = sweep.expand(args.settings_sweep)
    except sweep.SweepError as e:
        raise UsageError(f"--settings-sweep: {e}") from e
    active, notes = sweep.select(points, devices, cuda_arch, {}, cpu_opt_level)
    for line in notes:
        print(f"note: {line}", file=sys.stderr)
    if not active:
        print("note: settings sweep: no point left to sweep on this run", file=sys.stderr)
    return tuple(a.text for a in active)


def run(args: argparse.Namespace) -> int:
    """Exit 0 when the session ends, 130 after Ctrl-C (143 after SIGTERM), 2 when the folder
    cannot be used (held by another campaign, not a folder, full disk, read-only)."""
    from fuzz.campaign import Campaign, CampaignConfig, check_run_dir
    from fuzz.engine.judge import TolerancePolicy
    from fuzz.engine.settings import WorkerSettings
    from fuzz.engine.store import StoreError
    from fuzz.progress import Progress, print_summary
    from fuzz.runlock import RunLocked

    try:
        budget = parse_budget(args.budget)
    except BudgetError as e:
        raise UsageError(str(e)) from e
    if args.out:
        try:
            check_run_dir(args.out)
        except StoreError as e:
            raise UsageError(str(e)) from e
    if (args.workers is not None and args.workers < 1) or args.batch < 1:
        raise UsageError("--workers and --batch must be at least 1")
    if args.recycle_mb < 0:
        raise UsageError("--recycle-mb must be 0 (never recycle) or a positive number of MiB")
    shard = _shard_from_args(args)
    gen_config = gen_config_from_args(args)
    devices = resolve_devices(args.devices, every_gpu=True)
    gpus = sum(1 for d in devices if is_cuda(d))
    both = compiles_both_targets(devices, args.cuda_arch)
    workers = (
        args.workers if args.workers is not None else default_worker_count(os.cpu_count() or 1, gpus, both)
    )
    try:
        placement = assign_devices(devices, workers)
    except DeviceSpecError as e:
        raise UsageError(str(e)) from e
    cpu_opt_level = cpu_opt_level_from_args(
        args, args.cuda_arch is not None or any(d.startswith("cuda") for d in devices)
    )
    points = sweep_from_args(args, devices, args.cuda_arch, cpu_opt_level)
    _confirm_gates()
    run_dir = args.out or os.path.join("runs", time.strftime("%Y%m%d-%H%M%S", time.gmtime()))
    settings = WorkerSettings(
        run_dir=run_dir,
        devices=devices,
        enable_backward=not args.no_backward,
        gradients=args.gradients == "on" and not args.no_backward,
        cuda_arch=args.cuda_arch,
        gen_config=gen_config,
        policy=TolerancePolicy(),
        cpu_opt_level=cpu_opt_level,
        sweep=points,
    )
    cfg = CampaignConfig(
        run_dir=run_dir,
        budget_s=budget,
        seed=args.seed,
        workers=workers,
        batch=args.batch,
        devices=devices,
        settings=settings,
        argv=sys.argv[1:],
        max_kernels=args.max_kernels,
        per_kernel_timeout_s=args.kernel_timeout,
        reduce_share=0.0 if args.no_reduce else CampaignConfig.reduce_share,
        recycle_mb=args.recycle_mb or None,
        shard=shard,
    )
    resuming = os.path.isfile(os.path.join(run_dir, "campaign.db"))
    what = "resuming the campaign" if resuming else "campaign"
    if shard is not None:
        what += f" shard {shard.label}"
    print(
        f"warpfuzz: {what} in {run_dir} for {args.budget} on {','.join(devices)} ({describe(placement)})",
        file=sys.stderr,
    )
    campaign = Campaign(cfg)
    with Progress(enabled=not args.no_progress) as progress:
        campaign.on_progress = progress.update
        try:
            summary = campaign.run()
        except (StoreError, RunLocked) as e:
            raise UsageError(str(e)) from e
    session = summary.get("session", {})
    if resuming:
        print(
            f"resumed: {session.get('resumed_from_kernels', 0)} kernels were already stored; seeds already "
            "judged were skipped",
            file=sys.stderr,
        )
    for c in session.get("closed_stale_sessions", []):
        print(
            f"note: closed session {c['session']}, left open by a killed process ({c['kernels']} kernels stored)",
            file=sys.stderr,
        )
    print_summary(summary)
    red = session.get("reduction") or {}
    if red.get("unreduced"):
        print(
            f"{red['unreduced']} saved failure(s) not reduced (reduce them with `python -m fuzz reduce "
            f"{os.path.join(run_dir, 'corpus')}`, or resume the campaign); triage groups them by signature",
            file=sys.stderr,
        )
    print(f"summary written to {os.path.join(run_dir, 'summary.json')}", file=sys.stderr)
    if campaign.interrupted_by:
        print(f"interrupted ({campaign.interrupted_by}); rerun the same command to resume", file=sys.stderr)
        return 130 if campaign.interrupted_by == "SIGINT" else 143
    return 0
