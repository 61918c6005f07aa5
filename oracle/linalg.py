"""Matrix builtins beyond wave 2: `identity`, `inverse` (2x2, 3x3, 4x4) and the 4x4 `determinant`,
written with the scalar ops along mat.h's own formulas so rounding and error bounds compose.

mat.h's 4x4 code (adapted from USD) mixes precisions: the 2x2 minors are computed in the matrix
type and stored as double, the 3x3 cofactors are computed in double (some stored back in the
matrix type), the determinant's products are in the matrix type, and the 4x4 inverse scales by a
double reciprocal before rounding each entry. Each promotion/rounding below mirrors one of those.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from oracle.builtin_table import Builtin
from oracle.composite import comp, sop, stack
from oracle.composite_builtins import unary_vec
from oracle.numeric import OpCtx, cast, compare, negate
from oracle.types import FLOAT32, FLOAT64, Composite, Scalar, make_mat
from oracle.values import Keyword, TypeArg, Value, const_value, select


def _need(ok: bool, name: str, args: list[Any], ctx: OpCtx) -> None:
    if not ok:
        raise ctx.unsupported(f"call wp.{name}", ", ".join(str(getattr(a, "t", a)) for a in args))


def _to(v: Value, s: Scalar, ctx: OpCtx) -> Value:
    return v if v.t == s else cast(v, s, ctx)


def _lit(s: Scalar, x: float, lanes: int) -> Value:
    return const_value(s, float(x), lanes)


def _square(name: str, args: list[Any], ctx: OpCtx) -> Value:
    _need(len(args) == 1 and isinstance(args[0], Value), name, args, ctx)
    m = args[0]
    t = m.t
    _need(
        isinstance(t, Composite) and t.kind == "mat" and t.shape[0] == t.shape[1] and t.is_float,
        name,
        args,
        ctx,
    )
    return m


def _mixed(op: str, a: Value, b: Value, ctx: OpCtx) -> Value:
    """C++ usual arithmetic conversions between the matrix type and double."""
    if a.t != b.t:
        a, b = _to(a, FLOAT64, ctx), _to(b, FLOAT64, ctx)
    return sop(op, a, b, ctx)


def _det4_parts(m: Value, ctx: OpCtx, need_inverse: bool) -> tuple[Value, dict[str, Value]]:
    """The determinant (double, computed as in mat.h) and, for the inverse, all 16 cofactors."""
    s = m.t.scalar
    x = {f"{i}{j}": comp(m, i, j) for i in range(4) for j in range(4)}

    def minor(a: str, b: str, c: str, d: str) -> Value:  # Type ops, stored as double
        return _to(sop("Sub", sop("Mult", x[a], x[b], ctx), sop("Mult", x[c], x[d], ctx), ctx), FLOAT64, ctx)

    def ys(c0: str, c1: str) -> dict[str, Value]:
        rows = "0123"
        out = {}
        for i in range(4):
            for j in range(i + 1, 4):
                ri, rj = rows[i], rows[j]
                out[ri + rj] = minor(ri + c0, rj + c1, rj + c0, ri + c1)
        return out

    def cof(terms: list[tuple[str, str, str]]) -> Value:
        """sum of sign * x[k] * y[l] in double, left to right as written in mat.h."""
        acc: Value | None = None
        for sign, xk, yv in terms:
            p = _mixed("Mult", x[xk], y[yv], ctx)
            acc = p if acc is None else sop("Add" if sign == "+" else "Sub", acc, p, ctx)
        assert acc is not None
        return acc

    cof_all: dict[str, Value] = {}
    y = ys("0", "1")
    if need_inverse:
        for k, terms in {
            "33": [("+", "02", "12"), ("-", "12", "02"), ("+", "22", "01")],
            "23": [("+", "12", "03"), ("-", "32", "01"), ("-", "02", "13")],
            "13": [("+", "02", "23"), ("-", "22", "03"), ("+", "32", "02")],
            "03": [("+", "22", "13"), ("-", "32", "12"), ("-", "12", "23")],
            "32": [("+", "13", "02"), ("-", "23", "01"), ("-", "03", "12")],
            "22": [("+", "03", "13"), ("-", "13", "03"), ("+", "33", "01")],
            "12": [("+", "23", "03"), ("-", "33", "02"), ("-", "03", "23")],
            "02": [("+", "13", "23"), ("-", "23", "13"), ("+", "33", "12")],
        }.items():
            cof_all[k] = cof(terms)  # double
    y = ys("2", "3")
    first = {
        "30": [("+", "11", "02"), ("-", "21", "01"), ("-", "01", "12")],
        "20": [("+", "01", "13"), ("-", "11", "03"), ("+", "31", "01")],
        "10": [("+", "21", "03"), ("-", "31", "02"), ("-", "01", "23")],
        "00": [("+", "11", "23"), ("-", "21", "13"), ("+", "31", "12")],
    }
    if need_inverse:
        first |= {
            "31": [("+", "00", "12"), ("-", "10", "02"), ("+", "20", "01")],
            "21": [("+", "10", "03"), ("-", "30", "01"), ("-", "00", "13")],
            "11": [("+", "00", "23"), ("-", "20", "03"), ("+", "30", "02")],
            "01": [("+", "20", "13"), ("-", "30", "12"), ("-", "10", "23")],
        }
    for k, terms in first.items():
        cof_all[k] = _to(cof(terms), s, ctx)  # stored in the matrix type
    # det = x30*z30 + x20*z20 + x10*z10 + x00*z00 in the matrix type, stored as double
    det: Value | None = None
    for r in ("30", "20", "10", "00"):
        p = sop("Mult", x[r], cof_all[r], ctx)
        det = p if det is None else sop("Add", det, p, ctx)
    assert det is not None
    return _to(det, FLOAT64, ctx), cof_all


def _determinant44(m: Value, ctx: OpCtx) -> Value:
    det, _ = _det4_parts(m, ctx, need_inverse=False)
    return _to(det, m.t.scalar, ctx)


def _zero_if(cond: Value, v: Value, ctx: OpCtx) -> Value:
    """v where cond, else a zero matrix; cond's taint (a near-zero determinant) carries over."""
    z = const_value(v.t, 0, v.lanes)
    r = select(cond.data, v, z)
    r.taint = r.taint | cond.taint
    return r


def _inverse(args: list[Any], ctx: OpCtx) -> Value:
    m = _square("inverse", args, ctx)
    t = m.t
    assert isinstance(t, Composite)
    s, n, lanes = t.scalar, t.shape[0], m.lanes
    zero, one = _lit(s, 0.0, lanes), _lit(s, 1.0, lanes)
    if n == 2:
        det = sop(
            "Sub",
            sop("Mult", comp(m, 0, 0), comp(m, 1, 1), ctx),
            sop("Mult", comp(m, 1, 0), comp(m, 0, 1), ctx),
            ctx,
        )
        ok = compare("NotEq", det, zero, ctx)  # det > 0 || det < -0: false for 0 and NaN
        ok = Value(ok.t, ok.data & (det.data == det.data), ok.err, ok.taint)
        rcp = sop("Div", one, det, ctx)
        parts = [comp(m, 1, 1), negate(comp(m, 0, 1), ctx), negate(comp(m, 1, 0), ctx), comp(m, 0, 0)]
        return _zero_if(ok, stack(t, [sop("Mult", p, rcp, ctx) for p in parts]), ctx)
    if n == 3:
        det = unary_vec("determinant")([m], ctx)
        ok = compare("NotEq", det, zero, ctx)  # NaN != 0 is true: NaN entries, as in mat.h

        def e(i: int, j: int) -> Value:
            return comp(m, i, j)

        def d2(a: tuple[int, int], b: tuple[int, int], c: tuple[int, int], d: tuple[int, int]) -> Value:
            return sop("Sub", sop("Mult", e(*a), e(*b), ctx), sop("Mult", e(*c), e(*d), ctx), ctx)

        b = {
            (0, 0): d2((1, 1), (2, 2), (1, 2), (2, 1)),
            (1, 0): d2((1, 2), (2, 0), (1, 0), (2, 2)),
            (2, 0): d2((1, 0), (2, 1), (1, 1), (2, 0)),
            (0, 1): d2((0, 2), (2, 1), (0, 1), (2, 2)),
            (1, 1): d2((0, 0), (2, 2), (0, 2), (2, 0)),
            (2, 1): d2((0, 1), (2, 0), (0, 0), (2, 1)),
            (0, 2): d2((0, 1), (1, 2), (0, 2), (1, 1)),
            (1, 2): d2((0, 2), (1, 0), (0, 0), (1, 2)),
            (2, 2): d2((0, 0), (1, 1), (0, 1), (1, 0)),
        }
        rcp = sop("Div", one, det, ctx)
        return _zero_if(
            ok, stack(t, [sop("Mult", b[i, j], rcp, ctx) for i in range(3) for j in range(3)]), ctx
        )
    if n == 4:
        det, z = _det4_parts(m, ctx, need_inverse=True)
        dz = _lit(FLOAT64, 0.0, lanes)
        adet = Value(det.t, abs(det.data), det.err, det.taint)
        ok = compare("Gt", adet, dz, ctx)  # fabs(det) > kEps (kEps is 0)
        rcp = sop("Div", _lit(FLOAT64, 1.0, lanes), det, ctx)
        # invm[i][j] = Type(z[j][i] * rcp): the cofactors transposed
        out = [_to(_mixed("Mult", z[f"{j}{i}"], rcp, ctx), s, ctx) for i in range(4) for j in range(4)]
        return _zero_if(ok, stack(t, out), ctx)
    raise ctx.unsupported("call wp.inverse", str(t))


def _determinant(args: list[Any], ctx: OpCtx) -> Value:
    m = _square("determinant", args, ctx)
    if m.t.shape == (4, 4):
        return _determinant44(m, ctx)
    return unary_vec("determinant")([m], ctx)


def _identity(args: list[Any], ctx: OpCtx) -> Value:
    """identity(n, dtype): n a literal in 2..4, dtype a float scalar type."""
    n_arg: Any = None
    dt: Any = None
    pos = [a for a in args if not isinstance(a, Keyword)]
    kws = {a.name: a.value for a in args if isinstance(a, Keyword)}
    _need(len(pos) <= 2 and set(kws) <= {"n", "dtype"}, "identity", args, ctx)
    if pos:
        n_arg = pos[0]
    if len(pos) > 1:
        dt = pos[1]
    n_arg = kws.get("n", n_arg)
    dt = kws.get("dtype", dt)
    _need(isinstance(n_arg, Value) and isinstance(n_arg.literal, int), "identity", args, ctx)
    assert isinstance(n_arg, Value)
    n = int(n_arg.literal)  # type: ignore[arg-type]
    s = dt.t if isinstance(dt, TypeArg) else None
    _need(isinstance(s, Scalar) and s.is_float and n in (2, 3, 4), "identity", args, ctx)
    assert isinstance(s, Scalar)
    lanes = int(ctx.mask.shape[0])
    v = const_value(make_mat(n, n, s), 0, lanes)
    for i in range(n):
        v.data[:, i, i] = 1
    return v


def _approx(v: Value) -> Value:
    """`v` widened for Warp's approximate-intrinsics forms: exact on CPU (the same code), and on
    CUDA within a few float32 ulps (float64 too: "roughly single-precision accuracy")."""
    with np.errstate(all="ignore"):
        extra = 16.0 * FLOAT32.u * np.abs(np.asarray(v.data, dtype=np.float64))
        extra = np.where(np.isfinite(extra), extra, np.inf)
    return Value(v.t, v.data, v.err + extra, v.taint)


def _inverse_approx(args: list[Any], ctx: OpCtx) -> Value:
    return _approx(_inverse(args, ctx))


def _div_approx(args: list[Any], ctx: OpCtx) -> Value:
    if len(args) != 2 or not all(isinstance(a, Value) and isinstance(a.t, Scalar) for a in args):
        raise ctx.unsupported("call wp.div_approx", "scalar operands only")
    a, b = args
    if not a.t.is_float:
        raise ctx.unsupported("call wp.div_approx", str(a.t))
    return _approx(sop("Div", a, b, ctx))


def linalg_builtins() -> list[Builtin]:
    return [
        Builtin("inverse", _inverse, "mat.h inverse (2x2/3x3: matrix type; 4x4: USD cofactors, double)"),
        Builtin("inverse_approx", _inverse_approx, "mat.h inverse on CPU; float32-ulp slack for CUDA"),
        Builtin("div_approx", _div_approx, "a / b on CPU; float32-ulp slack for CUDA (scalars)"),
        Builtin("determinant", _determinant, "mat.h determinant (4x4: USD cofactors, mixed precision)"),
        Builtin("identity", _identity, "ones on the diagonal", static=True),
    ]


_ = FLOAT32
