"""`python -m fuzz triage RUN_DIR`: unique failure signatures with counts, most frequent first."""

from __future__ import annotations

import argparse
import json
import os

from fuzz.cliutil import UsageError

NAME = "triage"
HELP = "list a run's unique failure signatures with counts and one representative each"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "run_dir", metavar="RUN_DIR", help="a campaign's run directory (or a folder of corpus seeds)"
    )
    p.add_argument("--all", action="store_true", help="also group oracle_unsupported and inconclusive cases")
    p.add_argument("--coarse", action="store_true", help="group by failure kind only, ignoring constructs")
    p.add_argument("--limit", type=int, default=None, help="show only the N most frequent signatures")
    p.add_argument("--json", action="store_true", help="print the groups as JSON")


def run(args: argparse.Namespace) -> int:
    if not os.path.isdir(args.run_dir):
        raise UsageError(f"{args.run_dir}: no such directory (pass a campaign's --out directory)")
    from corpus.entry import META, CorpusError
    from corpus.triage import format_groups, triage

    has_db = os.path.exists(os.path.join(args.run_dir, "campaign.db"))
    if not has_db and not any(META in files for _, _, files in os.walk(args.run_dir)):
        raise UsageError(
            f"{args.run_dir}: neither a campaign.db nor corpus folders here; is this a run directory?"
        )
    try:
        groups = triage(args.run_dir, include_all=args.all, coarse=args.coarse)
    except CorpusError as e:
        raise UsageError(str(e)) from e
    if args.json:
        print(json.dumps([g.to_json() for g in groups[: args.limit]], indent=2))
    else:
        print(format_groups(groups, args.limit), end="")
    return 0
