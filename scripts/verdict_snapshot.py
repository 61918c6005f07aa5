"""Snapshot a run's verdicts, messages and stored pairs, or compare two snapshots.

Why: a restructuring of the execution path must leave every verdict, message and stored pair of
the same seeds unchanged. Run the same campaign before and after (same --seed, --max-kernels and
settings), snapshot both run folders and compare:

    python -m fuzz run --budget 30m --seed 0 --max-kernels 200 --no-reduce --no-progress --out A
    python scripts/verdict_snapshot.py A > a.jsonl
    ... (after the change, the same run into B) ...
    python scripts/verdict_snapshot.py B > b.jsonl
    python scripts/verdict_snapshot.py --compare a.jsonl b.jsonl

The compare prints the count of identical seeds and every difference field by field; exit status
1 when any seed differs or is missing on one side.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sqlite3
import sys
from pathlib import Path

FIELDS = ("verdict", "stage", "device", "signature", "message")
CODE = ("cpp_forward", "cpp_backward", "cuda_forward", "cuda_backward")


def _sha(text: str | None) -> str | None:
    return None if text is None else hashlib.sha256(text.encode()).hexdigest()[:16]


def snapshot(run_dir: Path) -> list[dict[str, object]]:
    db = run_dir / "campaign.db"
    if not db.is_file():
        raise SystemExit(f"{db}: no campaign database here (is {run_dir} a run folder?)")
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    rows = con.execute(
        "SELECT c.seed, c.verdict, c.stage, c.device, c.signature, c.message, c.checks_json, "
        "c.case_json, k.cpp_forward, k.cpp_backward, k.cuda_forward, k.cuda_backward "
        "FROM cases c LEFT JOIN code k ON k.seed = c.seed ORDER BY c.seed"
    ).fetchall()
    out: list[dict[str, object]] = []
    for r in rows:
        rec: dict[str, object] = {"seed": r[0]}
        rec.update(dict(zip(FIELDS, r[1:6], strict=True)))
        rec["checks"] = _sha(r[6])
        rec["case"] = _sha(r[7])
        rec.update({k: _sha(v) for k, v in zip(CODE, r[8:12], strict=True)})
        out.append(rec)
    return out


def compare(a_path: Path, b_path: Path, common: bool = False, fields: tuple[str, ...] = ()) -> int:
    """Field-by-field differences; `common` leaves out seeds only one side has (a campaign that
    ran longer than the other), `fields` compares only those fields."""

    def load(p: Path) -> dict[int, dict[str, object]]:
        recs = [json.loads(line) for line in p.read_text().splitlines() if line.strip()]
        return {int(r["seed"]): r for r in recs}

    a, b = load(a_path), load(b_path)
    same, diffs = 0, []
    seeds = set(a) & set(b) if common else set(a) | set(b)
    if common:
        print(
            f"{len(set(a) - set(b))} seeds only in the first, {len(set(b) - set(a))} only in the second: left out"
        )
    for seed in sorted(seeds):
        if seed not in a or seed not in b:
            diffs.append(f"seed {seed}: only in {'the first' if seed in a else 'the second'} snapshot")
            continue
        bad = [k for k in (fields or a[seed]) if a[seed].get(k) != b[seed].get(k)]
        if bad:
            for k in bad:
                diffs.append(f"seed {seed}: {k}: {a[seed].get(k)!r} -> {b[seed].get(k)!r}")
        else:
            same += 1
    verdicts: dict[str, int] = {}
    for seed in seeds & set(a):
        r = a[seed]
        verdicts[str(r["verdict"])] = verdicts.get(str(r["verdict"]), 0) + 1
    what = (
        ", ".join(fields)
        if fields
        else "verdict, stage, device, signature, message, checks, case, cpp/cuda forward/backward"
    )
    print(f"{same} of {len(seeds)} seeds identical ({what}); first snapshot's verdicts:", verdicts)
    for d in diffs:
        print(d)
    return 1 if diffs else 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("paths", nargs="+", type=Path, help="RUN_DIR, or two snapshots with --compare")
    p.add_argument("--compare", action="store_true", help="compare two snapshot files")
    p.add_argument("--common", action="store_true", help="with --compare: only the seeds both snapshots have")
    p.add_argument(
        "--fields",
        default="",
        help=f"with --compare: a comma list of fields to compare (of {', '.join(('seed',) + FIELDS + ('checks', 'case') + CODE)})",
    )
    args = p.parse_args(argv)
    if args.compare:
        if len(args.paths) != 2:
            p.error("--compare takes two snapshot files")
        fields = tuple(f for f in args.fields.split(",") if f)
        return compare(*args.paths, common=args.common, fields=fields)
    for run_dir in args.paths:
        for rec in snapshot(run_dir):
            sys.stdout.write(json.dumps(rec, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
