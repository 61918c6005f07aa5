"""Pieces shared by the subcommands: usage errors, generator options, device selection."""

from __future__ import annotations

import argparse
import sys
from typing import Any


class UsageError(Exception):
    """Bad input from the user: printed without a traceback, exit status 2."""


def add_generator_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("generator")
    g.add_argument(
        "--weights", default="", help="family weights, e.g. loop=3,vector=0 (others keep their default)"
    )
    g.add_argument("--max-stmts", type=int, default=None, help="maximum statements per kernel body")
    g.add_argument("--max-depth", type=int, default=None, help="maximum expression depth")
    g.add_argument("--max-loop-nesting", type=int, default=None, help="maximum loop nesting")


def add_cpu_opt_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--cpu-opt-level",
        choices=("0", "1", "2", "3", "warp"),
        default="0",
        help="clang -O level for CPU code (default 0: compiles ~1.3-1.6x faster; the emitted C++ is the "
        "same); 'warp' keeps Warp's default -O2. Not applied when the run compiles CUDA (docs/throughput.md)",
    )


def cpu_opt_level_from_args(args: argparse.Namespace, compiles_cuda: bool) -> int | None:
    """The CPU -O level the workers will apply, after saying why a requested one cannot be."""
    from fuzz import warpcompat

    level = None if args.cpu_opt_level == "warp" else int(args.cpu_opt_level)
    note = warpcompat.cpu_opt_level_note(level, compiles_cuda)
    if note:
        print(f"note: {note}", file=sys.stderr)
        return None
    return level


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


def resolve_devices(text: str) -> tuple[str, ...]:
    import warp as wp

    from fuzz import warpcompat

    warpcompat.quiet()
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
