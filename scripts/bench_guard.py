"""Fail when the campaign path falls behind the compile floor: run `bench`, check its two ratios.

Why: throughput is a property later changes can lose without any test noticing (a timed test on
a shared machine would be noise). A closing note runs this on a quiet machine:

    python scripts/bench_guard.py --budget 4m [--min-floor 0.85] [--min-naive 4] [bench args...]

Every argument it does not know is passed to `python -m fuzz bench`. It prints bench's output,
then both figures against their targets; exit status 1 when full/floor < --min-floor or
full/naive < --min-naive, 2 when bench failed or printed no figures.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from dataclasses import dataclass

FIGURE = re.compile(r"^(full/floor|full/naive):\s*(\S+)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Figures:
    floor: float | None
    naive: float | None


def parse(output: str) -> Figures:
    """The `full/floor:` and `full/naive:` figures of bench's output (None where absent or `None`)."""
    found: dict[str, float | None] = {}
    for key, value in FIGURE.findall(output):
        try:
            found[key] = float(value)
        except ValueError:
            found[key] = None
    return Figures(found.get("full/floor"), found.get("full/naive"))


def verdict(fig: Figures, min_floor: float, min_naive: float) -> tuple[int, list[str]]:
    """Exit status and the lines that say why: 0 both targets met, 1 one missed, 2 a figure missing."""
    lines, status = [], 0
    for name, value, target in (("full/floor", fig.floor, min_floor), ("full/naive", fig.naive, min_naive)):
        if value is None:
            lines.append(f"{name}: missing from bench's output (target >= {target})")
            status = 2
            continue
        ok = value >= target
        lines.append(f"{name}: {value} (target >= {target}) {'ok' if ok else 'BELOW TARGET'}")
        if not ok and status == 0:
            status = 1
    return status, lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter, allow_abbrev=False
    )
    ap.add_argument("--min-floor", type=float, default=0.85, help="least full/floor (default 0.85)")
    ap.add_argument("--min-naive", type=float, default=4.0, help="least full/naive (default 4)")
    ap.add_argument("--from-file", default=None, help="check a saved bench output instead of running bench")
    args, bench_args = ap.parse_known_args(argv)
    if args.from_file:
        with open(args.from_file, encoding="utf-8") as f:
            output = f.read()
    else:
        cmd = [sys.executable, "-m", "fuzz", "bench", *bench_args]
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
        output = proc.stdout
        print(output, end="")
        if proc.returncode != 0:
            print(f"bench_guard: `{' '.join(cmd)}` exited with status {proc.returncode}", file=sys.stderr)
            return 2
    status, lines = verdict(parse(output), args.min_floor, args.min_naive)
    print("\n".join(f"bench_guard: {x}" for x in lines))
    return status


if __name__ == "__main__":
    raise SystemExit(main())
