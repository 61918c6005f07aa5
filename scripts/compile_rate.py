"""Compile N generated kernels with Warp on CPU in batches; print the success rate and failures.

python scripts/compile_rate.py --seeds 5000 [--start S] [--family F] [--weights loop=3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fuzz.engine.compile_check import compile_batch, init_warp  # noqa: E402
from grammar import GenConfig, generate, parse_weights  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=5000)
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--batch", type=int, default=50)
    ap.add_argument("--family", default=None)
    ap.add_argument("--weights", default="")
    ap.add_argument("--no-launch", action="store_true", help="compile only")
    args = ap.parse_args(argv)
    config = GenConfig(weights=parse_weights(args.weights)) if args.weights else GenConfig()
    init_warp()
    work = Path(tempfile.mkdtemp(prefix="warpfuzz-compile-rate-"))
    t0 = time.time()
    fails = []
    seeds = list(range(args.start, args.start + args.seeds))
    for b in range(0, len(seeds), args.batch):
        cases = [generate(s, config, args.family) for s in seeds[b : b + args.batch]]
        fails += compile_batch(cases, work, f"{args.start}_{b}", launch=not args.no_launch)
        done = min(b + args.batch, len(seeds))
        print(
            f"\r{done}/{len(seeds)} kernels, {len(fails)} failures, {time.time() - t0:.0f}s",
            end="",
            file=sys.stderr,
        )
    print(file=sys.stderr)
    for f in fails:
        print(
            f"FAIL seed={f.seed} family={f.family} stage={f.stage}\n  {f.error.replace(chr(10), chr(10) + '  ')}"
        )
    bad = {f.seed for f in fails}
    rate = 100.0 * (len(seeds) - len(bad)) / max(len(seeds), 1)
    print(
        f"compile+launch success: {len(seeds) - len(bad)}/{len(seeds)} = {rate:.2f}% ({time.time() - t0:.0f}s)"
    )
    return 0 if not bad else 1


if __name__ == "__main__":
    raise SystemExit(main())
