"""`python -m fuzz reduce PATH`: shrink a saved failing case while its signature stays the same."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys

from fuzz.budget import BudgetError, parse_budget
from fuzz.cliutil import UsageError, add_oracle_registry_option

NAME = "reduce"
HELP = (
    "reduce corpus folders (PATH/reduced/ gets the smallest case that fails the same way); exit status 1 "
    "if some folder does not reproduce, 3 if some folder is damaged or its kernel source is refused"
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", metavar="PATH", help="a corpus folder, or a directory holding some")
    p.add_argument("--budget", default="5m", help="time allowed per case (90s, 5m, ...)")
    p.add_argument("--batch", type=int, default=8, help="candidates compiled together as one Warp module")
    add_oracle_registry_option(p, corpus=True)
    p.add_argument("--quiet", action="store_true", help="do not print each accepted step")


def _run_dir_of(path: str) -> str | None:
    """The campaign run folder holding corpus folder `path` (RUN_DIR/corpus/NAME), if any."""
    parent = os.path.dirname(os.path.dirname(os.path.abspath(path)))
    return parent if os.path.isfile(os.path.join(parent, "campaign.db")) else None


def run(args: argparse.Namespace) -> int:
    try:
        budget = parse_budget(args.budget)
    except BudgetError as e:
        raise UsageError(str(e)) from e
    if args.batch < 1:
        raise UsageError("--batch must be at least 1")
    from corpus import entry as E
    from corpus.folder_check import DAMAGED_EXIT
    from corpus.reduce import ReduceError, UnusableFolder, reduce_folder, settings_for
    from fuzz.runlock import RunLocked, run_lock

    try:
        found = list(E.find_entries(args.paths))
        reductions = {p for p in found if E.load_entry(p).reduced}
    except E.CorpusError as e:
        raise UsageError(str(e)) from e
    folders = [p for p in found if p not in reductions]
    for p in sorted(reductions):
        if os.path.dirname(os.path.abspath(p)) not in {os.path.abspath(f) for f in folders}:
            # named directly (not found below an original being reduced): say why nothing happens
            print(f"{p}: already a reduced case (its meta.json has reduced_from): nothing to reduce")
    status = 0
    with contextlib.ExitStack() as locks:
        # reduce writes PATH/reduced/: never while a campaign holds the run folder
        for run_dir in dict.fromkeys(d for d in map(_run_dir_of, folders) if d):
            try:
                locks.enter_context(run_lock(run_dir, "reduce"))
            except RunLocked as e:
                raise UsageError(str(e)) from e
        for path in folders:
            ent = E.load_entry(path)
            print(f"reducing {path} (seed {ent.seed}, {ent.signature.key()})", flush=True)
            st = settings_for(ent.meta, registry=args.oracle_registry, run_dir=path)
            log = None if args.quiet else (lambda s: print("  " + s, flush=True))
            try:
                dest = reduce_folder(path, settings=st, budget_s=budget, batch=args.batch, log=log)
            except UnusableFolder as e:
                print(f"  cannot reduce: {e}", file=sys.stderr)
                status = DAMAGED_EXIT
                continue
            except ReduceError as e:
                print(f"  cannot reduce: {e}", file=sys.stderr)
                status = status or 1
                continue
            red = E.load_entry(dest).meta.get("reduction", {})
            if not red.get("accepted"):
                print(
                    f"  nothing to remove: every candidate of {red.get('tested')} compiled changed or lost the "
                    f"failure; the case is already minimal for these passes ({red.get('statements_after')} "
                    f"statements): {dest}"
                )
                continue
            print(
                f"  {red.get('statements_before')} -> {red.get('statements_after')} statements in "
                f"{red.get('seconds')} s ({red.get('tested')} candidates compiled, {red.get('batches')} "
                f"batches): {dest}"
            )
    return status
