"""Quaternion, transform and spatial (6-D twist/wrench) builtins beyond wave 2 (quat.h /
spatial.h / vec.h), plus `bit_count` (builtin.h). Written with the scalar ops and the wave-2
composite helpers, so bounds compose.

A transform is 7 components: p (x, y, z) then q (x, y, z, w), as spatial.h's transform_t lays
them out and as `fuzz.engine.launch` represents them."""

from __future__ import annotations

from typing import Any

import numpy as np

from oracle.builtin_table import Builtin
from oracle.composite import comp, cross, dot, quat_mul, quat_rotate, scale, sop, stack
from oracle.composite_builtins import unary_vec
from oracle.numeric import OpCtx, compare, negate
from oracle.scalar_builtins import call_scalar
from oracle.types import INT32, Composite, Scalar, make_mat, make_quat, make_transform, make_vec
from oracle.values import Keyword, TypeArg, Value, const_value, select


def _need(ok: bool, name: str, args: list[Any], ctx: OpCtx) -> None:
    if not ok:
        raise ctx.unsupported(f"call wp.{name}", ", ".join(str(getattr(a, "t", a)) for a in args))


def _kind(v: Any, kind: str, n: int | None = None) -> bool:
    return (
        isinstance(v, Value)
        and isinstance(v.t, Composite)
        and v.t.kind == kind
        and (n is None or v.t.shape == (n,))
        and v.t.is_float
    )


def _lit(s: Scalar, x: float, lanes: int) -> Value:
    return const_value(s, float(x), lanes)


def _p(t: Value) -> Value:
    assert isinstance(t.t, Composite)
    return stack(make_vec(3, t.t.scalar), [comp(t, i) for i in range(3)])


def _q(t: Value) -> Value:
    assert isinstance(t.t, Composite)
    return stack(make_quat(t.t.scalar), [comp(t, i) for i in range(3, 7)])


def _tf(p: Value, q: Value) -> Value:
    assert isinstance(p.t, Composite)
    return stack(make_transform(p.t.scalar), [comp(p, i) for i in range(3)] + [comp(q, i) for i in range(4)])


def _add(a: Value, b: Value, ctx: OpCtx) -> Value:
    assert isinstance(a.t, Composite)
    return stack(a.t, [sop("Add", comp(a, i), comp(b, i), ctx) for i in range(a.t.shape[0])])


def _neg(a: Value, ctx: OpCtx) -> Value:
    assert isinstance(a.t, Composite)
    return stack(a.t, [negate(comp(a, i), ctx) for i in range(a.t.shape[0])])


def _quat_inv(q: Value, ctx: OpCtx) -> Value:
    assert isinstance(q.t, Composite)
    return stack(q.t, [negate(comp(q, 0), ctx), negate(comp(q, 1), ctx), negate(comp(q, 2), ctx), comp(q, 3)])


def vec_normalize(v: Value, ctx: OpCtx) -> Value:
    """vec.h normalize: l > 0 ? a / l : 0."""
    assert isinstance(v.t, Composite)
    ln = call_scalar("sqrt", [dot(v, v, ctx)], ctx)
    pos = compare("Gt", ln, _lit(v.t.scalar, 0.0, v.lanes), ctx)
    r = select(pos.data, scale(v, ln, ctx, "Div"), const_value(v.t, 0, v.lanes))
    r.taint = r.taint | pos.taint
    return r


def quat_normalize(q: Value, ctx: OpCtx) -> Value:
    """quat.h normalize: l > 0 ? q * (1 / l) : identity (unlike vectors, which go to zero)."""
    assert isinstance(q.t, Composite)
    s = q.t.scalar
    ln = call_scalar("sqrt", [dot(q, q, ctx)], ctx)
    pos = compare("Gt", ln, _lit(s, 0.0, q.lanes), ctx)
    inv = sop("Div", _lit(s, 1.0, q.lanes), ln, ctx)
    ident = const_value(q.t, 0, q.lanes)
    ident.data[:, 3] = 1
    r = select(pos.data, scale(q, inv, ctx), ident)
    r.taint = r.taint | pos.taint
    return r


def _axis_angle_quat(axis: Value, angle: Value, ctx: OpCtx) -> Value:
    s = angle.t
    assert isinstance(s, Scalar)
    half = sop("Mult", angle, _lit(s, 0.5, angle.lanes), ctx)
    w = call_scalar("cos", [half], ctx)
    v = scale(axis, call_scalar("sin", [half], ctx), ctx)
    return stack(make_quat(s), [comp(v, 0), comp(v, 1), comp(v, 2), w])


def _slerp(args: list[Any], ctx: OpCtx) -> Value:
    """mul(q0, quat_from_axis_angle(axis, t * angle)) with (axis, angle) = quat_to_axis_angle(
    mul(quat_inverse(q0), q1)): axis = w < 0 ? -normalize(v) : normalize(v),
    angle = 2 * atan2(length(v), abs(w))."""
    _need(len(args) == 3 and _kind(args[0], "quat") and args[1].t == args[0].t, "quat_slerp", args, ctx)
    q0, q1, t = args
    s = q0.t.scalar
    _need(isinstance(t, Value) and t.t == s, "quat_slerp", args, ctx)
    d = quat_mul(_quat_inv(q0, ctx), q1, ctx)
    v = stack(make_vec(3, s), [comp(d, i) for i in range(3)])
    w = comp(d, 3)
    nv = vec_normalize(v, ctx)
    neg = compare("Lt", w, _lit(s, 0.0, w.lanes), ctx)
    axis = select(neg.data, _neg(nv, ctx), nv)
    axis.taint = axis.taint | neg.taint
    ln = call_scalar("sqrt", [dot(v, v, ctx)], ctx)
    angle = sop(
        "Mult", _lit(s, 2.0, w.lanes), call_scalar("atan2", [ln, call_scalar("abs", [w], ctx)], ctx), ctx
    )
    return quat_mul(q0, _axis_angle_quat(axis, sop("Mult", t, angle, ctx), ctx), ctx)


def _rpy(args: list[Any], ctx: OpCtx) -> Value:
    _need(
        len(args) == 3
        and all(isinstance(a, Value) and isinstance(a.t, Scalar) and a.t.is_float for a in args)
        and args[0].t == args[1].t == args[2].t,
        "quat_rpy",
        args,
        ctx,
    )
    roll, pitch, yaw = args
    s = roll.t
    half = _lit(s, 0.5, roll.lanes)

    def cs(a: Value) -> tuple[Value, Value]:
        h = sop("Mult", a, half, ctx)
        return call_scalar("cos", [h], ctx), call_scalar("sin", [h], ctx)

    cy, sy = cs(yaw)
    cr, sr = cs(roll)
    cp, sp = cs(pitch)

    def m3(a: Value, b: Value, c: Value) -> Value:
        return sop("Mult", sop("Mult", a, b, ctx), c, ctx)

    w = sop("Add", m3(cy, cr, cp), m3(sy, sr, sp), ctx)
    x = sop("Sub", m3(cy, sr, cp), m3(sy, cr, sp), ctx)
    y = sop("Add", m3(cy, cr, sp), m3(sy, sr, cp), ctx)
    z = sop("Sub", m3(sy, cr, cp), m3(cy, sr, sp), ctx)
    return stack(make_quat(s), [x, y, z, w])


def from_matrix_fn(args: list[Any], ctx: OpCtx) -> Value:
    """quat.h quat_from_matrix on the upper-left 3x3 (mat33 or mat44): the trace branch or the
    largest-diagonal branch, per lane, then quat normalize. Every branch is computed on every lane
    and selected; branch decisions within rounding error taint the lane."""
    _need(
        len(args) == 1
        and isinstance(args[0], Value)
        and isinstance(args[0].t, Composite)
        and args[0].t.kind == "mat"
        and args[0].t.shape in ((3, 3), (4, 4))
        and args[0].t.is_float,
        "quat_from_matrix",
        args,
        ctx,
    )
    m = args[0]
    s = m.t.scalar
    lanes = m.lanes
    one, half, zero = _lit(s, 1.0, lanes), _lit(s, 0.5, lanes), _lit(s, 0.0, lanes)

    def e(i: int, j: int) -> Value:
        return comp(m, i, j)

    def add(a: Value, b: Value) -> Value:
        return sop("Add", a, b, ctx)

    def sub(a: Value, b: Value) -> Value:
        return sop("Sub", a, b, ctx)

    def mul(a: Value, b: Value) -> Value:
        return sop("Mult", a, b, ctx)

    def head(x: Value) -> tuple[Value, Value]:
        """h = sqrt(x + 1); (0.5 * h, 0.5 / h)."""
        h = call_scalar("sqrt", [add(x, one)], ctx)
        return mul(half, h), sop("Div", half, h, ctx)

    tr = add(add(e(0, 0), e(1, 1)), e(2, 2))
    # branch A: trace >= 0
    wa, ha = head(tr)
    qa = [mul(sub(e(2, 1), e(1, 2)), ha), mul(sub(e(0, 2), e(2, 0)), ha), mul(sub(e(1, 0), e(0, 1)), ha), wa]
    # branch 0
    x0, h0 = head(sub(e(0, 0), add(e(1, 1), e(2, 2))))
    q0 = [x0, mul(add(e(0, 1), e(1, 0)), h0), mul(add(e(2, 0), e(0, 2)), h0), mul(sub(e(2, 1), e(1, 2)), h0)]
    # branch 1
    y1, h1 = head(sub(e(1, 1), add(e(2, 2), e(0, 0))))
    q1 = [mul(add(e(0, 1), e(1, 0)), h1), y1, mul(add(e(1, 2), e(2, 1)), h1), mul(sub(e(0, 2), e(2, 0)), h1)]
    # branch 2
    z2, h2 = head(sub(e(2, 2), add(e(0, 0), e(1, 1))))
    q2 = [mul(add(e(2, 0), e(0, 2)), h2), mul(add(e(1, 2), e(2, 1)), h2), z2, mul(sub(e(1, 0), e(0, 1)), h2)]

    qt = make_quat(s)
    ta = compare("GtE", tr, zero, ctx)
    c1 = compare("Gt", e(1, 1), e(0, 0), ctx)
    best = select(c1.data, e(1, 1), e(0, 0))
    c2 = compare("Gt", e(2, 2), best, ctx)
    diag_taint = c1.taint | c2.taint
    r = select(c1.data, stack(qt, q1), stack(qt, q0))
    r = select(c2.data, stack(qt, q2), r)
    r.taint = r.taint | diag_taint
    r = select(ta.data, stack(qt, qa), r)
    r.taint = r.taint | ta.taint
    return quat_normalize(r, ctx)


def _normalize(args: list[Any], ctx: OpCtx) -> Value:
    if len(args) == 1 and _kind(args[0], "quat"):
        return quat_normalize(args[0], ctx)
    return unary_vec("normalize")(args, ctx)


def _dtype_kw(name: str, args: list[Any], ctx: OpCtx) -> tuple[list[Any], Scalar | None]:
    """Split off a `dtype=` keyword (a float scalar type); other keywords are unsupported."""
    rest, dt = [], None
    for a in args:
        if isinstance(a, Keyword):
            _need(a.name == "dtype" and isinstance(a.value, TypeArg), name, args, ctx)
            assert isinstance(a.value, TypeArg)
            dt = a.value.t
            _need(isinstance(dt, Scalar) and dt.is_float, name, args, ctx)
        elif isinstance(a, TypeArg):
            _need(False, name, args, ctx)
        else:
            rest.append(a)
    assert dt is None or isinstance(dt, Scalar)
    return rest, dt


def _transform_identity(args: list[Any], ctx: OpCtx) -> Value:
    rest, dt = _dtype_kw("transform_identity", args, ctx)
    _need(not rest, "transform_identity", args, ctx)
    v = const_value(make_transform(dt or Scalar("float32")), 0, int(ctx.mask.shape[0]))
    v.data[:, 6] = 1
    return v


def _quat_identity(args: list[Any], ctx: OpCtx) -> Value:
    rest, dt = _dtype_kw("quat_identity", args, ctx)
    _need(not rest, "quat_identity", args, ctx)
    v = const_value(make_quat(dt or Scalar("float32")), 0, int(ctx.mask.shape[0]))
    v.data[:, 3] = 1
    return v


def _transformation(name: str) -> Any:
    """transformation(p, q[, dtype=]) / transform[f|d](p, q) / transformf(7 scalars) / ()."""

    def fn(args: list[Any], ctx: OpCtx) -> Value:
        rest, dt = _dtype_kw(name, args, ctx)
        want = {"transformf": "float32", "transformd": "float64", "transformh": "float16"}.get(name)
        if want is not None:
            _need(dt is None, name, args, ctx)
            dt = Scalar(want)
        lanes = int(ctx.mask.shape[0])
        if not rest:
            return const_value(make_transform(dt or Scalar("float32")), 0, lanes)
        if len(rest) == 2 and _kind(rest[0], "vec", 3) and _kind(rest[1], "quat"):
            p, q = rest
            _need(p.t.scalar == q.t.scalar and (dt is None or dt == p.t.scalar), name, args, ctx)
            return _tf(p, q)
        if len(rest) == 7 and all(isinstance(a, Value) and isinstance(a.t, Scalar) for a in rest):
            s = dt or rest[0].t
            from oracle.numeric import cast

            vals = [a if a.t == s else cast(a, s, ctx) if a.literal is not None else None for a in rest]
            _need(all(v is not None for v in vals), name, args, ctx)
            return stack(make_transform(s), vals)  # type: ignore[arg-type]
        _need(False, name, args, ctx)
        raise AssertionError

    return fn


def _tf_unary(name: str) -> Any:
    def fn(args: list[Any], ctx: OpCtx) -> Value:
        _need(len(args) == 1 and _kind(args[0], "transform"), name, args, ctx)
        (t,) = args
        if name == "transform_get_translation":
            return _p(t)
        if name == "transform_get_rotation":
            return _q(t)
        # transform_inverse: q_inv = quat_inverse(q); (-quat_rotate(q_inv, p), q_inv)
        qi = _quat_inv(_q(t), ctx)
        return _tf(_neg(quat_rotate(qi, _p(t), ctx, inverse=False), ctx), qi)

    return fn


def _tf_binary(name: str) -> Any:
    def fn(args: list[Any], ctx: OpCtx) -> Value:
        if name == "transform_multiply":
            _need(len(args) == 2 and _kind(args[0], "transform") and args[1].t == args[0].t, name, args, ctx)
            a, b = args
            p = _add(quat_rotate(_q(a), _p(b), ctx, inverse=False), _p(a), ctx)
            return _tf(p, quat_mul(_q(a), _q(b), ctx))
        _need(
            len(args) == 2
            and _kind(args[0], "transform")
            and _kind(args[1], "vec", 3)
            and args[1].t.scalar == args[0].t.scalar,
            name,
            args,
            ctx,
        )
        t, x = args
        r = quat_rotate(_q(t), x, ctx, inverse=False)
        return _add(_p(t), r, ctx) if name == "transform_point" else r

    return fn


def _bit_count(args: list[Any], ctx: OpCtx) -> Value:
    """Set bits of the two's-complement representation (builtin.h), as int32."""
    _need(
        len(args) == 1 and isinstance(args[0], Value) and isinstance(args[0].t, Scalar) and args[0].t.is_int,
        "bit_count",
        args,
        ctx,
    )
    v = args[0]
    u = v.data.view(np.dtype(f"u{v.t.np.itemsize}"))
    bits = np.unpackbits(u.astype(">u8").view(np.uint8).reshape(len(u), 8), axis=1).sum(axis=1)
    return Value(INT32, bits.astype(np.int32), np.zeros(v.lanes), v.taint.copy())


def _sv_parts(name: str, args: list[Any], ctx: OpCtx, n: int) -> list[Value]:
    _need(len(args) == n and all(_kind(a, "vec", 6) for a in args), name, args, ctx)
    _need(all(a.t == args[0].t for a in args), name, args, ctx)
    return list(args)


def _w(a: Value) -> Value:
    assert isinstance(a.t, Composite)
    return stack(make_vec(3, a.t.scalar), [comp(a, i) for i in range(3)])


def _v(a: Value) -> Value:
    assert isinstance(a.t, Composite)
    return stack(make_vec(3, a.t.scalar), [comp(a, i) for i in range(3, 6)])


def _sv(w: Value, v: Value) -> Value:
    assert isinstance(w.t, Composite)
    return stack(make_vec(6, w.t.scalar), [comp(w, i) for i in range(3)] + [comp(v, i) for i in range(3)])


def _spatial_vector(name: str, scalar: str) -> Any:
    """vec.h's screw constructor (w, v) or six components; `wp.spatial_vector` builds float32
    (its `dtype=` form is refused as a keyword call), the typed names take six components."""

    def fn(args: list[Any], ctx: OpCtx) -> Value:
        if name == "spatial_vector" and len(args) == 2 and all(_kind(a, "vec", 3) for a in args):
            # (the typed names are plain 6-vector types: Warp refuses them two vectors)
            _need(args[0].t == args[1].t and args[0].t.scalar.name == scalar, name, args, ctx)
            return _sv(args[0], args[1])
        vals = [a for a in args if isinstance(a, Value) and isinstance(a.t, Scalar)]
        ok = len(args) == 6 and len(vals) == 6 and all(a.t.name == scalar for a in vals)
        _need(ok, name, args, ctx)
        s0 = vals[0].t
        assert isinstance(s0, Scalar)
        return stack(make_vec(6, s0), vals)

    return fn


def _spatial_dot(args: list[Any], ctx: OpCtx) -> Value:
    a, b = _sv_parts("spatial_dot", args, ctx, 2)
    return dot(a, b, ctx)


def _spatial_cross(args: list[Any], ctx: OpCtx) -> Value:
    """w = wa x wb, v = va x wb + wa x vb (spatial.h)."""
    a, b = _sv_parts("spatial_cross", args, ctx, 2)
    w = cross(_w(a), _w(b), ctx)
    return _sv(w, _add(cross(_v(a), _w(b), ctx), cross(_w(a), _v(b), ctx), ctx))


def _spatial_cross_dual(args: list[Any], ctx: OpCtx) -> Value:
    """w = wa x wb + va x vb, v = wa x vb (spatial.h)."""
    a, b = _sv_parts("spatial_cross_dual", args, ctx, 2)
    w = _add(cross(_w(a), _w(b), ctx), cross(_v(a), _v(b), ctx), ctx)
    return _sv(w, cross(_w(a), _v(b), ctx))


def _spatial_half(top: bool) -> Any:
    def fn(args: list[Any], ctx: OpCtx) -> Value:
        (a,) = _sv_parts("spatial_top" if top else "spatial_bottom", args, ctx, 1)
        return _w(a) if top else _v(a)

    return fn


def _spatial_adjoint(args: list[Any], ctx: OpCtx) -> Value:
    """[[R, 0], [S, R]] as a 6x6 matrix (spatial.h)."""
    ok = len(args) == 2 and all(
        isinstance(a, Value) and isinstance(a.t, Composite) and a.t.kind == "mat" and a.t.shape == (3, 3)
        for a in args
    )
    _need(ok and args[0].t == args[1].t and args[0].t.is_float, "spatial_adjoint", args, ctx)
    r, sm = args
    zero = _lit(r.t.scalar, 0.0, r.lanes)
    parts = []
    for i in range(6):
        for j in range(6):
            if (i < 3) == (j < 3):
                parts.append(comp(r, i % 3, j % 3))
            elif i >= 3:
                parts.append(comp(sm, i - 3, j))
            else:
                parts.append(zero)
    return stack(make_mat(6, 6, r.t.scalar), parts)


# ---- warp/_src/math.py: @wp.func builtins written in Warp itself (float32 annotations) ----------

F32 = Scalar("float32")


def _f32_args(
    name: str, args: list[Any], ctx: OpCtx, kinds: tuple[tuple[str, int | None], ...]
) -> list[Value]:
    ok = len(args) == len(kinds) and all(
        _kind(a, k, n) and a.t.scalar.name == "float32" for a, (k, n) in zip(args, kinds, strict=False)
    )
    _need(ok, name, args, ctx)
    return list(args)


def _twist_like(wrench: bool) -> Any:
    """transform_twist: w' = R w, v' = R v + p x w'; transform_wrench: f' = R f, tau' = R tau + p x f'."""
    name = "transform_wrench" if wrench else "transform_twist"

    def fn(args: list[Any], ctx: OpCtx) -> Value:
        t, x = _f32_args(name, args, ctx, (("transform", None), ("vec", 6)))
        q, p = _q(t), _p(t)
        top, bottom = _w(x), _v(x)
        if wrench:
            f = quat_rotate(q, bottom, ctx, False)
            return _sv(_add(quat_rotate(q, top, ctx, False), cross(p, f, ctx), ctx), f)
        w = quat_rotate(q, top, ctx, False)
        return _sv(w, _add(quat_rotate(q, bottom, ctx, False), cross(p, w, ctx), ctx))

    return fn


def _velocity_at_point(args: list[Any], ctx: OpCtx) -> Value:
    """spatial_bottom(qd) + cross(spatial_top(qd), r)."""
    qd, r = _f32_args("velocity_at_point", args, ctx, (("vec", 6), ("vec", 3)))
    return _add(_v(qd), cross(_w(qd), r, ctx), ctx)


def _quat_twist(args: list[Any], ctx: OpCtx) -> Value:
    """a = q.xyz; a = dot(a, axis) * axis; normalize(quat(a, q.w)) (quaternion normalize)."""
    axis, q = _f32_args("quat_twist", args, ctx, (("vec", 3), ("quat", None)))
    a = stack(make_vec(3, F32), [comp(q, i) for i in range(3)])
    a = scale(axis, dot(a, axis, ctx), ctx)
    return quat_normalize(stack(make_quat(F32), [comp(a, 0), comp(a, 1), comp(a, 2), comp(q, 3)]), ctx)


def _quat_twist_angle(signed: bool) -> Any:
    """2 * atan2(|dot(axis, q.xyz)|, q.w) (signed: without the abs)."""
    name = "quat_twist_angle_signed" if signed else "quat_twist_angle"

    def fn(args: list[Any], ctx: OpCtx) -> Value:
        axis, q = _f32_args(name, args, ctx, (("vec", 3), ("quat", None)))
        sin_half = dot(axis, stack(make_vec(3, F32), [comp(q, i) for i in range(3)]), ctx)
        if not signed:
            sin_half = call_scalar("abs", [sin_half], ctx)
        return sop("Mult", _lit(F32, 2.0, q.lanes), call_scalar("atan2", [sin_half, comp(q, 3)], ctx), ctx)

    return fn


def _quat_to_rpy(args: list[Any], ctx: OpCtx) -> Value:
    """math.py quat_to_rpy: atan2 / clamped asin / atan2 of the usual products, in its order."""
    (q,) = _f32_args("quat_to_rpy", args, ctx, (("quat", None),))
    x, y, z, w = (comp(q, i) for i in range(4))
    n = q.lanes
    two, one = _lit(F32, 2.0, n), _lit(F32, 1.0, n)

    def m(a: Value, b: Value) -> Value:
        return sop("Mult", a, b, ctx)

    def a(u: Value, v: Value) -> Value:
        return sop("Add", u, v, ctx)

    t0 = m(two, a(m(w, x), m(y, z)))
    t1 = sop("Sub", one, m(two, a(m(x, x), m(y, y))), ctx)
    t2 = m(two, sop("Sub", m(w, y), m(z, x), ctx))
    t2 = call_scalar("clamp", [t2, _lit(F32, -1.0, n), one], ctx)
    t3 = m(two, a(m(w, z), m(x, y)))
    t4 = sop("Sub", one, m(two, a(m(y, y), m(z, z))), ctx)
    parts = [
        call_scalar("atan2", [t0, t1], ctx),
        call_scalar("asin", [t2], ctx),
        call_scalar("atan2", [t3, t4], ctx),
    ]
    return stack(make_vec(3, F32), parts)


def spatial_builtins() -> list[Builtin]:
    out = [
        *(
            Builtin(nm, _spatial_vector(nm, sc), "vec.h screw constructor (w, v) / six components")
            for nm, sc in (
                ("spatial_vector", "float32"),
                ("spatial_vectorf", "float32"),
                ("spatial_vectord", "float64"),
                ("spatial_vectorh", "float16"),
            )
        ),
        Builtin("spatial_dot", _spatial_dot, "spatial.h: dot of the 6-vectors"),
        Builtin("spatial_cross", _spatial_cross, "spatial.h: (wa x wb, va x wb + wa x vb)"),
        Builtin("spatial_cross_dual", _spatial_cross_dual, "spatial.h: (wa x wb + va x vb, wa x vb)"),
        Builtin("spatial_top", _spatial_half(True), "spatial.h: w, components 0-2"),
        Builtin("spatial_bottom", _spatial_half(False), "spatial.h: v, components 3-5"),
        Builtin("spatial_adjoint", _spatial_adjoint, "spatial.h: [[R, 0], [S, R]]"),
        Builtin("transform_twist", _twist_like(False), "math.py: (R w, R v + p x R w)"),
        Builtin("transform_wrench", _twist_like(True), "math.py: (R tau + p x R f, R f)"),
        Builtin("velocity_at_point", _velocity_at_point, "math.py: v + w x r"),
        Builtin("quat_twist", _quat_twist, "math.py: normalize((dot(q.xyz, axis) axis, q.w))"),
        Builtin("quat_twist_angle", _quat_twist_angle(False), "math.py: 2 atan2(|dot(axis, q.xyz)|, q.w)"),
        Builtin(
            "quat_twist_angle_signed", _quat_twist_angle(True), "math.py: 2 atan2(dot(axis, q.xyz), q.w)"
        ),
        Builtin("quat_to_rpy", _quat_to_rpy, "math.py: atan2, clamped asin, atan2"),
        Builtin("quat_slerp", _slerp, "quat.h: q0 * axis_angle(axis, t*angle) of q0^-1 q1"),
        Builtin("quat_rpy", _rpy, "quat.h half-angle products"),
        Builtin("quat_from_matrix", from_matrix_fn, "quat.h trace / largest-diagonal branches, normalize"),
        Builtin("normalize", _normalize, "vec.h a/l or 0; quat.h q*(1/l) or identity"),
        Builtin("quat_identity", _quat_identity, "(0, 0, 0, 1)", static=True),
        Builtin("transform_identity", _transform_identity, "p = 0, q = identity", static=True),
        Builtin("transformation", _transformation("transformation"), "(p, q)", static=True),
        Builtin("bit_count", _bit_count, "popcount of the two's-complement bits"),
    ]
    for nm in ("transform", "transformf", "transformd"):
        out.append(Builtin(nm, _transformation(nm), "(p, q) or 7 components", static=True))
    for nm in ("transform_get_translation", "transform_get_rotation", "transform_inverse"):
        out.append(Builtin(nm, _tf_unary(nm), "spatial.h"))
    for nm in ("transform_multiply", "transform_point", "transform_vector"):
        out.append(Builtin(nm, _tf_binary(nm), "spatial.h"))
    return out


_ = cross
