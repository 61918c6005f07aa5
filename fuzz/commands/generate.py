"""`python -m fuzz generate`: write generated kernels as importable files plus a manifest."""

from __future__ import annotations

import argparse
import os

from fuzz.cliutil import UsageError, add_generator_options, gen_config_from_args

NAME = "generate"
HELP = "write generated kernels as .py files plus manifest.jsonl"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=int, default=0, help="first seed (kernels use seed, seed+1, ...)")
    p.add_argument("--count", type=int, default=10, help="how many kernels to write")
    p.add_argument(
        "--family", default=None, help="generate only this family, e.g. loop (default: families by weight)"
    )
    p.add_argument("--out", required=True, help="folder to write the .py files and manifest.jsonl into")
    add_generator_options(p)


def run(args: argparse.Namespace) -> int:
    import json

    import grammar

    cfg = gen_config_from_args(args)
    if args.family is not None and args.family not in grammar.FAMILIES:
        raise UsageError(f"--family: unknown family {args.family!r}; known: {', '.join(grammar.FAMILIES)}")
    if args.count < 1:
        raise UsageError("--count must be at least 1")
    if os.path.exists(args.out) and not os.path.isdir(args.out):
        raise UsageError(
            f"--out {args.out}: exists and is not a folder; pass a folder to write the kernels into"
        )
    try:
        os.makedirs(args.out, exist_ok=True)
    except OSError as e:
        raise UsageError(f"--out {args.out}: cannot create it ({e.strerror}); pass a writable folder") from e
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
