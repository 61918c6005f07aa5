"""`python -m fuzz check FILE.py`: the three-way check (devices vs NumPy oracle) for the kernels of a
source file, hand-written or real code. Each kernel is extracted from the file with what it
references (`fuzz.extract`), its launch and inputs are synthesized from its signature
(`fuzz.synth`), and one table gives every kernel's verdict; the exit status is the worst one."""

from __future__ import annotations

import argparse
import ast
import dataclasses
import os
import re
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from fuzz.cliutil import UsageError, add_oracle_registry_option, resolve_devices

NAME = "check"
HELP = "check the kernels of a source file (hand-written or real code): each device against the NumPy oracle"


def _range(text: str, what: str) -> tuple[float, float]:
    try:
        lo, hi = (float(x) for x in text.split(":"))
    except ValueError:
        raise UsageError(f"{what}: expected LO:HI, got {text!r}") from None
    if lo > hi:
        raise UsageError(f"{what}: LO must not exceed HI, got {text!r}")
    return lo, hi


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_oracle_registry_option(p)
    p.add_argument("file", help="a .py file defining one or more @wp.kernel functions")
    p.add_argument("--kernel", default=None, help="the kernel to check (default: every kernel in the file)")
    p.add_argument(
        "--dim",
        type=int,
        nargs="+",
        default=None,
        help="launch dimensions, 1 to 4 numbers (default: from how the kernel unpacks wp.tid(): 64, 8x8, 4x4x4)",
    )
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
    p.add_argument(
        "--block-dim",
        type=int,
        default=None,
        metavar="B",
        help="launch tiled (wp.launch_tiled, B threads per block; --dim is then the block grid); "
        "required for kernels that call wp.tile_* builtins",
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


def _module_name(path: str, tag: str) -> str:
    stem = "".join(c if c.isalnum() else "_" for c in os.path.splitext(os.path.basename(path))[0])
    return f"wf_{tag}_{stem}"


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, list):
        return "[" + ", ".join(_fmt(x) for x in v) + "]"
    return str(v)


def _print(result: Any, console: Any) -> None:
    """One row per (array, device): counts, worst error and the worst element with its tolerance."""
    from rich.table import Table

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


class RowVerdict(StrEnum):
    """What `check` says about one kernel when no device check ran (otherwise the judge's verdict)."""

    INPUT_UNSUPPORTED = "input_unsupported"  # a parameter `check` cannot build a value for
    NOT_EXTRACTED = "not_extracted"  # the kernel references something the extraction cannot resolve
    NOT_MODELLED = "oracle_unsupported"  # seen in the source before compiling (tiles need their block_dim)


# verdicts that refuse to judge (exit 2); every other verdict but `verified` is a finding (exit 1)
_REFUSED = frozenset({"oracle_unsupported", "invalid_kernel", "inconclusive", *(str(v) for v in RowVerdict)})
_RANK = {0: 0, 2: 1, 1: 2}  # a finding outranks a refusal, a refusal outranks a pass


def status_of(verdict: str) -> int:
    """Exit status of one verdict: 0 verified, 2 refused (unsupported, invalid, inconclusive), 1 a finding."""
    if verdict == "verified":
        return 0
    return 2 if verdict in _REFUSED else 1


def worst_status(statuses: list[int]) -> int:
    return max(statuses, key=lambda s: _RANK[s], default=0)


@dataclass(frozen=True)
class Row:
    """One kernel's verdict; `result` is the device check's CaseResult when one ran (its case the
    inputs and launch that were checked)."""

    kernel: str
    line: int
    verdict: str
    reason: str
    result: Any = field(default=None, compare=False, repr=False)

    @property
    def status(self) -> int:
        return status_of(self.verdict)


_LINE = re.compile(r"\bline (\d+)")
_CALL = re.compile(r"unsupported: call (?:with keyword arguments \()?wp\.(\w+)")
_CATEGORIES = (
    (("tile",), "tiles are"),
    (("rand", "noise", "pnoise", "curlnoise", "sample_", "poisson"), "random numbers are"),
    (("atomic_cas", "atomic_exch"), "compare-and-swap atomics are"),
)


def _user_lines(text: str, offset: int) -> str:
    return _LINE.sub(lambda m: f"line {int(m.group(1)) - offset}", text) if offset else text


_EXC_PREFIX = re.compile(r"^(Unsupported|UndefinedBehavior|OrderDependent): ")


def _explain(message: str) -> str:
    """The oracle's refusal of a builtin in the user's terms, with the file line: tiles, random
    numbers and the like are named as constructs the oracle does not model yet."""
    message = _EXC_PREFIX.sub("", message)
    m = _CALL.search(message)
    if not m:
        return message
    name = m.group(1)
    what = next((w for prefixes, w in _CATEGORIES if name.startswith(prefixes)), "the builtin is")
    line = _LINE.search(message)
    where = f", {line.group(0)}" if line else ""
    return f"{what} not modelled by the oracle yet: wp.{name}{where}"


def _hint(verdict: str, message: str, has_int_inputs: bool) -> str | None:
    if message.startswith("order-dependent:"):
        return "the result depends on thread order (a race in the kernel as written), not a Warp bug"
    if verdict != "invalid_kernel":
        return None
    if "out of bounds" in message and not has_int_inputs:
        return "an index is out of bounds by construction with these shapes: set them with --shape NAME=AxB or --dim"
    return "the synthesized inputs make this kernel undefined; narrow them with --param/--int-range"


POSITIVE_FLOATS = (0.5, 2.0)


@dataclass(frozen=True)
class InputChoice:
    """One way to size a launch and its inputs; `note` says what differs from the defaults."""

    dim: tuple[int, ...]
    opts: Any
    note: str = ""


def _pick_inputs(case: Any, choices: list[InputChoice], kernel: Any, registry: Any) -> tuple[Any, str]:
    """The first choice under which the oracle runs the kernel without undefined behaviour and
    writes some element it can compare: the defaults first, then what real kernels do (integer scalars as widths and counts, the grid
    sizes of the module's constants, arrays strided by a constant). Returns the case and a note."""
    import grammar
    import oracle
    from fuzz.synth import specs_for_kernel

    first_ub = ""
    for k, ch in enumerate(choices):
        params = specs_for_kernel(kernel, ch.dim, ch.opts)
        cand = dataclasses.replace(case, params=params, dim=ch.dim)
        if len(choices) == 1:
            return cand, ""
        try:
            res = oracle.evaluate(
                cand.module_source(), cand.kernel_name, grammar.make_inputs(cand), cand.dim, registry=registry
            )
        except oracle.UndefinedBehavior as e:
            first_ub = first_ub or str(e)
            continue
        except Exception:
            return cand, ""
        if k + 1 < len(choices) and res.written:
            n_written = sum(int(w.sum()) for w in res.written.values())
            n_stable = sum(
                int((w & ~res.unstable[a]).sum()) for a, w in res.written.items() if a in res.unstable
            )
            if n_written == 0 or n_stable == 0:
                # a loop bound drawn as 0, a size of 0 dividing every value: nothing would be compared
                first_ub = first_ub or (
                    "a launch that writes nothing" if n_written == 0 else "no stable element"
                )
                continue
        return cand, "" if k == 0 else f"{ch.note} (the defaults gave {first_ub})"
    params = specs_for_kernel(kernel, choices[0].dim, choices[0].opts)
    return dataclasses.replace(case, params=params, dim=choices[0].dim), ""


def _choices(args: argparse.Namespace, fn: Any, module: str, opts: Any) -> list[InputChoice]:
    from fuzz.synth import SINGLE_THREAD_ARRAYS, grid_sizes, index_stride, launch_dim, tid_ndim

    if args.dim:
        dims = [(tuple(args.dim), "")]
    else:
        dim = launch_dim(fn)
        if tid_ndim(fn) is None:
            opts = dataclasses.replace(opts, shape_dim=SINGLE_THREAD_ARRAYS)
        dims = [(dim, "")]
        sizes = grid_sizes(module, len(dim))
        if sizes and sizes != dim:
            dims.append((sizes, f"launch {'x'.join(map(str, sizes))} from the module's integer constants"))
    out = []
    stride = index_stride(module, fn.name)
    for dim, dnote in dims:
        sized = opts.shape_dim or dim
        side = sized[0] if len(sized) > 1 else max(2, round(sized[0] ** 0.5))
        variants = [(opts, "")]
        if not args.param and args.int_range == "0:7":
            variants.append((dataclasses.replace(opts, int_fixed=side), f"integer scalars = {side}"))
        if stride > 1:
            variants += [
                (
                    dataclasses.replace(o, array_scale=stride),
                    ", ".join(x for x in (n, f"1-D arrays x{stride}") if x),
                )
                for o, n in list(variants)
            ]
        if not args.param and args.float_range == "-2:2":
            # sizes, spacings and radii of real kernels are positive: 0 or a negative breaks them
            variants += [
                (
                    dataclasses.replace(o, float_range=POSITIVE_FLOATS),
                    ", ".join(x for x in (n, "floats in 0.5:2") if x),
                )
                for o, n in list(variants)
            ]
        for o, n in variants:
            out.append(InputChoice(dim, o, "; ".join(x for x in (dnote, n) if x)))
    return out


@dataclass(frozen=True)
class CaseIdentity:
    """How the cases of checked kernels are labelled: `check` keeps one seed for every kernel;
    `harvest` gives each kernel its own seed and its own family and skips those it has stored."""

    family: str = "handwritten"
    generator_version: str = "check"
    seed_of: Callable[[Any], int] | None = None  # KernelDef -> seed (default: args.seed)
    skip: Callable[[Any], bool] | None = None  # KernelDef -> leave it out (already done)


def check_file(
    args: argparse.Namespace, runner: Any, path: str, console: Any, ident: CaseIdentity | None = None
) -> list[Row]:
    """Check every requested kernel of one file; one Row per kernel."""
    import oracle
    from fuzz import extract as X
    from fuzz.engine.runner import load_registry
    from fuzz.engine.wpmodule import WarpModule
    from fuzz.synth import host_object_params, tile_calls

    with open(path, encoding="utf-8") as f:
        source = f.read()
    try:
        defs = X.kernel_defs(source, args.file)
    except X.ExtractError as e:
        raise UsageError(str(e)) from e
    if not defs:
        raise UsageError(f"{args.file}: defines no @wp.kernel")
    if args.kernel is not None:
        chosen = [d for d in defs if d.name == args.kernel]
        if not chosen:
            names = ", ".join(sorted({d.name for d in defs}))
            raise UsageError(f"--kernel {args.kernel}: not in {args.file}; it defines {names}")
        defs = chosen
    ident = ident or CaseIdentity()
    if ident.skip is not None:
        defs = [d for d in defs if not ident.skip(d)]
        if not defs:
            return []
    namespace: dict[str, Any] | None = None
    try:
        namespace = vars(WarpModule.load(path, _module_name(path, "check"), runner.work_dir).pymod)
    except Exception as e:
        console.print(
            f"note: importing {args.file} failed ({type(e).__name__}: {e}); checking each kernel extracted "
            "from the source with what it references",
            markup=False,
            highlight=False,
        )
    base_opts = _options(args)
    registry = load_registry(args.oracle_registry)
    rows: list[Row] = []
    tree = ast.parse(source)
    nodes = X.kernel_nodes(tree)  # a factory instance's key gives the nested kernel it is made from
    supported = oracle.supported_calls(registry)
    for d in defs:
        # a construct the oracle cannot model is the first thing to say, whatever else is missing
        tiles = tile_calls(nodes[(d.name, d.lineno)], supported)
        if tiles:
            call, line = tiles[0]
            reason = f"this tile builtin is not modelled by the oracle: {call}, line {line}"
            rows.append(Row(d.name, d.lineno, RowVerdict.NOT_MODELLED, reason))
            continue
        if getattr(args, "block_dim", None) is None and tile_calls(nodes[(d.name, d.lineno)], frozenset()):
            call, line = tile_calls(nodes[(d.name, d.lineno)], frozenset())[0]
            reason = f"a tiled kernel needs its launch's threads per block: pass --block-dim B ({call}, line {line})"
            rows.append(Row(d.name, d.lineno, RowVerdict.NOT_MODELLED, reason))
            continue
        if not d.top_level:
            rows.append(
                Row(
                    d.name,
                    d.lineno,
                    RowVerdict.NOT_EXTRACTED,
                    f"line {d.lineno}: kernel defined inside a function or class (its captured names are not extracted)",
                )
            )
            continue
        ex = X.extract(source, args.file, d.name, namespace)
        if ex.unresolved:
            rows.append(Row(d.name, d.lineno, RowVerdict.NOT_EXTRACTED, "; ".join(ex.unresolved)))
            continue
        tiles = tile_calls(ex.source, supported)
        if tiles:
            call, line = tiles[0]
            reason = f"this tile builtin is not modelled by the oracle: {call}, line {line + X.HEADER_LINES - ex.line_offset}"
            rows.append(Row(d.name, d.lineno, RowVerdict.NOT_MODELLED, reason))
            continue
        hosts = host_object_params(ex.source)
        if hosts:
            call, host, line = hosts[0]
            reason = f"host object {host} not modelled: {call}, line {line + X.HEADER_LINES - ex.line_offset}"
            rows.append(Row(d.name, d.lineno, RowVerdict.INPUT_UNSUPPORTED, reason))
            continue
        rows.append(_check_kernel(args, runner, path, d, ex, base_opts, registry, console, ident))
    for r in rows:
        if r.verdict in set(RowVerdict):  # no device table was printed for these
            console.print(f"{r.kernel}: {r.verdict}: {r.reason}", markup=False, highlight=False)
    return rows


def _check_kernel(
    args: argparse.Namespace,
    runner: Any,
    path: str,
    d: Any,
    ex: Any,
    opts: Any,
    registry: Any,
    console: Any,
    ident: CaseIdentity,
) -> Row:
    from fuzz.engine.wpmodule import WarpModule
    from fuzz.synth import SynthError
    from grammar.case import MODULE_HEADER, KernelCase

    try:
        mod = WarpModule.build([ex.source], f"{_module_name(path, 'x')}_{d.name}", runner.work_dir)
    except Exception as e:
        return Row(
            d.name,
            d.lineno,
            RowVerdict.NOT_EXTRACTED,
            _user_lines(f"the extracted module does not import: {type(e).__name__}: {e}", ex.line_offset),
        )
    from fuzz import extract as X

    fn = X.kernel_function(MODULE_HEADER + ex.source, d.name)
    choices = _choices(args, fn, MODULE_HEADER + ex.source, opts)
    seed = ident.seed_of(d) if ident.seed_of is not None else args.seed
    case = KernelCase(
        d.name,
        ex.source,
        ident.family,
        seed,
        ident.generator_version,
        (),
        choices[0].dim,
        block_dim=getattr(args, "block_dim", None),
    )
    try:
        with mod:  # only its kernel's signature is read here; the runner builds the module it checks
            case, note = _pick_inputs(case, choices, mod.kernel(d.name), registry)
    except SynthError as e:
        return Row(d.name, d.lineno, RowVerdict.INPUT_UNSUPPORTED, f"kernel {d.name}: {e}")
    if note:
        console.print(f"{d.name}: inputs: {_user_lines(note, ex.line_offset)}", markup=False, highlight=False)
    (result,), _ = runner.run([case])
    result.message = _explain(_user_lines(result.message or "", ex.line_offset))
    _print(result, console)
    has_ints = any(p.integral and p.kind == "scalar" for p in case.params)
    hint = _hint(result.verdict, result.message, has_ints)
    if hint:
        print(f"hint: {hint}", file=sys.stderr)
    return Row(d.name, d.lineno, result.verdict, result.message, result)


def print_rows(console: Any, title: str, rows: list[Row]) -> None:
    from rich.table import Table

    t = Table(title=title)
    for col in ("kernel", "line", "verdict", "reason"):
        t.add_column(col, overflow="fold")
    for r in rows:
        t.add_row(r.kernel, str(r.line), str(r.verdict), r.reason)
    console.print(t)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from fuzz.engine.runner import BatchRunner
    from fuzz.engine.settings import WorkerSettings

    path = os.path.abspath(args.file)
    if not os.path.isfile(path):
        raise UsageError(f"{args.file}: no such file")
    if args.dim is not None and (not 1 <= len(args.dim) <= 4 or any(d < 1 for d in args.dim)):
        raise UsageError(f"--dim: give 1 to 4 positive sizes, got {args.dim}")
    _options(args)
    devices = resolve_devices(args.devices)
    console = Console()
    with tempfile.TemporaryDirectory(prefix="warpfuzz-check-") as tmp:
        runner = BatchRunner(
            WorkerSettings(run_dir=tmp, devices=devices, registry_factory=args.oracle_registry),
            os.path.join(tmp, "work"),
            tag="check",
        )
        rows = check_file(args, runner, path, console)
    if len(rows) > 1 or rows[0].verdict in set(RowVerdict):
        print_rows(console, f"{args.file}: {len(rows)} kernel(s)", rows)
    return worst_status([r.status for r in rows])
