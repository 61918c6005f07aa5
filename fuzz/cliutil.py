"""Pieces shared by the subcommands: usage errors, generator options, device selection."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from fuzz.placement import DeviceSpecError, default_workers, parse_devices


class UsageError(Exception):
    """Bad input from the user: printed without a traceback, exit status 2."""


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Every option's help ends with its default, unless the help already says it or there is
    none worth showing (None, False)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        hidden = action.default is None or action.default is False or action.default == argparse.SUPPRESS
        if "default" in text or hidden or not action.option_strings:
            return text
        return super()._get_help_string(action) or text


# options whose value may start with "-" (a negative budget must reach parse_budget, not argparse)
VALUE_OPTIONS = ("--budget",)


def join_dash_values(argv: list[str]) -> list[str]:
    """`--budget -5m` -> `--budget=-5m`, so the value gets a clear error instead of argparse's
    "expected one argument"."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if (
            a in VALUE_OPTIONS
            and i + 1 < len(argv)
            and argv[i + 1].startswith("-")
            and argv[i + 1][1:2].isdigit()
        ):
            out.append(f"{a}={argv[i + 1]}")
            i += 2
            continue
        out.append(a)
        i += 1
    return out


def add_generator_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("generator")
    g.add_argument(
        "--weights",
        default="",
        help="family weights, e.g. loop=3,vector=0 (others keep the built-in default weights)",
    )
    g.add_argument(
        "--max-stmts",
        type=int,
        default=None,
        help="maximum statements per kernel body (default: the generator's)",
    )
    g.add_argument(
        "--max-depth", type=int, default=None, help="maximum expression depth (default: the generator's)"
    )
    g.add_argument(
        "--max-loop-nesting", type=int, default=None, help="maximum loop nesting (default: the generator's)"
    )


def add_oracle_registry_option(p: argparse.ArgumentParser, *, corpus: bool = False) -> None:
    """--oracle-registry MODULE:FUNCTION, read by `fuzz.engine.runner.load_registry`. The corpus
    commands (`corpus`: replay, reduce) also take its old spelling --oracle."""
    p.add_argument(
        "--oracle-registry",
        *(("--oracle",) if corpus else ()),
        dest="oracle_registry",
        default=None,
        metavar="MODULE:FUNCTION",
        help="import MODULE and judge with the oracle registry FUNCTION() returns (default: the installed "
        "oracle"
        + ("; a folder's meta.json never chooses it)" if corpus else "; for testing oracle variants)"),
    )


def add_cpu_opt_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--cpu-opt-level",
        choices=("0", "1", "2", "3", "warp"),
        default="0",
        help="clang -O level for CPU code (default: 0, which compiles ~1.3-1.6x faster; the emitted C++ is the "
        "same); 'warp' keeps Warp's default -O2. CUDA code keeps Warp's -O3 (before warp 1.13.0, a run that "
        "compiles CUDA keeps -O2 for CPU code too; docs/throughput.md)",
    )


# Cores one worker keeps busy on average when every batch is compiled for CPU and CUDA in two
# threads (`WarpModule.compile_all`): issue #22's CPU+CUDA campaign on 16 workers spent, per 3,840
# worker-seconds, 2,878 s in the CPU compile, 2,432 s in the CUDA compile and about 960 s in the
# single-threaded rest, i.e. (2878 + 2432 + 960) / 3840 = 1.6 busy threads per worker.
BUSY_THREADS_PER_WORKER_BOTH_TARGETS = 1.6


def compiles_both_targets(devices: Sequence[str], cuda_arch: int | None) -> bool:
    """Whether each batch is compiled for the CPU and for CUDA (on a GPU or ahead of time)."""
    return any(d == "cpu" for d in devices) and (
        cuda_arch is not None or any(d.startswith("cuda") for d in devices)
    )


def default_worker_count(cores: int, gpu_count: int, both_targets: bool) -> int:
    """Workers when `--workers` is not given: one per core for runs that compile one target;
    for runs that compile both, `cores / 1.6` (each worker compiles in two threads, so one per
    core would run about 1.6x as many threads as cores; docs/throughput.md says how to measure
    it). Then at least one per GPU and a multiple of the GPUs (`placement.default_workers`)."""
    if both_targets:
        cores = max(1, round(max(1, cores) / BUSY_THREADS_PER_WORKER_BOTH_TARGETS))
    return default_workers(cores, gpu_count)


def cpu_opt_level_from_args(args: argparse.Namespace, compiles_cuda: bool) -> int | None:
    """The CPU -O level the workers will apply, after saying why a requested one cannot be."""
    from fuzz.engine import warpcompat

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


def cuda_device_count() -> int:
    """The CUDA devices Warp sees on this host (0 without a driver or GPU)."""
    import warp as wp

    from fuzz.engine import warpcompat

    warpcompat.quiet()
    wp.init()
    return int(wp.get_cuda_device_count()) if wp.is_cuda_available() else 0


def resolve_devices(text: str, *, every_gpu: bool = False) -> tuple[str, ...]:
    """`--devices` against this host's CUDA devices (`fuzz.placement.parse_devices`).

    every_gpu: `auto` and `cuda` mean every CUDA device (a campaign spreads its workers over
    them); otherwise `cuda:0` only (commands that check in one process)."""
    count = cuda_device_count()
    try:
        devices = parse_devices(text, count, every_gpu=every_gpu)
    except DeviceSpecError as e:
        raise UsageError(str(e)) from e
    if text.strip() == "auto" and not count:
        print("CUDA: no CUDA device found; checking on CPU only.", file=sys.stderr)
    return devices
