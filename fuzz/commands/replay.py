"""`python -m fuzz replay PATH_OR_DIR ...`: re-run corpus seeds on the installed Warp."""

from __future__ import annotations

import argparse
import json

from fuzz.cliutil import UsageError, add_oracle_registry_option, resolve_devices

NAME = "replay"
HELP = (
    "re-run corpus seeds: still failing / fixed / changed / damaged; exit status 1 if any still fails, "
    "3 if any folder is damaged or its kernel source is refused (see docs/corpus.md: what replay executes)"
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "paths", nargs="+", metavar="PATH_OR_DIR", help="corpus folders or directories holding some"
    )
    p.add_argument(
        "--devices",
        default=None,
        help="cpu, cuda, cpu,cuda or auto (default: the devices each seed recorded)",
    )
    add_oracle_registry_option(p, corpus=True)
    p.add_argument("--json", action="store_true", help="print the outcomes as JSON")


def run(args: argparse.Namespace) -> int:
    from corpus.entry import CorpusError
    from corpus.folder_check import DAMAGED_EXIT
    from corpus.replay import format_outcome, replay

    devices = resolve_devices(args.devices) if args.devices else None
    try:
        outcomes = replay(args.paths, devices=devices, registry=args.oracle_registry)
    except CorpusError as e:
        raise UsageError(str(e)) from e
    if args.json:
        print(json.dumps([o.to_json() for o in outcomes], indent=2))
    else:
        for o in outcomes:
            print(format_outcome(o))
        counts: dict[str, int] = {}
        for o in outcomes:
            counts[o.status] = counts.get(o.status, 0) + 1
        print(", ".join(f"{n} {s}" for s, n in counts.items()) or "nothing replayed")
    if any(o.unusable for o in outcomes):
        return DAMAGED_EXIT
    return 1 if any(o.failing for o in outcomes) else 0
