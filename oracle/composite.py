"""Arithmetic on vector, matrix and quaternion values, written component by component with the
scalar helpers so that rounding, error bounds and taint compose exactly as for scalars. Formulas
follow Warp's vec.h / mat.h / quat.h (e.g. quat_rotate, dot, cross, the matrix products). The
interpreter's operators use it directly; the composite builtins (`oracle.composite_builtins`) and
the spatial, linalg, random and noise builtins are built from it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from oracle.numeric import OpCtx, cast, float_binop, int_binop, negate, scalar_of
from oracle.types import Composite, Scalar, ValueType, make_mat, make_vec
from oracle.values import Value, const_value

_ATTRS = {"x": 0, "y": 1, "z": 2, "w": 3}


def comp(v: Value, *k: int) -> Value:
    """Component k (a scalar lane value) of a composite."""
    s = scalar_of(v.t)
    ix: tuple[Any, ...] = (slice(None), *k)
    return Value(s, v.data[ix].copy(), v.err[ix].copy(), v.taint.copy())


def stack(t: Composite, parts: Sequence[Value]) -> Value:
    lanes = parts[0].lanes
    data = np.stack([p.data for p in parts], axis=1).reshape(lanes, *t.shape).astype(t.np)
    err = np.stack([p.err for p in parts], axis=1).reshape(lanes, *t.shape)
    taint = np.zeros(lanes, bool)
    for p in parts:
        taint |= p.taint
    return Value(t, data, err, taint)


def sop(op: str, a: Value, b: Value, ctx: OpCtx) -> Value:
    if a.t != b.t:
        raise ctx.unsupported(f"operator {op} on {a.t} and {b.t}")
    return float_binop(op, a, b, ctx) if a.t.is_float else int_binop(op, a, b, ctx)


def sum_in_order(vals: Sequence[Value], ctx: OpCtx) -> Value:
    acc = vals[0]
    for v in vals[1:]:
        acc = sop("Add", acc, v, ctx)
    return acc


def _plus_zero(v: Value) -> Value:
    """v + 0: what a sum that starts from `Type(0)` gives. Equal to v except that -0 becomes +0
    (x + 0 is exact for every other x), so error bounds and taint are unchanged."""
    if not scalar_of(v.t).is_float:
        return v
    return Value(v.t, (v.data + v.data.dtype.type(0)).astype(v.data.dtype, copy=False), v.err, v.taint)


def dot(a: Value, b: Value, ctx: OpCtx) -> Value:
    """vec.h: vec2/vec3 sum their products directly; longer vectors accumulate into `Type ret(0)`,
    which turns a -0 result into +0 (seen through atan2's sign on a 1.10.1 campaign, seed 200739)."""
    n = a.t.shape[0]
    r = sum_in_order([sop("Mult", comp(a, i), comp(b, i), ctx) for i in range(n)], ctx)
    return _plus_zero(r) if n >= 4 else r


def flat(v: Value) -> list[Value]:
    return [comp(v, *idx) for idx in np.ndindex(*v.t.shape)]


def lit(s: Scalar, x: float, lanes: int) -> Value:
    return const_value(s, float(x) if s.is_float else int(x), lanes)


def component_index(t: Composite, attr: str, ctx: OpCtx) -> int:
    if t.kind in ("vec", "quat") and attr in _ATTRS and _ATTRS[attr] < t.shape[0]:
        return _ATTRS[attr]
    raise ctx.unsupported(f"attribute .{attr} of {t}")


def _index_ints(t: Composite, idx: tuple[Any, ...], ctx: OpCtx) -> list[np.ndarray]:
    out = []
    for ax, k in enumerate(idx):
        if ax >= len(t.shape):
            raise ctx.unsupported(f"too many indices for {t}")
        n = t.shape[ax]
        if isinstance(k, int):
            arr = np.full(ctx.mask.shape, k, dtype=np.int64)
        else:
            if k.t.shape or not k.t.is_int:
                raise ctx.unsupported("component index that is not an integer")
            arr = k.data.astype(np.int64)
        bad = ctx.mask & ((arr < 0) | (arr >= n))
        if bad.any():
            raise ctx.ub(f"index {int(arr[bad][0])} out of bounds for axis {ax} of {t} (size {n})")
        out.append(np.where((arr >= 0) & (arr < n), arr, 0))
    return out


def get_component(v: Value, idx: tuple[Any, ...], ctx: OpCtx) -> Value:
    """v[k], v.x, m[i, j] (scalar) or m[i] (row vector)."""
    assert isinstance(v.t, Composite)
    ks = _index_ints(v.t, idx, ctx)
    lanes = np.arange(v.lanes)
    data = v.data[(lanes, *ks)]
    err = v.err[(lanes, *ks)]
    taint = v.taint.copy()
    for k in idx:
        if isinstance(k, Value):
            taint |= k.taint
    rest = v.t.shape[len(ks) :]
    t: ValueType = scalar_of(v.t) if not rest else make_vec(rest[0], scalar_of(v.t))
    return Value(t, data.copy(), err.copy(), taint)


def set_component(v: Value, idx: tuple[Any, ...], x: Value, ctx: OpCtx) -> Value:
    """A copy of v with v[idx] = x (a scalar, or a row vector for m[i] = row)."""
    assert isinstance(v.t, Composite)
    ks = _index_ints(v.t, idx, ctx)
    rest = v.t.shape[len(ks) :]
    want: ValueType = scalar_of(v.t) if not rest else make_vec(rest[0], scalar_of(v.t))
    if x.t != want:
        if x.literal is not None and isinstance(want, Scalar):
            x = cast(x, want, ctx)
        else:
            raise ctx.unsupported(f"component assignment of {x.t} into {v.t}")
    lanes = np.arange(v.lanes)
    data, err = v.data.copy(), v.err.copy()
    data[(lanes, *ks)] = x.data
    err[(lanes, *ks)] = x.err
    taint = v.taint | x.taint
    for k in idx:
        if isinstance(k, Value):
            taint = taint | k.taint
    return Value(v.t, data, err, taint)


def map2(op: str, a: Value, b: Value, ctx: OpCtx) -> Value:
    assert isinstance(a.t, Composite)
    return stack(a.t, [sop(op, x, y, ctx) for x, y in zip(flat(a), flat(b), strict=True)])


def scale(v: Value, s: Value, ctx: OpCtx, op: str = "Mult") -> Value:
    assert isinstance(v.t, Composite)
    return stack(v.t, [sop(op, x, s, ctx) for x in flat(v)])


def _matvec(m: Value, v: Value, ctx: OpCtx) -> Value:
    r, c = m.t.shape
    rows = [
        sum_in_order([sop("Mult", comp(m, i, j), comp(v, j), ctx) for j in range(c)], ctx) for i in range(r)
    ]
    return stack(make_vec(r, scalar_of(m.t)), rows)


def _vecmat(v: Value, m: Value, ctx: OpCtx) -> Value:
    r, c = m.t.shape
    cols = [
        sum_in_order([sop("Mult", comp(v, i), comp(m, i, j), ctx) for i in range(r)], ctx) for j in range(c)
    ]
    return stack(make_vec(c, scalar_of(m.t)), cols)


def _fusable(v: Value, products: Sequence[Value], partials: Sequence[Value]) -> Value:
    """`v`, a sum of products computed unfused, with room for a fused evaluation: mat.h (1.19)
    accumulates each entry with `muladd`, which is fmaf/fma for float32/float64 (one rounding
    per step) and `c + a * b` elsewhere and in older releases. The exact rounding errors of
    the unfused chain do not bound the fused one, so each step adds the a-priori half-ulp of
    its product and of its partial sum, which covers either evaluation."""
    s = scalar_of(v.t)
    if not s.is_float:
        return v
    with np.errstate(all="ignore"):
        extra = np.zeros(np.shape(v.err), dtype=np.float64)
        for q in (*products, *partials):
            extra = extra + s.u * np.abs(np.asarray(q.data, dtype=np.float64))
        extra = np.where(np.isfinite(extra), extra, np.inf)
    return Value(v.t, v.data, v.err + extra, v.taint)


def muladd_sum(prods: Sequence[Value], ctx: OpCtx) -> Value:
    """`Type r(0); r = muladd(x, y, r)` over `prods` (the products x * y, in order), as mat.h
    accumulates a matrix product's entry or `ddot`: a -0 result is +0, fused or not."""
    partials, acc = [], prods[0]
    for p in prods[1:]:
        acc = sop("Add", acc, p, ctx)
        partials.append(acc)
    return _fusable(_plus_zero(acc), prods, partials)


def _matmat(a: Value, b: Value, ctx: OpCtx) -> Value:
    r, k = a.t.shape
    _, c = b.t.shape
    out = []
    for i in range(r):
        for j in range(c):
            prods = [sop("Mult", comp(a, i, x), comp(b, x, j), ctx) for x in range(k)]
            # mat.h accumulates each entry into `Type sum(0.0)`: a -0 entry is +0
            out.append(muladd_sum(prods, ctx))
    return stack(make_mat(r, c, scalar_of(a.t)), out)


def quat_mul(a: Value, b: Value, ctx: OpCtx) -> Value:
    """quat.h mul, in its evaluation order: x = a.w*b.x + b.w*a.x + a.y*b.z - b.y*a.z, ...,
    w = a.w*b.w - a.x*b.x - a.y*b.y - a.z*b.z (left to right: the order decides the rounding)."""
    ax, ay, az, aw = (comp(a, i) for i in range(4))
    bx, by, bz, bw = (comp(b, i) for i in range(4))

    def m(p: Value, q: Value) -> Value:
        return sop("Mult", p, q, ctx)

    def ad(*vals: Value) -> Value:
        return sum_in_order(vals, ctx)

    x = sop("Sub", ad(m(aw, bx), m(bw, ax), m(ay, bz)), m(az, by), ctx)
    y = sop("Sub", ad(m(aw, by), m(bw, ay), m(az, bx)), m(ax, bz), ctx)
    z = sop("Sub", ad(m(aw, bz), m(bw, az), m(ax, by)), m(ay, bx), ctx)
    w = sop("Sub", sop("Sub", sop("Sub", m(aw, bw), m(ax, bx), ctx), m(ay, by), ctx), m(az, bz), ctx)
    assert isinstance(a.t, Composite)
    return stack(a.t, [x, y, z, w])


def composite_binop(op: str, a: Value, b: Value, ctx: OpCtx) -> Value:
    ta, tb = a.t, b.t
    ca, cb = isinstance(ta, Composite), isinstance(tb, Composite)
    if ca and cb:
        assert isinstance(ta, Composite) and isinstance(tb, Composite)
        if ta.scalar != tb.scalar:
            raise ctx.unsupported(f"operator {op} on {ta} and {tb}")
        if op in ("Add", "Sub") and ta == tb:
            return map2(op, a, b, ctx)
        if op in ("Mult", "MatMult"):
            if ta.kind == "mat" and tb.kind == "vec" and ta.shape[1] == tb.shape[0]:
                return _matvec(a, b, ctx)
            if ta.kind == "vec" and tb.kind == "mat" and ta.shape[0] == tb.shape[0]:
                return _vecmat(a, b, ctx)
            if ta.kind == "mat" and tb.kind == "mat" and ta.shape[1] == tb.shape[0]:
                return _matmat(a, b, ctx)
            if ta.kind == "quat" and ta == tb and op == "Mult":
                return quat_mul(a, b, ctx)
        raise ctx.unsupported(f"operator {op} on {ta} and {tb}")
    if ca and not cb and op in ("Mult", "Div") and scalar_of(ta) == tb:
        return scale(a, b, ctx, op)
    if cb and not ca and op == "Mult" and scalar_of(tb) == ta:
        assert isinstance(tb, Composite)
        return stack(tb, [sop("Mult", a, x, ctx) for x in flat(b)])
    raise ctx.unsupported(f"operator {op} on {ta} and {tb}")


def composite_neg(v: Value, ctx: OpCtx) -> Value:
    assert isinstance(v.t, Composite)
    return stack(v.t, [negate(x, ctx) for x in flat(v)])


def cross(a: Value, b: Value, ctx: OpCtx) -> Value:
    ax, ay, az = (comp(a, i) for i in range(3))
    bx, by, bz = (comp(b, i) for i in range(3))

    def d(p: Value, q: Value, r: Value, s: Value) -> Value:
        return sop("Sub", sop("Mult", p, q, ctx), sop("Mult", r, s, ctx), ctx)

    assert isinstance(a.t, Composite)
    return stack(a.t, [d(ay, bz, az, by), d(az, bx, ax, bz), d(ax, by, ay, bx)])


def quat_rotate(q: Value, x: Value, ctx: OpCtx, inverse: bool) -> Value:
    """quat.h quat_rotate / quat_rotate_inv, term by term."""
    s = scalar_of(q.t)
    qx, qy, qz, qw = (comp(q, i) for i in range(4))
    x0, x1, x2 = (comp(x, i) for i in range(3))
    two, one = lit(s, 2.0, q.lanes), lit(s, 1.0, q.lanes)

    def m(a: Value, b: Value) -> Value:
        return sop("Mult", a, b, ctx)

    c = sop("Sub", m(m(two, qw), qw), one, ctx)
    d = m(two, sum_in_order([m(qx, x0), m(qy, x1), m(qz, x2)], ctx))
    crs = [
        sop("Sub", m(qy, x2), m(qz, x1), ctx),
        sop("Sub", m(qz, x0), m(qx, x2), ctx),
        sop("Sub", m(qx, x1), m(qy, x0), ctx),
    ]
    out = []
    for xi, qi, ci in ((x0, qx, crs[0]), (x1, qy, crs[1]), (x2, qz, crs[2])):
        base = sop("Add", m(xi, c), m(qi, d), ctx)
        out.append(sop("Sub" if inverse else "Add", base, m(m(ci, qw), two), ctx))
    assert isinstance(x.t, Composite)
    return stack(x.t, out)
