"""Extra math builtins: vector norms, Euler angles, axis-angle, 4x4 transform matrices, in-place transform
setters, the 3x3 / 2x2 decompositions and the order-dependent atomics (`atomic_exch`,
`atomic_cas`).

Builtins Warp writes in Python (`warp/_src/math.py`: norm_huber, norm_pseudo_huber,
smooth_normalize, quat_from_euler, quat_to_euler, transform_compose/decompose/to_matrix/
from_matrix) are modelled as their own source composes them, with the scalar ops, so bounds
compose. `quat_to_axis_angle` is quat.h's. The decompositions (svd.h) are iterative in Warp
(a fixed number of approximate Jacobi sweeps): the oracle computes them with numpy.linalg in
float64 in Warp's sign and order conventions where Warp fixes one, and gives every factor a
documented tolerance measured against Warp 1.19.0 (`SVD_TOL` ...), so only consumers that are
independent of the signs (and, for eig3, the order) Warp leaves free are judged sharply.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from oracle.arrays import flat_index
from oracle.builtin_table import Builtin
from oracle.composite import comp, dot, quat_mul, scale, sop, stack
from oracle.composite_builtins import unary_vec
from oracle.errors import OrderDependent
from oracle.numeric import OpCtx, compare, scalar_of
from oracle.races import element_name, record_atomic
from oracle.scalar_builtins import call_scalar
from oracle.spatial import from_matrix_fn, quat_normalize, vec_normalize
from oracle.types import Composite, Scalar, make_mat, make_quat, make_transform, make_vec
from oracle.values import ArrayRef, RefWrites, Value, const_value, select

F32 = Scalar("float32")

# Tolerances of Warp's float32 decompositions, relative to the matrix's Frobenius norm, measured on
# 20 000 well-conditioned matrices (rotations times singular values with gaps >= 0.5, Warp 1.19.0
# CPU): singular values / eigenvalues within 5.4e-6, U diag(s) V^T and Q diag(d) Q^T within 1.3e-3
# (4 approximate Jacobi sweeps; the QR step drops the off-diagonal rest), Q R within 1.2e-6.
VALUE_TOL = 4e-5
FACTOR_TOL = 1e-3  # per component of an orthogonal factor (unit columns)
QR_TOL = 2e-5


def _need(ok: bool, name: str, args: list[Any], ctx: OpCtx) -> None:
    if not ok:
        raise ctx.unsupported(f"call wp.{name}", ", ".join(str(getattr(a, "t", a)) for a in args))


def _is(v: Any, kind: str, shape: tuple[int, ...] | None = None, f32: bool = False) -> bool:
    return (
        isinstance(v, Value)
        and isinstance(v.t, Composite)
        and v.t.kind == kind
        and (shape is None or v.t.shape == shape)
        and v.t.is_float
        and (not f32 or v.t.scalar == F32)
    )


def _lit(s: Scalar, x: float, lanes: int) -> Value:
    return const_value(s, float(x), lanes)


def _f32(v: Any) -> bool:
    return isinstance(v, Value) and v.t == F32


def _const_int(v: Any, name: str, ctx: OpCtx) -> int:
    """An int argument every active lane gives the same value (an axis index)."""
    ok = isinstance(v, Value) and isinstance(v.t, Scalar) and v.t.is_int and not v.taint[ctx.mask].any()
    if ok:
        vals = np.unique(v.data[ctx.mask]) if ctx.mask.any() else np.unique(v.data[:1])
        ok = len(vals) <= 1
    if not ok:
        raise ctx.unsupported(f"call wp.{name}", "axis index that differs between threads")
    return int(v.data[ctx.mask][0]) if ctx.mask.any() else int(v.data[0]) if v.lanes else 0


# ---- vector norms (math.py) ---------------------------------------------------------------------


def _vec_delta(name: str, args: list[Any], ctx: OpCtx) -> tuple[Value, Value]:
    _need(len(args) in (1, 2) and _is(args[0], "vec", f32=True), name, args, ctx)
    v = args[0]
    delta = args[1] if len(args) == 2 else _lit(F32, 1.0, v.lanes)
    _need(_f32(delta), name, args, ctx)
    return v, delta


def _pseudo_huber(v: Value, delta: Value, ctx: OpCtx) -> Value:
    """delta * sqrt(1.0 + dot(v, v) / (delta * delta))."""
    a = dot(v, v, ctx)
    q = sop("Div", a, sop("Mult", delta, delta, ctx), ctx)
    return sop("Mult", delta, call_scalar("sqrt", [sop("Add", _lit(F32, 1.0, v.lanes), q, ctx)], ctx), ctx)


def _norm_huber(args: list[Any], ctx: OpCtx) -> Value:
    """a = dot(v, v); a <= delta * delta ? 0.5 * a : delta * (sqrt(a) - 0.5 * delta)."""
    v, delta = _vec_delta("norm_huber", args, ctx)
    a = dot(v, v, ctx)
    half = _lit(F32, 0.5, v.lanes)
    inside = compare("LtE", a, sop("Mult", delta, delta, ctx), ctx)
    lo = sop("Mult", half, a, ctx)
    hi = sop(
        "Mult", delta, sop("Sub", call_scalar("sqrt", [a], ctx), sop("Mult", half, delta, ctx), ctx), ctx
    )
    r = select(inside.data, lo, hi)
    r.taint = r.taint | inside.taint
    return r


def _norm_pseudo_huber(args: list[Any], ctx: OpCtx) -> Value:
    v, delta = _vec_delta("norm_pseudo_huber", args, ctx)
    return _pseudo_huber(v, delta, ctx)


def _smooth_normalize(args: list[Any], ctx: OpCtx) -> Value:
    """v / norm_pseudo_huber(v, delta)."""
    v, delta = _vec_delta("smooth_normalize", args, ctx)
    return scale(v, _pseudo_huber(v, delta, ctx), ctx, "Div")


# ---- Euler angles (math.py) ---------------------------------------------------------------------


def _axes(name: str, args: list[Any], ctx: OpCtx) -> tuple[int, int, int]:
    i, j, k = (_const_int(a, name, ctx) for a in args[1:4])
    if not (0 <= i <= 2 and 0 <= j <= 2 and 0 <= k <= 2 and i != j and j != k):
        raise ctx.unsupported(f"call wp.{name}", f"axis sequence ({i}, {j}, {k})")
    return i, j, k


def _quat_from_euler(args: list[Any], ctx: OpCtx) -> Value:
    """qk * (qj * qi), qa the rotation of e[a] about axis a (half-angle sin/cos)."""
    _need(len(args) == 4 and _is(args[0], "vec", (3,), f32=True), "quat_from_euler", args, ctx)
    e = args[0]
    i, j, k = _axes("quat_from_euler", args, ctx)
    n = e.lanes
    half = _lit(F32, 0.5, n)
    zero = _lit(F32, 0.0, n)

    def axis_quat(a: int) -> Value:
        h = sop("Mult", half, comp(e, a), ctx)
        s, c = call_scalar("sin", [h], ctx), call_scalar("cos", [h], ctx)
        parts = [s if m == a else zero for m in range(3)] + [c]
        return stack(make_quat(F32), parts)

    qi, qj, qk = axis_quat(i), axis_quat(j), axis_quat(k)
    return quat_mul(qk, quat_mul(qj, qi, ctx), ctx)


def _quat_to_euler(args: list[Any], ctx: OpCtx) -> Value:
    """math.py quat_to_euler, its integer branches resolved for the (uniform) axis indices and its
    float ones (`abs(t2) < 1e-6`, `abs(t2 - pi) < 1e-6`) selected per lane."""
    _need(len(args) == 4 and _is(args[0], "quat", f32=True), "quat_to_euler", args, ctx)
    q = args[0]
    i0, j0, k0 = _axes("quat_to_euler", args, ctx)
    n = q.lanes
    qs = [comp(q, 3), comp(q, 0), comp(q, 1), comp(q, 2)]  # scalar-first (w, x, y, z)
    i, j, k = i0 + 1, j0 + 1, k0 + 1
    not_proper = i != k
    if not not_proper:
        k = 6 - i - j
    e = _lit(F32, float((i - j) * (j - k) * (k - i)) / 2.0, n)

    def mul(a: Value, b: Value) -> Value:
        return sop("Mult", a, b, ctx)

    def add(a: Value, b: Value) -> Value:
        return sop("Add", a, b, ctx)

    def sub(a: Value, b: Value) -> Value:
        return sop("Sub", a, b, ctx)

    a = qs[0]
    b = qs[i]
    c = qs[j]
    d = mul(qs[k], e)
    if not_proper:
        a = sub(a, qs[j])
        b = add(b, mul(qs[k], e))
        c = add(c, qs[0])
        d = sub(d, qs[i])
    ab = add(mul(a, a), mul(b, b))
    den = add(add(ab, mul(c, c)), mul(d, d))
    two, one = _lit(F32, 2.0, n), _lit(F32, 1.0, n)
    t2 = call_scalar("acos", [sub(sop("Div", mul(two, ab), den, ctx), one)], ctx)
    tp = call_scalar("atan2", [b, a], ctx)
    tm = call_scalar("atan2", [d, c], ctx)
    zero = _lit(F32, 0.0, n)
    eps = _lit(F32, 1e-6, n)
    pi = _lit(F32, math.pi, n)
    c1 = compare("Lt", call_scalar("abs", [t2], ctx), eps, ctx)
    c2 = compare("Lt", call_scalar("abs", [sub(t2, pi)], ctx), eps, ctx)
    # branch 1: t1 = 0, t3 = 2 tp - t1; branch 2: t1 = 0, t3 = 2 tm + t1; else tp -+ tm
    t3_1 = sub(mul(two, tp), zero)
    t3_2 = add(mul(two, tm), zero)
    t1 = select(c1.data | c2.data, zero, sub(tp, tm))
    t3 = select(c1.data, t3_1, select(c2.data, t3_2, add(tp, tm)))
    taint = c1.taint | (c2.taint & ~c1.data)
    t1.taint = t1.taint | taint
    t3.taint = t3.taint | taint
    if not_proper:
        t2 = sub(t2, _lit(F32, math.pi / 2, n))
        t3 = mul(t3, e)
    ex, ey, ez = t1, t2, t3
    if i == 2:
        ex, ey = t2, t1
    elif i == 3:
        ex, ez = t3, t1
    if j == 1:
        ex = t2
    elif j == 2:
        ey = t2
    else:
        ez = t2
    if k == 1:
        ex = t3
    elif k == 2:
        ey = t3
    else:
        ez = t3
    return stack(make_vec(3, F32), [ex, ey, ez])


# ---- quat.h quat_to_axis_angle --------------------------------------------------------------------


def _quat_to_axis_angle(args: list[Any], ctx: OpCtx) -> tuple[Value, Value]:
    """axis = w < 0 ? -normalize(v) : normalize(v); angle = 2 * atan2(length(v), abs(w))."""
    _need(len(args) == 1 and _is(args[0], "quat"), "quat_to_axis_angle", args, ctx)
    q = args[0]
    s = q.t.scalar
    v = stack(make_vec(3, s), [comp(q, i) for i in range(3)])
    w = comp(q, 3)
    nv = vec_normalize(v, ctx)
    neg = compare("Lt", w, _lit(s, 0.0, q.lanes), ctx)
    axis = select(neg.data, scale(nv, _lit(s, -1.0, q.lanes), ctx), nv)
    axis.taint = axis.taint | neg.taint
    ln = call_scalar("sqrt", [dot(v, v, ctx)], ctx)
    angle = sop(
        "Mult", _lit(s, 2.0, q.lanes), call_scalar("atan2", [ln, call_scalar("abs", [w], ctx)], ctx), ctx
    )
    return axis, angle


# ---- 4x4 transform matrices (math.py) -------------------------------------------------------------


def _quat_to_matrix(q: Value, ctx: OpCtx) -> Value:
    out = unary_vec("quat_to_matrix")([q], ctx)
    assert isinstance(out, Value)
    return out


def _mat44(rows: list[list[Value]]) -> Value:
    s = scalar_of(rows[0][0].t)
    return stack(make_mat(4, 4, s), [x for r in rows for x in r])


def _transform_compose(args: list[Any], ctx: OpCtx) -> Value:
    """[[s_c R[r, c]] | p] over [0 0 0 1], R = quat_to_matrix(rotation)."""
    ok = len(args) == 3 and _is(args[0], "vec", (3,)) and _is(args[1], "quat") and _is(args[2], "vec", (3,))
    _need(ok and args[0].t.scalar == args[1].t.scalar == args[2].t.scalar, "transform_compose", args, ctx)
    p, q, sc = args
    s = p.t.scalar
    r = _quat_to_matrix(q, ctx)
    z, one = _lit(s, 0.0, p.lanes), _lit(s, 1.0, p.lanes)
    rows = [
        [sop("Mult", comp(sc, c), comp(r, row, c), ctx) for c in range(3)] + [comp(p, row)]
        for row in range(3)
    ]
    return _mat44([*rows, [z, z, z, one]])


def _transform_to_matrix(args: list[Any], ctx: OpCtx) -> Value:
    _need(len(args) == 1 and _is(args[0], "transform"), "transform_to_matrix", args, ctx)
    t = args[0]
    s = t.t.scalar
    q = stack(make_quat(s), [comp(t, i) for i in range(3, 7)])
    r = _quat_to_matrix(q, ctx)
    z, one = _lit(s, 0.0, t.lanes), _lit(s, 1.0, t.lanes)
    rows = [[comp(r, row, c) for c in range(3)] + [comp(t, row)] for row in range(3)]
    return _mat44([*rows, [z, z, z, one]])


def _transform_from_matrix(args: list[Any], ctx: OpCtx) -> Value:
    """transform((m[0][3], m[1][3], m[2][3]), quat_from_matrix(m))."""
    _need(len(args) == 1 and _is(args[0], "mat", (4, 4)), "transform_from_matrix", args, ctx)
    m = args[0]
    q = from_matrix_fn([m], ctx)
    return stack(
        make_transform(m.t.scalar), [comp(m, r, 3) for r in range(3)] + [comp(q, i) for i in range(4)]
    )


def _transform_decompose(args: list[Any], ctx: OpCtx) -> tuple[Value, Value, Value]:
    """(position, quat_from_matrix(columns / their lengths), lengths); a zero length leaves its
    column as is (`if sx != 0`)."""
    _need(len(args) == 1 and _is(args[0], "mat", (4, 4)), "transform_decompose", args, ctx)
    m = args[0]
    s = m.t.scalar
    n = m.lanes
    pos = stack(make_vec(3, s), [comp(m, r, 3) for r in range(3)])
    zero = _lit(s, 0.0, n)
    cols: list[list[Value]] = []
    lens: list[Value] = []
    for c in range(3):
        e = [comp(m, r, c) for r in range(3)]
        sq = sop("Add", sop("Add", sop("Mult", e[0], e[0], ctx), sop("Mult", e[1], e[1], ctx), ctx),
                 sop("Mult", e[2], e[2], ctx), ctx)  # fmt: skip
        ln = call_scalar("sqrt", [sq], ctx)
        nz = compare("NotEq", ln, zero, ctx)
        col = []
        for x in e:
            y = select(nz.data, sop("Div", x, ln, ctx), x)
            y.taint = y.taint | nz.taint
            col.append(y)
        cols.append(col)
        lens.append(ln)
    r33 = stack(make_mat(3, 3, s), [cols[c][r] for r in range(3) for c in range(3)])
    rot = from_matrix_fn([r33], ctx)
    return pos, rot, stack(make_vec(3, s), lens)


# ---- transform_set_translation / transform_set_rotation (in place) ------------------------------


def _transform_set(rotation: bool) -> Any:
    name = "transform_set_rotation" if rotation else "transform_set_translation"

    def fn(args: list[Any], ctx: OpCtx) -> RefWrites:
        ok = len(args) == 2 and _is(args[0], "transform")
        ok = ok and (_is(args[1], "quat") if rotation else _is(args[1], "vec", (3,)))
        _need(ok and args[0].t.scalar == args[1].t.scalar, name, args, ctx)
        t, x = args
        parts = [comp(t, i) for i in range(7)]
        off = 3 if rotation else 0
        for i in range(4 if rotation else 3):
            parts[off + i] = comp(x, i)
        new = stack(t.t, parts)
        none = Value(t.t, new.data, new.err, new.taint)
        return RefWrites(none, ((0, new),))

    return fn


# ---- decompositions (svd.h) ---------------------------------------------------------------------


def _mat_arg(name: str, args: list[Any], ctx: OpCtx, n: int) -> Value:
    _need(len(args) == 1 and _is(args[0], "mat", (n, n)), name, args, ctx)
    a = args[0]
    ctx.count(30 * n * n)
    return a


def _out(t: Composite, data: np.ndarray, err: np.ndarray, taint: np.ndarray) -> Value:
    with np.errstate(all="ignore"):
        d = data.astype(t.np)
    return Value(t, d, np.broadcast_to(err, d.shape).astype(np.float64).copy(), taint.copy())


def _norms(a: Value) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(A in float64, Frobenius norm, Frobenius norm of the error bound) per lane."""
    x = a.data.astype(np.float64)
    with np.errstate(all="ignore"):
        nrm = np.sqrt((x * x).sum(axis=(1, 2)))
        enrm = np.sqrt((a.err * a.err).sum(axis=(1, 2)))
    return x, nrm, enrm


def _bad_lanes(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    finite = np.isfinite(x).all(axis=(1, 2))
    return finite, np.where(finite[:, None, None], x, 0.0)


def _gap(vals: np.ndarray, nrm: np.ndarray) -> np.ndarray:
    """Smallest distance between two of the values (sorted or not), at least a tiny floor."""
    k = vals.shape[1]
    g = np.full(vals.shape[0], np.inf)
    for p in range(k):
        for q in range(p + 1, k):
            g = np.minimum(g, np.abs(vals[:, p] - vals[:, q]))
    return np.maximum(g, 1e-30 * np.maximum(nrm, 1e-30))


def _svd(n: int) -> Any:
    """svd3: s sorted by decreasing magnitude, U and V rotations (det +1), so the last singular
    value carries det(A)'s sign; svd2: s1 >= s2 >= 0, V a rotation, det(U) = sign(det(A)). The
    singular-vector pairs' signs are Warp's to choose: U diag(s) V^T, U V^T and s are unique."""
    name = f"svd{n}"

    def fn(args: list[Any], ctx: OpCtx) -> tuple[Value, Value, Value]:
        a = _mat_arg(name, args, ctx, n)
        s_t = a.t.scalar
        x, nrm, enrm = _norms(a)
        finite, xs = _bad_lanes(x)
        u, sv, vt = np.linalg.svd(xs)
        v = np.swapaxes(vt, 1, 2).copy()
        if n == 3:
            for f in (u, v):
                neg = np.linalg.det(f) < 0
                f[neg, :, 2] *= -1
                sv[neg, 2] *= -1
        else:
            neg = np.linalg.det(v) < 0
            v[neg, :, 1] *= -1
            u[neg, :, 1] *= -1
        gap = _gap(np.concatenate([np.abs(sv), np.zeros((sv.shape[0], 1))], axis=1), nrm)
        with np.errstate(all="ignore"):
            e_val = enrm + VALUE_TOL * nrm
            e_vec = FACTOR_TOL + 2 * enrm / gap
        taint = a.taint | ~finite | (e_vec > 0.05) | (gap < 0.05 * nrm)
        mt, vt_ = make_mat(n, n, s_t), make_vec(n, s_t)
        return (
            _out(mt, u, e_vec[:, None, None], taint),
            _out(vt_, sv, e_val[:, None], taint),
            _out(mt, v, e_vec[:, None, None], taint),
        )

    return fn


def _qr3(args: list[Any], ctx: OpCtx) -> tuple[Value, Value]:
    """Givens QR: Q a rotation, R upper triangular with r11, r22 >= 0 (r33 takes det(A)'s sign);
    Q R and R^T R are unique."""
    a = _mat_arg("qr3", args, ctx, 3)
    x, nrm, enrm = _norms(a)
    finite, xs = _bad_lanes(x)
    q, r = np.linalg.qr(xs)
    d = np.sign(np.diagonal(r, axis1=1, axis2=2))
    d = np.where(d == 0, 1.0, d)
    q = q * d[:, None, :]
    r = r * d[:, :, None]
    neg = np.linalg.det(q) < 0
    q[neg, :, 2] *= -1
    r[neg, 2, :] *= -1
    rmin = np.abs(np.diagonal(r, axis1=1, axis2=2)).min(axis=1)
    with np.errstate(all="ignore"):
        e_q = QR_TOL + 2 * enrm / rmin
        e_r = enrm + QR_TOL * nrm
    taint = a.taint | ~finite | (e_q > 0.05)
    mt = make_mat(3, 3, a.t.scalar)
    return _out(mt, q, e_q[:, None, None], taint), _out(mt, r, e_r[:, None, None], taint)


def _eig3(args: list[Any], ctx: OpCtx) -> tuple[Value, Value]:
    """Jacobi eigenanalysis of the symmetric matrix Warp reads from A's lower triangle, then
    d = diag(Q^T A Q); Q's column order and signs are Warp's to choose: Q diag(d) Q^T and symmetric
    functions of d are unique."""
    a = _mat_arg("eig3", args, ctx, 3)
    x, nrm, enrm = _norms(a)
    finite, xs = _bad_lanes(x)
    low = np.tril(xs)
    sym = low + np.swapaxes(np.tril(xs, -1), 1, 2)
    w, q = np.linalg.eigh(sym)
    gap = _gap(w, nrm)
    # d = diag(Q^T A Q) with the whole A (svd.h eig3): the eigenvalues when A is symmetric, else
    # each eigenvector's quadratic form of A (its symmetric part), first order in Q's error
    d = np.einsum("lki,lkj,lji->li", q, xs, q)
    with np.errstate(all="ignore"):
        e_vec = FACTOR_TOL + 2 * enrm / gap
        skew = np.sqrt(((xs - sym) ** 2).sum(axis=(1, 2)))
        e_val = enrm + VALUE_TOL * nrm + 4 * e_vec * skew
    taint = a.taint | ~finite | (e_vec > 0.05) | (gap < 0.05 * nrm)
    s_t = a.t.scalar
    return (
        _out(make_mat(3, 3, s_t), q, e_vec[:, None, None], taint),
        _out(make_vec(3, s_t), d, e_val[:, None], taint),
    )


# ---- atomic_exch / atomic_cas -------------------------------------------------------------------


def _order_atomic(kind: str) -> Any:
    """Exchange / compare-and-swap: the old value is returned; the element takes `value` (cas:
    where the old value equals `compare`). Two active lanes on one element depend on the order:
    refused (OrderDependent)."""
    name = f"atomic_{kind}"
    nvals = 2 if kind == "cas" else 1

    def fn(args: list[Any], ctx: OpCtx) -> Value:
        ok = len(args) >= 2 + nvals and isinstance(args[0], ArrayRef)
        ok = ok and all(isinstance(v, Value) for v in args[1:])
        if not ok:
            raise ctx.unsupported(f"call wp.{name}", "expects (array, index..., value)")
        arr: ArrayRef = args[0]
        idx = list(args[1 : len(args) - nvals])
        vals: list[Value] = list(args[len(args) - nvals :])
        if any(v.t != arr.t.dtype for v in vals) or arr.t.dtype.shape:
            raise ctx.unsupported(f"call wp.{name}", f"value {vals[0].t} into {arr.t}")
        flat, inb = flat_index(arr, idx, ctx.mask, ctx.lineno)
        lanes = np.nonzero(ctx.mask)[0]
        f = flat[lanes]
        n = arr.elements
        counts = np.bincount(f, minlength=n) if n else np.zeros(0, np.int64)
        shared = np.nonzero(counts[f] > 1)[0]
        if shared.size:
            el = int(f[shared[0]])
            group = lanes[f == el]
            log = arr.log
            tids = (log.tid(int(group[0])), log.tid(int(group[1]))) if log is not None else ((0,), (1,))
            raise OrderDependent(
                f"threads {tids[0]} and {tids[1]} both {'exchange' if kind == 'exch' else 'compare-and-swap'} "
                f"{element_name(arr, el)}",
                arr.name,
                element_name(arr, el),
                tids,
                ctx.lineno,
            )
        record_atomic(arr, f, lanes, ctx.lineno)
        data = arr.data.reshape(n)
        err = arr.err.reshape(n)
        uns = arr.unstable.reshape(n)
        old = data[flat].copy()
        old_err = err[flat].copy()
        new = vals[-1]
        taint = np.zeros(new.lanes, bool)
        for v in vals:
            taint |= v.taint
        for iv in idx:
            taint |= iv.taint
        if kind == "cas":
            cmp_v = vals[0]
            eq = old == cmp_v.data
            if arr.t.dtype.is_float:
                ctx.count()
                near = (cmp_v.err + old_err > 0) & (
                    np.abs(old.astype(np.float64) - cmp_v.data.astype(np.float64)) <= cmp_v.err + old_err
                )
                taint |= near
            take = eq[lanes]
        else:
            take = np.ones(lanes.size, bool)
        tl = lanes[take]
        data[flat[tl]] = new.data[tl]
        err[flat[tl]] = new.err[tl]
        ct = ctx.ctl_taint if ctx.ctl_taint is not None else np.zeros(new.lanes, bool)
        uns[f] |= (taint | ct)[lanes]
        maybe = ct & ~ctx.mask & inb
        uns[flat[maybe]] = True
        return Value(arr.t.dtype, old, old_err, taint | (uns[flat] & inb))

    return fn


def math_ext_builtins() -> list[Builtin]:
    return [
        Builtin("norm_huber", _norm_huber, "math.py: a <= d*d ? 0.5 a : d (sqrt(a) - 0.5 d), a = |v|^2"),
        Builtin("norm_pseudo_huber", _norm_pseudo_huber, "math.py: d sqrt(1 + |v|^2 / d^2)"),
        Builtin("smooth_normalize", _smooth_normalize, "math.py: v / norm_pseudo_huber(v, d)"),
        Builtin("quat_from_euler", _quat_from_euler, "math.py: qk * (qj * qi)"),
        Builtin("quat_to_euler", _quat_to_euler, "math.py: acos / atan2 form, 1e-6 branches"),
        Builtin("quat_to_axis_angle", _quat_to_axis_angle, "quat.h: (+-normalize(v), 2 atan2(|v|, |w|))"),
        Builtin("transform_compose", _transform_compose, "math.py: [s_c R | p]"),
        Builtin("transform_decompose", _transform_decompose, "math.py: (p, quat_from_matrix(R / s), s)"),
        Builtin("transform_to_matrix", _transform_to_matrix, "math.py: [R | p]"),
        Builtin("transform_from_matrix", _transform_from_matrix, "math.py: (m[:3, 3], quat_from_matrix(m))"),
        Builtin("transform_set_translation", _transform_set(False), "in place: p = x"),
        Builtin("transform_set_rotation", _transform_set(True), "in place: q = x"),
        Builtin("svd3", _svd(3), "numpy svd in Warp's conventions; FACTOR_TOL / VALUE_TOL"),
        Builtin("svd2", _svd(2), "numpy svd in Warp's conventions; FACTOR_TOL / VALUE_TOL"),
        Builtin("qr3", _qr3, "numpy qr, r11, r22 >= 0, det Q = 1; QR_TOL"),
        Builtin("eig3", _eig3, "numpy eigh of the lower triangle; FACTOR_TOL / VALUE_TOL"),
        Builtin("atomic_exch", _order_atomic("exch"), "old value; one thread per element"),
        Builtin("atomic_cas", _order_atomic("cas"), "old value; swap where old == compare; one thread"),
    ]


_ = (quat_normalize, const_value)
