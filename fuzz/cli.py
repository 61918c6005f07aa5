"""Command line: `python -m fuzz [run] --budget 2h ...` and the other subcommands."""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

from fuzz.budget import BudgetError, parse_budget

SUBCOMMANDS = ("run", "generate")


class UsageError(Exception):
    """Bad input from the user: printed without a traceback, exit status 2."""


def _add_generator_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("generator")
    g.add_argument(
        "--weights", default="", help="family weights, e.g. loop=3,vector=0 (others keep their default)"
    )
    g.add_argument("--max-stmts", type=int, default=None, help="maximum statements per kernel body")
    g.add_argument("--max-depth", type=int, default=None, help="maximum expression depth")
    g.add_argument("--max-loop-nesting", type=int, default=None, help="maximum loop nesting")


def gen_config_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """Generator settings as a plain dict (stored in the run's meta, sent to workers)."""
    import grammar

    cfg: dict[str, Any] = {}
    if args.weights:
        try:
            cfg["weights"] = grammar.parse_weights(args.weights)
        except ValueError as e:
            raise UsageError(f"--weights: {e}") from e
    for key in ("max_stmts", "max_depth", "max_loop_nesting"):
        v = getattr(args, key)
        if v is not None:
            if v < 1:
                raise UsageError(f"--{key.replace('_', '-')} must be at least 1, got {v}")
            cfg[key] = v
    return cfg


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m fuzz",
        description="Differential fuzzer for NVIDIA Warp: generate kernels, run them on CPU/CUDA, "
        "check them against a NumPy oracle, keep verified pairs and failing seeds.",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    r = sub.add_parser("run", help="run a campaign (the default command)")
    r.add_argument("--budget", required=True, help="wall-clock budget: 90s, 10m, 2h, 1h30m")
    r.add_argument(
        "--out", default=None, help="run directory (default runs/<UTC time>); an existing one is resumed"
    )
    r.add_argument("--seed", type=int, default=0, help="first case seed (cases use seed, seed+1, ...)")
    r.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="worker processes (default: cores)"
    )
    r.add_argument("--batch", type=int, default=16, help="kernels compiled together as one Warp module")
    r.add_argument("--devices", default="auto", help="cpu, cuda, cpu,cuda or auto (cuda where available)")
    r.add_argument("--no-backward", action="store_true", help="compile forward code only")
    r.add_argument(
        "--cuda-arch",
        type=int,
        default=None,
        help="also compile each batch for CUDA sm_ARCH with NVRTC (works without a GPU; e.g. 90)",
    )
    r.add_argument(
        "--kernel-timeout",
        type=float,
        default=15.0,
        help="seconds allowed per kernel of a batch (plus 60 s per batch) before its worker counts as hung",
    )
    r.add_argument("--max-kernels", type=int, default=None, help="stop after this many kernels")
    r.add_argument("--no-progress", action="store_true", help="no live progress display")
    _add_generator_options(r)

    g = sub.add_parser("generate", help="write generated kernels as .py files plus manifest.jsonl")
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--count", type=int, default=10)
    g.add_argument("--family", default=None)
    g.add_argument("--out", required=True)
    _add_generator_options(g)
    return p


def resolve_devices(text: str) -> tuple[str, ...]:
    import warp as wp

    wp.config.quiet = True
    wp.init()
    has_cuda = wp.is_cuda_available()
    if text == "auto":
        if not has_cuda:
            print("CUDA: no CUDA device found; checking on CPU only.", file=sys.stderr)
            return ("cpu",)
        return ("cpu", "cuda:0")
    devs = []
    for d in (x.strip() for x in text.split(",") if x.strip()):
        if d == "cpu":
            devs.append("cpu")
        elif d == "cuda" or d.startswith("cuda:"):
            if not has_cuda:
                raise UsageError(f"--devices {text}: no CUDA device is available here (use --devices cpu)")
            devs.append("cuda:0" if d == "cuda" else d)
        else:
            raise UsageError(f"--devices: unknown device {d!r}; use cpu, cuda or cuda:N")
    if not devs:
        raise UsageError("--devices: name at least one device")
    return tuple(dict.fromkeys(devs))


def cmd_run(args: argparse.Namespace) -> int:
    from fuzz.campaign import Campaign, CampaignConfig
    from fuzz.judge import TolerancePolicy
    from fuzz.progress import Progress, print_summary
    from fuzz.settings import WorkerSettings
    from fuzz.store import StoreError

    try:
        budget = parse_budget(args.budget)
    except BudgetError as e:
        raise UsageError(str(e)) from e
    if args.workers < 1 or args.batch < 1:
        raise UsageError("--workers and --batch must be at least 1")
    gen_config = gen_config_from_args(args)
    devices = resolve_devices(args.devices)
    run_dir = args.out or os.path.join("runs", time.strftime("%Y%m%d-%H%M%S", time.gmtime()))
    settings = WorkerSettings(
        run_dir=run_dir,
        devices=devices,
        enable_backward=not args.no_backward,
        cuda_arch=args.cuda_arch,
        gen_config=gen_config,
        policy=TolerancePolicy(),
    )
    cfg = CampaignConfig(
        run_dir=run_dir,
        budget_s=budget,
        seed=args.seed,
        workers=args.workers,
        batch=args.batch,
        devices=devices,
        settings=settings,
        argv=sys.argv[1:],
        max_kernels=args.max_kernels,
        per_kernel_timeout_s=args.kernel_timeout,
    )
    print(f"warpfuzz: campaign in {run_dir} for {args.budget} on {','.join(devices)}", file=sys.stderr)
    with Progress(enabled=not args.no_progress) as progress:
        try:
            summary = Campaign(cfg, on_progress=progress.update).run()
        except StoreError as e:
            raise UsageError(str(e)) from e
    print_summary(summary)
    print(f"summary written to {os.path.join(run_dir, 'summary.json')}", file=sys.stderr)
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    import json

    import grammar

    cfg = gen_config_from_args(args)
    if args.family is not None and args.family not in grammar.FAMILIES:
        raise UsageError(f"--family: unknown family {args.family!r}; known: {', '.join(grammar.FAMILIES)}")
    if args.count < 1:
        raise UsageError("--count must be at least 1")
    os.makedirs(args.out, exist_ok=True)
    gcfg = grammar.GenConfig(**cfg) if cfg else None
    with open(os.path.join(args.out, "manifest.jsonl"), "w", encoding="utf-8") as man:
        for seed in range(args.seed, args.seed + args.count):
            case = grammar.generate(seed, gcfg, family=args.family)
            fname = f"{case.kernel_name}.py"
            with open(os.path.join(args.out, fname), "w", encoding="utf-8") as f:
                f.write(case.module_source())
            man.write(
                json.dumps(
                    {"seed": seed, "family": case.family, "kernel_name": case.kernel_name, "file": fname}
                )
                + "\n"
            )
    print(f"wrote {args.count} kernels and manifest.jsonl to {args.out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help")):
        argv = ["run", *argv]
    parser = build_parser()
    args = parser.parse_args(argv)
    handlers = {"run": cmd_run, "generate": cmd_generate}
    try:
        return handlers[args.command](args)
    except UsageError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
