"""Spatial-math productions (tag `spatial`): 6-D twists built from vec3f halves and consumed
inside the same expression, so no spatial type reaches a variable or an array.

`wp.spatial_vector(w, v)` / six float32 components feed spatial_cross, spatial_cross_dual,
spatial_dot and `spatial_adjoint(R, S) * x`; spatial_top/spatial_bottom (or a component index)
bring the result back to vec3f/float32. Operands are clamped to [-R, R] (R = 30), so a cross
component stays within 2R^2, a sum of two crosses within 4R^2 and an adjoint row within 6R^2.
Warp's `wp.spatial_vector` is the float32 type (its `dtype=` form is not emitted). The builtins
Warp writes in Python (transform_twist/wrench of `wp.transformation(p, wp.normalize(q))`,
velocity_at_point, quat_twist and its angles about a unit axis, quat_to_rpy) join them.
"""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst

from grammar.composite_ops import fit, sym, unit_axis
from grammar.dtypes import Interval
from grammar.expr import Expr, Rejected, call, subscript
from grammar.fixers import clamp_to
from grammar.gen import Gen
from grammar.production import Production

R = 30.0
SPATIAL_CALLS = frozenset(
    {
        "spatial_vector",
        "spatial_dot",
        "spatial_cross",
        "spatial_cross_dual",
        "spatial_top",
        "spatial_bottom",
        "spatial_adjoint",
        # written in Warp itself (warp/_src/math.py), float32 only
        "transform_twist",
        "transform_wrench",
        "velocity_at_point",
        "quat_twist",
        "quat_twist_angle",
        "quat_twist_angle_signed",
        "quat_to_rpy",
    }
)
SQRT3 = 1.7320508075688772


def _no_plain_emit(a: list[cst.BaseExpression]) -> cst.BaseExpression:
    raise AssertionError("spatial productions emit through emit_typed")


def _mag(a: list[Expr]) -> float:
    return max((x.iv.mag for x in a), default=0.0)


def _fit_all(gen: Gen, d: str, a: list[Expr]) -> list[Expr]:
    out = []
    for x in a:
        if x.dtype == "mat33f":
            if not x.iv.within(sym(R)):
                raise Rejected(f"mat33f operand bounded by {x.iv.mag:g} exceeds {R:g}")
            out.append(x)
        elif x.dtype == "float32":
            out.append(clamp_to(x, -R, R))
        else:
            out.append(fit(x, R))
    return out


def _sv(w: Expr, v: Expr) -> cst.BaseExpression:
    return call("spatial_vector", w.node, v.node)


def _newton_math(g: Gen) -> bool:
    """The builtins Warp writes in Python (quat_twist, velocity_at_point, ...): from 1.12.0."""
    return "newton_math" not in g.lacking


def _prod(
    name: str,
    makes: str,
    args: tuple[str, ...],
    iv: Callable[[str, list[Expr]], Interval],
    emit: Callable[[Gen, str, list[Expr]], cst.BaseExpression],
    calls: frozenset[str],
    weight: float = 1.0,
    available: Callable[[Gen], bool] | None = None,
) -> Production:
    return Production(
        name=name,
        tag="spatial",
        args=lambda g, d: args if d == makes else None,
        interval=iv,
        emit=_no_plain_emit,
        guard=_fit_all,
        calls=calls | {"spatial_vector"},
        weight=weight,
        makes=frozenset({makes}),
        emit_typed=emit,
        available=available,
    )


def spatial_productions() -> tuple[Production, ...]:
    def half(g: Gen) -> str:
        return g.rng.pick(("spatial_top", "spatial_bottom"))

    def cross_emit(g: Gen, d: str, a: list[Expr]) -> cst.BaseExpression:
        op = g.rng.pick(("spatial_cross", "spatial_cross_dual"))
        return call(half(g), call(op, _sv(a[0], a[1]), _sv(a[2], a[3])))

    def adjoint_emit(g: Gen, d: str, a: list[Expr]) -> cst.BaseExpression:
        prod = cst.BinaryOperation(
            call("spatial_adjoint", a[0].node, a[1].node), cst.Multiply(), _sv(a[2], a[3])
        )
        return call(half(g), prod)

    def components_emit(g: Gen, d: str, a: list[Expr]) -> cst.BaseExpression:
        return call(half(g), call("spatial_vector", *(x.node for x in a)))

    def dot_emit(g: Gen, d: str, a: list[Expr]) -> cst.BaseExpression:
        return call("spatial_dot", _sv(a[0], a[1]), _sv(a[2], a[3]))

    def index_emit(g: Gen, d: str, a: list[Expr]) -> cst.BaseExpression:
        k = g.rng.integer(0, 5)
        return subscript(_sv(a[0], a[1]), cst.Integer(str(k)))

    def quad(d: str, a: list[Expr]) -> Interval:
        return sym(4 * _mag(a) ** 2)

    def six(d: str, a: list[Expr]) -> Interval:
        return sym(6 * _mag(a) ** 2)

    def hull(d: str, a: list[Expr]) -> Interval:
        return sym(_mag(a))

    def twist_emit(g: Gen, d: str, a: list[Expr]) -> cst.BaseExpression:
        fn = g.rng.pick(("transform_twist", "transform_wrench"))
        tf = call("transformation", a[0].node, call("normalize", a[1].node))
        return call(half(g), call(fn, tf, _sv(a[2], a[3])))

    def twist_iv(d: str, a: list[Expr]) -> Interval:
        # a unit rotation keeps |x|_2 <= sqrt(3) r; the cross with p adds 2 |p| of that
        r = max(a[2].iv.mag, a[3].iv.mag)
        return sym(1.01 * SQRT3 * r * (1 + 2 * a[0].iv.mag))

    def velocity_emit(g: Gen, d: str, a: list[Expr]) -> cst.BaseExpression:
        return call("velocity_at_point", _sv(a[0], a[1]), a[2].node)

    def velocity_iv(d: str, a: list[Expr]) -> Interval:
        m = _mag(a)
        return sym(m + 2 * m * m)

    def axis_guard(gen: Gen, d: str, a: list[Expr]) -> list[Expr]:
        return [unit_axis(gen, a[0]), *a[1:]]

    def twist_angle_emit(g: Gen, d: str, a: list[Expr]) -> cst.BaseExpression:
        signed = () if "quat_twist_angle_signed" in g.lacking else ("quat_twist_angle_signed",)
        return call(g.rng.pick(("quat_twist_angle", *signed)), a[0].node, a[1].node)

    v4 = ("vec3f",) * 4
    return (
        Production(
            name="transform_twist",
            tag="spatial",
            args=lambda g, d: ("vec3f", "quatf", "vec3f", "vec3f") if d == "vec3f" else None,
            interval=twist_iv,
            emit=_no_plain_emit,
            guard=lambda g, d, a: [fit(a[0], R), a[1], fit(a[2], R), fit(a[3], R)],
            calls=frozenset(
                {
                    "transform_twist",
                    "transform_wrench",
                    "transformation",
                    "normalize",
                    "spatial_vector",
                    "spatial_top",
                    "spatial_bottom",
                    "min",
                    "max",
                }
            ),  # fmt: skip
            weight=0.7,
            makes=frozenset({"vec3f"}),
            emit_typed=twist_emit,
            available=_newton_math,
        ),
        _prod(
            "velocity_at_point",
            "vec3f",
            ("vec3f",) * 3,
            velocity_iv,
            velocity_emit,
            frozenset({"velocity_at_point", "min", "max"}),
            0.5,
            _newton_math,
        ),  # fmt: skip
        Production(
            name="quat_twist",
            tag="spatial",
            args=lambda g, d: ("vec3f", "quatf") if d == "quatf" else None,
            interval=lambda d, a: sym(1.0),
            emit=_no_plain_emit,
            guard=axis_guard,
            calls=frozenset({"quat_twist", "normalize", "min", "max"}),
            weight=0.5,
            makes=frozenset({"quatf"}),
            emit_typed=lambda g, d, a: call("quat_twist", a[0].node, a[1].node),
            available=_newton_math,
        ),
        Production(
            name="quat_twist_angle",
            tag="spatial",
            args=lambda g, d: ("vec3f", "quatf") if d == "float32" else None,
            interval=lambda d, a: sym(6.3),
            emit=_no_plain_emit,
            guard=axis_guard,
            calls=frozenset({"quat_twist_angle", "quat_twist_angle_signed", "normalize", "min", "max"}),
            weight=0.5,
            makes=frozenset({"float32"}),
            emit_typed=twist_angle_emit,
            available=_newton_math,
        ),
        Production(
            name="quat_to_rpy",
            tag="spatial",
            args=lambda g, d: ("quatf",) if d == "vec3f" else None,
            interval=lambda d, a: sym(3.15),
            emit=_no_plain_emit,
            calls=frozenset({"quat_to_rpy"}),
            weight=0.5,
            makes=frozenset({"vec3f"}),
            emit_typed=lambda g, d, a: call("quat_to_rpy", a[0].node),
            available=_newton_math,
        ),
        _prod(
            "spatial_cross",
            "vec3f",
            v4,
            quad,
            cross_emit,
            frozenset({"spatial_cross", "spatial_cross_dual", "spatial_top", "spatial_bottom", "min", "max"}),
        ),  # fmt: skip
        _prod(
            "spatial_adjoint",
            "vec3f",
            ("mat33f", "mat33f", "vec3f", "vec3f"),
            six,
            adjoint_emit,
            frozenset({"spatial_adjoint", "spatial_top", "spatial_bottom", "min", "max"}),
            weight=0.7,
        ),
        _prod(
            "spatial_components",
            "vec3f",
            ("float32",) * 6,
            hull,
            components_emit,
            frozenset({"spatial_top", "spatial_bottom", "clamp"}),
            weight=0.5,
        ),
        _prod("spatial_dot", "float32", v4, six, dot_emit, frozenset({"spatial_dot", "min", "max"})),
        _prod(
            "spatial_index", "float32", ("vec3f", "vec3f"), hull, index_emit, frozenset({"min", "max"}), 0.5
        ),
    )
