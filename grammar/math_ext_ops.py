"""Extra math productions: the error functions and copysign (tag `math`, every float dtype), and, tag
`spatial` (float32), vector norms, Euler angles, axis-angle, 4x4 transform matrices, the in-place
transform setters and the 3x3 / 2x2 decompositions.

Builtins that return several values (`quat_to_axis_angle`, `transform_decompose`, `svd3`,
`svd2`, `qr3`, `eig3`) or work in place (`transform_set_translation/rotation`) are called inside
a small `@wp.func` helper of the kernel (`{kernel}_svd3_rec`, ...) that consumes them
independently of what Warp leaves free: the signs of singular-vector pairs and eigenvectors and
the order of eigenvalues (U diag(s) V^T, the singular values in Warp's order and sign convention,
Q R and R^T R, Q diag(d) Q^T, min/max/sum of d), the sign of a quaternion (quat_rotate of the
decomposed rotation). Decomposed matrices are well conditioned by construction: rotations (from
normalized quaternions) times diagonal values drawn from disjoint ranges ([0.5, 1], [1.5, 2],
[2.5, 3], some negated), so singular values and eigenvalues are apart by at least 0.5.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import libcst as cst

from grammar.composite_ops import fit, sym
from grammar.dtypes import FLOATS, Interval
from grammar.expr import Expr, Rejected, call, literal, subscript
from grammar.fixers import FIXER_CALLS, clamp_mag, clamp_to
from grammar.gen import Gen
from grammar.production import Production

R = 30.0
SQRT3 = 1.7320508075688772

MATH_EXT_CALLS = frozenset(
    {
        "erf", "erfc", "erfinv", "erfcinv", "copysign", "norm_huber", "norm_pseudo_huber",
        "smooth_normalize", "quat_from_euler", "quat_to_euler", "quat_to_axis_angle",
        "transform_compose", "transform_decompose", "transform_to_matrix", "transform_from_matrix",
        "transform_set_translation", "transform_set_rotation", "svd3", "svd2", "qr3", "eig3",
        "div_approx",
    }
)  # fmt: skip


def _no_plain_emit(a: list[cst.BaseExpression]) -> cst.BaseExpression:
    raise AssertionError("wave-4 spatial productions emit through emit_typed")


def _same(n: int) -> Callable[[Gen, str], tuple[str, ...] | None]:
    # not in the wave-1 families (elementwise, unary, branch), which keep their original subset
    return lambda g, d: (d,) * n if d in FLOATS and g.wave2 else None


# ---- scalar: erf family, copysign ---------------------------------------------------------------


def _erf_like(name: str, out: tuple[float, float], domain: tuple[float, float] | None) -> Production:
    def guard(gen: Gen, d: str, a: list[Expr]) -> list[Expr]:
        x = a[0]
        if domain is None or x.iv.within(Interval(*domain)):
            return [x]
        return [clamp_to(x, *domain)]

    def interval(d: str, a: list[Expr]) -> Interval:
        if name in ("erf", "erfc"):
            return Interval(*out)
        f = _ERFINV_BOUND
        lo, hi = a[0].iv.lo, a[0].iv.hi
        if name == "erfcinv":
            lo, hi = 1 - hi, 1 - lo
        return Interval(-f if lo < 0 else 0.0, f if hi > 0 else 0.0)

    return Production(name, "math", _same(1), interval, lambda a: call(name, *a), guard,
                      frozenset({name}) | FIXER_CALLS, weight=0.5)  # fmt: skip


_ERFINV_BOUND = 1.83  # erfinv(0.99) = 1.8214


def _copysign() -> Production:
    def guard(gen: Gen, d: str, a: list[Expr]) -> list[Expr]:
        return a

    return Production(
        "copysign",
        "math",
        _same(2),
        lambda d, a: sym(a[0].iv.mag),
        lambda a: call("copysign", *a),
        guard,
        frozenset({"copysign"}),
        weight=0.5,
        rounds=False,
        available=lambda g: "copysign" not in g.lacking,
    )


def _div_approx() -> Production:
    """`wp.div_approx(a, b)` with b in [1, 4]: exact division on CPU, GPU intrinsics on CUDA."""

    def guard(gen: Gen, d: str, a: list[Expr]) -> list[Expr]:
        return [a[0], clamp_to(a[1], 1.0, 4.0)]

    return Production(
        "div_approx",
        "math",
        lambda g, d: (d, d) if d in ("float32", "float64") and g.wave2 else None,
        lambda d, a: sym(a[0].iv.mag),
        lambda a: call("div_approx", *a),
        guard,
        frozenset({"div_approx"}) | FIXER_CALLS,
        weight=0.3,
        available=lambda g: "approx_ops" not in g.lacking,
    )


def math_ext_scalar_productions() -> tuple[Production, ...]:
    return (
        _erf_like("erf", (-1.0, 1.0), None),
        _erf_like("erfc", (0.0, 2.0), None),
        _erf_like("erfinv", (-2.0, 2.0), (-0.99, 0.99)),
        _erf_like("erfcinv", (-2.0, 2.0), (0.01, 1.99)),
        _copysign(),
        _div_approx(),
    )


# ---- helpers (one `@wp.func` per kernel and form) -----------------------------------------------

_HELPERS: dict[str, str] = {
    "rotvec": """
@wp.func
def {F}(q: wp.quat) -> wp.vec3:
    axis, angle = wp.quat_to_axis_angle(q)
    return axis * angle
""",
    "angle": """
@wp.func
def {F}(q: wp.quat) -> float:
    axis, angle = wp.quat_to_axis_angle(q)
    return angle
""",
    "decomp": """
@wp.func
def {F}(m: wp.mat44) -> wp.vec3:
    p, r, s = wp.transform_decompose(m)
    return p + wp.quat_rotate(r, s)
""",
    "tset": """
@wp.func
def {F}(t: wp.transform, p: wp.vec3, q: wp.quat) -> wp.transform:
    wp.transform_set_translation(t, p)
    wp.transform_set_rotation(t, q)
    return t
""",
    "svd3_rec": """
@wp.func
def {F}(m: wp.mat33) -> wp.mat33:
    u, s, v = wp.svd3(m)
    return u * wp.diag(s) * wp.transpose(v)
""",
    "svd3_polar": """
@wp.func
def {F}(m: wp.mat33) -> wp.mat33:
    u, s, v = wp.svd3(m)
    return u * wp.transpose(v) * s[2]
""",
    "svd3_vals": """
@wp.func
def {F}(m: wp.mat33) -> wp.vec3:
    u, s, v = wp.svd3(m)
    return s
""",
    "qr3_rec": """
@wp.func
def {F}(m: wp.mat33) -> wp.mat33:
    q, r = wp.qr3(m)
    return q * r
""",
    "qr3_gram": """
@wp.func
def {F}(m: wp.mat33) -> wp.mat33:
    q, r = wp.qr3(m)
    return wp.transpose(r) * r
""",
    "eig3_rec": """
@wp.func
def {F}(m: wp.mat33) -> wp.mat33:
    q, d = wp.eig3(m)
    return q * wp.diag(d) * wp.transpose(q)
""",
    "eig3_vals": """
@wp.func
def {F}(m: wp.mat33) -> wp.vec3:
    q, d = wp.eig3(m)
    lo = wp.min(wp.min(d[0], d[1]), d[2])
    hi = wp.max(wp.max(d[0], d[1]), d[2])
    return wp.vec3(lo, hi, d[0] + d[1] + d[2])
""",
    "svd2": """
@wp.func
def {F}(t: float, a: float, b: float) -> wp.vec3:
    c = wp.cos(t)
    s = wp.sin(t)
    r = wp.mat22(c, -s, s, c)
    u, sv, v = wp.svd2(r * wp.mat22(a, 0.0, 0.0, b) * wp.transpose(r) * r)
    rec = u * wp.diag(sv) * wp.transpose(v)
    return wp.vec3(rec[0, 0] + rec[1, 0], rec[0, 1] - rec[1, 1], sv[0] + sv[1] * 2.0)
""",
}


def helper(gen: Gen, form: str) -> cst.Name:
    """The kernel's `@wp.func` for `form`, defined once per kernel (prefixed with its name)."""
    fname = f"{gen.kname}_{form}"
    if not any(isinstance(h, cst.FunctionDef) and h.name.value == fname for h in gen.helpers):
        gen.helpers.extend(cst.parse_module(_HELPERS[form].replace("{F}", fname)).body)  # type: ignore[arg-type]
    return cst.Name(fname)


# ---- spatial-tag productions --------------------------------------------------------------------


def _prod(
    name: str,
    makes: str,
    args: tuple[str, ...],
    iv: Callable[[str, list[Expr]], Interval],
    emit: Callable[[Gen, str, list[Expr]], cst.BaseExpression],
    calls: frozenset[str],
    guard: Callable[[Gen, str, list[Expr]], list[Expr]] | None = None,
    weight: float = 0.2,
    available: Callable[[Gen], bool] | None = None,
) -> Production:
    def fit_all(gen: Gen, d: str, a: list[Expr]) -> list[Expr]:
        out = []
        for x in a:
            if x.dtype == "float32":
                out.append(clamp_to(x, -R, R))
            elif x.dtype == "quatf":
                out.append(x)
            else:
                out.append(fit(x, R))
        return out

    return Production(
        name=name,
        tag="spatial",
        args=lambda g, d: args if d == makes else None,
        interval=iv,
        emit=_no_plain_emit,
        guard=guard or fit_all,
        calls=calls | {"normalize", "min", "max", "clamp"},
        weight=weight,
        makes=frozenset({makes}),
        emit_typed=emit,
        available=available,
    )


def _f(x: float) -> cst.BaseExpression:
    return literal("float32", x).node


def _nq(e: Expr) -> cst.BaseExpression:
    return call("normalize", e.node)


def _rot(e: Expr) -> cst.BaseExpression:
    return call("quat_to_matrix", _nq(e))


def _diag_values(gen: Gen, a: list[Expr]) -> cst.BaseExpression:
    """`wp.vec3(clamp(x, 0.5, 1.0), -clamp(y, 1.5, 2.0), clamp(z, 2.5, 3.0))` in a drawn order and
    sign: three values at least 0.5 apart in magnitude, none within 0.5 of zero."""
    ranges = [(0.5, 1.0), (1.5, 2.0), (2.5, 3.0)]
    order = gen.rng.pick(((0, 1, 2), (2, 0, 1), (1, 2, 0), (2, 1, 0)))
    parts: list[cst.BaseExpression] = []
    for slot in range(3):
        lo, hi = ranges[order[slot]]
        node = clamp_to(a[slot], lo, hi).node
        if gen.rng.chance(0.3):
            node = cst.UnaryOperation(cst.Minus(), node)
        parts.append(node)
    return call("vec3", *parts)


def _pos_scale(e: Expr) -> cst.BaseExpression:
    """A scale vector with every component in [0.5, R]."""
    return call("max", fit(e, R).node, call("vec3", _f(0.5), _f(0.5), _f(0.5)))


def math_ext_spatial_productions() -> tuple[Production, ...]:
    def delta(g: Gen, e: Expr) -> list[cst.BaseExpression]:
        return [] if g.rng.chance(0.3) else [clamp_to(e, 0.1, 4.0).node]

    def huber_emit(g: Gen, d: str, a: list[Expr]) -> cst.BaseExpression:
        fn = g.rng.pick(("norm_huber", "norm_pseudo_huber"))
        return call(fn, a[0].node, *delta(g, a[1]))

    def smooth_emit(g: Gen, d: str, a: list[Expr]) -> cst.BaseExpression:
        return call("smooth_normalize", a[0].node, *delta(g, a[1]))

    def axes(g: Gen) -> list[cst.BaseExpression]:
        i = g.rng.integer(0, 2)
        j = g.rng.pick([x for x in range(3) if x != i])
        k = g.rng.pick([x for x in range(3) if x != j])
        return [cst.Integer(str(x)) for x in (i, j, k)]

    def from_euler_emit(g: Gen, d: str, a: list[Expr]) -> cst.BaseExpression:
        return call("quat_from_euler", a[0].node, *axes(g))

    def to_euler_emit(g: Gen, d: str, a: list[Expr]) -> cst.BaseExpression:
        return call("quat_to_euler", _nq(a[0]), *axes(g))

    def rotvec_emit(g: Gen, d: str, a: list[Expr]) -> cst.BaseExpression:
        return cst.Call(helper(g, "rotvec" if d == "vec3f" else "angle"), [cst.Arg(a[0].node)])

    def compose_emit(g: Gen, d: str, a: list[Expr]) -> cst.BaseExpression:
        m = call("transform_compose", a[0].node, _nq(a[1]), a[2].node)
        r, c = g.rng.integer(0, 2), g.rng.integer(0, 3)
        return subscript(m, cst.Tuple([cst.Element(cst.Integer(str(r))), cst.Element(cst.Integer(str(c)))]))

    def matrix_emit(g: Gen, d: str, a: list[Expr]) -> cst.BaseExpression:
        tf = call("transformation", a[0].node, _nq(a[1]))
        return call(
            "transform_point", call("transform_from_matrix", call("transform_to_matrix", tf)), a[2].node
        )

    def decomp_emit(g: Gen, d: str, a: list[Expr]) -> cst.BaseExpression:
        m = call("transform_compose", a[0].node, _nq(a[1]), _pos_scale(a[2]))
        return cst.Call(helper(g, "decomp"), [cst.Arg(m)])

    def tset_emit(g: Gen, d: str, a: list[Expr]) -> cst.BaseExpression:
        t = call("transformation", a[0].node, _nq(a[1]))
        t2 = cst.Call(helper(g, "tset"), [cst.Arg(t), cst.Arg(a[2].node), cst.Arg(_nq(a[3]))])
        return call("transform_point", t2, a[4].node)

    def gen_mat_emit(
        forms: tuple[str, ...], symmetric: bool
    ) -> Callable[[Gen, str, list[Expr]], cst.BaseExpression]:
        def emit(g: Gen, d: str, a: list[Expr]) -> cst.BaseExpression:
            dv = call("diag", _diag_values(g, a[2:5]))
            left = _rot(a[0])
            right = call("transpose", _rot(a[0])) if symmetric else _rot(a[1])
            m = cst.BinaryOperation(cst.BinaryOperation(left, cst.Multiply(), dv), cst.Multiply(), right)
            return cst.Call(helper(g, g.rng.pick(forms)), [cst.Arg(m)])

        return emit

    def svd2_emit(g: Gen, d: str, a: list[Expr]) -> cst.BaseExpression:
        t = clamp_to(a[0], -4.0, 4.0).node
        x = clamp_to(a[1], 1.5, 2.0).node
        y = clamp_to(a[2], 0.25, 1.0).node
        if g.rng.chance(0.4):
            y = cst.UnaryOperation(cst.Minus(), y)
        return cst.Call(helper(g, "svd2"), [cst.Arg(t), cst.Arg(x), cst.Arg(y)])

    def mag(a: list[Expr]) -> float:
        return max((x.iv.mag for x in a if x.dtype != "quatf"), default=0.0)

    def keep(gen: Gen, d: str, a: list[Expr]) -> list[Expr]:
        return a

    def fit_vec_first(gen: Gen, d: str, a: list[Expr]) -> list[Expr]:
        return [fit(a[0], R), clamp_mag(a[1], R)] if len(a) > 1 else [fit(a[0], R)]

    mats = ("quatf", "quatf", "float32", "float32", "float32")
    mat_calls = frozenset({"quat_to_matrix", "diag", "transpose", "vec3"})
    svd_gate = None  # multiple return values from native functions: 1.8.0, below the oldest target

    def euler_ok(g: Gen) -> bool:
        return "quat_euler" not in g.lacking

    return (
        _prod("norm_huber", "float32", ("vec3f", "float32"), lambda d, a: Interval(0.0, 0.5 * 3 * R * R + 60),
              huber_emit, frozenset({"norm_huber", "norm_pseudo_huber"}), fit_vec_first),
        _prod("smooth_normalize", "vec3f", ("vec3f", "float32"), lambda d, a: sym(1.01), smooth_emit,
              frozenset({"smooth_normalize"}), fit_vec_first, 0.15),
        _prod("quat_from_euler", "quatf", ("vec3f",), lambda d, a: sym(1.01), from_euler_emit,
              frozenset({"quat_from_euler"}), fit_vec_first, available=euler_ok),
        _prod("quat_to_euler", "vec3f", ("quatf",), lambda d, a: sym(2 * math.pi + 0.1), to_euler_emit,
              frozenset({"quat_to_euler"}), keep, available=euler_ok),
        _prod("quat_to_axis_angle", "vec3f", ("quatf",), lambda d, a: sym(math.pi + 0.01), rotvec_emit,
              frozenset({"quat_to_axis_angle"}), keep, 0.15),
        _prod("quat_to_axis_angle_f", "float32", ("quatf",), lambda d, a: Interval(0.0, math.pi + 0.01),
              rotvec_emit, frozenset({"quat_to_axis_angle"}), keep, 0.1),
        _prod("transform_compose", "float32", ("vec3f", "quatf", "vec3f"), lambda d, a: sym(max(mag(a), 1.0)),
              compose_emit, frozenset({"transform_compose"})),
        _prod("transform_matrix", "vec3f", ("vec3f", "quatf", "vec3f"),
              lambda d, a: sym(1.01 * (a[0].iv.mag + SQRT3 * a[2].iv.mag)), matrix_emit,
              frozenset({"transformation", "transform_point", "transform_to_matrix", "transform_from_matrix"})),
        _prod("transform_decompose", "vec3f", ("vec3f", "quatf", "vec3f"),
              lambda d, a: sym(1.01 * (a[0].iv.mag + SQRT3 * max(a[2].iv.mag, 0.5))), decomp_emit,
              frozenset({"transform_compose", "transform_decompose", "quat_rotate", "vec3"}), weight=0.15),
        _prod("transform_set", "vec3f", ("vec3f", "quatf", "vec3f", "quatf", "vec3f"),
              lambda d, a: sym(1.01 * (a[2].iv.mag + SQRT3 * a[4].iv.mag)), tset_emit,
              frozenset({"transformation", "transform_point", "transform_set_translation",
                         "transform_set_rotation"}), weight=0.15,
              available=lambda g: "transform_set" not in g.lacking),
        _prod("svd3", "mat33f", mats, lambda d, a: sym(3.1), gen_mat_emit(("svd3_rec", "svd3_polar"), False),
              frozenset({"svd3"}) | mat_calls, keep, 0.15, svd_gate),
        _prod("svd3_vals", "vec3f", mats, lambda d, a: sym(3.1), gen_mat_emit(("svd3_vals",), False),
              frozenset({"svd3"}) | mat_calls, keep, 0.15, svd_gate),
        _prod("qr3", "mat33f", mats, lambda d, a: sym(9.5), gen_mat_emit(("qr3_rec", "qr3_gram"), False),
              frozenset({"qr3"}) | mat_calls, keep, 0.15, svd_gate),
        _prod("eig3", "mat33f", mats, lambda d, a: sym(3.1), gen_mat_emit(("eig3_rec",), True),
              frozenset({"eig3"}) | mat_calls, keep, 0.1, svd_gate),
        _prod("eig3_vals", "vec3f", mats, lambda d, a: sym(9.5), gen_mat_emit(("eig3_vals",), True),
              frozenset({"eig3"}) | mat_calls, keep, 0.15, svd_gate),
        _prod("svd2", "vec3f", ("float32", "float32", "float32"), lambda d, a: sym(4.5), svd2_emit,
              frozenset({"svd2", "cos", "sin", "mat22", "diag", "transpose"}), keep, 0.15, svd_gate),
    )  # fmt: skip


_ = Rejected
