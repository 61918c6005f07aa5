"""Builtins of vectors, matrices and quaternions (constructors, length/normalize/determinant/...,
dot/cross/outer/quat_rotate/...), written with the component arithmetic of `oracle.composite` and
the scalar builtins so that rounding, error bounds and taint compose exactly as for scalars."""

from __future__ import annotations

from typing import Any

import numpy as np

from oracle.builtin_table import Builtin
from oracle.composite import (
    comp,
    cross,
    dot,
    flat,
    lit,
    map2,
    muladd_sum,
    quat_rotate,
    scale,
    sop,
    stack,
    sum_in_order,
)
from oracle.numeric import OpCtx, cast, compare, negate, scalar_of
from oracle.scalar_builtins import call_scalar, minmax, scalar_builtins
from oracle.types import Composite, Scalar, composite_from_name, make_mat, make_vec
from oracle.values import Value, const_value, lane_broadcast


def _vals(name: str, args: list[Any], ctx: OpCtx, n: int) -> list[Value]:
    if len(args) != n or not all(isinstance(a, Value) for a in args):
        raise ctx.unsupported(f"call wp.{name}", f"{len(args)} arguments")
    return list(args)


def _need(ok: bool, name: str, args: list[Any], ctx: OpCtx) -> None:
    if not ok:
        raise ctx.unsupported(f"call wp.{name}", ", ".join(str(getattr(a, "t", a)) for a in args))


def _constructor(t: Composite) -> Any:
    """vecN/matNM/quat constructors: no args (zeros), one scalar (fill), all components, or a
    same-shape composite of another scalar type (component-wise cast)."""

    def fn(args: list[Any], ctx: OpCtx) -> Value:
        lanes = int(ctx.mask.shape[0])
        s = t.scalar
        n = int(np.prod(t.shape))
        if not args:
            return const_value(t, 0, lanes)
        vals = [a for a in args if isinstance(a, Value)]
        _need(len(vals) == len(args), t.name, args, ctx)
        if len(vals) == 1 and isinstance(vals[0].t, Composite):
            src = vals[0]
            _need(src.t.shape == t.shape, t.name, args, ctx)
            return stack(t, [cast(x, s, ctx) if x.t != s else x for x in flat(src)])
        conv = []
        for v in vals:
            if v.t == s:
                conv.append(v)
            elif v.literal is not None and not isinstance(v.t, Composite):
                conv.append(cast(v, s, ctx))
            elif t.kind == "mat" and isinstance(v.t, Composite) and v.t.kind == "vec":
                raise ctx.unsupported(f"call wp.{t.name}", "matrix from vectors (use matrix_from_rows/cols)")
            else:
                _need(False, t.name, args, ctx)
        if len(conv) == 1:
            return stack(t, [conv[0]] * n)
        _need(len(conv) == n, t.name, args, ctx)
        return stack(t, conv)

    return fn


def unary_vec(name: str) -> Any:
    def fn(args: list[Any], ctx: OpCtx) -> Value:
        (v,) = _vals(name, args, ctx, 1)
        t = v.t
        _need(isinstance(t, Composite), name, args, ctx)
        assert isinstance(t, Composite)
        vec = t.kind in ("vec", "quat")
        if name == "length_sq":
            _need(vec, name, args, ctx)
            return dot(v, v, ctx)
        if name in ("length", "norm_l2"):
            _need(vec, name, args, ctx)
            return call_scalar("sqrt", [dot(v, v, ctx)], ctx)
        if name == "norm_l1":
            _need(t.kind == "vec", name, args, ctx)
            return sum_in_order([call_scalar("abs", [x], ctx) for x in flat(v)], ctx)
        if name == "normalize":
            _need(vec and t.is_float, name, args, ctx)
            ln = call_scalar("sqrt", [dot(v, v, ctx)], ctx)
            zero = lit(t.scalar, 0.0, v.lanes)
            pos = compare("Gt", ln, zero, ctx)
            q = scale(v, ln, ctx, "Div")
            z = const_value(t, 0, v.lanes)
            m = lane_broadcast(pos.data, q.data)
            return Value(t, np.where(m, q.data, z.data), np.where(m, q.err, 0.0), pos.taint | q.taint)
        if name == "transpose":
            _need(t.kind == "mat", name, args, ctx)
            r, c = t.shape
            return stack(make_mat(c, r, t.scalar), [comp(v, i, j) for j in range(c) for i in range(r)])
        if name == "trace":
            _need(t.kind == "mat" and t.shape[0] == t.shape[1], name, args, ctx)
            return sum_in_order([comp(v, i, i) for i in range(t.shape[0])], ctx)
        if name == "get_diag":
            _need(t.kind == "mat" and t.shape[0] == t.shape[1], name, args, ctx)
            return stack(make_vec(t.shape[0], t.scalar), [comp(v, i, i) for i in range(t.shape[0])])
        if name == "diag":
            _need(t.kind == "vec", name, args, ctx)
            n = t.shape[0]
            z = lit(t.scalar, 0, v.lanes)
            return stack(
                make_mat(n, n, t.scalar), [comp(v, i) if i == j else z for i in range(n) for j in range(n)]
            )
        if name == "determinant":
            _need(t.kind == "mat" and t.shape in ((2, 2), (3, 3)), name, args, ctx)
            if t.shape == (2, 2):
                return sop(
                    "Sub",
                    sop("Mult", comp(v, 0, 0), comp(v, 1, 1), ctx),
                    sop("Mult", comp(v, 0, 1), comp(v, 1, 0), ctx),
                    ctx,
                )
            rows = [stack(make_vec(3, t.scalar), [comp(v, i, j) for j in range(3)]) for i in range(3)]
            return dot(rows[0], cross(rows[1], rows[2], ctx), ctx)
        if name == "skew":
            _need(t.kind == "vec" and t.shape == (3,), name, args, ctx)
            z = lit(t.scalar, 0, v.lanes)
            x, y, w = comp(v, 0), comp(v, 1), comp(v, 2)
            return stack(
                make_mat(3, 3, t.scalar), [z, negate(w, ctx), y, w, z, negate(x, ctx), negate(y, ctx), x, z]
            )
        if name in ("argmin", "argmax"):
            _need(t.kind == "vec", name, args, ctx)
            best = comp(v, 0)
            idx = np.zeros(v.lanes, np.uint32)
            taint = v.taint.copy()
            for i in range(1, t.shape[0]):
                ci = comp(v, i)
                better = compare("Lt" if name == "argmin" else "Gt", ci, best, ctx)
                taint |= better.taint
                idx = np.where(better.data, i, idx).astype(np.uint32)
                best = Value(
                    best.t,
                    np.where(better.data, ci.data, best.data),
                    np.maximum(best.err, ci.err),
                    best.taint,
                )
            return Value(Scalar("uint32"), idx, np.zeros(v.lanes), taint)
        if name == "quat_inverse":
            _need(t.kind == "quat", name, args, ctx)
            return stack(
                t, [negate(comp(v, 0), ctx), negate(comp(v, 1), ctx), negate(comp(v, 2), ctx), comp(v, 3)]
            )
        if name == "quat_to_matrix":
            _need(t.kind == "quat", name, args, ctx)
            cols = []
            for k in range(3):
                e = stack(
                    make_vec(3, t.scalar), [lit(t.scalar, 1.0 if j == k else 0.0, v.lanes) for j in range(3)]
                )
                cols.append(quat_rotate(v, e, ctx, inverse=False))
            return stack(make_mat(3, 3, t.scalar), [comp(cols[j], i) for i in range(3) for j in range(3)])
        raise ctx.unsupported(f"call wp.{name}")

    return fn


def _binary_vec(name: str) -> Any:
    def fn(args: list[Any], ctx: OpCtx) -> Value:
        a, b = _vals(name, args, ctx, 2)
        ta, tb = a.t, b.t
        if name == "dot":
            _need(ta == tb and isinstance(ta, Composite) and ta.kind in ("vec", "quat"), name, args, ctx)
            return dot(a, b, ctx)
        if name == "ddot":
            # mat.h: r = muladd(a[i][j], b[i][j], r) row by row from Type r(0)
            _need(ta == tb and isinstance(ta, Composite) and ta.kind == "mat", name, args, ctx)
            return muladd_sum(
                [sop("Mult", comp(a, *ij), comp(b, *ij), ctx) for ij in np.ndindex(*ta.shape)], ctx
            )
        if name == "cross":
            _need(
                ta == tb and isinstance(ta, Composite) and ta.shape == (3,) and ta.kind == "vec",
                name,
                args,
                ctx,
            )
            return cross(a, b, ctx)
        if name == "outer":
            _need(
                isinstance(ta, Composite) and isinstance(tb, Composite) and ta.kind == tb.kind == "vec",
                name,
                args,
                ctx,
            )
            _need(scalar_of(ta) == scalar_of(tb), name, args, ctx)
            r, c = ta.shape[0], tb.shape[0]
            return stack(
                make_mat(r, c, scalar_of(ta)),
                [sop("Mult", comp(a, i), comp(b, j), ctx) for i in range(r) for j in range(c)],
            )
        if name in ("cw_mul", "cw_div"):
            _need(ta == tb and isinstance(ta, Composite), name, args, ctx)
            return map2("Mult" if name == "cw_mul" else "Div", a, b, ctx)
        if name in ("quat_rotate", "quat_rotate_inv"):
            _need(
                isinstance(ta, Composite)
                and ta.kind == "quat"
                and isinstance(tb, Composite)
                and tb.kind == "vec",
                name,
                args,
                ctx,
            )
            _need(tb.shape == (3,) and scalar_of(ta) == scalar_of(tb), name, args, ctx)
            return quat_rotate(a, b, ctx, inverse=name.endswith("inv"))
        if name == "quat_from_axis_angle":
            _need(isinstance(ta, Composite) and ta.shape == (3,) and tb == scalar_of(ta), name, args, ctx)
            s = scalar_of(ta)
            half = sop("Mult", b, lit(s, 0.5, b.lanes), ctx)
            w = call_scalar("cos", [half], ctx)
            sn = call_scalar("sin", [half], ctx)
            v = scale(a, sn, ctx)
            return stack(
                Composite("quat", (4,), s, composite_name_quat(s)), [comp(v, 0), comp(v, 1), comp(v, 2), w]
            )
        if name in ("min", "max"):
            _need(ta == tb and isinstance(ta, Composite), name, args, ctx)
            assert isinstance(ta, Composite)
            return stack(ta, [minmax(name, x, y, ctx) for x, y in zip(flat(a), flat(b), strict=True)])
        raise ctx.unsupported(f"call wp.{name}")

    return fn


def composite_name_quat(s: Scalar) -> str:
    t = composite_from_name("quat" + {"float32": "f", "float64": "d", "float16": "h"}[s.name])
    assert t is not None
    return t.name


def _matrix_from(rows: bool) -> Any:
    name = "matrix_from_rows" if rows else "matrix_from_cols"

    def fn(args: list[Any], ctx: OpCtx) -> Value:
        vs = [a for a in args if isinstance(a, Value)]
        _need(
            len(vs) == len(args) >= 2
            and all(v.t == vs[0].t and isinstance(v.t, Composite) and v.t.kind == "vec" for v in vs),
            name,
            args,
            ctx,
        )
        n, k = len(vs), vs[0].t.shape[0]
        s = scalar_of(vs[0].t)
        if rows:
            return stack(make_mat(n, k, s), [comp(vs[i], j) for i in range(n) for j in range(k)])
        return stack(make_mat(k, n, s), [comp(vs[j], i) for i in range(k) for j in range(n)])

    return fn


def _quat_identity(args: list[Any], ctx: OpCtx) -> Value:
    if args:
        raise ctx.unsupported("call wp.quat_identity", "with arguments")
    t = composite_from_name("quatf")
    assert t is not None
    v = const_value(t, 0.0, int(ctx.mask.shape[0]))
    v.data[:, 3] = 1.0
    return v


def _wrap_scalar_or_vec(name: str, scalar_fn: Any, vec_fn: Any) -> Any:
    def fn(args: list[Any], ctx: OpCtx) -> Value:
        if any(isinstance(getattr(a, "t", None), Composite) for a in args):
            return vec_fn(args, ctx)
        return scalar_fn(args, ctx)

    return fn


def composite_builtins() -> list[Builtin]:
    scal = {b.name: b for b in scalar_builtins()}
    out: list[Builtin] = []
    names = [f"vec{n}{s}" for n in (2, 3, 4) for s in ("", "f", "d", "h", "i")]
    names += [f"mat{n}{n}{s}" for n in (2, 3, 4) for s in ("", "f", "d")]
    names += ["quat", "quatf", "quatd", "quath"]
    for nm in names:
        t = composite_from_name(nm)
        assert t is not None, nm
        out.append(Builtin(nm, _constructor(t), "constructor"))
    for nm in (
        "length",
        "length_sq",
        "normalize",
        "norm_l1",
        "norm_l2",
        "transpose",
        "trace",
        "get_diag",
        "diag",
        "determinant",
        "skew",
        "argmin",
        "argmax",
        "quat_inverse",
        "quat_to_matrix",
    ):
        out.append(Builtin(nm, unary_vec(nm), "vec.h/mat.h/quat.h formula, scalar ops"))
    for nm in (
        "dot",
        "ddot",
        "cross",
        "outer",
        "cw_mul",
        "cw_div",
        "quat_rotate",
        "quat_rotate_inv",
        "quat_from_axis_angle",
    ):
        out.append(Builtin(nm, _binary_vec(nm), "vec.h/mat.h/quat.h formula, scalar ops"))
    out.append(Builtin("matrix_from_rows", _matrix_from(True), "rows"))
    out.append(Builtin("matrix_from_cols", _matrix_from(False), "columns"))
    out.append(Builtin("quat_identity", _quat_identity, "(0, 0, 0, 1)"))
    for nm in ("min", "max"):
        out.append(
            Builtin(nm, _wrap_scalar_or_vec(nm, scal[nm].fn, _binary_vec(nm)), "fmin/fmax, per component")
        )

    def _abs_vec(args: list[Any], ctx: OpCtx) -> Value:
        (v,) = _vals("abs", args, ctx, 1)
        assert isinstance(v.t, Composite)
        return stack(v.t, [scal["abs"].fn([x], ctx) for x in flat(v)])

    out.append(Builtin("abs", _wrap_scalar_or_vec("abs", scal["abs"].fn, _abs_vec), "per component"))
    return out
