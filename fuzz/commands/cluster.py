"""`python -m fuzz cluster --shards N --budget 2h --out DIR`: one campaign as N shards on Ray.

Each shard is a Ray task running `python -m fuzz run --shard K/N` with the campaign options given
here; DIR/shards/K/ holds shard K's run folder and DIR/summary.json the merged figures. Needs the
`warpfuzz[ray]` extra; see docs/scale-out.md.
"""

from __future__ import annotations

import argparse
import os
import sys

from fuzz.cliutil import UsageError

NAME = "cluster"
HELP = "run one campaign as N shards on a Ray cluster (pip install 'warpfuzz[ray]'; docs/scale-out.md)"

# run options the cluster sets per shard itself, so they are not forwarded as given
_OWN = {"budget", "out", "shard", "no_progress", "max_kernels", "workers", "help"}


def add_arguments(p: argparse.ArgumentParser) -> None:
    from fuzz.commands import run as run_cmd

    c = p.add_argument_group(
        "cluster",
        "the campaign options below apply to every shard; --workers and --max-kernels count per shard "
        "(--workers defaults to --cpus-per-shard, not to the cores)",
    )
    c.add_argument(
        "--address",
        default="local",
        help="local (start Ray on this machine), auto (the running cluster), or a Ray address (ray://HOST:10001)",
    )
    c.add_argument("--shards", type=int, required=True, help="number of shards (one Ray task each)")
    c.add_argument("--cpus-per-shard", type=float, default=1.0, help="Ray num_cpus of each shard task")
    c.add_argument("--gpus-per-shard", type=float, default=0.0, help="Ray num_gpus of each shard task")
    c.add_argument(
        "--storage",
        default=None,
        metavar="PATH",
        help="shared filesystem path every node mounts, for shard checkpoints (default: copied to --out "
        "through the driver); object store URIs are not supported: mount the bucket",
    )
    c.add_argument(
        "--local-dir",
        default=None,
        help="node-local folder where shards run (default: the node's temp folder)",
    )
    c.add_argument(
        "--checkpoint-every",
        type=float,
        default=120.0,
        metavar="SECONDS",
        help="copy each running shard's folder out this often (and when it finishes)",
    )
    c.add_argument(
        "--max-retries", type=int, default=3, help="times Ray reruns a shard whose node or worker died"
    )
    run_cmd.add_arguments(p)
    p.set_defaults(workers=None)  # per shard: --cpus-per-shard unless given


def _run_parser() -> argparse.ArgumentParser:
    from fuzz.commands import run as run_cmd

    p = argparse.ArgumentParser(add_help=False, exit_on_error=False)
    run_cmd.add_arguments(p)
    return p


def forwarded_args(args: argparse.Namespace) -> list[str]:
    """The campaign options given to `cluster`, as `run` arguments for every shard (options are
    spelled --dest-with-dashes, checked by parsing the result back)."""
    p = _run_parser()
    defaults = vars(p.parse_args(["--budget", "1s"]))
    out: list[str] = []
    sent = []
    for dest, default in defaults.items():
        val = getattr(args, dest, default)
        if dest in _OWN or val == default:
            continue
        opt = "--" + dest.replace("_", "-")
        out += [opt] if isinstance(val, bool) else [opt, str(val)]
        sent.append(dest)
    workers = args.workers if args.workers is not None else max(1, int(args.cpus_per_shard))
    out += ["--workers", str(workers)]
    back = vars(p.parse_args(["--budget", "1s", *out]))
    wrong = [d for d in sent if back[d] != getattr(args, d)]
    if wrong:
        raise UsageError(f"cannot forward {', '.join(wrong)} to the shards' campaigns; leave them out")
    return out


def run(args: argparse.Namespace) -> int:
    """Exit 0 when every shard ended, 1 when a shard failed (the others' results are kept)."""
    from fuzz.budget import BudgetError, parse_budget

    try:
        budget = parse_budget(args.budget)
    except BudgetError as e:
        raise UsageError(str(e)) from e
    if not args.out:
        raise UsageError("--out DIR is required: the cluster folder (DIR/shards/K/ per shard)")
    if args.shard is not None:
        raise UsageError("--shard belongs to one shard's campaign; cluster runs all of them (use --shards N)")
    if args.shards < 1 or args.cpus_per_shard <= 0 or args.gpus_per_shard < 0 or args.max_retries < 0:
        raise UsageError(
            "--shards and --cpus-per-shard must be positive, --gpus-per-shard and --max-retries >= 0"
        )
    if args.workers is not None and args.workers < 1:
        raise UsageError("--workers must be at least 1")
    if args.storage and "://" in args.storage:
        raise UsageError(
            f"--storage {args.storage}: only a shared filesystem path is supported; mount the bucket on every "
            "node (e.g. s3fs, gcsfuse) and pass the mount point, or leave --storage out"
        )
    if os.path.isfile(os.path.join(args.out, "campaign.db")):
        raise UsageError(
            f"--out {args.out}: holds a single campaign's store; pass a new folder for the cluster"
        )
    try:
        from fuzz.cluster.ray_run import ClusterConfig, ClusterError, run_cluster
    except ImportError as e:
        raise UsageError(f"cluster needs Ray ({e}): pip install 'warpfuzz[ray]'") from e
    from fuzz.runlock import RunLocked

    cfg = ClusterConfig(
        out=args.out,
        shards=args.shards,
        budget_s=budget,
        address=args.address,
        campaign_args=tuple(forwarded_args(args)),
        max_kernels=args.max_kernels,
        cpus_per_shard=args.cpus_per_shard,
        gpus_per_shard=args.gpus_per_shard,
        storage=args.storage,
        local_dir=args.local_dir,
        checkpoint_s=args.checkpoint_every,
        max_retries=args.max_retries,
    )
    print(
        f"warpfuzz: cluster of {args.shards} shard(s) on Ray ({args.address}) for {args.budget} into {args.out}",
        file=sys.stderr,
    )
    view = _View(budget, enabled=not args.no_progress)
    with view.progress:
        try:
            summary = run_cluster(cfg, view.update)
        except (RunLocked, ClusterError) as e:
            raise UsageError(str(e)) from e
    print(
        f"cluster: {summary['kernels']} kernels, {summary['verified']} verified in {summary['elapsed_s']} s "
        f"({summary['kernels_per_s']} kernels/s, {summary['verified_per_s']} verified/s) over "
        f"{len(summary['shards'])} shard(s); attempts per shard {summary['attempts']}"
    )
    for k, why in summary["failed_shards"].items():
        print(f"shard {k} failed: {why}", file=sys.stderr)
    print(
        f"summary written to {os.path.join(args.out, 'summary.json')}; next: python -m fuzz triage {args.out}"
    )
    return 1 if summary["failed_shards"] else 0


class _View:
    """The campaign's live progress panel, fed with the shards' summed reports."""

    def __init__(self, budget_s: float, enabled: bool) -> None:
        from fuzz.progress import Progress

        self.progress = Progress(enabled=enabled)
        self.budget_s = budget_s
        self.first: int | None = None
        self.first_verified = 0

    def update(self, prog: dict[int, dict[str, object]], elapsed_s: float) -> None:
        from collections import Counter

        from fuzz.campaign import Snapshot
        from fuzz.cluster.ray_run import totals

        kernels, verified, verdicts = totals(prog)  # type: ignore[arg-type]
        if self.first is None and prog:
            self.first, self.first_verified = kernels, verified
        base = self.first or 0
        snap = Snapshot(
            kernels=kernels - base,
            verified=verified - self.first_verified,
            verdicts=Counter(verdicts),
            elapsed_s=elapsed_s,
            budget_s=self.budget_s,
            in_flight=sum(1 for p in prog.values() if p.get("state") == "running"),
            restarts=sum(max(0, int(str(p.get("attempt", 1))) - 1) for p in prog.values()),
            total_kernels=kernels,
            total_verified=verified,
            phase="fuzzing" if prog else "starting shards",
        )
        self.progress.update(snap)
