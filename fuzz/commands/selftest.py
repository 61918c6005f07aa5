"""`python -m fuzz selftest --mutants N`: mutation sensitivity of the oracle + judge."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile

from fuzz.cliutil import UsageError, add_generator_options, gen_config_from_args, resolve_devices

NAME = "selftest"
HELP = (
    "mutate generated kernels, run mutants on the device against the original's oracle, report the kill rate"
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--mutants", type=int, default=100, help="number of mutants (one per kernel)")
    p.add_argument("--seed", type=int, default=0, help="first kernel seed")
    p.add_argument("--devices", default="cpu", help="cpu, cuda, cpu,cuda or auto")
    p.add_argument("--batch", type=int, default=25, help="mutant kernels compiled together as one module")
    p.add_argument("--family", default=None, help="only kernels of this family")
    p.add_argument(
        "--live-tries",
        type=int,
        default=5,
        help="valid mutations drawn per kernel to find one that changes the oracle result (1: keep the first)",
    )
    p.add_argument("--json", default=None, help="write the full report (every mutant) to this file")
    p.add_argument(
        "--min-kill-rate",
        type=float,
        default=None,
        help="exit with status 1 when the kill rate (percent) is below this",
    )
    add_generator_options(p)


def run(args: argparse.Namespace) -> int:
    import grammar
    from fuzz.engine.settings import WorkerSettings
    from fuzz.selftest import format_report, run_selftest

    if args.mutants < 1 or args.batch < 1 or args.live_tries < 1:
        raise UsageError("--mutants, --batch and --live-tries must be at least 1")
    if args.family is not None and args.family not in grammar.FAMILIES:
        raise UsageError(f"--family: unknown family {args.family!r}; known: {', '.join(grammar.FAMILIES)}")
    cfg = gen_config_from_args(args)
    gcfg = grammar.GenConfig(**cfg) if cfg else None
    devices = resolve_devices(args.devices)
    with tempfile.TemporaryDirectory(prefix="warpfuzz-selftest-") as work:
        settings = WorkerSettings(run_dir=work, devices=devices, enable_backward=False, gen_config=cfg)
        rep = run_selftest(
            args.mutants,
            args.seed,
            settings,
            os.path.join(work, "work"),
            batch=args.batch,
            live_tries=args.live_tries,
            gen=lambda s: grammar.generate(s, gcfg, family=args.family),
            log=lambda m: print(m, file=sys.stderr),
        )
    print(format_report(rep))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(rep.to_json(), f, indent=1, default=str)
    if args.min_kill_rate is not None and 100 * rep.kill_rate < args.min_kill_rate:
        return 1
    return 0
