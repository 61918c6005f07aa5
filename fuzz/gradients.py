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
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from grammar.case import KernelCase, ParamSpec

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
_SCALAR_CTORS = frozenset(
    {
        "float16",
        "float32",
        "float64",
        "int8",
        "int16",
        "int32",
        "int64",
        "uint8",
        "uint16",
        "uint32",
        "uint64",
        "bool",
    }
)
_ORDER_DEPENDENT_ATOMICS = frozenset({"atomic_min", "atomic_max", "atomic_cas", "atomic_exch"})

OracleFn = Callable[..., Any]


@dataclass(frozen=True)
class GradientConfig:
    """How hard to look. rtol scales with the magnitude of the compared terms; step is relative
    to each input's scale; max_evals bounds the oracle evaluations spent on one kernel."""

    rtol: float = 2e-3
    step: float = 1e-6
    directions: int = 2
    coordinates: int = 1
    max_evals: int = 60
    max_rel_forward_err: float = 1e-4


@dataclass
class GradientCheck:
    """Outcome of one device's gradient check (stored as JSON in `CaseResult.gradient_check`).

    checked: directional comparisons made; excluded: counts by reason of input elements, output
    elements and directions left out (kinks, unstable outputs, non-finite values, ...)."""

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


def _wp_name(node: ast.expr) -> str | None:
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id in ("wp", "warp")
    ):
        return node.attr
    return None


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


def unsupported_reason(case: KernelCase) -> str | None:
    """Why Warp's reverse mode is documented not to handle this kernel, or None.

    - dynamic loops (`while`, or `range` not unrolled) that assign variables: Warp documents
      reverse mode through such loops as unsupported;
    - a kernel that reads an array it also writes (in-place updates, read-after-write across
      threads): the recorded forward values are overwritten before the backward pass reads them;
    - float atomics whose result depends on thread order (min/max/cas/exch) or whose returned old
      value is used.
    """
    try:
        tree = ast.parse(case.source)
    except SyntaxError as e:
        return f"source does not parse: {e}"
    written = {p.name for p in case.params if p.role in ("out", "inout")}
    float_arrays = {p.name for p in case.params if _is_float_spec(p)}
    for node in ast.walk(tree):
        if isinstance(node, ast.While) and _assigns(node.body):
            return f"dynamic `while` loop assigning variables (line {node.lineno})"
        if isinstance(node, ast.For):
            trips = _range_trips(node)
            if (trips is None or trips > MAX_UNROLL) and _assigns(node.body):
                return f"dynamic `for` loop assigning variables (line {node.lineno})"
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.ctx, ast.Load)
            and isinstance(node.value, ast.Name)
            and node.value.id in written
        ):
            return f"reads array {node.value.id!r}, which the kernel writes (line {node.lineno})"
        if isinstance(node, ast.Call):
            name = _wp_name(node.func) or ""
            if name.startswith("atomic_") and node.args and isinstance(node.args[0], ast.Name):
                arr = node.args[0].id
                if arr in float_arrays and name in _ORDER_DEPENDENT_ATOMICS:
                    return f"order-dependent float atomic wp.{name} on {arr!r} (line {node.lineno})"
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(node.value, ast.Call):
            name = _wp_name(node.value.func) or ""
            args = node.value.args
            if (
                name.startswith("atomic_")
                and args
                and isinstance(args[0], ast.Name)
                and args[0].id in float_arrays
            ):
                return f"uses the old value returned by float wp.{name} (line {node.lineno})"
    return None


def _assigns(body: list[ast.stmt]) -> bool:
    for st in body:
        for node in ast.walk(st):
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
        name = _wp_name(node)
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
        fname = _wp_name(node.func) or (node.func.id if isinstance(node.func, ast.Name) else None)
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
    import warp as wp

    from fuzz.launch import to_warp_value

    warp_args = []
    arrays: dict[str, Any] = {}
    for arg in kernel.adj.args:
        value = inputs[arg.label]
        if wp.types.is_array(arg.type) and (arg.label in weights or arg.label in wrt):
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
    seeds: dict[Any, Any] = {}
    for name, w in weights.items():
        a = arrays[name]
        seeds[a] = wp.array(np.ascontiguousarray(w, dtype=a.grad.numpy().dtype), dtype=a.dtype, device=device)
    tape.backward(grads=seeds)
    wp.synchronize_device(device)
    out = {name: arrays[name].grad.numpy().astype(np.float64) for name in wrt}
    tape.zero()
    return out


# ---------------------------------------------------------------------------------------------
# the check


@dataclass
class _Problem:
    """Flattened view: x (all checked input elements), g (Warp's gradient), scale per element."""

    names: list[str]
    slices: list[slice]
    shapes: list[tuple[int, ...]]
    x: np.ndarray
    g: np.ndarray
    scale: np.ndarray
    labels: list[str]

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
            results = self.oracle_many(self.source64, name, arg_sets, dim, registry=self.registry)
        else:
            results = [self.oracle_fn(self.source64, name, a, dim, registry=self.registry) for a in arg_sets]
        return [self._total(res) for res in results]

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
    """One directional comparison: `kink` says why the finite differences cannot be trusted."""

    ok: bool
    fd: float
    warp: float
    tol: float
    rel: float
    kink: str = ""


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
    tol = cfg.rtol * (magnitude + abs(fd)) + 4 * abs(c1 - c2) + 10 * noise
    err = abs(warp - fd)
    rel = err / max(magnitude + abs(fd), 1e-300)
    return _Probe(err <= tol, fd, warp, tol, rel)


def _output_weights(
    outs: list[str], forward: Any, rng: np.random.Generator, cfg: GradientConfig, excluded: Counter[str]
) -> dict[str, np.ndarray]:
    """Random adjoint seeds; zero on outputs whose derivative the float64 oracle cannot vouch for."""
    weights = {}
    for name in outs:
        val = np.asarray(forward.arrays[name], dtype=np.float64)
        w = rng.standard_normal(val.shape)
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
) -> GradientCheck:
    """Check the backward pass Warp emitted for `kernel` on `device` against the float64 oracle.

    `forward` is the oracle's (float32) result for `inputs` when the caller already has it: its
    unstable/ill-conditioned outputs are excluded from the objective. `oracle_fn` has the
    signature of `oracle.evaluate`; `oracle_many`, when given, that of `oracle.evaluate_many`
    (the four points of each finite-difference probe are then interpreted in one pass).
    """
    import time

    cfg = config or GradientConfig()
    t0 = time.perf_counter()
    gc = _check(kernel, case, inputs, device, oracle_fn, rng, forward, registry, cfg, oracle_many)
    gc.seconds = time.perf_counter() - t0
    gc.tolerance = cfg.rtol
    return gc


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
    oracle_many: OracleFn | None = None,
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
    reason = unsupported_reason(case)
    if reason:
        return GradientCheck(device, UNSUPPORTED, excluded=dict(excluded), message=reason, inputs=ins)
    if forward is None:
        forward = oracle_fn(case.module_source(), case.kernel_name, inputs, case.dim, registry=registry)
    weights = _output_weights(outs, forward, rng, cfg, excluded)
    if not any(np.any(w != 0) for w in weights.values()):
        return GradientCheck(
            device, SKIPPED, excluded=dict(excluded), message="every output element excluded", inputs=ins
        )
    try:
        grads = warp_gradients(kernel, inputs, case.dim, device, weights, ins)
    except Exception as e:
        return GradientCheck(
            device, MISMATCH, excluded=dict(excluded), inputs=ins,
            message=f"backward pass failed on {device}: {type(e).__name__}: {str(e)[:500]}",
        )  # fmt: skip
    try:
        source64 = float64_source(case.module_source())
    except SyntaxError as e:
        return GradientCheck(device, SKIPPED, message=f"float64 rewrite failed: {e}", inputs=ins)

    names, slices, shapes, xs, gs, labels = [], [], [], [], [], []
    start = 0
    for name in ins:
        x = np.asarray(inputs[name], dtype=np.float64)
        g = grads[name]
        names.append(name)
        shapes.append(x.shape)
        slices.append(slice(start, start + x.size))
        start += x.size
        xs.append(x.ravel())
        gs.append(g.reshape(-1))
        labels.extend(_element_labels(name, x.shape))
    x = np.concatenate(xs)
    g = np.concatenate(gs)
    scale = np.maximum(np.abs(x), max(1e-3 * float(np.max(np.abs(x), initial=0.0)), 1e-6))
    prob = _Problem(names, slices, [tuple(s) for s in shapes], x, g, scale, labels)
    base_args = {k: v for k, v in inputs.items()}
    F = _Objective(oracle_fn, source64, case, base_args, prob, weights, cfg.max_evals, registry, oracle_many)
    try:
        f0 = F(x)
    except Exception as e:
        # the float64 twin may use something the oracle does not model in float64
        return GradientCheck(
            device, SKIPPED, excluded=dict(excluded), inputs=ins, evals=F.evals,
            message=f"oracle cannot evaluate the float64 twin: {type(e).__name__}: {str(e)[:300]}",
        )  # fmt: skip
    usable = np.isfinite(g) & np.isfinite(x)
    if (~usable).any():
        excluded["input with non-finite Warp gradient"] += int((~usable).sum())
    all_idx = np.nonzero(usable)[0]
    if all_idx.size == 0:
        return GradientCheck(device, SKIPPED, excluded=dict(excluded), inputs=ins, message="no usable input")

    state = _State()
    suspect = _suspects(prob, all_idx, case)
    # the planned probes, in order (the random draws do not depend on any outcome)
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
    try:
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
        return GradientCheck(
            device, SKIPPED, excluded=dict(excluded), inputs=ins, evals=F.evals,
            message=f"oracle failed on a perturbed input: {type(e).__name__}: {str(e)[:300]}",
        )  # fmt: skip
    if state.kinked:
        excluded["input element at a kink"] += len(state.kinked)
    gc = GradientCheck(
        device, VERIFIED, max_rel_err=state.max_rel, checked=state.checked,
        excluded=dict(excluded), inputs=ins, evals=F.evals,
    )  # fmt: skip
    if state.worst is not None:
        gc.status = MISMATCH
        where, pr = state.worst
        gc.message = (
            f"d(sum w*out)/d{where}: Warp {pr.warp:.6g} vs finite differences {pr.fd:.6g} "
            f"(|err| {abs(pr.warp - pr.fd):.3g}, tolerance {pr.tol:.3g})"
        )
    elif state.checked == 0:
        gc.status = SKIPPED
        gc.message = "no direction free of kinks; nothing verified"
    else:
        gc.message = f"{state.checked} directional derivatives agree (max rel err {state.max_rel:.2g})"
    return gc


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
