"""Run `check` on every @wp.kernel of the installed wheel's examples and print the table by file.

    python scripts/check_examples.py [--devices cpu] [--groups core,tile,optim,geometry] [--markdown]

It compiles every kernel (about 96): a measurement to run sparingly, not a test. The verdicts are
those of `python -m fuzz check FILE` on each file; the totals count kernels by verdict.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--devices", default="cpu")
    p.add_argument("--groups", default="core,tile,optim,geometry")
    p.add_argument("--markdown", action="store_true", help="print the table as Markdown (docs/real-code.md)")
    ns = p.parse_args()

    import warp
    from rich.console import Console

    from fuzz.cliutil import UsageError, resolve_devices
    from fuzz.commands import check
    from fuzz.engine.runner import BatchRunner
    from fuzz.engine.settings import WorkerSettings

    root = os.path.join(os.path.dirname(warp.__file__), "examples")
    files = [
        os.path.join(root, g, f)
        for g in ns.groups.split(",")
        for f in sorted(os.listdir(os.path.join(root, g)))
        if f.startswith("example_") and f.endswith(".py")
    ]
    totals: Counter[str] = Counter()
    out = sys.stdout
    if ns.markdown:
        print(f"warp-lang {warp.config.version}, devices {ns.devices}\n", file=out)
        print("| file | kernel | verdict | reason |\n|---|---|---|---|", file=out)
    with tempfile.TemporaryDirectory(prefix="warpfuzz-examples-") as tmp:
        runner = BatchRunner(
            WorkerSettings(run_dir=tmp, devices=resolve_devices(ns.devices)),
            os.path.join(tmp, "work"),
            tag="ex",
        )
        for path in files:
            parser = argparse.ArgumentParser()
            check.add_arguments(parser)
            args = parser.parse_args([path, "--devices", ns.devices])
            rel = os.path.relpath(path, root)
            quiet = Console(file=io.StringIO(), width=200)
            try:
                rows = check.check_file(args, runner, path, quiet)
            except UsageError as e:
                if "defines no @wp.kernel" in str(e):
                    continue
                rows = [check.Row("-", 0, "error", str(e))]
            for line in quiet.file.getvalue().splitlines():  # type: ignore[attr-defined]
                if line.startswith("note: importing"):
                    print(f"{rel}: {line}", file=sys.stderr)
            for r in rows:
                totals[str(r.verdict)] += 1
                reason = r.reason.replace("|", "\\|").replace("\n", " ")[:300]
                if ns.markdown:
                    print(f"| {rel} | {r.kernel} | {r.verdict} | {reason} |", file=out)
                else:
                    print(f"{rel:48} {r.kernel:36} {r.verdict!s:20} {reason}", file=out)
            out.flush()
    n = sum(totals.values())
    print(
        "\ntotals: " + ", ".join(f"{v} {k}" for k, v in totals.most_common()) + f" (of {n} kernels)", file=out
    )
    if n:
        print(f"verified: {totals['verified'] / n:.0%}", file=out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
