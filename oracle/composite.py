"""Vectors, matrices and quaternions, written component by component with the scalar helpers
so that rounding, error bounds and taint compose exactly as for scalars. Formulas follow Warp's
vec.h / mat.h / quat.h (e.g. quat_rotate, determinant = dot(row0, cross(row1, row2)))."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from oracle.builtins import Builtin, minmax
from oracle.numeric import OpCtx, cast, compare, float_binop, int_binop, negate, per_lane, scalar_of
from oracle.types import INT32, Composite, Scalar, ValueType, composite_from_name, make_mat, make_vec
from oracle.values import Value, const_value, lane_broadcast

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


def _sum(vals: Sequence[Value], ctx: OpCtx) -> Value:
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


def _dot(a: Value, b: Value, ctx: OpCtx) -> Value:
    """vec.h: vec2/vec3 sum their products directly; longer vectors accumulate into `Type ret(0)`,
    which turns a -0 result into +0 (seen through atan2's sign on a 1.10.1 campaign, seed 200739)."""
    n = a.t.shape[0]
    r = _sum([sop("Mult", comp(a, i), comp(b, i), ctx) for i in range(n)], ctx)
    return _plus_zero(r) if n >= 4 else r


def _flat(v: Value) -> list[Value]:
    return [comp(v, *idx) for idx in np.ndindex(*v.t.shape)]


def _lit(s: Scalar, x: float, lanes: int) -> Value:
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


def _map2(op: str, a: Value, b: Value, ctx: OpCtx) -> Value:
    assert isinstance(a.t, Composite)
    return stack(a.t, [sop(op, x, y, ctx) for x, y in zip(_flat(a), _flat(b), strict=True)])


def scale(v: Value, s: Value, ctx: OpCtx, op: str = "Mult") -> Value:
    assert isinstance(v.t, Composite)
    return stack(v.t, [sop(op, x, s, ctx) for x in _flat(v)])


def _matvec(m: Value, v: Value, ctx: OpCtx) -> Value:
    r, c = m.t.shape
    rows = [_sum([sop("Mult", comp(m, i, j), comp(v, j), ctx) for j in range(c)], ctx) for i in range(r)]
    return stack(make_vec(r, scalar_of(m.t)), rows)


def _vecmat(v: Value, m: Value, ctx: OpCtx) -> Value:
    r, c = m.t.shape
    cols = [_sum([sop("Mult", comp(v, i), comp(m, i, j), ctx) for i in range(r)], ctx) for j in range(c)]
    return stack(make_vec(c, scalar_of(m.t)), cols)


def _matmat(a: Value, b: Value, ctx: OpCtx) -> Value:
    r, k = a.t.shape
    _, c = b.t.shape
    out = [  # mat.h accumulates each entry into `Type sum(0.0)`: a -0 entry is +0
        _plus_zero(_sum([sop("Mult", comp(a, i, x), comp(b, x, j), ctx) for x in range(k)], ctx))
        for i in range(r)
        for j in range(c)
    ]
    return stack(make_mat(r, c, scalar_of(a.t)), out)


def _quat_mul(a: Value, b: Value, ctx: OpCtx) -> Value:
    """quat.h mul, in its evaluation order: x = a.w*b.x + b.w*a.x + a.y*b.z - b.y*a.z, ...,
    w = a.w*b.w - a.x*b.x - a.y*b.y - a.z*b.z (left to right: the order decides the rounding)."""
    ax, ay, az, aw = (comp(a, i) for i in range(4))
    bx, by, bz, bw = (comp(b, i) for i in range(4))

    def m(p: Value, q: Value) -> Value:
        return sop("Mult", p, q, ctx)

    def ad(*vals: Value) -> Value:
        return _sum(vals, ctx)

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
            return _map2(op, a, b, ctx)
        if op in ("Mult", "MatMult"):
            if ta.kind == "mat" and tb.kind == "vec" and ta.shape[1] == tb.shape[0]:
                return _matvec(a, b, ctx)
            if ta.kind == "vec" and tb.kind == "mat" and ta.shape[0] == tb.shape[0]:
                return _vecmat(a, b, ctx)
            if ta.kind == "mat" and tb.kind == "mat" and ta.shape[1] == tb.shape[0]:
                return _matmat(a, b, ctx)
            if ta.kind == "quat" and ta == tb and op == "Mult":
                return _quat_mul(a, b, ctx)
        raise ctx.unsupported(f"operator {op} on {ta} and {tb}")
    if ca and not cb and op in ("Mult", "Div") and scalar_of(ta) == tb:
        return scale(a, b, ctx, op)
    if cb and not ca and op == "Mult" and scalar_of(tb) == ta:
        assert isinstance(tb, Composite)
        return stack(tb, [sop("Mult", a, x, ctx) for x in _flat(b)])
    raise ctx.unsupported(f"operator {op} on {ta} and {tb}")


def composite_neg(v: Value, ctx: OpCtx) -> Value:
    assert isinstance(v.t, Composite)
    return stack(v.t, [negate(x, ctx) for x in _flat(v)])


# ------------------------------------------------------------------ builtins


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
            return stack(t, [cast(x, s, ctx) if x.t != s else x for x in _flat(src)])
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


def _unary_vec(name: str) -> Any:
    def fn(args: list[Any], ctx: OpCtx) -> Value:
        (v,) = _vals(name, args, ctx, 1)
        t = v.t
        _need(isinstance(t, Composite), name, args, ctx)
        assert isinstance(t, Composite)
        vec = t.kind in ("vec", "quat")
        if name == "length_sq":
            _need(vec, name, args, ctx)
            return _dot(v, v, ctx)
        if name in ("length", "norm_l2"):
            _need(vec, name, args, ctx)
            return _call("sqrt", [_dot(v, v, ctx)], ctx)
        if name == "norm_l1":
            _need(t.kind == "vec", name, args, ctx)
            return _sum([_call("abs", [x], ctx) for x in _flat(v)], ctx)
        if name == "normalize":
            _need(vec and t.is_float, name, args, ctx)
            ln = _call("sqrt", [_dot(v, v, ctx)], ctx)
            zero = _lit(t.scalar, 0.0, v.lanes)
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
            return _sum([comp(v, i, i) for i in range(t.shape[0])], ctx)
        if name == "get_diag":
            _need(t.kind == "mat" and t.shape[0] == t.shape[1], name, args, ctx)
            return stack(make_vec(t.shape[0], t.scalar), [comp(v, i, i) for i in range(t.shape[0])])
        if name == "diag":
            _need(t.kind == "vec", name, args, ctx)
            n = t.shape[0]
            z = _lit(t.scalar, 0, v.lanes)
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
            return _dot(rows[0], _cross(rows[1], rows[2], ctx), ctx)
        if name == "skew":
            _need(t.kind == "vec" and t.shape == (3,), name, args, ctx)
            z = _lit(t.scalar, 0, v.lanes)
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
                    make_vec(3, t.scalar), [_lit(t.scalar, 1.0 if j == k else 0.0, v.lanes) for j in range(3)]
                )
                cols.append(_quat_rotate(v, e, ctx, inverse=False))
            return stack(make_mat(3, 3, t.scalar), [comp(cols[j], i) for i in range(3) for j in range(3)])
        raise ctx.unsupported(f"call wp.{name}")

    return fn


def _call(name: str, args: list[Value], ctx: OpCtx) -> Value:
    from oracle.builtins import scalar_builtins

    for b in scalar_builtins():
        if b.name == name:
            return b.fn(list(args), ctx)
    raise ctx.unsupported(f"call wp.{name}")


def _cross(a: Value, b: Value, ctx: OpCtx) -> Value:
    ax, ay, az = (comp(a, i) for i in range(3))
    bx, by, bz = (comp(b, i) for i in range(3))

    def d(p: Value, q: Value, r: Value, s: Value) -> Value:
        return sop("Sub", sop("Mult", p, q, ctx), sop("Mult", r, s, ctx), ctx)

    assert isinstance(a.t, Composite)
    return stack(a.t, [d(ay, bz, az, by), d(az, bx, ax, bz), d(ax, by, ay, bx)])


def _quat_rotate(q: Value, x: Value, ctx: OpCtx, inverse: bool) -> Value:
    """quat.h quat_rotate / quat_rotate_inv, term by term."""
    s = scalar_of(q.t)
    qx, qy, qz, qw = (comp(q, i) for i in range(4))
    x0, x1, x2 = (comp(x, i) for i in range(3))
    two, one = _lit(s, 2.0, q.lanes), _lit(s, 1.0, q.lanes)

    def m(a: Value, b: Value) -> Value:
        return sop("Mult", a, b, ctx)

    c = sop("Sub", m(m(two, qw), qw), one, ctx)
    d = m(two, _sum([m(qx, x0), m(qy, x1), m(qz, x2)], ctx))
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


def _binary_vec(name: str) -> Any:
    def fn(args: list[Any], ctx: OpCtx) -> Value:
        a, b = _vals(name, args, ctx, 2)
        ta, tb = a.t, b.t
        if name == "dot":
            _need(ta == tb and isinstance(ta, Composite) and ta.kind in ("vec", "quat"), name, args, ctx)
            return _dot(a, b, ctx)
        if name == "cross":
            _need(
                ta == tb and isinstance(ta, Composite) and ta.shape == (3,) and ta.kind == "vec",
                name,
                args,
                ctx,
            )
            return _cross(a, b, ctx)
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
            return _map2("Mult" if name == "cw_mul" else "Div", a, b, ctx)
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
            return _quat_rotate(a, b, ctx, inverse=name.endswith("inv"))
        if name == "quat_from_axis_angle":
            _need(isinstance(ta, Composite) and ta.shape == (3,) and tb == scalar_of(ta), name, args, ctx)
            s = scalar_of(ta)
            half = sop("Mult", b, _lit(s, 0.5, b.lanes), ctx)
            w = _call("cos", [half], ctx)
            sn = _call("sin", [half], ctx)
            v = scale(a, sn, ctx)
            return stack(
                Composite("quat", (4,), s, composite_name_quat(s)), [comp(v, 0), comp(v, 1), comp(v, 2), w]
            )
        if name in ("min", "max"):
            _need(ta == tb and isinstance(ta, Composite), name, args, ctx)
            assert isinstance(ta, Composite)
            return stack(ta, [minmax(name, x, y, ctx) for x, y in zip(_flat(a), _flat(b), strict=True)])
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
    from oracle.builtins import scalar_builtins

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
        out.append(Builtin(nm, _unary_vec(nm), "vec.h/mat.h/quat.h formula, scalar ops"))
    for nm in (
        "dot",
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
        return stack(v.t, [scal["abs"].fn([x], ctx) for x in _flat(v)])

    out.append(Builtin("abs", _wrap_scalar_or_vec("abs", scal["abs"].fn, _abs_vec), "per component"))
    return out


_ = (INT32, per_lane)
