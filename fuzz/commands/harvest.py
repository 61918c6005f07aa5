"""`python -m fuzz harvest PATH... --out RUN_DIR`: check every @wp.kernel of real files (and of the
installed Warp's examples and tests) as `check` does and store each as a case of family `real`
(`fuzz.harvest`); a re-run resumes, skipping the kernels already stored."""

from __future__ import annotations

import argparse

from fuzz.cliutil import UsageError, add_oracle_registry_option, resolve_devices

NAME = "harvest"
HELP = (
    "check every @wp.kernel of files and folders (--warp-examples: the installed Warp's examples) against "
    "the NumPy oracle and store each as a case of family 'real' in RUN_DIR, for export; resumable"
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="*", metavar="PATH", help=".py files and folders to search for kernels")
    p.add_argument(
        "--out", required=True, metavar="RUN_DIR", help="run folder (created; resumed if it exists)"
    )
    p.add_argument("--devices", default="auto", help="cpu, cuda, cpu,cuda or auto")
    p.add_argument(
        "--warp-examples",
        action="store_true",
        help="add the installed warp package's examples (core, tile, optim, geometry: about 98 kernels)",
    )
    p.add_argument(
        "--warp-tests",
        action="store_true",
        help="add the installed warp package's tests (about 1,900 kernels; bound them with --limit)",
    )
    p.add_argument(
        "--limit", type=int, default=None, metavar="N", help="check at most N new kernels this run"
    )
    add_oracle_registry_option(p)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from fuzz.harvest import HarvestOptions, harvest, warp_paths
    from fuzz.runlock import RunLocked

    if args.limit is not None and args.limit < 1:
        raise UsageError(f"--limit: expected a positive number, got {args.limit}")
    paths = list(args.paths) + warp_paths(args.warp_examples, args.warp_tests)
    if not paths:
        raise UsageError("name files or folders to harvest, or pass --warp-examples / --warp-tests")
    devices = resolve_devices(args.devices)
    console = Console(stderr=True)
    argv = ["harvest", *args.paths, "--out", args.out, "--devices", args.devices]
    argv += ["--warp-examples"] * args.warp_examples + ["--warp-tests"] * args.warp_tests
    argv += ["--limit", str(args.limit)] if args.limit is not None else []
    argv += ["--oracle-registry", args.oracle_registry] if args.oracle_registry else []
    opts = HarvestOptions(devices, args.oracle_registry, args.limit, tuple(argv))

    def progress(path: str, results: list) -> None:  # type: ignore[type-arg]
        verdicts = ", ".join(f"{r.kernel_name} {r.verdict}" for r in results)
        console.print(f"{path}: {verdicts}", markup=False, highlight=False)

    try:
        s = harvest(paths, args.out, opts, progress)
    except RunLocked as e:
        raise UsageError(str(e)) from e
    except FileNotFoundError as e:
        raise UsageError(str(e)) from e
    print(
        f"harvest: {s.found} kernels found in {s.files} files; {s.skipped_stored} already stored; "
        f"checked {s.checked}: {s.outcomes.get('verified', 0)} verified, {s.outcomes.get('refused', 0)} refused, "
        f"{s.outcomes.get('failed', 0)} failed ({s.corpus_folders} corpus folders)"
    )
    print("verdicts: " + ", ".join(f"{k} {v}" for k, v in s.verdicts.most_common()))
    if s.refusals:
        print("refused, by reason:")
        for k, v in s.refusals.most_common():
            print(f"  {v:4d}  {k}")
    for n in s.notes:
        print(f"note: {n}")
    print(f"stored in {args.out} (export it: python -m fuzz export {args.out} --out DIR)")
    return 1 if s.outcomes.get("failed", 0) else 0
