"""`python -m fuzz triage RUN_DIR...`: failures grouped by root cause (the reduced kernel), new
groups first, known ones labelled; `--json` for tools, `--report DIR` for upstream issues."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import TYPE_CHECKING, Any

from fuzz.cliutil import UsageError

if TYPE_CHECKING:
    from corpus.triage import Group

NAME = "triage"
HELP = "group runs' failures by root cause (reduced kernel, known-differences label), new groups first"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "run_dirs",
        nargs="+",
        metavar="RUN_DIR",
        help="campaign run directories (or folders of corpus seeds); several are triaged together",
    )
    p.add_argument("--all", action="store_true", help="also group oracle_unsupported and inconclusive cases")
    p.add_argument("--coarse", action="store_true", help="group by failure kind only, ignoring constructs")
    p.add_argument("--limit", type=int, default=None, help="show only the first N groups")
    p.add_argument("--json", action="store_true", help="print the groups as JSON")
    p.add_argument(
        "--merge-near",
        action="store_true",
        help="merge a group into another when a one-step reduction of its kernel has the other's key "
        "and, judged on real Warp, still fails the same way",
    )
    p.add_argument(
        "--confirm-known",
        action="store_true",
        help="replay each group labelled by a release-window entry (fixed_in) on the release that fixed it "
        "(a cached venv, as bisect): the label stays only if the reduced kernel passes there",
    )
    p.add_argument(
        "--report",
        metavar="DIR",
        default=None,
        help="write DIR/NN-DIGEST/issue.md and a standalone repro.py (with the reduced case) per new group",
    )
    p.add_argument(
        "--bisect",
        nargs="?",
        const="1.10.0..",
        default=None,
        metavar="VERSIONS",
        help="with --report: replay each new group's reduced kernel on these releases (as `bisect "
        "--versions`; default 1.10.0..) and name the affected ones",
    )
    p.add_argument(
        "--bisect-timeout",
        type=float,
        default=600.0,
        metavar="SECONDS",
        help="with --bisect: seconds one release's replay of the groups may take (as `bisect --timeout`; "
        "a kernel that never ends on some release costs that release's row, not the triage)",
    )


def _bisect(groups: list[Group], spec: str, timeout_s: float = 600.0) -> dict[str, dict[str, Any]]:
    from fuzz.bisect import bisect_many
    from fuzz.venvs import VenvError, available_versions, resolve_versions

    folders = [g.reduced_folder for g in groups if g.is_new and g.reduced_folder]
    if not folders:
        return {}
    try:
        versions = resolve_versions(spec, available_versions() if ".." in spec else None)
    except VenvError as e:
        raise UsageError(f"--bisect {spec}: {e}") from e
    print(f"bisecting {len(folders)} reduced kernel(s) over warp {', '.join(versions)}", file=sys.stderr)
    results = bisect_many(
        folders, versions, report=lambda line: print(line, file=sys.stderr), timeout_s=timeout_s
    )
    return {r.seed_path: r.to_json() for r in results}


def run(args: argparse.Namespace) -> int:
    from fuzz.cluster.layout import expand_run_dirs

    args.run_dirs = expand_run_dirs(list(args.run_dirs))  # a cluster folder: its shards
    for d in args.run_dirs:
        if not os.path.isdir(d):
            raise UsageError(f"{d}: no such directory (pass a campaign's --out directory)")
    if args.bisect and not args.report:
        raise UsageError("--bisect names the affected releases in --report's files: pass --report DIR too")
    from corpus.entry import META, CorpusError
    from corpus.triage import format_groups, judge_confirm, triage

    for d in args.run_dirs:
        has_db = os.path.exists(os.path.join(d, "campaign.db"))
        if not has_db and not any(META in files for _, _, files in os.walk(d)):
            raise UsageError(f"{d}: neither a campaign.db nor corpus folders here; is this a run directory?")
    try:
        groups = triage(
            args.run_dirs,
            include_all=args.all,
            coarse=args.coarse,
            confirm=judge_confirm if args.merge_near else None,
        )
    except CorpusError as e:
        raise UsageError(str(e)) from e
    if args.confirm_known:
        from corpus.triage import confirm_known
        from fuzz.bisect import bisect_replay

        groups = confirm_known(groups, bisect_replay)
    if args.report:
        from corpus.issue_report import write_reports

        bisects = _bisect(groups, args.bisect, args.bisect_timeout) if args.bisect else None
        written = write_reports(groups, args.report, bisects)
        print(f"{len(written)} report(s) for new groups written under {args.report}", file=sys.stderr)
    shown = groups[: args.limit] if args.limit else groups
    if args.json:
        total = sum(g.count for g in groups)
        unreduced = sum(g.unreduced for g in groups)
        doc = {
            "runs": [os.path.abspath(d) for d in args.run_dirs],
            "failures": total,
            "reduced": total - unreduced,
            "unreduced": unreduced,
            "groups": [g.to_json() for g in shown],
        }
        print(json.dumps(doc, indent=2))
    else:
        print(format_groups(shown), end="")
    return 0
