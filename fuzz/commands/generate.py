"""`python -m fuzz generate`: write generated kernels as importable files plus a manifest."""

from __future__ import annotations

import argparse
import os

from fuzz.cliutil import UsageError, add_generator_options, gen_config_from_args

NAME = "generate"
HELP = "write generated kernels as .py files plus manifest.jsonl"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--count", type=int, default=10)
    p.add_argument("--family", default=None)
    p.add_argument("--out", required=True)
    add_generator_options(p)


def run(args: argparse.Namespace) -> int:
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
