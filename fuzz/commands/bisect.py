"""`python -m fuzz bisect CORPUS_SEED --versions 1.10.0..1.19.0`: replay one seed on many releases."""

from __future__ import annotations

import argparse
import json
import os
import sys

from fuzz.cliutil import UsageError

NAME = "bisect"
HELP = (
    "replay a corpus seed on several warp-lang releases (one cached venv each) and print "
    "which fail, pass or differ, with the first and last failing release"
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("seed", metavar="CORPUS_SEED", help="a corpus folder (holding meta.json and case.json)")
    p.add_argument(
        "--versions",
        default="1.10.0..",
        help="A..B (every release pip sees from A to B; either end may be open) or a comma list "
        "(default: 1.10.0.., i.e. 1.10.0 to the newest)",
    )
    p.add_argument(
        "--devices", default=None, help="passed to replay (default: the devices the seed recorded)"
    )
    p.add_argument(
        "--cache-dir",
        default=None,
        help="where venvs live (default: $XDG_CACHE_HOME/warpfuzz or ~/.cache/warpfuzz)",
    )
    p.add_argument("--timeout", type=float, default=600.0, help="seconds allowed per release's replay")
    p.add_argument("--json", action="store_true", help="print the result as JSON")


def run(args: argparse.Namespace) -> int:
    """Exit 0 when every release gave an outcome, 1 when some release could not be evaluated."""
    from rich.console import Console

    from corpus.entry import CorpusError, load_entry
    from fuzz.bisect import ERROR, VersionRow, bisect, format_table
    from fuzz.venvs import VenvError, available_versions, resolve_versions
    from grammar.gates import GateTableError

    if not os.path.isdir(args.seed):
        raise UsageError(f"{args.seed}: no such corpus folder")
    try:
        load_entry(args.seed)
    except CorpusError as e:
        raise UsageError(str(e)) from e
    console = Console(stderr=True)
    try:
        spec = args.versions.strip()
        known = None
        if ".." in spec or console.is_terminal:
            with console.status("listing warp-lang releases"):
                known = available_versions()
        versions = resolve_versions(spec, known)
    except (VenvError, GateTableError) as e:
        raise UsageError(str(e)) from e
    console.print(f"bisecting {args.seed} over warp {', '.join(versions)}")
    with console.status("starting") as status:

        def report(line: str) -> None:
            status.update(line[:150])
            if not console.is_terminal and line.startswith("warp "):
                console.print(line)  # no live status off a terminal: keep the steps in the log

        def on_row(row: VersionRow) -> None:
            console.print(f"  warp {row.version}: {row.status}")

        result = bisect(
            args.seed,
            versions,
            cache_dir=args.cache_dir,
            devices=args.devices,
            report=report,
            on_row=on_row,
            timeout_s=args.timeout,
        )
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
    else:
        print(format_table(result))
    sys.stdout.flush()
    return 1 if any(r.status == ERROR for r in result.rows) else 0
