"""`python -m fuzz check FILE.py`: the three-way check (devices vs NumPy oracle) for a hand-written kernel."""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
from typing import Any

from fuzz.cliutil import UsageError, resolve_devices

NAME = "check"
HELP = "check a hand-written kernel file: each device against the NumPy oracle"


def _range(text: str, what: str) -> tuple[float, float]:
    try:
        lo, hi = (float(x) for x in text.split(":"))
    except ValueError:
        raise UsageError(f"{what}: expected LO:HI, got {text!r}") from None
    if lo > hi:
        raise UsageError(f"{what}: LO must not exceed HI, got {text!r}")
    return lo, hi


def add_arguments(p: argparse.ArgumentParser) -> None:
    _add_oracle_option(p)
    p.add_argument("file", help="a .py file defining one or more @wp.kernel functions")
    p.add_argument("--kernel", default=None, help="the kernel to check (default: every kernel in the file)")
    p.add_argument("--dim", type=int, nargs="+", default=[64], help="launch dimensions (1 to 3 numbers)")
    p.add_argument("--devices", default="auto", help="cpu, cuda, cpu,cuda or auto")
    p.add_argument("--seed", type=int, default=0, help="seed of the synthesized inputs")
    p.add_argument("--float-range", default="-2:2", help="range of float inputs, LO:HI (default -2:2)")
    p.add_argument(
        "--int-range",
        default="0:7",
        help="range of integer inputs, LO:HI (default 0:7, safe as indices and bounds)",
    )
    p.add_argument(
        "--param", action="append", default=[], metavar="NAME=LO:HI", help="range of one parameter"
    )
    p.add_argument(
        "--shape", action="append", default=[], metavar="NAME=AxB", help="shape of one array parameter"
    )


def _add_oracle_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--oracle-registry",
        default=None,
        metavar="MODULE:FUNCTION",
        help="use the oracle registry this function returns (for testing oracle variants)",
    )


def _options(args: argparse.Namespace) -> Any:
    from fuzz.synth import SynthOptions

    params: dict[str, tuple[float, float]] = {}
    for item in args.param:
        name, sep, rng = item.partition("=")
        if not sep:
            raise UsageError(f"--param: expected NAME=LO:HI, got {item!r}")
        params[name] = _range(rng, f"--param {name}")
    shapes: dict[str, tuple[int, ...]] = {}
    for item in args.shape:
        name, sep, dims = item.partition("=")
        try:
            shapes[name] = tuple(int(x) for x in dims.lower().split("x"))
        except ValueError:
            raise UsageError(f"--shape: expected NAME=AxB, got {item!r}") from None
        if not sep or any(d < 1 for d in shapes[name]):
            raise UsageError(f"--shape: expected NAME=AxB with positive sizes, got {item!r}")
    flo, fhi = _range(args.float_range, "--float-range")
    ilo, ihi = _range(args.int_range, "--int-range")
    return SynthOptions((flo, fhi), (int(ilo), int(ihi)), params, shapes)


def _import(path: str) -> Any:
    name = "wf_check_" + "".join(
        c if c.isalnum() else "_" for c in os.path.splitext(os.path.basename(path))[0]
    )
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise UsageError(f"{path}: cannot be imported as a Python module")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    try:
        spec.loader.exec_module(mod)
    except Exception as e:
        raise UsageError(f"{path}: importing it failed: {type(e).__name__}: {e}") from e
    return mod


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, list):
        return "[" + ", ".join(_fmt(x) for x in v) + "]"
    return str(v)


def _print(result: Any) -> None:
    """One row per (array, device): counts, worst error and the worst element with its tolerance."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    t = Table(title=f"{result.kernel_name}: {result.verdict}")
    for col in ("array", "device", "ok", "checked", "unstable", "bad", "max|err|", "ulp"):
        t.add_column(col, no_wrap=True)
    t.add_column("worst: obs / exp (tol)", overflow="fold")
    for c in result.checks:
        for a in c["arrays"]:
            worst = ""
            if a["worst_index"] is not None:
                worst = f"{a['worst_index']}: {_fmt(a['observed'])} / {_fmt(a['expected'])} ({a['tolerance']:.2g})"
            t.add_row(
                a["name"], c["device"], "yes" if a["passed"] else "NO", str(a["checked"]), str(a["unstable"]),
                str(a["bad"]), f"{a['max_abs_err']:.2g}", f"{a['max_ulp']:.2g}", worst,
            )  # fmt: skip
    console.print(t)
    if result.message:
        console.print(f"{result.verdict} ({result.stage}): {result.message}", markup=False, highlight=False)
    if result.checks:
        console.print(f"tolerance: {result.checks[0].get('tolerance_rule', '')}", highlight=False)


def run(args: argparse.Namespace) -> int:
    from fuzz import judge as J
    from fuzz.execute import BatchRunner
    from fuzz.settings import WorkerSettings
    from fuzz.synth import SynthError, specs_for_kernel
    from grammar.case import KernelCase

    path = os.path.abspath(args.file)
    if not os.path.isfile(path):
        raise UsageError(f"{args.file}: no such file")
    if not 1 <= len(args.dim) <= 3 or any(d < 1 for d in args.dim):
        raise UsageError(f"--dim: give 1 to 3 positive sizes, got {args.dim}")
    opts = _options(args)
    devices = resolve_devices(args.devices)
    import warp as wp

    mod = _import(path)
    kernels = {v.key: v for v in vars(mod).values() if isinstance(v, wp.Kernel)}
    if not kernels:
        raise UsageError(f"{args.file}: defines no @wp.kernel")
    if args.kernel is not None:
        if args.kernel not in kernels:
            raise UsageError(
                f"--kernel {args.kernel}: not in {args.file}; it defines {', '.join(sorted(kernels))}"
            )
        kernels = {args.kernel: kernels[args.kernel]}
    with open(path, encoding="utf-8") as f:
        source = f.read()
    dim = tuple(args.dim)
    worst = 0
    with tempfile.TemporaryDirectory(prefix="warpfuzz-check-") as tmp:
        runner = BatchRunner(
            WorkerSettings(run_dir=tmp, devices=devices, registry_factory=args.oracle_registry),
            os.path.join(tmp, "work"),
            tag="check",
        )
        for name, kernel in kernels.items():
            try:
                params = specs_for_kernel(kernel, dim, opts)
            except SynthError as e:
                raise UsageError(f"{args.file}: kernel {name}: {e}") from e
            case = KernelCase(name, source, "handwritten", args.seed, "check", params, dim)
            (result,), _ = runner.run([case])
            _print(result)
            if result.verdict == J.VERIFIED:
                status = 0
            elif result.verdict in (J.ORACLE_UNSUPPORTED, J.INVALID_KERNEL, J.INCONCLUSIVE):
                status = 2
                if result.verdict == J.INVALID_KERNEL:
                    print(
                        "hint: the synthesized inputs make this kernel undefined; narrow them with --param/--int-range",
                        file=sys.stderr,
                    )
            else:
                status = 1
            worst = max(worst, status) if status != 2 or worst != 1 else worst
    return worst
