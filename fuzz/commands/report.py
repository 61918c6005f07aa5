"""`python -m fuzz report RUN_DIR... --out report.html`: one self-contained HTML page per campaign
(or several merged): coverage of Warp, verdicts, findings, throughput and memory, settings."""

from __future__ import annotations

import argparse
import os

from fuzz.cliutil import UsageError

NAME = "report"
HELP = "write one self-contained HTML report (coverage of Warp, verdicts, findings, throughput) of run directories"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("runs", nargs="+", metavar="RUN_DIR", help="campaign run directories; several are merged")
    p.add_argument("--out", default="report.html", help="the HTML file to write")
    p.add_argument(
        "--png-dir", default=None, metavar="DIR", help="also write every figure as a PNG file here"
    )


def run(args: argparse.Namespace) -> int:
    from fuzz.cluster.layout import expand_run_dirs

    args.runs = expand_run_dirs(list(args.runs))  # a cluster folder: its shards, merged
    for d in args.runs:
        if not os.path.isdir(d):
            raise UsageError(f"{d}: no such directory (pass a campaign's --out directory)")
        if not os.path.isfile(os.path.join(d, "campaign.db")):
            raise UsageError(f"{d}: no campaign.db here; pass a campaign's --out directory")
    if os.path.isdir(args.out):
        raise UsageError(
            f"--out {args.out}: is a directory; pass the HTML file to write, e.g. {args.out}/report.html"
        )
    if args.png_dir and os.path.exists(args.png_dir) and not os.path.isdir(args.png_dir):
        raise UsageError(f"--png-dir {args.png_dir}: exists and is not a folder; pass a folder for the PNGs")
    from fuzz.report import ReportError, write_report

    try:
        s = write_report(list(args.runs), args.out, args.png_dir)
    except ReportError as e:
        raise UsageError(str(e)) from e
    print(
        f"report: {s.path} ({s.runs} run(s), {s.kernels} kernels, {s.builtins_reached} of {s.builtins} "
        f"builtins reached, {s.findings} finding(s), {s.new_findings} new)"
    )
    for path in s.pngs:
        print(f"  figure: {path}")
    return 0
