"""`python -m fuzz export`: verified pairs from run directories as a dataset, or `--verify` one."""

from __future__ import annotations

import argparse
import sys

from fuzz.cliutil import UsageError

NAME = "export"
HELP = "export verified pairs of run directories as a Parquet/JSONL dataset, or --verify an export"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("runs", nargs="*", metavar="RUN_DIR", help="run directories to merge into one dataset")
    p.add_argument("--out", default=None, help="dataset folder to write")
    p.add_argument("--format", default="parquet", choices=("parquet", "jsonl"), help="shard format")
    p.add_argument(
        "--include-rejects",
        action="store_true",
        help="also write non-verified cases, with reasons, to rejects/",
    )
    p.add_argument("--shard-rows", type=int, default=10_000, help="at most this many rows per shard file")
    p.add_argument(
        "--near-dup-threshold",
        type=float,
        default=None,
        help="estimated Jaccard similarity at which two kernels count as near-duplicates (default: 0.85)",
    )
    p.add_argument("--overwrite", action="store_true", help="replace a previous export in --out")
    p.add_argument(
        "--coverage-figure",
        action="store_true",
        help="also write coverage.png (builtins reached and verified, as in `report`) and show it in the card",
    )
    p.add_argument("--jobs", type=int, default=1, help="processes that normalize and hash sources")
    v = p.add_argument_group("verify")
    v.add_argument(
        "--verify", default=None, metavar="DIR", help="check an exported dataset instead of exporting"
    )
    v.add_argument("--sample", type=int, default=50, help="records to re-run with --verify")
    v.add_argument("--sample-seed", type=int, default=0, help="seed of the random sample")
    v.add_argument("--devices", default="auto", help="devices to re-run on: cpu, cuda, cpu,cuda or auto")
    v.add_argument("--batch", type=int, default=16, help="records compiled together as one Warp module")


def run(args: argparse.Namespace) -> int:
    if args.verify:
        return _verify(args)
    if not args.runs:
        raise UsageError("name at least one RUN_DIR to export (or use --verify DIR)")
    if not args.out:
        raise UsageError("--out DIR is required when exporting")
    if args.shard_rows < 1 or args.jobs < 1:
        raise UsageError("--shard-rows and --jobs must be at least 1")
    import os

    from fuzz.runlock import RunLocked, check_unlocked

    if os.path.exists(args.out) and not os.path.isdir(args.out):
        raise UsageError(f"--out {args.out}: exists and is not a folder; pass a folder for the dataset")
    try:
        check_unlocked(args.out) if os.path.isdir(args.out) else None
    except RunLocked as e:
        raise UsageError(str(e)) from e
    if args.format == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError as e:
            raise UsageError(
                "--format parquet needs pyarrow (pip install 'warpfuzz[export]'), or use --format jsonl"
            ) from e
    from fuzz.export import ExportOptions, export_dataset
    from fuzz.export.dedup import MinHashConfig

    mh = MinHashConfig()
    if args.near_dup_threshold is not None:
        if not 0.0 < args.near_dup_threshold <= 1.0:
            raise UsageError("--near-dup-threshold must lie in (0, 1]")
        mh = MinHashConfig.for_threshold(args.near_dup_threshold)
    opts = ExportOptions(
        fmt=args.format,
        include_rejects=args.include_rejects,
        shard_rows=args.shard_rows,
        minhash=mh,
        overwrite=args.overwrite,
        jobs=args.jobs,
        coverage_figure=args.coverage_figure,
    )
    from fuzz.cluster.layout import expand_run_dirs

    res = export_dataset(expand_run_dirs(list(args.runs)), args.out, opts)  # a cluster folder: its shards
    s = res.stats
    rows = ", ".join(f"{k} {v}" for k, v in sorted(res.manifest["rows"].items()))
    print(
        f"exported {sum(s.rows.values())} verified rows ({rows}) from {s.cases} cases in {len(s.runs)} run(s) "
        f"to {args.out} in {res.seconds:.1f}s; exact duplicates dropped {s.exact_duplicates}, "
        f"near-duplicate rows {s.near_dup_records} in {s.clusters} clusters"
        + (f"; {s.rejects_written} rejects written" if args.include_rejects else ""),
        file=sys.stderr,
    )
    return 0


def _verify(args: argparse.Namespace) -> int:
    from fuzz.cliutil import resolve_devices
    from fuzz.export import VerifyOptions, verify_dataset

    if args.runs:
        raise UsageError("--verify takes a dataset folder, not run directories")
    if args.sample < 0 or args.batch < 1:
        raise UsageError("--sample must be >= 0 and --batch >= 1")
    devices = resolve_devices(args.devices)
    rep = verify_dataset(
        args.verify,
        VerifyOptions(sample=args.sample, seed=args.sample_seed, devices=devices, batch=args.batch),
    )
    print(rep.render())
    return 0 if rep.ok else 1
