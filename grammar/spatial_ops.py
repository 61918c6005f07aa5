"""Spatial-math productions (tag `spatial`): 6-D twists built from vec3f halves and consumed
inside the same expression, so no spatial type reaches a variable or an array.

`wp.spatial_vector(w, v)` / six float32 components feed spatial_cross, spatial_cross_dual,
spatial_dot and `spatial_adjoint(R, S) * x`; spatial_top/spatial_bottom (or a component index)
bring the result back to vec3f/float32. Operands are clamped to [-R, R] (R = 30), so a cross
component stays within 2R^2, a sum of two crosses within 4R^2 and an adjoint row within 6R^2.
Warp's `wp.spatial_vector` is the float32 type (its `dtype=` form is not emitted).
"""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst

from grammar.composite_ops import fit, sym
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
    }
)


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


def _prod(
    name: str,
    makes: str,
    args: tuple[str, ...],
    iv: Callable[[str, list[Expr]], Interval],
    emit: Callable[[Gen, str, list[Expr]], cst.BaseExpression],
    calls: frozenset[str],
    weight: float = 1.0,
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

    v4 = ("vec3f",) * 4
    return (
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
