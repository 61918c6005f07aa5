"""Vector / matrix / quaternion / transform productions, and the layouts of their families.

Every composite expression carries one interval bounding all of its scalar components. Guards
keep those bounds below `ccap` (well inside the scalar cap, so a dot product or a matrix product
of two bounded operands stays finite) and keep every builtin well conditioned:
- vectors are clamped component-wise (`wp.min(wp.max(v, T(-r)), T(r))`); other composites that
  would grow past the bound are rejected (the draw is retried);
- `normalize`, `cw_div` and `/` see operands bounded away from zero;
- `inverse` sees only strictly diagonally dominant matrices (`m + identity * (n*r + 1)`, so every
  entry of the inverse lies in [-1, 1]);
- quaternions are unit by construction (normalized constructors and inputs, products, rotations),
  so rotations preserve lengths and `quat_from_matrix` sees rotation matrices only.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import libcst as cst

from grammar.composite import component_scalar, composite, mat_type, vec_type
from grammar.dtypes import FLOATS, Interval, cap, scalar, widen
from grammar.expr import Expr, Rejected, bare_call, binop, call, checked, literal, paren, subscript, wp_attr
from grammar.fixers import FIXER_CALLS, away_from_zero, clamp_mag, clamp_to
from grammar.production import Production

if TYPE_CHECKING:
    from grammar.gen import Gen

VEC_SCALARS = ("float32", "float64", "float16", "int32")
VEC_FLOATS = ("float32", "float64", "float16")
MAT_SCALARS = ("float32", "float64")
VEC_TYPES = tuple(vec_type(n, s) for n in (2, 3, 4) for s in VEC_SCALARS)
MAT_TYPES = tuple(mat_type(n, s) for n in (2, 3, 4) for s in MAT_SCALARS)
QUAT_TYPES = ("quatf", "quatd")
XFORM_TYPES = ("transformf", "transformd")
COMPOSITE_TYPES = VEC_TYPES + MAT_TYPES + QUAT_TYPES + XFORM_TYPES
_QUAT_OF = {"float32": "quatf", "float64": "quatd"}
_XFORM_OF = {"float32": "transformf", "float64": "transformd"}
_SQRT3 = math.sqrt(3.0)

COMPOSITE_CALLS: frozenset[str] = frozenset(
    {
        *COMPOSITE_TYPES,
        "dot", "cross", "length", "length_sq", "normalize", "outer", "cw_mul", "cw_div", "transpose",
        "determinant", "inverse", "inverse_approx", "trace", "ddot", "diag", "get_diag", "identity", "skew", "matrix_from_cols",
        "matrix_from_rows", "norm_l1", "norm_l2", "argmin", "argmax", "min", "max", "abs", "int32",
        "len", "quat_identity", "quat_from_axis_angle", "quat_inverse", "quat_rotate", "quat_rotate_inv",
        "quat_to_matrix", "quat_from_matrix", "quat_rpy", "quat_slerp", "transform_identity",
        "transform_point", "transform_vector", "transform_inverse", "transform_multiply",
        "transform_get_translation", "transform_get_rotation", "extract", "assign_inplace",
        "float16", "float32", "float64", "clamp",
    }
)  # fmt: skip


# ---- bounds and fixers -----------------------------------------------------------------------


def ccap(s: str) -> float:
    """Component bound for composites of scalar `s` (products of two stay inside `cap(s)`)."""
    return {"float16": 16.0, "float32": 1.0e3, "float64": 1.0e4, "int32": 1.0e3}[s]


def kind(dtype: str) -> str:
    c = composite(dtype)
    return "" if c is None else c.kind


def dim(dtype: str) -> int:
    c = composite(dtype)
    assert c is not None, dtype
    return c.shape[0]


def sym(r: float) -> Interval:
    return Interval(-r, r)


def fill(dtype: str, v: float) -> cst.BaseExpression:
    """`T(v)`: every component of vector type `T` set to the literal v."""
    return call(dtype, literal(component_scalar(dtype), v).node)


def fit(e: Expr, r: float) -> Expr:
    """Bring every component of `e` into [-r, r]: clamp a vector, reject anything else."""
    if e.iv.within(sym(r)):
        return e
    s = component_scalar(e.dtype)
    if s == "int32":
        r = math.floor(r)
    if kind(e.dtype) == "vec":
        node = call("min", call("max", e.node, fill(e.dtype, -r)), fill(e.dtype, r))
        return checked(Expr(node, e.dtype, e.iv.clip(-r, r)))
    raise Rejected(f"{e.dtype} operand bounded by {e.iv.mag:g} exceeds {r:g}")


def vec_away(gen: Gen, e: Expr, m: float) -> Expr:
    """A vector whose every component has magnitude >= m (`wp.max(v, T(m))` / `wp.min(v, T(-m))`)."""
    if e.iv.excludes_zero_by(m):
        return e
    if gen.rng.chance(0.5):
        iv = Interval(max(e.iv.lo, m), max(e.iv.hi, m))
        return checked(Expr(call("max", e.node, fill(e.dtype, m)), e.dtype, iv))
    iv = Interval(min(e.iv.lo, -m), min(e.iv.hi, -m))
    return checked(Expr(call("min", e.node, fill(e.dtype, -m)), e.dtype, iv))


def unit_axis(gen: Gen, e: Expr) -> Expr:
    """`wp.normalize(v)` of a vector bounded away from zero: a unit axis."""
    v = vec_away(gen, fit(e, ccap(component_scalar(e.dtype))), 0.5)
    return Expr(call("normalize", v.node), e.dtype, widen(component_scalar(e.dtype), sym(1.0)))


def _typed(s: str) -> cst.BaseExpression:
    return wp_attr(s)


# ---- production helpers ------------------------------------------------------------------------

ArgsFn = Callable[["Gen", str], "tuple[str, ...] | None"]


def _p(
    name: str,
    tag: str,
    args: ArgsFn,
    interval: Callable[[str, list[Expr]], Interval],
    emit: Callable[[Gen, str, list[Expr]], cst.BaseExpression],
    guard: Callable[[Gen, str, list[Expr]], list[Expr]] | None = None,
    calls: frozenset[str] = frozenset(),
    operators: frozenset[str] = frozenset(),
    weight: float = 1.0,
    rounds: bool = True,
    makes: tuple[str, ...] = (),
) -> Production:
    """A composite production; `makes` lists its result types (the registry probe can't guess)."""
    return Production(
        name=name,
        tag=tag,
        args=args,
        interval=interval,
        emit=_no_plain_emit,
        guard=guard or (lambda g, d, a: a),
        calls=calls,
        operators=operators,
        weight=weight,
        rounds=rounds,
        emit_typed=emit,
        makes=frozenset(makes),
    )


def _no_plain_emit(a: list[cst.BaseExpression]) -> cst.BaseExpression:
    raise AssertionError("composite productions emit through emit_typed")


def _call_emit(fn: str) -> Callable[[Gen, str, list[Expr]], cst.BaseExpression]:
    return lambda g, d, a: call(fn, *[x.node for x in a])


def _op_emit(op: type[cst.BaseBinaryOp]) -> Callable[[Gen, str, list[Expr]], cst.BaseExpression]:
    return lambda g, d, a: binop(a[0].node, op(), a[1].node)


def _vec_of(gen: Gen, s: str, sizes: tuple[int, ...] = (2, 3, 4)) -> str:
    return vec_type(gen.rng.pick(sizes), s)


def _only(types: tuple[str, ...], fn: ArgsFn) -> ArgsFn:
    def args(gen: Gen, d: str) -> tuple[str, ...] | None:
        return fn(gen, d) if d in types else None

    return args


def _union(d: str, a: list[Expr]) -> Interval:
    iv = a[0].iv
    for x in a[1:]:
        iv = iv.union(x.iv)
    return iv


# ---- what vectors and matrices share: construction and elementwise arithmetic ------------------


@dataclass(frozen=True)
class ElementwiseForm:
    """What differs between the vector and the matrix forms of the shared productions.

    prefix: of the production names (`vadd`, `madd`, ...); tag: the family tag; types: the result
    types; fixed_calls: the calls `fit` may add (vectors are clamped with `wp.min`/`wp.max` of
    filled constructors, matrices are rejected instead, so they add none); weights of add, sub,
    neg and scale; scale_calls: the calls of the scaled form (a clamped scalar factor).
    """

    prefix: str
    tag: str
    types: tuple[str, ...]
    fixed_calls: frozenset[str]
    weights: tuple[float, float, float, float]
    scale_calls: frozenset[str]


VECTOR_FORM = ElementwiseForm(
    "v", "vector", VEC_TYPES, frozenset(VEC_TYPES) | FIXER_CALLS, (1.5, 1.0, 0.3, 1.0),
    frozenset(VEC_TYPES) | FIXER_CALLS,
)  # fmt: skip
MATRIX_FORM = ElementwiseForm("m", "matrix", MAT_TYPES, frozenset(), (1.0, 0.5, 0.2, 0.7), FIXER_CALLS)


def _ctor_guard(gen: Gen, d: str, a: list[Expr]) -> list[Expr]:
    r = ccap(component_scalar(d))
    return [clamp_mag(x, r) for x in a]


def _ctor_args(gen: Gen, d: str) -> tuple[str, ...]:
    return (component_scalar(d),) * composite(d).size  # type: ignore[union-attr]


def _add_guard(gen: Gen, d: str, a: list[Expr]) -> list[Expr]:
    r = ccap(component_scalar(d)) / 2
    return [fit(x, r) for x in a]


def _scale_guard(gen: Gen, d: str, a: list[Expr]) -> list[Expr]:
    s, c = a
    r = ccap(component_scalar(d))
    c = fit(c, r)
    if s.iv.mag * max(c.iv.mag, 1.0) > r:
        s = clamp_mag(s, r / max(c.iv.mag, 1.0))
    return [s, c]


def _root_cap_guard(gen: Gen, d: str, a: list[Expr]) -> list[Expr]:
    """Operands bounded by sqrt(ccap): a product of two components stays inside ccap."""
    r = math.sqrt(ccap(component_scalar(d)))
    return [fit(x, r) for x in a]


def _scale_iv(d: str, a: list[Expr]) -> Interval:
    m = a[0].iv.mag * a[1].iv.mag
    return sym(m) if component_scalar(d) != "int32" else sym(math.ceil(m))


def constructor_production(name: str, types: tuple[str, ...], weight: float) -> Production:
    """`T(c0, c1, ...)`: every component a bounded scalar (a vector's n, a matrix's n*n)."""
    return _p(
        name,
        name,
        _ctor_args,
        _union,
        lambda g, d, a: call(d, *[x.node for x in a]),
        _ctor_guard,
        calls=frozenset(types) | FIXER_CALLS,
        makes=types,
        rounds=False,
        weight=weight,
    )


def elementwise_productions(form: ElementwiseForm) -> tuple[Production, ...]:
    """`a + b`, `a - b`, `-a` and `s * a` (either order) of one form."""
    w_add, w_sub, w_neg, w_scale = form.weights
    return (
        _p(
            f"{form.prefix}add",
            form.tag,
            lambda g, d: (d, d),
            lambda d, a: Interval(a[0].iv.lo + a[1].iv.lo, a[0].iv.hi + a[1].iv.hi),
            _op_emit(cst.Add),
            _add_guard,
            calls=form.fixed_calls,
            operators=frozenset({"Add"}),
            makes=form.types,
            weight=w_add,
        ),
        _p(
            f"{form.prefix}sub",
            form.tag,
            lambda g, d: (d, d),
            lambda d, a: Interval(a[0].iv.lo - a[1].iv.hi, a[0].iv.hi - a[1].iv.lo),
            _op_emit(cst.Subtract),
            _add_guard,
            calls=form.fixed_calls,
            operators=frozenset({"Sub"}),
            makes=form.types,
            weight=w_sub,
        ),
        _p(
            f"{form.prefix}neg",
            form.tag,
            lambda g, d: (d,),
            lambda d, a: Interval(-a[0].iv.hi, -a[0].iv.lo),
            lambda g, d, a: cst.UnaryOperation(cst.Minus(), paren(a[0].node)),
            operators=frozenset({"USub"}),
            makes=form.types,
            rounds=False,
            weight=w_neg,
        ),
        _p(
            f"{form.prefix}scale",
            form.tag,
            lambda g, d: (component_scalar(d), d),
            _scale_iv,
            lambda g, d, a: (
                binop(a[0].node, cst.Multiply(), a[1].node)
                if g.rng.chance(0.5)
                else binop(a[1].node, cst.Multiply(), a[0].node)
            ),
            _scale_guard,
            calls=form.scale_calls,
            operators=frozenset({"Mult"}),
            makes=form.types,
            weight=w_scale,
        ),
    )


# ---- vectors -----------------------------------------------------------------------------------


def vector_productions() -> tuple[Production, ...]:
    def div_guard(gen: Gen, d: str, a: list[Expr]) -> list[Expr]:
        v, s = a
        s = away_from_zero(gen.rng, clamp_mag(s, ccap(component_scalar(d))), 0.5)
        return [fit(v, ccap(component_scalar(d)) / 2), s]

    def cw_div_guard(gen: Gen, d: str, a: list[Expr]) -> list[Expr]:
        r = ccap(component_scalar(d))
        return [fit(a[0], r / 2), vec_away(gen, fit(a[1], r), 0.5)]

    def minmax(fn: str) -> Production:
        f = min if fn == "min" else max
        return _p(
            f"v{fn}",
            "vector",
            lambda g, d: (d, d),
            lambda d, a: Interval(f(a[0].iv.lo, a[1].iv.lo), f(a[0].iv.hi, a[1].iv.hi)),
            _call_emit(fn),
            calls=frozenset({fn}),
            rounds=False,
            makes=VEC_TYPES,
            weight=0.4,
        )

    def abs_iv(d: str, a: list[Expr]) -> Interval:
        iv = a[0].iv
        return Interval(0 if iv.contains(0) else min(abs(iv.lo), abs(iv.hi)), iv.mag)

    def normalize_guard(gen: Gen, d: str, a: list[Expr]) -> list[Expr]:
        return [vec_away(gen, fit(a[0], ccap(component_scalar(d))), 0.5)]

    def cross_guard(gen: Gen, d: str, a: list[Expr]) -> list[Expr]:
        r = math.sqrt(ccap(component_scalar(d)) / 2)
        return [fit(x, r) for x in a]

    def matvec_args(gen: Gen, d: str) -> tuple[str, ...]:
        n = dim(d)
        return (mat_type(n, component_scalar(d)), d)

    def matvec_guard(gen: Gen, d: str, a: list[Expr]) -> list[Expr]:
        m, v = a
        r = ccap(component_scalar(d))
        n = dim(d)
        m = fit(m, math.sqrt(r / n))
        return [m, fit(v, r / n / max(m.iv.mag, 1.0))]

    def rotate_guard(gen: Gen, d: str, a: list[Expr]) -> list[Expr]:
        return [a[0], fit(a[1], ccap(component_scalar(d)) / 2)]

    def rot_iv(d: str, a: list[Expr]) -> Interval:
        return sym(_SQRT3 * a[1].iv.mag * 1.001)

    def xf_point_guard(gen: Gen, d: str, a: list[Expr]) -> list[Expr]:
        t, v = a
        r = ccap(component_scalar(d)) / 4
        return [fit(t, r), fit(v, r)]

    def row_emit(g: Gen, d: str, a: list[Expr]) -> cst.BaseExpression:
        return subscript(paren(a[0].node), cst.Integer(str(g.rng.integer(0, dim(d) - 1))))

    v3f = tuple(t for t in VEC_TYPES if t.startswith("vec3") and component_scalar(t) in MAT_SCALARS)
    vfl = tuple(t for t in VEC_TYPES if component_scalar(t) in VEC_FLOATS)
    vmat = tuple(t for t in VEC_TYPES if component_scalar(t) in MAT_SCALARS)
    return (
        constructor_production("vector", VEC_TYPES, 1.5),
        _p(
            "vector_fill",
            "vector",
            lambda g, d: (component_scalar(d),),
            _union,
            lambda g, d, a: call(d, a[0].node),
            _ctor_guard,
            calls=frozenset(VEC_TYPES) | FIXER_CALLS,
            makes=VEC_TYPES,
            rounds=False,
            weight=0.3,
        ),
        *elementwise_productions(VECTOR_FORM),
        _p(
            "vdiv",
            "vector",
            lambda g, d: (d, component_scalar(d)),
            lambda d, a: sym(a[0].iv.mag / _min_abs(a[1].iv)),
            _op_emit(cst.Divide),
            div_guard,
            calls=frozenset(VEC_TYPES) | FIXER_CALLS,
            operators=frozenset({"Div", "Add"}),
            makes=vfl,
            weight=0.5,
        ),
        _p(
            "cw_mul",
            "vector",
            lambda g, d: (d, d),
            lambda d, a: sym(a[0].iv.mag * a[1].iv.mag),
            _call_emit("cw_mul"),
            _root_cap_guard,
            calls=frozenset({"cw_mul"} | set(VEC_TYPES)) | FIXER_CALLS,
            makes=VEC_TYPES,
            weight=0.5,
        ),
        _p(
            "cw_div",
            "vector",
            lambda g, d: (d, d),
            lambda d, a: sym(a[0].iv.mag / _min_abs(a[1].iv)),
            _call_emit("cw_div"),
            cw_div_guard,
            calls=frozenset({"cw_div"} | set(VEC_TYPES)) | FIXER_CALLS,
            makes=vfl,
            weight=0.5,
        ),
        minmax("min"),
        minmax("max"),
        _p(
            "vabs",
            "vector",
            lambda g, d: (d,),
            abs_iv,
            _call_emit("abs"),
            calls=frozenset({"abs"}),
            makes=VEC_TYPES,
            rounds=False,
            weight=0.3,
        ),
        _p(
            "normalize",
            "vector",
            lambda g, d: (d,),
            lambda d, a: sym(1.0),
            _call_emit("normalize"),
            normalize_guard,
            calls=frozenset({"normalize"} | set(VEC_TYPES)) | FIXER_CALLS,
            makes=vfl,
            weight=0.6,
        ),
        _p(
            "cross",
            "vector",
            lambda g, d: (d, d),
            lambda d, a: sym(2 * a[0].iv.mag * a[1].iv.mag),
            _call_emit("cross"),
            cross_guard,
            calls=frozenset({"cross"} | set(VEC_TYPES)) | FIXER_CALLS,
            makes=v3f,
            weight=0.6,
        ),
        _p(
            "matvec",
            "matrix",
            matvec_args,
            lambda d, a: sym(dim(d) * a[0].iv.mag * a[1].iv.mag),
            _op_emit(cst.Multiply),
            matvec_guard,
            calls=frozenset(VEC_TYPES) | FIXER_CALLS,
            operators=frozenset({"Mult"}),
            makes=vmat,
        ),
        _p(
            "get_diag",
            "matrix",
            lambda g, d: (mat_type(dim(d), component_scalar(d)),),
            lambda d, a: a[0].iv,
            _call_emit("get_diag"),
            calls=frozenset({"get_diag"}),
            makes=vmat,
            rounds=False,
            weight=0.5,
        ),
        _p(
            "mat_row",
            "matrix",
            lambda g, d: (mat_type(dim(d), component_scalar(d)),),
            lambda d, a: a[0].iv,
            row_emit,
            calls=frozenset({"extract"}),
            makes=vmat,
            rounds=False,
            weight=0.5,
        ),
        _p(
            "quat_rotate",
            "quat",
            lambda g, d: (_QUAT_OF[component_scalar(d)], d),
            rot_iv,
            lambda g, d, a: call(g.rng.pick(("quat_rotate", "quat_rotate_inv")), a[0].node, a[1].node),
            rotate_guard,
            calls=frozenset({"quat_rotate", "quat_rotate_inv"} | set(VEC_TYPES)) | FIXER_CALLS,
            makes=v3f,
        ),
        _p(
            "transform_point",
            "transform",
            lambda g, d: (_XFORM_OF[component_scalar(d)], d),
            lambda d, a: sym((a[0].iv.mag + _SQRT3 * a[1].iv.mag) * 1.001),
            lambda g, d, a: call(g.rng.pick(("transform_point", "transform_vector")), a[0].node, a[1].node),
            xf_point_guard,
            calls=frozenset({"transform_point", "transform_vector"} | set(VEC_TYPES)) | FIXER_CALLS,
            makes=v3f,
        ),
        _p(
            "transform_get_translation",
            "transform",
            lambda g, d: (_XFORM_OF[component_scalar(d)],),
            lambda d, a: a[0].iv,
            _call_emit("transform_get_translation"),
            calls=frozenset({"transform_get_translation"}),
            makes=v3f,
            rounds=False,
            weight=0.5,
        ),
    )


def _min_abs(iv: Interval) -> float:
    return 0.0 if iv.contains(0) else min(abs(iv.lo), abs(iv.hi))


# ---- scalars read from composites --------------------------------------------------------------


def reduction_productions() -> tuple[Production, ...]:
    """Scalar results of composites: dot, lengths, norms, components, len, argmin/argmax, det, trace."""

    def vec_arg(ints: bool) -> ArgsFn:
        def args(gen: Gen, d: str) -> tuple[str, ...] | None:
            if d not in VEC_SCALARS or (d == "int32" and not ints):
                return None
            return (_vec_of(gen, d),)

        return args

    def dot_args(gen: Gen, d: str) -> tuple[str, ...] | None:
        if d not in VEC_SCALARS:
            return None
        t = _QUAT_OF[d] if d in _QUAT_OF and gen.rng.chance(0.15) else _vec_of(gen, d)
        return (t, t)

    def dot_guard(gen: Gen, d: str, a: list[Expr]) -> list[Expr]:
        n = composite(a[0].dtype).size  # type: ignore[union-attr]
        r = math.sqrt(ccap(d) / n)
        return [fit(x, r) for x in a]

    def len_guard(gen: Gen, d: str, a: list[Expr]) -> list[Expr]:
        n = dim(a[0].dtype)
        return [fit(a[0], math.sqrt(ccap(d) / n))]

    def component_emit(g: Gen, d: str, a: list[Expr]) -> cst.BaseExpression:
        t = a[0].dtype
        if kind(t) == "mat":
            n = dim(t)
            i, j = g.rng.integer(0, n - 1), g.rng.integer(0, n - 1)
            return subscript(paren(a[0].node), cst.Integer(str(i)), cst.Integer(str(j)))
        k = g.rng.integer(0, composite(t).size - 1)  # type: ignore[union-attr]
        if k < 4 and kind(t) in ("vec", "quat") and g.rng.chance(0.4):
            return cst.Attribute(value=paren(a[0].node), attr=cst.Name("xyzw"[k]))
        return subscript(paren(a[0].node), cst.Integer(str(k)))

    def component_args(gen: Gen, d: str) -> tuple[str, ...] | None:
        if d not in VEC_SCALARS:
            return None
        opts = [_vec_of(gen, d)]
        if d in MAT_SCALARS:
            opts += [mat_type(gen.rng.integer(2, 4), d), _QUAT_OF[d]]
        return (gen.rng.pick(opts),)

    def arg_args(gen: Gen, d: str) -> tuple[str, ...] | None:
        return (_vec_of(gen, gen.rng.pick(VEC_SCALARS)),) if d == "int32" else None

    def arg_emit(g: Gen, d: str, a: list[Expr]) -> cst.BaseExpression:
        return call("int32", call(g.rng.pick(("argmin", "argmax")), a[0].node))

    def len_args(gen: Gen, d: str) -> tuple[str, ...] | None:
        return (_vec_of(gen, gen.rng.pick(VEC_SCALARS)),) if d == "int32" else None

    def mat_args(gen: Gen, d: str) -> tuple[str, ...] | None:
        return (mat_type(gen.rng.integer(2, 4), d),) if d in MAT_SCALARS else None

    def det_guard(gen: Gen, d: str, a: list[Expr]) -> list[Expr]:
        n = dim(a[0].dtype)
        # Hadamard: |det| <= (sqrt(n) r)^n; keep it far below the cap
        r = (cap(d).hi / 100) ** (1.0 / n) / math.sqrt(n)
        return [fit(a[0], min(r, ccap(d)))]

    def det_iv(d: str, a: list[Expr]) -> Interval:
        n = dim(a[0].dtype)
        return sym((math.sqrt(n) * a[0].iv.mag) ** n * 1.01)

    def trace_guard(gen: Gen, d: str, a: list[Expr]) -> list[Expr]:
        return [fit(a[0], ccap(d))]

    def two_mats(gen: Gen, d: str) -> tuple[str, ...] | None:
        m = mat_args(gen, d)
        return None if m is None else m * 2

    def ddot_guard(gen: Gen, d: str, a: list[Expr]) -> list[Expr]:
        # like matmul's guard: the sum of n*n products stays inside ccap(d)
        r = math.sqrt(ccap(d)) / dim(a[0].dtype)
        return [fit(x, r) for x in a]

    fl = VEC_FLOATS
    return (
        _p(
            "dot",
            "vector",
            dot_args,
            lambda d, a: sym(composite(a[0].dtype).size * a[0].iv.mag * a[1].iv.mag),  # type: ignore[union-attr]
            _call_emit("dot"),
            dot_guard,
            calls=frozenset({"dot"} | set(VEC_TYPES)) | FIXER_CALLS,
            makes=VEC_SCALARS,
        ),
        _p(
            "length",
            "vector",
            vec_arg(False),
            lambda d, a: Interval(0.0, math.sqrt(dim(a[0].dtype)) * a[0].iv.mag),
            # wp.norm_l1/norm_l2 are warp.math @wp.funcs declared `-> float`: in Warp 1.19 norm_l1 of
            # a float64/float16 vector fails to compile ("Input types must be the same"), so both
            # are drawn for float32 vectors only
            lambda g, d, a: call(
                g.rng.pick(("length", "norm_l2")) if d == "float32" else "length", a[0].node
            ),
            len_guard,
            calls=frozenset({"length", "norm_l2"} | set(VEC_TYPES)) | FIXER_CALLS,
            makes=fl,
            weight=0.7,
        ),
        _p(
            "length_sq",
            "vector",
            vec_arg(True),
            lambda d, a: Interval(0.0, dim(a[0].dtype) * a[0].iv.mag ** 2),
            _call_emit("length_sq"),
            len_guard,
            calls=frozenset({"length_sq"} | set(VEC_TYPES)) | FIXER_CALLS,
            makes=VEC_SCALARS,
            weight=0.5,
        ),
        _p(
            "norm_l1",
            "vector",
            vec_arg(False),
            lambda d, a: Interval(0.0, dim(a[0].dtype) * a[0].iv.mag),
            _call_emit("norm_l1"),
            len_guard,
            calls=frozenset({"norm_l1"} | set(VEC_TYPES)) | FIXER_CALLS,
            makes=("float32",),
            weight=0.4,
        ),
        _p(
            "component",
            "vector",
            component_args,
            lambda d, a: a[0].iv,
            component_emit,
            calls=frozenset({"extract"}),
            makes=VEC_SCALARS,
            rounds=False,
            weight=1.5,
        ),
        _p(
            "argminmax",
            "vector",
            arg_args,
            lambda d, a: Interval(0, dim(a[0].dtype) - 1),
            arg_emit,
            calls=frozenset({"argmin", "argmax", "int32"}),
            makes=("int32",),
            rounds=False,
            weight=0.3,
        ),
        _p(
            "len",
            "vector",
            len_args,
            lambda d, a: Interval(dim(a[0].dtype), dim(a[0].dtype)),
            # int(...): Warp folds len() to a constant, and a variable bound to a constant may not
            # be changed inside a dynamic loop ("Error mutating a constant ... inside a dynamic loop")
            lambda g, d, a: bare_call("int", bare_call("len", a[0].node)),
            calls=frozenset({"len", "int"}),
            makes=("int32",),
            rounds=False,
            weight=0.2,
        ),
        _p(
            "determinant",
            "matrix",
            mat_args,
            det_iv,
            _call_emit("determinant"),
            det_guard,
            calls=frozenset({"determinant"}),
            makes=MAT_SCALARS,
            weight=0.6,
        ),
        _p(
            "trace",
            "matrix",
            mat_args,
            lambda d, a: sym(dim(a[0].dtype) * a[0].iv.mag),
            _call_emit("trace"),
            trace_guard,
            calls=frozenset({"trace"}),
            makes=MAT_SCALARS,
            weight=0.5,
        ),
        _p(
            "ddot",
            "matrix",
            two_mats,
            # mat.h ddot: sum over all n*n entries of a[i, j] * b[i, j]
            lambda d, a: sym(dim(a[0].dtype) ** 2 * a[0].iv.mag * a[1].iv.mag),
            _call_emit("ddot"),
            ddot_guard,
            calls=frozenset({"ddot"}),
            makes=MAT_SCALARS,
            weight=0.4,
        ),
    )


# ---- matrices ----------------------------------------------------------------------------------


def identity_node(n: int, s: str) -> cst.BaseExpression:
    return call("identity", n=cst.Integer(str(n)), dtype=_typed(s))


def matrix_productions() -> tuple[Production, ...]:
    def vec_n(gen: Gen, d: str) -> tuple[str, ...]:
        return (vec_type(dim(d), component_scalar(d)),)

    def two_vecs(gen: Gen, d: str) -> tuple[str, ...]:
        return vec_n(gen, d) * 2

    def matmul_guard(gen: Gen, d: str, a: list[Expr]) -> list[Expr]:
        r = math.sqrt(ccap(component_scalar(d)) / dim(d))
        return [fit(x, r) for x in a]

    def inverse_guard(gen: Gen, d: str, a: list[Expr]) -> list[Expr]:
        """Shift the diagonal by n*r + 1: strictly diagonally dominant by 1, so |inverse| <= 1."""
        m = a[0]
        s = component_scalar(d)
        n = dim(d)
        m = fit(m, 8.0)
        k = math.ceil(n * m.iv.mag + 1.0)
        node = binop(m.node, cst.Add(), binop(identity_node(n, s), cst.Multiply(), literal(s, k).node))
        return [Expr(node, d, Interval(m.iv.lo - 0.0, m.iv.hi + k))]

    def rows_emit(g: Gen, d: str, a: list[Expr]) -> cst.BaseExpression:
        return call(g.rng.pick(("matrix_from_rows", "matrix_from_cols")), *[x.node for x in a])

    def rows_args(gen: Gen, d: str) -> tuple[str, ...]:
        return vec_n(gen, d) * dim(d)

    def skew_args(gen: Gen, d: str) -> tuple[str, ...] | None:
        return (vec_type(3, component_scalar(d)),) if dim(d) == 3 else None

    def q2m_args(gen: Gen, d: str) -> tuple[str, ...] | None:
        return (_QUAT_OF[component_scalar(d)],) if dim(d) == 3 else None

    def mat_guard(gen: Gen, d: str, a: list[Expr]) -> list[Expr]:
        return [fit(x, ccap(component_scalar(d))) for x in a]

    ops = FIXER_CALLS | frozenset(VEC_TYPES)
    return (
        constructor_production("matrix", MAT_TYPES, 0.5),
        _p(
            "identity",
            "matrix",
            lambda g, d: (),
            lambda d, a: Interval(0.0, 1.0),
            lambda g, d, a: identity_node(dim(d), component_scalar(d)),
            calls=frozenset({"identity"}),
            makes=MAT_TYPES,
            rounds=False,
            weight=0.3,
        ),
        _p(
            "outer",
            "matrix",
            two_vecs,
            lambda d, a: sym(a[0].iv.mag * a[1].iv.mag),
            _call_emit("outer"),
            _root_cap_guard,
            calls=frozenset({"outer"}) | ops,
            makes=MAT_TYPES,
        ),
        _p(
            "diag",
            "matrix",
            vec_n,
            lambda d, a: a[0].iv.union(Interval(0, 0)),
            _call_emit("diag"),
            mat_guard,
            calls=frozenset({"diag"}) | ops,
            makes=MAT_TYPES,
            rounds=False,
            weight=0.6,
        ),
        _p(
            "skew",
            "matrix",
            skew_args,
            lambda d, a: sym(a[0].iv.mag),
            _call_emit("skew"),
            mat_guard,
            calls=frozenset({"skew"}) | ops,
            makes=tuple(t for t in MAT_TYPES if t.startswith("mat33")),
            rounds=False,
            weight=0.5,
        ),
        _p(
            "matrix_from_rows",
            "matrix",
            rows_args,
            _union,
            rows_emit,
            mat_guard,
            calls=frozenset({"matrix_from_rows", "matrix_from_cols"}) | ops,
            makes=MAT_TYPES,
            rounds=False,
            weight=0.6,
        ),
        _p(
            "transpose",
            "matrix",
            lambda g, d: (d,),
            lambda d, a: a[0].iv,
            _call_emit("transpose"),
            calls=frozenset({"transpose"}),
            makes=MAT_TYPES,
            rounds=False,
            weight=0.6,
        ),
        *elementwise_productions(MATRIX_FORM),
        _p(
            "matmul",
            "matrix",
            lambda g, d: (d, d),
            lambda d, a: sym(dim(d) * a[0].iv.mag * a[1].iv.mag),
            _op_emit(cst.Multiply),
            matmul_guard,
            operators=frozenset({"Mult"}),
            makes=MAT_TYPES,
        ),
        _p(
            "inverse",
            "matrix",
            lambda g, d: (d,),
            lambda d, a: sym(1.0),
            # inverse_approx: the same inversion on CPU (mat.h), approximate division on CUDA
            lambda g, d, a: call(
                "inverse_approx" if "approx_ops" not in g.lacking and g.rng.chance(0.25) else "inverse",
                a[0].node,
            ),
            inverse_guard,
            calls=frozenset({"inverse", "inverse_approx", "identity"}),
            operators=frozenset({"Add", "Mult"}),
            makes=MAT_TYPES,
            weight=0.7,
        ),
        _p(
            "quat_to_matrix",
            "quat",
            q2m_args,
            lambda d, a: sym(1.0),
            _call_emit("quat_to_matrix"),
            calls=frozenset({"quat_to_matrix"}),
            makes=tuple(t for t in MAT_TYPES if t.startswith("mat33")),
        ),
    )


# ---- quaternions and transforms (unit rotations by construction) -------------------------------


def quat_ctor(gen: Gen, d: str, parts: list[Expr]) -> Expr:
    """`wp.normalize(wp.quatf(x, y, z, w))` with |w| >= 0.5, so the norm is far from zero."""
    s = component_scalar(d)
    parts = [clamp_mag(p, 4.0) for p in parts]
    parts[3] = away_from_zero(gen.rng, parts[3], 0.5)
    node = call("normalize", call(d, *[p.node for p in parts]))
    return Expr(node, d, widen(s, sym(1.0)))


def quat_productions() -> tuple[Production, ...]:
    def s_of(d: str) -> str:
        return component_scalar(d)

    def ident_emit(g: Gen, d: str, a: list[Expr]) -> cst.BaseExpression:
        return call("quat_identity", dtype=_typed(s_of(d)))

    def aa_args(gen: Gen, d: str) -> tuple[str, ...]:
        return (vec_type(3, s_of(d)), s_of(d))

    def aa_guard(gen: Gen, d: str, a: list[Expr]) -> list[Expr]:
        return [unit_axis(gen, a[0]), clamp_to(a[1], -6.5, 6.5)]

    def rpy_guard(gen: Gen, d: str, a: list[Expr]) -> list[Expr]:
        return [clamp_to(x, -3.5, 3.5) for x in a]

    def slerp_guard(gen: Gen, d: str, a: list[Expr]) -> list[Expr]:
        return [a[0], a[1], clamp_to(a[2], 0.0, 1.0)]

    def ctor_guard(gen: Gen, d: str, a: list[Expr]) -> list[Expr]:
        q = quat_ctor(gen, d, a)
        return [q]

    def from_matrix_emit(g: Gen, d: str, a: list[Expr]) -> cst.BaseExpression:
        return call("quat_from_matrix", call("quat_to_matrix", a[0].node))

    unit = widen("float64", sym(1.0))
    qt = QUAT_TYPES
    return (
        _p(
            "quat_identity",
            "quat",
            lambda g, d: (),
            lambda d, a: Interval(0.0, 1.0),
            ident_emit,
            calls=frozenset({"quat_identity"}),
            makes=qt,
            rounds=False,
            weight=0.3,
        ),
        _p(
            "quaternion",
            "quat",
            lambda g, d: (s_of(d),) * 4,
            lambda d, a: a[0].iv,
            lambda g, d, a: a[0].node,
            ctor_guard,
            calls=frozenset({"normalize", *qt}) | FIXER_CALLS,
            operators=frozenset({"Add"}),
            makes=qt,
        ),
        _p(
            "quat_from_axis_angle",
            "quat",
            aa_args,
            lambda d, a: sym(1.0),
            _call_emit("quat_from_axis_angle"),
            aa_guard,
            calls=frozenset({"quat_from_axis_angle", "normalize", "clamp"} | set(VEC_TYPES)) | FIXER_CALLS,
            makes=qt,
        ),
        _p(
            "quat_rpy",
            "quat",
            lambda g, d: (s_of(d),) * 3,
            lambda d, a: sym(1.0),
            _call_emit("quat_rpy"),
            rpy_guard,
            calls=frozenset({"quat_rpy", "clamp"}),
            makes=qt,
            weight=0.6,
        ),
        _p(
            "quat_inverse",
            "quat",
            lambda g, d: (d,),
            lambda d, a: a[0].iv.union(Interval(-a[0].iv.hi, -a[0].iv.lo)),
            _call_emit("quat_inverse"),
            calls=frozenset({"quat_inverse"}),
            makes=qt,
            rounds=False,
            weight=0.6,
        ),
        _p(
            "quat_mul",
            "quat",
            lambda g, d: (d, d),
            lambda d, a: unit,
            _op_emit(cst.Multiply),
            operators=frozenset({"Mult"}),
            makes=qt,
        ),
        _p(
            "quat_slerp",
            "quat",
            lambda g, d: (d, d, s_of(d)),
            lambda d, a: unit,
            _call_emit("quat_slerp"),
            slerp_guard,
            calls=frozenset({"quat_slerp", "clamp"}),
            makes=qt,
            weight=0.5,
        ),
        _p(
            "quat_from_matrix",
            "quat",
            lambda g, d: (d,),
            lambda d, a: unit,
            from_matrix_emit,
            calls=frozenset({"quat_from_matrix", "quat_to_matrix"}),
            makes=qt,
            weight=0.4,
        ),
        _p(
            "transform_get_rotation",
            "transform",
            lambda g, d: (_XFORM_OF[s_of(d)],),
            lambda d, a: unit,
            _call_emit("transform_get_rotation"),
            calls=frozenset({"transform_get_rotation"}),
            makes=qt,
            rounds=False,
            weight=0.5,
        ),
    )


def transform_productions() -> tuple[Production, ...]:
    def s_of(d: str) -> str:
        return component_scalar(d)

    def ctor_guard(gen: Gen, d: str, a: list[Expr]) -> list[Expr]:
        return [fit(a[0], ccap(s_of(d)) / 4), a[1]]

    def mul_guard(gen: Gen, d: str, a: list[Expr]) -> list[Expr]:
        r = ccap(s_of(d)) / 8
        return [fit(x, r) for x in a]

    def inv_guard(gen: Gen, d: str, a: list[Expr]) -> list[Expr]:
        return [fit(a[0], ccap(s_of(d)) / 4)]

    xt = XFORM_TYPES
    return (
        _p(
            "transformation",
            "transform",
            lambda g, d: (vec_type(3, s_of(d)), _QUAT_OF[s_of(d)]),
            lambda d, a: a[0].iv.union(sym(1.0)),
            lambda g, d, a: call(d, a[0].node, a[1].node),
            ctor_guard,
            calls=frozenset(xt) | frozenset(VEC_TYPES) | FIXER_CALLS,
            makes=xt,
            rounds=False,
            weight=1.5,
        ),
        _p(
            "transform_identity",
            "transform",
            lambda g, d: (),
            lambda d, a: Interval(0.0, 1.0),
            lambda g, d, a: call("transform_identity", dtype=_typed(s_of(d))),
            calls=frozenset({"transform_identity"}),
            makes=xt,
            rounds=False,
            weight=0.3,
        ),
        _p(
            "transform_multiply",
            "transform",
            lambda g, d: (d, d),
            lambda d, a: sym((a[0].iv.mag + _SQRT3 * a[1].iv.mag) * 1.001).union(sym(1.001)),
            _call_emit("transform_multiply"),
            mul_guard,
            calls=frozenset({"transform_multiply"}),
            makes=xt,
        ),
        _p(
            "transform_inverse",
            "transform",
            lambda g, d: (d,),
            lambda d, a: sym(_SQRT3 * a[0].iv.mag * 1.001).union(sym(1.001)),
            _call_emit("transform_inverse"),
            inv_guard,
            calls=frozenset({"transform_inverse"}),
            makes=xt,
            weight=0.7,
        ),
    )


def composite_productions() -> tuple[Production, ...]:
    return (
        *vector_productions(),
        *reduction_productions(),
        *matrix_productions(),
        *quat_productions(),
        *transform_productions(),
    )


# ---- leaves: a composite built from scalar leaves (never rejects) -------------------------------


def compose(gen: Gen, dtype: str, depth: int) -> Expr:
    """A composite leaf: a constructor of scalar leaves, an identity, or a rotation."""
    k = kind(dtype)
    s = component_scalar(dtype)
    r = min(ccap(s), 8.0)

    def parts(n: int) -> list[Expr]:
        return [clamp_mag(gen.leaf(s), r) for _ in range(n)]

    if k == "vec":
        n = dim(dtype)
        if gen.rng.chance(0.2):
            p = parts(1)
            return checked(Expr(call(dtype, p[0].node), dtype, p[0].iv))
        ps = parts(n)
        return checked(Expr(call(dtype, *[p.node for p in ps]), dtype, _union(dtype, ps)))
    if k == "mat":
        n = dim(dtype)
        c = gen.rng.integer(0, 3)
        if c == 0:
            return Expr(identity_node(n, s), dtype, Interval(0.0, 1.0))
        if c == 1:
            v = compose(gen, vec_type(n, s), depth)
            return checked(Expr(call("diag", v.node), dtype, v.iv.union(Interval(0, 0))))
        if c == 2:
            vs = [compose(gen, vec_type(n, s), depth) for _ in range(n)]
            fn = gen.rng.pick(("matrix_from_rows", "matrix_from_cols"))
            return checked(Expr(call(fn, *[v.node for v in vs]), dtype, _union(dtype, vs)))
        ps = parts(n * n)
        return checked(Expr(call(dtype, *[p.node for p in ps]), dtype, _union(dtype, ps)))
    if k == "quat":
        c = gen.rng.integer(0, 2)
        if c == 0:
            return Expr(call("quat_identity", dtype=_typed(s)), dtype, Interval(0.0, 1.0))
        if c == 1:
            axis = unit_axis(gen, compose(gen, vec_type(3, s), depth))
            ang = clamp_to(gen.leaf(s), -6.5, 6.5)
            return Expr(call("quat_from_axis_angle", axis.node, ang.node), dtype, widen(s, sym(1.0)))
        return quat_ctor(gen, dtype, [gen.leaf(s) for _ in range(4)])
    if k == "transform":
        if gen.rng.chance(0.15):
            return Expr(call("transform_identity", dtype=_typed(s)), dtype, Interval(0.0, 1.0))
        pos = compose(gen, vec_type(3, s), depth)
        rot = compose(gen, _QUAT_OF[s], depth)
        return checked(Expr(call(dtype, pos.node, rot.node), dtype, pos.iv.union(sym(1.0))))
    raise Rejected(f"no composite leaf for {dtype}")


def read_input(gen: Gen, dtype: str, node: cst.BaseExpression, iv: Interval) -> Expr:
    """An element of an input array: quaternions (and transform rotations) are normalized first,
    since inputs are drawn per component (arrays hold components in [0.5, 1], so the norm is >= 1)."""
    k = kind(dtype)
    s = component_scalar(dtype)
    if k == "quat":
        return Expr(call("normalize", node), dtype, widen(s, sym(1.0)))
    if k == "transform":
        p = call("transform_get_translation", node)
        q = call("normalize", call("transform_get_rotation", node))
        return Expr(call(dtype, p, q), dtype, iv.union(widen(s, sym(1.0))))
    return Expr(node, dtype, iv)


def composite_input_interval(gen: Gen, dtype: str) -> Interval:
    """Input domain of each component of a composite array / parameter."""
    if kind(dtype) in ("quat", "transform"):
        return Interval(0.5, 1.0)
    s = component_scalar(dtype)
    if s == "int32":
        return Interval(*gen.rng.pick(((-10, 10), (-100, 100), (0, 50))))
    menu = [(-1.0, 1.0), (-4.0, 4.0), (0.0, 1.0), (-10.0, 10.0)]
    return Interval(*gen.rng.pick(menu[:3] if s == "float16" else menu))


__all__ = [
    "COMPOSITE_CALLS",
    "COMPOSITE_TYPES",
    "FLOATS",
    "composite_productions",
    "compose",
    "read_input",
    "scalar",
]
