"""Gradient verification: Warp's emitted backward code against finite differences of the oracle.

Warp side: the kernel runs under `wp.Tape` with every float input array `requires_grad`, output
adjoints are seeded with random weights `w`, and `tape.backward()` yields `g = dF/dx` for the
scalar objective `F(x) = sum(w * out(x))`.

Oracle side: the same kernel source is rewritten so that every float32 type (annotations, casts,
composite types, bare float literals) becomes float64, and the NumPy oracle evaluates `F` in
float64. Directional derivatives `dF(x + t v)/dt` along random directions `v` (dense over all
inputs, plus single coordinates) are estimated by central differences and compared with `g . v`.
A direction is trusted only when its central estimates at two step sizes and its one-sided
estimates agree; otherwise a kink (abs/min/max/floor/clamp/branch/cast) lies within the step and
the direction is split in halves until the offending elements are isolated, excluded and counted.

Outputs the forward oracle marks unstable (a decision within rounding error), non-finite, or
ill-conditioned (forward error bound large relative to the value) get weight zero, and are
counted. Kernels whose reverse mode Warp documents as unsupported (dynamic loops reassigning
variables, reading arrays the kernel writes, order-dependent float atomics) are reported as
"unsupported", never as mismatches; kernels without float inputs or outputs as
"not_differentiable".

The tolerance has two recorded parts. The adjoint part is the rounding Warp's float32 backward
pass may carry: per input element, the change of Warp's gradient when the output weights are
split in two (`g(w1) + g(w2) - g(w)`, zero in exact arithmetic) and when the inputs move by two
ulps, plus a few epsilon of `|g(w)| + |g(|w|)|`; this follows the terms that cancelled, not the
final gradient. The finite-difference part is the truncation (`|c_h - c_h/2|`) and rounding of
the float64 estimate. A mismatch on a kernel that uses a construct with a known Warp gap
(`DEFAULT_GAPS`) is re-checked against a reference with the gap's term removed; when the
difference vanishes, the gap is recorded (`known_gaps`) for the known-differences table.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from typing import Any

import numpy as np

from grammar.case import KernelCase, ParamSpec
from grammar.geometry_ops import GEOMETRY_KINDS
from oracle.astwalk import walk_nodes
from oracle.closures import factory_kernels
from oracle.types import SCALAR_NAMES, wp_attr

VERIFIED = "verified"
MISMATCH = "mismatch"
NOT_DIFFERENTIABLE = "not_differentiable"
UNSUPPORTED = "unsupported"
SKIPPED = "skipped"
STATUSES = (VERIFIED, MISMATCH, NOT_DIFFERENTIABLE, UNSUPPORTED, SKIPPED)

# Warp unrolls `range` loops with constant bounds up to this many iterations (wp.config.max_unroll)
MAX_UNROLL = 16
_FLOAT_SCALARS = frozenset({"float32", "float64"})
_COMPOSITE_F32 = re.compile(r"^(vec[234]|mat22|mat33|mat44|quat|transform|spatial_vector|spatial_matrix)f?$")
_SCALAR_CTORS = frozenset(SCALAR_NAMES)
_ORDER_DEPENDENT_ATOMICS = frozenset({"atomic_min", "atomic_max", "atomic_cas", "atomic_exch"})

OracleFn = Callable[..., Any]


@dataclass(frozen=True)
class GradientConfig:
    """How hard to look. rtol is a relative floor under the adjoint part of the tolerance;
    adjoint_safety multiplies the measured rounding of Warp's gradient; step is relative to each
    input's scale; max_evals bounds the oracle evaluations spent on one kernel (gap_evals on each
    known-gap re-check)."""

    rtol: float = 1e-6
    adjoint_safety: float = 8.0
    step: float = 1e-6
    directions: int = 2
    coordinates: int = 1
    max_evals: int = 60
    max_rel_forward_err: float = 1e-4
    gap_evals: int = 40


@dataclass
class GradientCheck:
    """Outcome of one device's gradient check (stored as JSON in `CaseResult.gradient_check`).

    checked: directional comparisons made; excluded: counts by reason of input elements, output
    elements and directions left out (kinks, unstable outputs, non-finite values, ...).
    error / tolerance (= tolerance_adjoint + tolerance_fd): of the deciding comparison (the
    mismatch, else the one closest to its tolerance). where / input / error_sign: the element
    of a mismatch, its array, and the sign of Warp minus finite differences. limitation: the
    documented reverse-mode limitation of an `unsupported` check. known_gaps: known Warp gaps
    (`DEFAULT_GAPS` names) without whose term the mismatch vanishes; gap_checks: the status of
    each re-check tried. settings: Warp settings the backward code was compiled with."""

    device: str
    status: str
    max_rel_err: float = 0.0
    tolerance: float = 0.0
    checked: int = 0
    excluded: dict[str, int] = field(default_factory=dict)
    message: str = ""
    inputs: list[str] = field(default_factory=list)
    evals: int = 0
    seconds: float = 0.0
    error: float = 0.0
    tolerance_adjoint: float = 0.0
    tolerance_fd: float = 0.0
    where: str = ""
    input: str = ""
    error_sign: int = 0
    limitation: str = ""
    known_gaps: list[str] = field(default_factory=list)
    gap_checks: dict[str, str] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """False only for a mismatch: the other statuses verify nothing but refute nothing either."""
        return self.status != MISMATCH

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


# ---------------------------------------------------------------------------------------------
# static screening: what Warp's reverse mode does not support, what has nothing to differentiate


def _is_float_spec(p: ParamSpec) -> bool:
    if p.kind != "array":
        return False
    if p.dtype in _FLOAT_SCALARS:
        return True
    return bool(_COMPOSITE_F32.match(p.dtype)) or (
        p.dtype.endswith("d") and bool(_COMPOSITE_F32.match(p.dtype[:-1]))
    )


def differentiable_params(case: KernelCase) -> tuple[list[str], list[str]]:
    """(input arrays whose gradient is checked, output arrays that seed the objective)."""
    ins = [p.name for p in case.params if _is_float_spec(p) and p.role == "in"]
    outs = [p.name for p in case.params if _is_float_spec(p) and p.role in ("out", "inout")]
    return ins, outs


def _callee(node: ast.expr) -> ast.expr:
    """`wp.kernel(enable_backward=False)` -> `wp.kernel`; a bare decorator as it is."""
    return node.func if isinstance(node, ast.Call) else node


def _range_trips(node: ast.For) -> int | None:
    """Trip count of `for _ in range(<int literals>)`, None when not a compile-time constant."""
    it = node.iter
    if not (isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range"):
        return None
    vals = []
    for a in it.args:
        try:
            v = ast.literal_eval(a)
        except ValueError:
            return None
        if not isinstance(v, int):
            return None
        vals.append(v)
    try:
        return len(range(*vals))
    except (TypeError, ValueError):
        return None


def _static_unrolled(node: ast.For) -> bool:
    """`for j in range(wp.static(N))` (int literals and at least one wp.static call, no break):
    Warp unrolls a constant range whose loop holds a wp.static expression whatever its trip count
    (codegen `get_unroll_range`), so reverse mode sees straight-line code."""
    it = node.iter
    if not (isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range" and it.args):
        return False
    static = [isinstance(a, ast.Call) and wp_attr(a.func) == "static" for a in it.args]
    literal = [isinstance(a, ast.Constant) and type(a.value) is int for a in it.args]
    return (
        any(static)
        and all(s or c for s, c in zip(static, literal, strict=True))
        and not contains_break(node.body)
    )


def contains_break(
    body: list[ast.stmt], stops: tuple[type[ast.stmt], ...] = (ast.Break, ast.Continue)
) -> bool:
    """Warp's own rule (codegen `contains_break`): a `break`/`continue` (`stops`) in a loop's body
    or in its `if`s, not in a nested loop. Warp does not unroll such a loop, whatever its range."""
    for s in body:
        if isinstance(s, stops):
            return True
        if isinstance(s, ast.If) and (contains_break(s.body, stops) or contains_break(s.orelse, stops)):
            return True
    return False


class Limitation(StrEnum):
    """Reverse-mode limitations Warp documents (docs/user_guide/differentiability.rst,
    "Limitations and Workarounds"): kernels hitting one are `unsupported`, never mismatches."""

    DYNAMIC_LOOP = "dynamic-loop"
    ARRAY_OVERWRITE = "array-overwrite"
    INPLACE_MUL_DIV = "inplace-mul-div"
    COMPONENT_OVERWRITE = "component-overwrite"
    ORDER_DEPENDENT_ATOMIC = "order-dependent-atomic"
    ATOMIC_RESULT = "atomic-result"
    GRAD_FORWARD_ONLY = "grad-forward-only"
    UNPARSED = "unparsed"
    GEOMETRY = "geometry"


@dataclass(frozen=True)
class Screened:
    """Why a kernel's reverse mode is documented not to work: the limitation and where."""

    limitation: Limitation
    reason: str


_COMPONENT_ATTRS = frozenset({"x", "y", "z", "w"})
_ADD_SUB = (ast.Add, ast.Sub)


def _is_array_annotation(ann: ast.expr | None) -> bool:
    """`wp.array(dtype=...)`, `wp.array[T]`, `wp.array2d[T]`, ..."""
    head = ann.func if isinstance(ann, ast.Call) else ann.value if isinstance(ann, ast.Subscript) else None
    return isinstance(head, ast.Attribute) and head.attr.startswith("array")


def _array_params(fn: ast.FunctionDef) -> set[str]:
    return {a.arg for a in fn.args.args if _is_array_annotation(a.annotation)}


def _root(node: ast.expr) -> ast.expr:
    while isinstance(node, ast.Subscript | ast.Attribute):
        node = node.value
    return node


def _component_target(t: ast.expr, arrays: set[str]) -> str | None:
    """`v[1]`, `v.x`, `m[1, 1]`, `m[1][1]` on a local (not an array parameter): the local's name."""
    if not (isinstance(t, ast.Subscript) or (isinstance(t, ast.Attribute) and t.attr in _COMPONENT_ATTRS)):
        return None
    r = _root(t)
    if isinstance(r, ast.Name) and r.id not in arrays:
        return r.id
    return None


def _store_limitation(node: ast.stmt, arrays: set[str], float_arrays: set[str]) -> Screened | None:
    """Component overwrites of local composites and in-place `*=`/`/=` on float array elements."""
    if isinstance(node, ast.Assign | ast.AnnAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for t in targets:
            name = _component_target(t, arrays)
            if name is not None:
                return Screened(
                    Limitation.COMPONENT_OVERWRITE,
                    f"assigns a component of local {name!r} ({ast.unparse(t)} = ..., line {node.lineno}) "
                    "with wp.config.enable_vector_component_overwrites off: the overwritten "
                    "component's adjoint still flows",
                )
    if isinstance(node, ast.AugAssign) and not isinstance(node.op, _ADD_SUB):
        op = type(node.op).__name__
        name = _component_target(node.target, arrays)
        if name is not None:
            return Screened(
                Limitation.COMPONENT_OVERWRITE,
                f"in-place {op} on a component of local {name!r} (line {node.lineno}): only += and -= "
                "keep component adjoints",
            )
        r = _root(node.target)
        if (
            isinstance(node.target, ast.Subscript | ast.Attribute)
            and isinstance(r, ast.Name)
            and r.id in float_arrays
        ):
            return Screened(
                Limitation.INPLACE_MUL_DIV,
                f"in-place {op} on float array {r.id!r} (line {node.lineno}): Warp documents in-place "
                "multiplication and division as not differentiable",
            )
    return None


def _with_factories_made(tree: ast.Module) -> ast.Module:
    """The module with each kernel factory replaced by the kernels and functions its calls make,
    captured values in place (oracle.closures), so the screen sees `range(bias)` as the constant
    range Warp unrolls. A module the oracle cannot instantiate is screened as written."""
    funcs = {n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.decorator_list}
    made = factory_kernels(tree, funcs, ())
    if not made.kernels or made.refused:
        return tree
    kept = [n for n in tree.body if not (isinstance(n, ast.FunctionDef) and not n.decorator_list)]
    return ast.Module([*kept, *made.funcs.values(), *made.kernels.values()], [])


def unsupported_reason(case: KernelCase) -> str | None:
    """Why Warp's reverse mode is documented not to handle this kernel, or None."""
    s = screen(case)
    return s.reason if s else None


def screen(case: KernelCase) -> Screened | None:
    """The documented reverse-mode limitation this kernel hits, or None.

    - dynamic loops (`while`, or `range` not unrolled: not a literal range, more than
      MAX_UNROLL trips, or a body with `break`/`continue`) that assign variables: Warp documents
      reverse mode through such loops as unsupported;
    - a kernel that reads an array it also writes (in-place updates, read-after-write across
      threads): the recorded forward values are overwritten before the backward pass reads them;
    - in-place multiplication or division (`a[i] *= e`, `v[1] /= e`): documented as not supported;
    - `=` to a component of a local vector/matrix/quaternion/transform (`v[1] = e`, `v.x = e`,
      `m[1, 1] = e`, `m[1][1] = e`): with `enable_vector_component_overwrites` off (the default,
      and how the campaign compiles) Warp documents that a re-assigned component's gradient is
      invalid; a single write after default initialisation is fine, but is screened too (the
      screen does not track initialisation);
    - float atomics whose result depends on thread order (min/max/cas/exch);
    - any atomic whose returned value is used (not a bare expression statement), of any dtype, in
      the kernel or a helper: Warp's differentiability guide ("Custom Replay Function") documents
      that the replay phase of the backward pass does not reproduce it (the index returned by the
      adjoint of wp.atomic_add is always zero) and that a @wp.func_replay is needed;
    - `wp.grad(f)(x)` outside a `@wp.func_grad`: forward-only, a constant in the backward pass.
    """
    geo = [p.name for p in case.params if p.kind in GEOMETRY_KINDS]
    if geo:
        # finite differences would move the query inputs across faces, cells and boxes, and the
        # objects' own points are not kernel arrays Warp differentiates
        return Screened(
            Limitation.GEOMETRY,
            f"queries geometry object(s) {', '.join(geo)} (mesh/hash grid/BVH): their gradients are not checked",
        )
    try:
        tree = _with_factories_made(ast.parse(case.source))
    except SyntaxError as e:
        return Screened(Limitation.UNPARSED, f"source does not parse: {e}")
    written = {p.name for p in case.params if p.role in ("out", "inout")}
    float_arrays = {p.name for p in case.params if _is_float_spec(p)}
    params = {p.name for p in case.params if p.kind == "array"}
    # Warp's functions anywhere: a kernel factory's inner kernel and @wp.funcs are nested defs
    nodes = walk_nodes(tree)  # in ast.walk's order: the first limitation found is the one reported
    for fn in [n for n in nodes if isinstance(n, ast.FunctionDef) and n.decorator_list]:
        kernel = fn.name == case.kernel_name or any(
            wp_attr(_callee(d)) == "kernel" for d in fn.decorator_list
        )
        arrays = _array_params(fn) | (params if kernel else set())
        custom_grad = any(
            isinstance(d, ast.Call) and wp_attr(d.func) == "func_grad" for d in fn.decorator_list
        )
        for node in walk_nodes(fn):
            if isinstance(node, ast.stmt):
                hit = _store_limitation(node, arrays, float_arrays & arrays)
                if hit is not None:
                    return hit
            if isinstance(node, ast.Call) and wp_attr(node.func) == "grad" and not custom_grad:
                return Screened(
                    Limitation.GRAD_FORWARD_ONLY,
                    f"wp.grad(...) outside a @wp.func_grad (line {node.lineno}): Warp treats it as "
                    "a constant in the backward pass",
                )
    for node in nodes:
        if isinstance(node, ast.While) and _assigns(node.body):
            return Screened(
                Limitation.DYNAMIC_LOOP, f"dynamic `while` loop assigning variables (line {node.lineno})"
            )
        if isinstance(node, ast.For):
            trips = _range_trips(node)
            dynamic = trips is None or trips > MAX_UNROLL or contains_break(node.body)
            dynamic = dynamic and not _static_unrolled(node)
            if dynamic and _assigns(node.body):
                return Screened(
                    Limitation.DYNAMIC_LOOP, f"dynamic `for` loop assigning variables (line {node.lineno})"
                )
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.ctx, ast.Load)
            and isinstance(node.value, ast.Name)
            and node.value.id in written
        ):
            return Screened(
                Limitation.ARRAY_OVERWRITE,
                f"reads array {node.value.id!r}, which the kernel writes (line {node.lineno})",
            )
        if isinstance(node, ast.Call):
            name = wp_attr(node.func) or ""
            if name.startswith("atomic_") and node.args and isinstance(node.args[0], ast.Name):
                arr = node.args[0].id
                if arr in float_arrays and name in _ORDER_DEPENDENT_ATOMICS:
                    return Screened(
                        Limitation.ORDER_DEPENDENT_ATOMIC,
                        f"order-dependent float atomic wp.{name} on {arr!r} (line {node.lineno})",
                    )
    discarded = {id(n.value) for n in nodes if isinstance(n, ast.Expr)}
    for node in nodes:
        if isinstance(node, ast.Call) and id(node) not in discarded:
            name = wp_attr(node.func) or ""
            if name.startswith("atomic_"):
                return Screened(
                    Limitation.ATOMIC_RESULT,
                    f"uses the value returned by wp.{name} (line {node.lineno}): in the backward "
                    "pass's forward replay an atomic's returned value is not the forward one (Warp "
                    "documents 'always zero'; a @wp.func_replay is the documented remedy)",
                )
    return None


def _assigns(body: list[ast.stmt]) -> bool:
    for st in body:
        for node in walk_nodes(st):
            if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if any(isinstance(t, ast.Name | ast.Tuple) for t in targets):
                    return True
    return False


# ---------------------------------------------------------------------------------------------
# the float64 twin of the kernel source


class _Float64(ast.NodeTransformer):
    """float32 -> float64 everywhere: `float`, `wp.float32`, vec3/vec3f/mat33/quat/transform...,
    and bare float literals (which Warp types as float32) wrapped as `wp.float64(<literal>)`."""

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        name = wp_attr(node)
        if name == "float32":
            return ast.copy_location(ast.Attribute(node.value, "float64", node.ctx), node)
        if name is not None and _COMPOSITE_F32.match(name):
            base = name[:-1] if name.endswith("f") else name
            return ast.copy_location(ast.Attribute(node.value, base + "d", node.ctx), node)
        return self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id == "float":
            return ast.copy_location(ast.Attribute(ast.Name("wp", ast.Load()), "float64", ast.Load()), node)
        return node

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        if isinstance(node.value, float):
            return ast.copy_location(
                ast.Call(ast.Attribute(ast.Name("wp", ast.Load()), "float64", ast.Load()), [node], []), node
            )
        return node

    def visit_Call(self, node: ast.Call) -> ast.AST:
        fname = wp_attr(node.func) or (node.func.id if isinstance(node.func, ast.Name) else None)
        if fname in _SCALAR_CTORS or fname in ("int", "float"):
            # a literal cast to an explicit scalar type keeps its exact value: leave it alone
            new_func = self.visit(node.func)
            args = [a if isinstance(a, ast.Constant) else self.visit(a) for a in node.args]
            return ast.copy_location(ast.Call(new_func, args, node.keywords), node)
        return self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        # decorators (wp.kernel, wp.func, wp.func_grad(f)) are kept as they are
        decorators = node.decorator_list
        node.decorator_list = []
        self.generic_visit(node)
        node.decorator_list = decorators
        return node


def float64_source(source: str) -> str:
    """The kernel module source with float32 arithmetic promoted to float64 (for the oracle only)."""
    tree = _Float64().visit(ast.parse(source))
    return ast.unparse(ast.fix_missing_locations(tree))


# ---------------------------------------------------------------------------------------------
# known gaps: references with the term Warp drops removed (the known-gap re-check)


class Freezer:
    """Holds a value at the base point: the first evaluation after `begin(record=True)` records
    what each call returns (keyed by source line and occurrence on it), every later one gets the
    recorded values back (tiled over the launches `oracle.evaluate_many` runs side by side, which
    are laid out one launch after another). So the frozen value is exact at the base point and
    its derivative is exactly 0 around it."""

    def __init__(self) -> None:
        self.recording = True
        self.values: dict[tuple[int, int], np.ndarray] = {}
        self.seen: Counter[int] = Counter()

    def begin(self, record: bool) -> None:
        self.recording = record
        self.seen = Counter()

    def __call__(self, lineno: int, data: np.ndarray) -> np.ndarray:
        key = (lineno, self.seen[lineno])
        self.seen[lineno] += 1
        if self.recording:
            self.values[key] = np.array(data, copy=True)
            return data
        base = self.values.get(key)
        if base is None or base.shape[1:] != data.shape[1:] or data.shape[0] % max(base.shape[0], 1):
            raise ValueError(f"known-gap re-check: call {key} at a perturbed point has no base value")
        return np.tile(base, (data.shape[0] // base.shape[0],) + (1,) * (base.ndim - 1))


@dataclass(frozen=True)
class Gap:
    """A known gap in Warp's adjoints, as a change of the float64 reference that drops the term
    Warp drops: `rewrite` the twin's source, add `entries(freezer)` to the oracle registry. When a
    mismatch vanishes against that reference, the gap explains it."""

    name: str
    what: str
    applies: Callable[[str], bool]
    rewrite: Callable[[str], str]
    entries: Callable[[Freezer], list[Any]]


def _calls_wp(source: str, fname: str) -> bool:
    return any(isinstance(n, ast.Call) and wp_attr(n.func) == fname for n in ast.walk(ast.parse(source)))


def _has_mod(source: str) -> bool:
    return any(
        isinstance(n, ast.BinOp | ast.AugAssign) and isinstance(n.op, ast.Mod)
        for n in ast.walk(ast.parse(source))
    )


def _frac_entries(freeze: Freezer) -> list[Any]:
    """frac with d/dx = 0 (what Warp's empty adj_frac computes): its value frozen at the base."""
    from oracle import Builtin
    from oracle.values import Value

    def frac(args: list[Any], ctx: Any) -> Any:
        (v,) = args
        if not (isinstance(v, Value) and v.t.is_float and not v.t.shape):
            raise ValueError("known-gap re-check: frac of a non-scalar")
        with np.errstate(all="ignore"):
            r = np.asarray(v.data, np.float64) - np.trunc(np.asarray(v.data, np.float64))
        return Value(v.t, freeze(ctx.lineno, r.astype(v.data.dtype)), v.err.copy(), v.taint.copy())

    return [Builtin("frac", frac, "frac with derivative 0 (known-gap re-check)")]


_MOD_GAP_BUILTIN = "wf_mod_without_divisor_term"


def _mod_entries(freeze: Freezer) -> list[Any]:
    """Float a % b with d/db = 0 (Warp's adj_mod only propagates to a): a - q0 b0 with the divisor
    b0 and the quotient q0 = trunc(a/b) frozen at the base. q is piecewise constant, so freezing
    it changes nothing away from integer a/b, and at an integer quotient (`a % a`, whose value is
    0 everywhere) it gives Warp's one-sided d/da = 1 instead of a jump the probes must leave out.
    Integer and composite operands keep the oracle's own `%`."""
    from oracle import Builtin
    from oracle.composite import composite_binop
    from oracle.numeric import any_taint, int_binop
    from oracle.values import Value, is_composite

    def mod(args: list[Any], ctx: Any) -> Any:
        a, b = args
        if is_composite(a.t) or is_composite(b.t):
            return composite_binop("Mod", a, b, ctx)
        if not a.t.is_float:
            return int_binop("Mod", a, b, ctx)
        x = np.asarray(a.data, np.float64)
        y = freeze(ctx.lineno, np.asarray(b.data, np.float64))
        with np.errstate(all="ignore"):
            q = freeze(ctx.lineno, np.trunc(x / y))
            r = np.where(q == 0, x, x - q * y)
            err = a.err + np.abs(q) * b.err
        return Value(a.t, r.astype(a.data.dtype), err, any_taint([a, b]))

    return [Builtin(_MOD_GAP_BUILTIN, mod, "float % without d/db (known-gap re-check)")]


class _ModToCall(ast.NodeTransformer):
    def visit_Call(self, node: ast.Call) -> ast.AST:
        if wp_attr(node.func) == "static":
            return node  # Python evaluates its argument at codegen: no adjoint, nothing to rewrite
        return self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.op, ast.Mod):
            fn = ast.Attribute(ast.Name("wp", ast.Load()), _MOD_GAP_BUILTIN, ast.Load())
            return ast.copy_location(ast.Call(fn, [node.left, node.right], []), node)
        return node

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.op, ast.Mod) and isinstance(node.target, ast.Name):
            fn = ast.Attribute(ast.Name("wp", ast.Load()), _MOD_GAP_BUILTIN, ast.Load())
            value = ast.Call(fn, [ast.Name(node.target.id, ast.Load()), node.value], [])
            return ast.copy_location(ast.Assign([node.target], value), node)
        return node


def _mod_rewrite(source: str) -> str:
    return ast.unparse(ast.fix_missing_locations(_ModToCall().visit(ast.parse(source))))


DEFAULT_GAPS: tuple[Gap, ...] = (
    Gap(
        "frac-derivative",
        "wp.frac's adjoint is empty (d frac(x)/dx = 1 between integers is dropped)",
        lambda src: _calls_wp(src, "frac"),
        lambda src: src,
        _frac_entries,
    ),
    Gap(
        "mod-divisor",
        "float a % b: adj_mod propagates to a only (d/db = -trunc(a/b) is dropped)",
        _has_mod,
        _mod_rewrite,
        _mod_entries,
    ),
)


# ---------------------------------------------------------------------------------------------
# Warp side


def warp_gradients(
    kernel: Any,
    inputs: dict[str, Any],
    dim: tuple[int, ...],
    device: str,
    weights: dict[str, np.ndarray],
    wrt: list[str],
) -> dict[str, np.ndarray]:
    """Run `kernel` under a tape, seed output adjoints with `weights`, return input gradients."""
    return warp_gradient_sets(kernel, inputs, dim, device, [weights], wrt)[0]


def warp_gradient_sets(
    kernel: Any,
    inputs: dict[str, Any],
    dim: tuple[int, ...],
    device: str,
    weight_sets: list[dict[str, np.ndarray]],
    wrt: list[str],
) -> list[dict[str, np.ndarray]]:
    """One taped launch, one backward pass per weight set (the tape is zeroed in between)."""
    import warp as wp

    from fuzz.engine.launch import instance_for, to_warp_value

    kernel = instance_for(kernel, inputs)
    names = set(weight_sets[0]) | set(wrt)
    warp_args = []
    arrays: dict[str, Any] = {}
    for arg in kernel.adj.args:
        value = inputs[arg.label]
        if wp.types.is_array(arg.type) and arg.label in names:
            np_dtype = wp.dtype_to_numpy(getattr(arg.type.dtype, "_wp_scalar_type_", arg.type.dtype))
            data = np.ascontiguousarray(value, dtype=np_dtype)
            arr: Any = wp.array(data, dtype=arg.type.dtype, device=device, requires_grad=True)
            arrays[arg.label] = arr
            warp_args.append(arr)
        else:
            warp_args.append(to_warp_value(arg.type, value, device))
    tape = wp.Tape()
    with tape:
        wp.launch(kernel, dim=dim, inputs=warp_args, device=device)
    out = []
    for weights in weight_sets:
        seeds: dict[Any, Any] = {}
        for name, w in weights.items():
            a = arrays[name]
            seeds[a] = wp.array(
                np.ascontiguousarray(w, dtype=a.grad.numpy().dtype), dtype=a.dtype, device=device
            )
        tape.backward(grads=seeds)
        wp.synchronize_device(device)
        out.append({name: arrays[name].grad.numpy().astype(np.float64) for name in wrt})
        tape.zero()
    return out


SPLITS = 3  # random weight splits whose linearity defect measures the adjoint's rounding


@dataclass
class AdjointNoise:
    """Warp's gradient and the rounding it may carry, per element of each input array.

    split: |g(w1) + g(w2) - g(w)| for w1 + w2 = w exactly (zero in exact arithmetic: rounding of
    the accumulation, including terms that cancel), the largest of SPLITS random splits and at
    least the array's 90th percentile; moved: |g(x') - g(x)| for inputs moved by two
    ulps (how much rounding of forward intermediates moves the gradient); magnitude:
    |g(w)| + |g(|w|)|. jump: the gradient changes by far more than rounding within two ulps (a
    kink at the input: left out of the comparison)."""

    g: dict[str, np.ndarray]
    split: dict[str, np.ndarray]
    moved: dict[str, np.ndarray]
    magnitude: dict[str, np.ndarray]
    jump: dict[str, np.ndarray]

    def bound(self, name: str, safety: float, eps: float) -> np.ndarray:
        """Per-element allowance for Warp's own rounding in the gradient of `name`."""
        return safety * np.maximum(self.split[name], self.moved[name]) + 4 * eps * self.magnitude[name]


def _split_weights(w: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """w1 + w2 == w exactly in float32: w1 = fl(u w) with u in [0.55, 0.9], so w - w1 is exact
    (Sterbenz)."""
    w32 = w.astype(np.float32)
    w1 = (w32 * rng.uniform(0.55, 0.9, w.shape).astype(np.float32)).astype(np.float32)
    w2 = (w32 - w1).astype(np.float32)
    return w1.astype(np.float64), w2.astype(np.float64)


def _moved_inputs(inputs: dict[str, Any], wrt: list[str], direction: float) -> dict[str, Any]:
    """The inputs with every checked element moved by 2 ulps of max(|x|, 1) in its own dtype, up
    (direction 1) or down (-1). Both ways are tried: at a tie (max(x, 0) at x = 0) the gradient
    jumps on one side only, and a kink missed there cancels against others in a dense direction's
    slopes. Two ulps of |x| itself would be subnormal near 0, and a kink where x meets a constant
    of order one (min(0.5, x + 0.5) at x = 0) would not move: x + 0.5 rounds back to 0.5."""
    out = dict(inputs)
    for name in wrt:
        x = np.asarray(inputs[name])
        sign = np.full(x.shape, direction, dtype=x.dtype)
        with np.errstate(all="ignore"):
            step = 2 * np.spacing(np.maximum(np.abs(x), np.ones((), dtype=x.dtype)))
            moved = x + sign * step.astype(x.dtype)
        out[name] = np.where(np.isfinite(moved), moved, x).astype(x.dtype)
    return out


def warp_adjoint_noise(
    kernel: Any,
    inputs: dict[str, Any],
    dim: tuple[int, ...],
    device: str,
    weights: dict[str, np.ndarray],
    wrt: list[str],
    rng: np.random.Generator,
) -> AdjointNoise:
    """Warp's gradient with `weights` and what its float rounding amounts to (see AdjointNoise).
    Costs three taped launches and 4 + 2 SPLITS backward passes, no oracle evaluation."""
    sets = [weights, {n: np.abs(w) for n, w in weights.items()}]
    for _ in range(SPLITS):
        pairs = {n: _split_weights(w, rng) for n, w in weights.items()}
        sets += [{n: s[0] for n, s in pairs.items()}, {n: s[1] for n, s in pairs.items()}]
    res = warp_gradient_sets(kernel, inputs, dim, device, sets, wrt)
    g, gabs = res[0], res[1]
    ups, downs = (
        warp_gradient_sets(kernel, _moved_inputs(inputs, wrt, d), dim, device, [weights], wrt)[0]
        for d in (1.0, -1.0)
    )
    split, moved, mag, jump = {}, {}, {}, {}
    with np.errstate(all="ignore"):
        for n in wrt:
            sp = np.max([np.abs(res[2 + 2 * k][n] + res[3 + 2 * k][n] - g[n]) for k in range(SPLITS)], axis=0)
            mv = np.maximum(np.abs(ups[n] - g[n]), np.abs(downs[n] - g[n]))
            mag[n] = np.abs(g[n]) + np.abs(gabs[n])
            jump[n] = mv > 1e-3 * mag[n] + 100 * sp + 1e-30
            # rounding is spotty (an element's sums may happen to round exactly): elements of one
            # array run the same code, so the array's typical level is a floor for each
            typical = np.where(jump[n] | ~np.isfinite(mv), 0.0, np.maximum(sp, mv))
            floor = float(np.percentile(typical, 90)) if typical.size else 0.0
            split[n] = np.maximum(sp, floor)
            moved[n] = mv
    return AdjointNoise(g, split, moved, mag, jump)


# ---------------------------------------------------------------------------------------------
# the check


@dataclass
class _Problem:
    """Flattened view: x (all checked input elements), g (Warp's gradient), scale per element,
    noise: the allowance for Warp's own rounding per element (AdjointNoise.bound)."""

    names: list[str]
    slices: list[slice]
    shapes: list[tuple[int, ...]]
    x: np.ndarray
    g: np.ndarray
    scale: np.ndarray
    labels: list[str]
    noise: np.ndarray

    def unflatten(self, x: np.ndarray) -> dict[str, np.ndarray]:
        return {n: x[s].reshape(sh) for n, s, sh in zip(self.names, self.slices, self.shapes, strict=True)}


def _element_labels(name: str, shape: tuple[int, ...]) -> list[str]:
    return [f"{name}{list(idx)}" for idx in np.ndindex(*shape)] if shape else [name]


class _Budget(Exception):
    """The oracle evaluation budget is spent."""


class _Found(Exception):
    """A mismatch has been localized to one input element: stop probing."""


class _Objective:
    """F(x) = sum(w * out(x)) by the float64 oracle; counts evaluations against a budget."""

    def __init__(
        self,
        oracle_fn: OracleFn,
        source64: str,
        case: KernelCase,
        base_args: dict[str, Any],
        prob: _Problem,
        weights: dict[str, np.ndarray],
        max_evals: int,
        registry: Any,
        oracle_many: OracleFn | None = None,
    ) -> None:
        self.oracle_fn = oracle_fn
        self.oracle_many = oracle_many
        self.source64 = source64
        self.case = case
        self.base_args = base_args
        self.prob = prob
        self.weights = weights
        self.max_evals = max_evals
        self.registry = registry
        self.evals = 0
        self.magnitude = 0.0  # sum |w * out| at the base point, for rounding noise
        self.freezers: list[Freezer] = []  # known-gap re-check: record at the first call, then replay

    def __call__(self, x: np.ndarray) -> float:
        return self.many([x])[0]

    def many(self, xs: list[np.ndarray]) -> list[float]:
        """F at several points: one interpreter pass when `oracle_many` is given (the points are
        independent launches), else one oracle call each. Each point counts against the budget."""
        if self.evals + len(xs) > self.max_evals:
            raise _Budget()
        self.evals += len(xs)
        arg_sets = []
        for x in xs:
            args = dict(self.base_args)
            args.update(self.prob.unflatten(x))
            arg_sets.append(args)
        name, dim = self.case.kernel_name, self.case.dim
        if self.oracle_many is not None and len(xs) > 1:
            self._begin()
            results = self.oracle_many(self.source64, name, arg_sets, dim, registry=self.registry)
        else:
            results = []
            for a in arg_sets:
                self._begin()
                results.append(self.oracle_fn(self.source64, name, a, dim, registry=self.registry))
        return [self._total(res) for res in results]

    def _begin(self) -> None:
        for f in self.freezers:
            f.begin(record=not f.values)

    def _total(self, res: Any) -> float:
        total = 0.0
        mag = 0.0
        for name, w in self.weights.items():
            out = np.asarray(res.arrays[name], dtype=np.float64)
            with np.errstate(all="ignore"):
                terms = np.where(w != 0, w * out, 0.0)
            total += float(np.sum(terms))
            mag += float(np.sum(np.abs(terms)))
        self.magnitude = max(self.magnitude, mag)
        return total


@dataclass
class _Probe:
    """One directional comparison: `kink` says why the finite differences cannot be trusted;
    tol = tol_adjoint (Warp's rounding) + tol_fd (finite-difference truncation and rounding)."""

    ok: bool
    fd: float
    warp: float
    tol: float
    rel: float
    kink: str = ""
    tol_adjoint: float = 0.0
    tol_fd: float = 0.0

    @property
    def ratio(self) -> float:
        return abs(self.warp - self.fd) / max(self.tol, 1e-300)


Prefetched = dict[tuple[bytes, bytes], list[float]]


def _probe_points(
    prob: _Problem, idx: np.ndarray, v: np.ndarray, cfg: GradientConfig
) -> tuple[np.ndarray, list[np.ndarray]]:
    """The step direction d and the four points x +- h d, x +- h/2 d of a probe."""
    h = cfg.step
    d = np.zeros_like(prob.x)
    d[idx] = v * prob.scale[idx]
    return d, [prob.x + h * d, prob.x - h * d, prob.x + 0.5 * h * d, prob.x - 0.5 * h * d]


def _key(idx: np.ndarray, v: np.ndarray) -> tuple[bytes, bytes]:
    return np.asarray(idx, np.int64).tobytes(), np.asarray(v, np.float64).tobytes()


def _prefetch(
    F: _Objective, prob: _Problem, specs: list[tuple[np.ndarray, np.ndarray]], cfg: GradientConfig
) -> Prefetched:
    """F at the points of every planned top-level probe, in ONE oracle pass (they do not depend on
    each other's outcome); probes that bisection adds later are evaluated as they come."""
    points: list[np.ndarray] = []
    for idx, v in specs:
        points += _probe_points(prob, idx, v, cfg)[1]
    values = F.many(points) if points else []
    return {_key(idx, v): values[4 * k : 4 * k + 4] for k, (idx, v) in enumerate(specs)}


def _probe(
    F: _Objective,
    f0: float,
    prob: _Problem,
    idx: np.ndarray,
    v: np.ndarray,
    cfg: GradientConfig,
    pre: Prefetched | None = None,
) -> _Probe:
    """Compare g.v with dF/dt along v (restricted to elements idx)."""
    h = cfg.step
    d, points = _probe_points(prob, idx, v, cfg)
    cached = pre.get(_key(idx, v)) if pre else None
    fp, fm, fp2, fm2 = cached if cached is not None else F.many(points)
    c1 = (fp - fm) / (2 * h)
    c2 = (fp2 - fm2) / h
    right = (fp2 - f0) / (0.5 * h)
    left = (f0 - fm2) / (0.5 * h)
    terms = prob.g[idx] * d[idx]
    warp = float(np.sum(terms))
    magnitude = float(np.sum(np.abs(terms)))
    noise = 1e-14 * max(F.magnitude, abs(f0)) / h
    scale = max(abs(c2), magnitude, noise, 1e-300)
    if not all(np.isfinite(z) for z in (c1, c2, left, right)):
        return _Probe(False, c2, warp, 0.0, 0.0, "non-finite finite difference")
    if abs(left - right) > 1e-3 * scale + 10 * noise:
        return _Probe(False, c2, warp, 0.0, 0.0, "one-sided slopes differ")
    if abs(c1 - c2) > 1e-4 * scale + 10 * noise:
        return _Probe(False, c2, warp, 0.0, 0.0, "estimate depends on the step")
    fd = (4 * c2 - c1) / 3  # Richardson extrapolation
    tol_adjoint = float(np.sum(np.abs(d[idx]) * prob.noise[idx])) + cfg.rtol * magnitude
    # a kink inside the step too small for the tests above still shifts the estimate: by at most
    # about the one-sided slopes' disagreement (steps up to h/2) or |c1 - c2| (beyond)
    tol_fd = 4 * abs(c1 - c2) + 2 * abs(left - right) + 10 * noise
    tol = tol_adjoint + tol_fd
    err = abs(warp - fd)
    rel = err / max(magnitude + abs(fd), 1e-300)
    return _Probe(err <= tol, fd, warp, tol, rel, "", tol_adjoint, tol_fd)


def _output_weights(
    outs: list[str], forward: Any, rng: np.random.Generator, cfg: GradientConfig, excluded: Counter[str]
) -> dict[str, np.ndarray]:
    """Random adjoint seeds; zero on outputs whose derivative the float64 oracle cannot vouch for."""
    weights = {}
    for name in outs:
        val = np.asarray(forward.arrays[name], dtype=np.float64)
        # float32 values: the seeds Warp gets and the weights the oracle uses are the same numbers
        w = rng.standard_normal(val.shape).astype(np.float32).astype(np.float64)
        drop = ~np.isfinite(val)
        unst = forward.unstable.get(name)
        if unst is not None:
            drop |= np.broadcast_to(unst, val.shape)
        if drop.any():
            excluded["output unstable or non-finite"] += int(drop.sum())
        bound = forward.error_bound.get(name)
        if bound is not None:
            b = np.broadcast_to(np.asarray(bound, dtype=np.float64), val.shape)
            with np.errstate(all="ignore"):
                ill = ~np.isfinite(b) | (b > cfg.max_rel_forward_err * np.maximum(np.abs(val), 1e-30))
            ill &= ~drop
            if ill.any():
                excluded["output ill-conditioned (forward error bound large)"] += int(ill.sum())
            drop |= ill
        w[drop] = 0.0
        weights[name] = w
    return weights


NO_BACKWARD_MESSAGE = "kernel built without backward code (per-kernel enable_backward=False)"


def kernel_backward_off(kernel: Any) -> bool:
    """Whether the kernel's own options turn backward code off (`@wp.kernel(enable_backward=False)`,
    which overrides the module's setting): its tape gives zero gradients by design, not a bug."""
    options = getattr(kernel, "options", None)
    return isinstance(options, dict) and options.get("enable_backward") is False


def check_gradients(
    kernel: Any,
    case: KernelCase,
    inputs: dict[str, Any],
    device: str,
    oracle_fn: OracleFn,
    rng: np.random.Generator,
    *,
    forward: Any = None,
    registry: Any = None,
    config: GradientConfig | None = None,
    oracle_many: OracleFn | None = None,
    gaps: tuple[Gap, ...] | None = None,
) -> GradientCheck:
    """Check the backward pass Warp emitted for `kernel` on `device` against the float64 oracle.

    `forward` is the oracle's (float32) result for `inputs` when the caller already has it: its
    unstable/ill-conditioned outputs are excluded from the objective. `oracle_fn` has the
    signature of `oracle.evaluate`; `oracle_many`, when given, that of `oracle.evaluate_many`
    (the four points of each finite-difference probe are then interpreted in one pass). `gaps`:
    known Warp gaps to re-check a mismatch against (default `DEFAULT_GAPS`; `()` for none).
    """
    import time

    cfg = config or GradientConfig()
    t0 = time.perf_counter()
    gc = _check(
        kernel, case, inputs, device, oracle_fn, rng, forward, registry, cfg, oracle_many,
        DEFAULT_GAPS if gaps is None else gaps,
    )  # fmt: skip
    gc.seconds = time.perf_counter() - t0
    gc.settings = {"enable_vector_component_overwrites": _component_overwrites_setting()}
    return gc


def _component_overwrites_setting() -> bool:
    import warp as wp

    return bool(getattr(wp.config, "enable_vector_component_overwrites", False))


def _check(
    kernel: Any,
    case: KernelCase,
    inputs: dict[str, Any],
    device: str,
    oracle_fn: OracleFn,
    rng: np.random.Generator,
    forward: Any,
    registry: Any,
    cfg: GradientConfig,
    oracle_many: OracleFn | None,
    gaps: tuple[Gap, ...],
) -> GradientCheck:
    ins, outs = differentiable_params(case)
    excluded: Counter[str] = Counter()
    for p in case.params:
        if p.kind == "scalar" and p.dtype in _FLOAT_SCALARS:
            excluded["float scalar parameter (no gradient from wp.launch)"] += 1
        if p.kind == "struct":
            excluded["struct parameter (fields not differentiated)"] += 1
        if p.kind == "array" and p.dtype.startswith("float16"):
            excluded["float16 array (not checked)"] += 1
    if not ins or not outs:
        why = "no float input array" if not ins else "no float output array"
        return GradientCheck(device, NOT_DIFFERENTIABLE, excluded=dict(excluded), message=why)
    if kernel_backward_off(kernel):
        return GradientCheck(
            device, SKIPPED, excluded=dict(excluded), inputs=ins,
            message=f"{NO_BACKWARD_MESSAGE} ({case.kernel_name}: @wp.kernel(enable_backward=False))",
        )  # fmt: skip
    screened = screen(case)
    if screened is not None and not (
        screened.limitation is Limitation.COMPONENT_OVERWRITE and _component_overwrites_setting()
    ):
        return GradientCheck(
            device, UNSUPPORTED, excluded=dict(excluded), message=screened.reason, inputs=ins,
            limitation=str(screened.limitation),
        )  # fmt: skip
    if forward is None:
        forward = oracle_fn(case.module_source(), case.kernel_name, inputs, case.dim, registry=registry)
    weights = _output_weights(outs, forward, rng, cfg, excluded)
    if not any(np.any(w != 0) for w in weights.values()):
        return GradientCheck(
            device, SKIPPED, excluded=dict(excluded), message="every output element excluded", inputs=ins
        )
    try:
        side = warp_adjoint_noise(
            kernel, inputs, case.dim, device, weights, ins, np.random.default_rng([case.seed, 0x401])
        )
    except Exception as e:
        return GradientCheck(
            device, MISMATCH, excluded=dict(excluded), inputs=ins,
            message=f"backward pass failed on {device}: {type(e).__name__}: {str(e)[:500]}",
        )  # fmt: skip
    try:
        source64 = float64_source(case.module_source())
    except SyntaxError as e:
        return GradientCheck(device, SKIPPED, message=f"float64 rewrite failed: {e}", inputs=ins)

    eps = float(np.finfo(np.float32).eps)  # Warp types float literals float32 even in float64 code
    names, slices, shapes, xs, gs, labels, noises, jumps = [], [], [], [], [], [], [], []
    start = 0
    for name in ins:
        x = np.asarray(inputs[name], dtype=np.float64)
        names.append(name)
        shapes.append(x.shape)
        slices.append(slice(start, start + x.size))
        start += x.size
        xs.append(x.ravel())
        gs.append(side.g[name].reshape(-1))
        noises.append(side.bound(name, cfg.adjoint_safety, eps).reshape(-1))
        jumps.append(side.jump[name].reshape(-1))
        labels.extend(_element_labels(name, x.shape))
    x = np.concatenate(xs)
    g = np.concatenate(gs)
    scale = np.maximum(np.abs(x), max(1e-3 * float(np.max(np.abs(x), initial=0.0)), 1e-6))
    prob = _Problem(names, slices, [tuple(s) for s in shapes], x, g, scale, labels, np.concatenate(noises))
    F = _Objective(
        oracle_fn, source64, case, dict(inputs), prob, weights, cfg.max_evals, registry, oracle_many
    )
    usable = np.isfinite(g) & np.isfinite(x) & np.isfinite(prob.noise)
    jump = np.concatenate(jumps) & usable
    all_idx = np.nonzero(usable & ~jump)[0]
    # the probes' random draws depend on no oracle value, so they are planned before F(x) is known
    plan = _plan_probes(prob, all_idx, case, cfg, rng) if all_idx.size else None
    try:
        f0, pre = _base_and_prefetch(F, x, prob, plan, cfg)
    except Exception as e:
        # the float64 twin may use something the oracle does not model in float64
        return GradientCheck(
            device, SKIPPED, excluded=dict(excluded), inputs=ins, evals=F.evals,
            message=f"oracle cannot evaluate the float64 twin: {type(e).__name__}: {str(e)[:300]}",
        )  # fmt: skip
    if (~usable).any():
        excluded["input with non-finite Warp gradient"] += int((~usable).sum())
    if jump.any():
        excluded["input element at a kink (Warp's gradient jumps within two ulps)"] += int(jump.sum())
    if all_idx.size == 0:
        return GradientCheck(device, SKIPPED, excluded=dict(excluded), inputs=ins, message="no usable input")

    state, failure = _run_probes(F, f0, prob, all_idx, case, cfg, rng, excluded, plan, pre)
    if failure:
        return GradientCheck(
            device, SKIPPED, excluded=dict(excluded), inputs=ins, evals=F.evals, message=failure
        )
    if state.kinked:
        excluded["input element at a kink"] += len(state.kinked)
    gc = GradientCheck(
        device, VERIFIED, max_rel_err=state.max_rel, checked=state.checked,
        excluded=dict(excluded), inputs=ins, evals=F.evals,
    )  # fmt: skip
    decisive = state.worst[1] if state.worst is not None else state.closest
    if decisive is not None:
        gc.error = abs(decisive.warp - decisive.fd)
        gc.tolerance, gc.tolerance_adjoint, gc.tolerance_fd = (
            decisive.tol,
            decisive.tol_adjoint,
            decisive.tol_fd,
        )
    if state.worst is not None:
        gc.status = MISMATCH
        where, pr = state.worst
        gc.where = where
        gc.input = where.split("[", 1)[0] if not where.startswith("(") else ""
        diff = pr.warp - pr.fd  # NaN when either side is: a mismatch with no sign to keep
        gc.error_sign = int(np.sign(diff)) if np.isfinite(diff) else 0
        gc.message = (
            f"d(sum w*out)/d{where}: Warp {pr.warp:.6g} vs finite differences {pr.fd:.6g} "
            f"(|err| {abs(pr.warp - pr.fd):.3g}, tolerance {pr.tol:.3g} = adjoint rounding "
            f"{pr.tol_adjoint:.3g} + finite differences {pr.tol_fd:.3g})"
        )
        _recheck_gaps(gc, gaps, F, prob, all_idx, case, cfg, registry)
    elif state.checked == 0:
        gc.status = SKIPPED
        gc.message = "no direction free of kinks; nothing verified"
    else:
        gc.message = f"{state.checked} directional derivatives agree (max rel err {state.max_rel:.2g})"
    return gc


Plan = tuple[list[tuple[np.ndarray, np.ndarray]], list[tuple[np.ndarray, np.ndarray]]]


def _plan_probes(
    prob: _Problem, all_idx: np.ndarray, case: KernelCase, cfg: GradientConfig, rng: np.random.Generator
) -> Plan:
    """The planned probes, in order: dense directions, then single coordinates (the random draws
    do not depend on any outcome)."""
    suspect = _suspects(prob, all_idx, case)
    specs: list[tuple[np.ndarray, np.ndarray]] = []
    for k in range(cfg.directions):
        v = rng.standard_normal(all_idx.size)
        if k == 0 and suspect.any() and not suspect.all():
            # edge values (0, integers, thresholds) are where kinks sit: isolate them cheaply
            specs += [(all_idx[~suspect], v[~suspect]), (all_idx[suspect], v[suspect])]
        else:
            specs.append((all_idx, v))
    picks = rng.choice(all_idx, size=min(cfg.coordinates, all_idx.size), replace=False)
    coords = [(np.array([int(i)]), np.ones(1)) for i in picks]
    return specs, coords


def _base_and_prefetch(
    F: _Objective, x: np.ndarray, prob: _Problem, plan: Plan | None, cfg: GradientConfig
) -> tuple[float, Prefetched | None]:
    """F(x), and with it the planned probes' points when they fit the budget: one oracle pass
    instead of two. Where that pass fails (an unsupported construct or UB at any point raises for
    all), F(x) is evaluated alone, as without the merge, so the outcome and the evaluation count
    are those of evaluating F(x) first and the probes after (`_run_probes` then prefetches)."""
    if plan is not None and F.oracle_many is not None:
        specs = plan[0] + plan[1]
        points = [p for idx, v in specs for p in _probe_points(prob, idx, v, cfg)[1]]
        if points and F.evals + 1 + len(points) <= F.max_evals:
            before = F.evals
            try:
                values = F.many([x, *points])
            except Exception:
                F.evals = before
            else:
                pre = {_key(idx, v): values[1 + 4 * k : 5 + 4 * k] for k, (idx, v) in enumerate(specs)}
                return values[0], pre
    return F(x), None


def _run_probes(
    F: _Objective,
    f0: float,
    prob: _Problem,
    all_idx: np.ndarray,
    case: KernelCase,
    cfg: GradientConfig,
    rng: np.random.Generator,
    excluded: Counter[str],
    plan: Plan | None = None,
    pre: Prefetched | None = None,
) -> tuple[_State, str]:
    """The planned probes (`plan`, else planned here from `rng`), bisected on kinks and on
    mismatches; (state, why the oracle failed or ""). `pre`: the planned points' values when
    they were evaluated with F(x) (`_base_and_prefetch`); else they are evaluated here."""
    state = _State()
    specs, coords = plan if plan is not None else _plan_probes(prob, all_idx, case, cfg, rng)
    try:
        if pre is None:
            pre = _prefetch(F, prob, specs + coords, cfg)
        for idx, v in specs:
            _bisect(F, f0, prob, idx, v, cfg, state, pre)
        for idx, v in coords:
            if int(idx[0]) not in state.kinked:
                _bisect(F, f0, prob, idx, v, cfg, state, pre)
    except _Found:
        pass
    except _Budget:
        excluded["probes left out (oracle evaluation budget spent)"] += 1
    except Exception as e:
        return state, f"oracle failed on a perturbed input: {type(e).__name__}: {str(e)[:300]}"
    return state, ""


def _recheck_gaps(
    gc: GradientCheck,
    gaps: tuple[Gap, ...],
    F: _Objective,
    prob: _Problem,
    all_idx: np.ndarray,
    case: KernelCase,
    cfg: GradientConfig,
    registry: Any,
) -> None:
    """For each known gap the kernel can hit: the same comparison against a reference with the
    gap's term removed. A gap under which every comparison agrees is recorded in `known_gaps`."""
    import oracle

    applicable = [gp for gp in gaps if gp.applies(F.source64)]
    if not applicable:
        return
    tries = [[gp] for gp in applicable] + ([applicable] if len(applicable) > 1 else [])
    base = registry if registry is not None else oracle.default_registry()
    gcfg = replace(cfg, max_evals=cfg.gap_evals)
    for combo in tries:
        label = "+".join(gp.name for gp in combo)
        src, reg = F.source64, base
        freezers = [Freezer() for _ in combo]
        try:
            for gp, fz in zip(combo, freezers, strict=True):
                src, reg = gp.rewrite(src), reg.with_entries(gp.entries(fz))
            G = _Objective(
                F.oracle_fn, src, case, F.base_args, prob, F.weights, gcfg.max_evals, reg, F.oracle_many
            )
            G.freezers = freezers
            f0 = G(prob.x)  # records the frozen values at the base point
            state, failure = _run_probes(
                G, f0, prob, all_idx, case, gcfg, np.random.default_rng([case.seed, 0x6A9]), Counter()
            )
        except Exception as e:  # the rewritten reference cannot be evaluated: the gap is not confirmed
            gc.gap_checks[label] = f"skipped: {type(e).__name__}: {str(e)[:200]}"
            continue
        if failure:
            gc.gap_checks[label] = f"skipped: {failure}"
        elif state.worst is not None:
            gc.gap_checks[label] = MISMATCH
        elif state.checked == 0:
            gc.gap_checks[label] = SKIPPED
        else:
            gc.gap_checks[label] = VERIFIED
            gc.known_gaps = [gp.name for gp in combo]
            gc.message += f"; vanishes without the term Warp drops ({label}: known gap)"
            return


def _suspects(prob: _Problem, idx: np.ndarray, case: KernelCase) -> np.ndarray:
    """Elements at values where kinks typically sit: zero, (half-)integers, the case's thresholds."""
    x = prob.x[idx]
    sus = (x == np.round(2 * x) / 2) | (np.abs(x) < 1e-6)
    thresholds = {t for p in case.params for t in p.thresholds}
    if thresholds:
        sus |= np.isin(x, np.array(sorted(thresholds), dtype=np.float32).astype(np.float64))
    return np.asarray(sus, dtype=bool)


@dataclass
class _State:
    checked: int = 0
    mismatched: int = 0
    max_rel: float = 0.0
    kinked: set[int] = field(default_factory=set)
    worst: tuple[str, _Probe] | None = None
    closest: _Probe | None = None  # the agreeing comparison nearest its tolerance


def _bisect(
    F: _Objective,
    f0: float,
    prob: _Problem,
    idx: np.ndarray,
    v: np.ndarray,
    cfg: GradientConfig,
    state: _State,
    pre: Prefetched | None = None,
) -> None:
    """Probe direction v on idx; split on kinks (to isolate them) and on mismatches (to localize)."""
    keep = np.array([int(i) not in state.kinked for i in idx], dtype=bool)
    idx, v = idx[keep], v[keep]
    if idx.size == 0:
        return
    pr = _probe(F, f0, prob, idx, v, cfg, pre)
    if pr.kink and idx.size == 1:
        state.kinked.add(int(idx[0]))
        return
    if not pr.kink:
        state.checked += 1
        state.max_rel = max(state.max_rel, pr.rel)
        if pr.ok:
            if state.closest is None or pr.ratio > state.closest.ratio:
                state.closest = pr
            return
        state.mismatched += 1
        where = prob.labels[int(idx[0])] if idx.size == 1 else f"(direction over {idx.size} elements)"
        if state.worst is None or idx.size == 1:
            state.worst = (where, pr)
        if idx.size == 1:
            raise _Found()
    mid = idx.size // 2
    _bisect(F, f0, prob, idx[:mid], v[:mid], cfg, state, pre)
    _bisect(F, f0, prob, idx[mid:], v[mid:], cfg, state, pre)


def check_all_devices(
    kernel: Any,
    case: KernelCase,
    inputs: dict[str, Any],
    devices: tuple[str, ...] | list[str],
    forward: Any,
    registry: Any = None,
    config: GradientConfig | None = None,
) -> list[GradientCheck]:
    """The batch runner's entry: one check per device, each with the same seeded weights."""
    import oracle

    return [
        check_gradients(
            kernel,
            case,
            inputs,
            dev,
            oracle.evaluate,
            np.random.default_rng([case.seed, 0x6AD]),
            forward=forward,
            registry=registry,
            config=config,
            oracle_many=oracle.evaluate_many,
        )  # fmt: skip
        for dev in devices
    ]


def first_mismatch(checks: list[GradientCheck]) -> GradientCheck | None:
    return next((c for c in checks if c.status == MISMATCH), None)
