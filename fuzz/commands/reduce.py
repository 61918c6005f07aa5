"""`python -m fuzz reduce PATH`: shrink a saved failing case while its signature stays the same."""

from __future__ import annotations

import argparse
import sys

from fuzz.budget import BudgetError, parse_budget
from fuzz.cliutil import UsageError

NAME = "reduce"
HELP = "reduce corpus folders (PATH/reduced/ gets the smallest case that fails the same way)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", metavar="PATH", help="a corpus folder, or a directory holding some")
    p.add_argument("--budget", default="5m", help="time allowed per case (90s, 5m, ...; default 5m)")
    p.add_argument("--batch", type=int, default=8, help="candidates compiled together as one Warp module")
    p.add_argument(
        "--oracle",
        default=None,
        metavar="MODULE:FUNCTION",
        help="oracle registry factory (default: the one the case was found with)",
    )
    p.add_argument("--quiet", action="store_true", help="do not print each accepted step")


def run(args: argparse.Namespace) -> int:
    try:
        budget = parse_budget(args.budget)
    except BudgetError as e:
        raise UsageError(str(e)) from e
    if args.batch < 1:
        raise UsageError("--batch must be at least 1")
    from corpus import entry as E
    from corpus.reduce import ReduceError, reduce_folder, settings_for

    try:
        folders = [p for p in E.find_entries(args.paths) if not E.load_entry(p).reduced]
    except E.CorpusError as e:
        raise UsageError(str(e)) from e
    status = 0
    for path in folders:
        ent = E.load_entry(path)
        print(f"reducing {path} (seed {ent.seed}, {ent.signature.key()})", flush=True)
        st = settings_for(ent.meta, registry=args.oracle, run_dir=path)
        log = None if args.quiet else (lambda s: print("  " + s, flush=True))
        try:
            dest = reduce_folder(path, settings=st, budget_s=budget, batch=args.batch, log=log)
        except ReduceError as e:
            print(f"  cannot reduce: {e}", file=sys.stderr)
            status = 1
            continue
        red = E.load_entry(dest).meta.get("reduction", {})
        print(
            f"  {red.get('statements_before')} -> {red.get('statements_after')} statements in "
            f"{red.get('seconds')} s ({red.get('tested')} candidates compiled, {red.get('batches')} batches): {dest}"
        )
    return status
