"""`python -m fuzz bisect CORPUS_SEED... --versions 1.10.0..1.19.0`: replay seeds on many releases."""

from __future__ import annotations

import argparse
import json
import sys

from fuzz.cliutil import UsageError

NAME = "bisect"
HELP = (
    "replay corpus seeds on several warp-lang releases (one cached venv each) and print "
    "which fail, pass or differ, with the first and last failing release"
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "seeds",
        metavar="CORPUS_SEED",
        nargs="+",
        help="corpus folders (holding meta.json and case.json), or directories searched for them; "
        "all are replayed together, one run per release",
    )
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
    p.add_argument(
        "--timeout", type=float, default=600.0, help="seconds allowed per seed in each release's replay"
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON")


def run(args: argparse.Namespace) -> int:
    """Exit 0 when every release gave an outcome, 1 when some release could not be evaluated,
    3 when a seed folder is damaged or its kernel source is refused (nothing is bisected then)."""
    from rich.console import Console

    from corpus.entry import CorpusError, find_entries, load_entry
    from corpus.folder_check import DAMAGED_EXIT
    from fuzz.bisect import ERROR, VersionRow, bisect_many, format_summary, format_table
    from fuzz.venvs import VenvError, available_versions, resolve_versions
    from grammar.gates import GateTableError

    try:
        seeds = list(dict.fromkeys(find_entries(args.seeds)))
        entries = [load_entry(seed) for seed in seeds]
    except CorpusError as e:
        raise UsageError(str(e)) from e
    # checked here, before any release is installed: every replay would refuse them anyway
    unusable = [ent for ent in entries if not ent.usable]
    for ent in unusable:
        print(f"{ent.path}: {ent.problem()}", file=sys.stderr)
    if unusable:
        return DAMAGED_EXIT
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
    what = seeds[0] if len(seeds) == 1 else f"{len(seeds)} seeds"
    console.print(f"bisecting {what} over warp {', '.join(versions)}")
    with console.status("starting") as status:

        def report(line: str) -> None:
            status.update(line[:150])
            if not console.is_terminal and line.startswith("warp "):
                console.print(line)  # no live status off a terminal: keep the steps in the log

        def on_row(path: str, row: VersionRow) -> None:
            if len(seeds) == 1:
                console.print(f"  warp {row.version}: {row.status}")

        results = bisect_many(
            seeds,
            versions,
            cache_dir=args.cache_dir,
            devices=args.devices,
            report=report,
            on_row=on_row,
            timeout_s=args.timeout * len(seeds),
        )
    if args.json:
        data = [r.to_json() for r in results]
        print(json.dumps(data[0] if len(data) == 1 else data, indent=2))
    else:
        print("\n\n".join(format_table(r) for r in results))
        if len(results) > 1:
            print("\n" + format_summary(results))
    sys.stdout.flush()
    return 1 if any(r.status == ERROR for res in results for r in res.rows) else 0
