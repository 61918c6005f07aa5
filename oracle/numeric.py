"""Arithmetic in Warp's semantics on lane values: rounding per dtype, integer wrap/UB, casts,
comparisons with near-tie taint, and the first-order error-bound rules of
docs/oracle-semantics.md. Builtins and operators are both written with these helpers."""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from oracle.errors import UndefinedBehavior, Unsupported
from oracle.types import BOOL, Scalar, ValueType
from oracle.values import Value, lane_broadcast, literal_parse_error


@dataclass
class Stats:
    ops: int = 0


@dataclass
class OpCtx:
    """Where an operation runs: the active-lane mask (UB is checked there only) and its line."""

    mask: np.ndarray
    lineno: int = 0
    stats: Stats = field(default_factory=Stats)
    ctl_taint: np.ndarray | None = None  # lanes whose control flow is uncertain (sticky)

    def ub(self, what: str) -> UndefinedBehavior:
        return UndefinedBehavior(what, self.lineno)

    def unsupported(self, construct: str, detail: str = "") -> Unsupported:
        return Unsupported(construct, self.lineno, detail)

    def count(self, components: int = 1) -> None:
        self.stats.ops += int(self.mask.sum()) * components

    def active(self, like: np.ndarray) -> np.ndarray:
        """Mask broadcast to the shape of `like` (lanes first)."""
        return np.broadcast_to(lane_broadcast(self.mask, like), like.shape)


def scalar_of(t: ValueType) -> Scalar:
    return t if isinstance(t, Scalar) else t.scalar


def any_taint(values: Sequence[Value]) -> np.ndarray:
    out = np.zeros(values[0].lanes, dtype=bool)
    for v in values:
        out |= v.taint
    return out


def per_lane(x: np.ndarray) -> np.ndarray:
    """Reduce a (lanes, ...) bool array to (lanes,) with any()."""
    x = np.asarray(x, dtype=bool)
    return x if x.ndim == 1 else np.asarray(x.reshape(x.shape[0], -1).any(axis=1))


# ---------------------------------------------------------------- floats


def finish_float(
    t: ValueType,
    r: np.ndarray,
    prop: np.ndarray,
    k: float,
    inputs: Sequence[Value],
    r64: np.ndarray | None = None,
    extra_taint: np.ndarray | None = None,
    rnd: np.ndarray | None = None,
) -> Value:
    """Build a float result: err = propagated `prop` + k*u*|r| (+ half a subnormal ulp).

    Non-finite results: NaN from exact inputs is deterministic (err 0), otherwise err = inf; an
    infinite result from exact inputs is trusted only when the float64 reference `r64` is far
    beyond the largest finite value (or itself infinite). Any infinite bound taints the lane.
    """
    s = scalar_of(t)
    info = np.finfo(s.np)
    with np.errstate(all="ignore"):
        r64v = np.asarray(r, dtype=np.float64)
        if rnd is None:
            rnd = k * s.u * np.abs(r64v) + float(info.smallest_subnormal)
        err = np.asarray(prop, dtype=np.float64) + rnd
        finite_r = np.isfinite(r64v)
        if not finite_r.all():  # rare: only then is it worth knowing which inputs were exact
            exact_in = np.ones(r.shape, dtype=bool)
            for v in inputs:
                exact_in &= np.broadcast_to(v.err == 0, r.shape) & np.broadcast_to(
                    lane_broadcast(~v.taint, r), r.shape
                )
            nan_r = np.isnan(r64v)
            err = np.where(nan_r, np.where(exact_in, 0.0, np.inf), err)
            inf_r = np.isinf(r64v)
            if inf_r.any():
                ref = np.abs(np.asarray(r64 if r64 is not None else r64v, dtype=np.float64))
                sure = np.isinf(ref) | (ref > float(info.max) * (1 + 8 * k * s.u + 1e-3))
                err = np.where(inf_r, np.where(exact_in & sure, 0.0, np.inf), err)
    taint = any_taint(inputs) | per_lane(~np.isfinite(err))
    if extra_taint is not None:
        taint = taint | extra_taint
    return Value(t, r.astype(s.np, copy=False), err, taint)


def f64(v: Value) -> np.ndarray:
    return v.data.astype(np.float64)


def _two_sum(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Knuth's TwoSum in float64: s + t == x + y exactly."""
    s = x + y
    bb = s - x
    t = (x - (s - bb)) + (y - bb)
    return s, np.where(np.isfinite(t), t, 0.0)


def _pow2_or_zero(x: np.ndarray) -> np.ndarray:
    m, _ = np.frexp(x)
    return (np.abs(m) == 0.5) | (x == 0)


def rounding_error(op: str, t: ValueType, a: Value, b: Value, r: np.ndarray) -> np.ndarray:
    """Exact (or tight) rounding error of one IEEE operation, so exact results carry no error.

    float16/float32 operands are exact in float64, so products are exact there and sums are
    exact as TwoSum pairs; float64 uses TwoSum for sums and u|r| otherwise (0 when an operand
    is a power of two or zero, where the operation is exact barring underflow)."""
    s = scalar_of(t)
    x, y, rv = f64(a), f64(b), np.asarray(r, dtype=np.float64)
    tiny = float(np.finfo(s.np).smallest_subnormal)
    if op in ("Add", "Sub"):
        hi, lo = _two_sum(x, y if op == "Add" else -y)
        return np.abs(rv - hi) + np.abs(lo) if s.name != "float64" else np.abs(lo)
    if op == "Mult":
        if s.name != "float64":
            return np.abs(rv - x * y)
        return np.where(_pow2_or_zero(x) | _pow2_or_zero(y), 0.0, s.u * np.abs(rv) + tiny)
    if op == "Div":
        if s.name != "float64":
            q = x / y
            exact = rv * y == x
            return np.where(exact, 0.0, np.abs(rv - q) + 2.0**-53 * np.abs(q) + tiny)
        return np.where(_pow2_or_zero(y) & (y != 0), 0.0, s.u * np.abs(rv) + tiny)
    return s.u * np.abs(rv) + tiny


def float_binop(op: str, a: Value, b: Value, ctx: OpCtx) -> Value:
    """+ - * / // % ** on same-typed float values (Warp rejects mixed types)."""
    t = a.t
    x, y, ex, ey = a.data, b.data, a.err, b.err
    ctx.count(int(np.prod(t.shape)) if t.shape else 1)
    with np.errstate(all="ignore"):
        if op in ("Add", "Sub", "Mult", "Div"):
            if op == "Add":
                r, prop, r64 = x + y, ex + ey, f64(a) + f64(b)
            elif op == "Sub":
                r, prop, r64 = x - y, ex + ey, f64(a) - f64(b)
            elif op == "Mult":
                r = x * y
                prop = np.abs(f64(b)) * ex + np.abs(f64(a)) * ey + ex * ey
                r64 = f64(a) * f64(b)
            else:
                r = x / y
                prop, r64 = div_prop(a, b, r), f64(a) / f64(b)
            rnd = rounding_error(op, t, a, b, r)
            out = finish_float(t, r, prop, 1, [a, b], r64, rnd=rnd)
            if np.isfinite(r).all():
                return out
            out = settle_nonfinite(op, a, b, out)
            if op == "Mult":
                out = contractible_overflow(x, y, out)
            return out
        if op == "FloorDiv":
            q = x / y
            rnd = rounding_error("Div", t, a, b, q)
            qv = finish_float(t, q, div_prop(a, b, q), 1, [a, b], f64(a) / f64(b), rnd=rnd)
            return float_rounding("floor", qv, ctx, count=False)
        if op == "Mod":
            r = np.fmod(x, y)
            q = f64(a) / f64(b)
            eq = div_prop(a, b, q) + 2.0**-52 * np.abs(q)
            n = np.trunc(q)
            prop = ex + np.abs(n) * ey
            jump = (np.trunc(q - eq) != np.trunc(q + eq)) & ((ex > 0) | (ey > 0))
            return finish_float(
                t, r, prop, 0, [a, b], extra_taint=per_lane(jump & np.isfinite(q)), rnd=np.zeros(r.shape)
            )
        if op == "Pow":
            return float_pow(a, b, ctx, count=False)
    raise ctx.unsupported(f"operator {op} on {t}")


def contractible_overflow(x: np.ndarray, y: np.ndarray, v: Value) -> Value:
    """A product of two finite values that overflows may never be rounded: a compiler that
    contracts `x * y + c` into an FMA (NVRTC does by default; clang at -O0 does not) keeps the
    exact product, so `x * 2.0 + inf` is NaN on one device and inf on another. Such lanes are
    tainted (their outcome hangs on code generation, not on the source), never judged."""
    ovf = ~np.isfinite(np.asarray(v.data, dtype=np.float64)) & np.isfinite(x) & np.isfinite(y)
    if not ovf.any():
        return v
    return Value(v.t, v.data, np.where(ovf, np.inf, v.err), v.taint | per_lane(ovf))


def settle_nonfinite(op: str, a: Value, b: Value, v: Value) -> Value:
    """A NaN or infinite result of + - * / is certain when every corner of the operands' error
    box gives the same class in the result's precision (all NaN, or all the same infinity):
    `inf + x`, `inf * x` with x's interval away from zero, `nan op x`. Its error is then 0; the
    others keep the infinite bound (unstable). The operations are monotone per argument on each
    side of zero, so the corners decide (a product whose box spans zero differs in sign there)."""
    fns = {"Add": np.add, "Sub": np.subtract, "Mult": np.multiply, "Div": np.divide}
    f = fns[op]
    r = np.asarray(v.data, dtype=np.float64)
    with np.errstate(all="ignore"):
        x, y = f64(a), f64(b)
        sure = ~np.isfinite(r)
        for sx in (-1.0, 1.0):
            for sy in (-1.0, 1.0):
                c = f(x + sx * a.err, y + sy * b.err).astype(v.t.np).astype(np.float64)
                same = np.where(np.isnan(r), np.isnan(c), c == r)
                sure &= same
    err = np.where(sure, 0.0, v.err)
    return Value(v.t, v.data, err, any_taint([a, b]) | per_lane(~np.isfinite(err)))


def div_prop(a: Value, b: Value, r: np.ndarray) -> np.ndarray:
    """(ea + |r| eb) / (|b| - eb); inf where the divisor's interval reaches zero."""
    with np.errstate(all="ignore"):
        bb = np.abs(f64(b))
        den = bb - b.err
        prop = (a.err + np.abs(np.asarray(r, dtype=np.float64)) * b.err) / den
        return np.where(den > 0, prop, np.where((a.err == 0) & (b.err == 0), 0.0, np.inf))


def float_pow(a: Value, b: Value, ctx: OpCtx, count: bool = True) -> Value:
    """powf/pow; the propagated error is the largest change over the corners of the input box."""
    if count:
        ctx.count()
    with np.errstate(all="ignore"):
        x, y = f64(a), f64(b)
        r64 = np.power(x, y)
        r = r64.astype(a.t.np)
        prop = np.zeros(r.shape)
        for sx in (-1.0, 1.0):
            for sy in (-1.0, 1.0):
                c = np.power(x + sx * a.err, y + sy * b.err)
                d = np.abs(c - r64)
                prop = np.maximum(prop, np.where(np.isnan(d) & ~np.isnan(r64), np.inf, d))
        prop = np.where((a.err == 0) & (b.err == 0), 0.0, prop)
    return finish_float(a.t, r, prop, ULPS["pow"], [a, b], r64)


# ULP budgets (in units of u = half an ulp): 2*ulps(CUDA table, doubled for slack) + 1 for the
# oracle's own rounding; see docs/oracle-semantics.md.
ULPS: dict[str, float] = {
    "sqrt": 3,
    "cbrt": 5,
    "exp": 9,
    "log": 5,
    "log2": 5,
    "log10": 9,
    "sin": 9,
    "cos": 9,
    "tan": 17,
    "asin": 9,
    "acos": 9,
    "atan": 9,
    "atan2": 13,
    "sinh": 13,
    "cosh": 9,
    "tanh": 9,
    "pow": 17,
    # CUDA erff/erfinvf 2 ulp, erfcf/erfcinvf 4 ulp; CPU: libm erff/erfcf, crt.h's erfinvf is
    # (float)erfinv((double)x) (cephes ndtri) and erfcinvf(x) = erfinvf(1 - x) in double
    "erf": 9,
    "erfc": 17,
    "erfinv": 9,
    "erfcinv": 17,
}


def decision_taint(d: np.ndarray, ed: np.ndarray, op: str) -> np.ndarray:
    """Near-tie of the comparison `d <op> 0` given |d - d_exact| <= ed (elementwise)."""
    with np.errstate(all="ignore"):
        lo, hi = d - ed, d + ed
        pos = ed > 0
        if op in ("Lt", "Gt"):
            res = (lo < 0) & (hi >= 0)
        elif op in ("LtE", "GtE"):
            res = (lo <= 0) & (hi > 0)
        else:  # Eq / NotEq
            res = np.abs(d) <= ed
        return res & pos


def float_rounding(name: str, v: Value, ctx: OpCtx, count: bool = True) -> Value:
    """floor/ceil/trunc/round/rint: exact results, tainted where x±err rounds differently."""
    if count:
        ctx.count()
    fns: dict[str, Callable[[np.ndarray], np.ndarray]] = {
        "floor": np.floor,
        "ceil": np.ceil,
        "trunc": np.trunc,
        "rint": np.rint,
        "round": lambda z: np.trunc(z + np.copysign(0.5, z)) if z.dtype == np.float64 else round_away(z),
    }
    f = fns[name]
    with np.errstate(all="ignore"):
        x = f64(v)
        r = round_away(v.data) if name == "round" else f(v.data)
        jump = (f(x - v.err) != f(x + v.err)) & (v.err > 0)
    err = np.zeros(r.shape)
    return Value(v.t, r.astype(v.t.np), err, v.taint | per_lane(jump & np.isfinite(x)))


def round_away(z: np.ndarray) -> np.ndarray:
    """C round(): halves away from zero, computed exactly (no z+0.5 double rounding)."""
    with np.errstate(all="ignore"):
        fl = np.floor(np.abs(z))
        frac = np.abs(z) - fl
        mag = np.where(frac >= 0.5, fl + 1, fl)
        return np.copysign(mag, z).astype(z.dtype)


# ---------------------------------------------------------------- integers


def _obj(x: np.ndarray) -> np.ndarray:
    return x.astype(object)


def int_finish(
    s: Scalar, exact: np.ndarray, ctx: OpCtx, what: str, shape_t: ValueType | None = None
) -> np.ndarray:
    """Exact integer results -> the dtype: int32/int64 overflow on an active lane is UB; int8/int16
    results are narrowed from C++'s promoted int and unsigned arithmetic is modular (measured)."""
    lo, hi = s.int_range
    if s.name in ("int32", "int64"):
        act = ctx.active(exact)
        bad = act & ((exact < lo) | (exact > hi))
        if bad.any():
            raise ctx.ub(f"{s.name} overflow in {what}")
    return wrap_int(exact, s)


def wrap_int(exact: np.ndarray, s: Scalar) -> np.ndarray:
    lo, _ = s.int_range
    mod = 1 << s.bits
    if exact.dtype != object:
        exact = _obj(exact)
    if exact.size and lo <= exact.min() and exact.max() <= lo + mod - 1:
        return exact.astype(s.np)  # the common case: nothing to wrap, no per-element Python call
    wrapped = np.frompyfunc(lambda z: ((int(z) - lo) % mod) + lo, 1, 1)(exact)
    return np.asarray(wrapped, dtype=object).astype(s.np).reshape(exact.shape)


def _tdiv(p: int, q: int) -> int:
    if q == 0:
        return 0
    r = abs(p) // abs(q)
    return r if (p >= 0) == (q >= 0) else -r


def int_binop(op: str, a: Value, b: Value, ctx: OpCtx) -> Value:
    """Integer + - * / // % & | ^ << >> in C semantics (trunc division, C remainder)."""
    s = scalar_of(a.t)
    x, y = _obj(a.data), _obj(b.data)
    act = ctx.active(a.data)
    lo, _ = s.int_range
    if op in ("Div", "FloorDiv", "Mod"):
        if (act & (b.data == 0)).any():
            raise ctx.ub(f"{'modulo' if op == 'Mod' else 'division'} by zero ({s.name})")
        if s.name in ("int32", "int64") and (act & (a.data == lo) & (b.data == -1)).any():
            raise ctx.ub(f"{s.name} overflow: INT_MIN {'%' if op == 'Mod' else '/'} -1")
        y = np.where(b.data == 0, 1, y)
    if op in ("LShift", "RShift"):
        if (act & ((b.data < 0) | (b.data >= s.bits))).any():
            raise ctx.ub(f"shift count outside [0, {s.bits - 1}] for {s.name}")
        y = np.where((b.data < 0) | (b.data >= s.bits), 0, y)
    fn: Callable[[int, int], int]
    if op == "Add":
        fn = operator.add
    elif op == "Sub":
        fn = operator.sub
    elif op == "Mult":
        fn = operator.mul
    elif op == "Div":
        fn = _tdiv
    elif op == "FloorDiv":
        fn = operator.floordiv if s.signed else _tdiv
    elif op == "Mod":
        fn = lambda p, q: p - q * _tdiv(p, q)  # noqa: E731
    elif op == "BitAnd":
        fn = operator.and_
    elif op == "BitOr":
        fn = operator.or_
    elif op == "BitXor":
        fn = operator.xor
    elif op == "LShift":
        fn = operator.lshift
    elif op == "RShift":
        fn = operator.rshift  # arithmetic for signed values, as clang/NVRTC emit
    else:
        raise ctx.unsupported(f"operator {op} on {a.t}")
    exact = np.frompyfunc(fn, 2, 1)(x, y)
    exact = np.asarray(exact, dtype=object).reshape(a.data.shape)
    # shifts of signed values: modular (C++20 semantics, what both compilers emit)
    what = {"Add": "Add", "Sub": "Sub", "Mult": "Mult"}.get(op)
    if what is None:
        data = wrap_int(exact, s)
    else:
        data = int_finish(s, exact, ctx, what)
    return Value(a.t, data, np.zeros(data.shape), a.taint | b.taint)


# ---------------------------------------------------------------- comparisons / casts


def compare(op: str, a: Value, b: Value, ctx: OpCtx) -> Value:
    """Scalar (or whole-composite ==/!=) comparison -> bool with near-tie taint for floats."""
    ops = {
        "Lt": np.less,
        "LtE": np.less_equal,
        "Gt": np.greater,
        "GtE": np.greater_equal,
        "Eq": np.equal,
        "NotEq": np.not_equal,
    }
    if op not in ops:
        raise ctx.unsupported(f"comparison {op}")
    if a.t.shape and op not in ("Eq", "NotEq"):
        raise ctx.unsupported(f"comparison {op} on {a.t}")
    if a.t.is_float or b.t.is_float:
        x, y = a.data, b.data
    else:
        x, y = _obj(a.data), _obj(b.data)
    r = np.asarray(ops[op](x, y), dtype=bool)
    taint = a.taint | b.taint
    if a.t.is_float:
        with np.errstate(all="ignore"):
            d = f64(a) - f64(b)
            ed = a.err + b.err + (2.0**-53 * np.abs(d) if scalar_of(a.t).name == "float64" else 0.0)
            dop = {"Gt": "Lt", "GtE": "LtE"}.get(op, op)
            if op in ("Gt", "GtE"):
                d = -d
            taint = taint | per_lane(decision_taint(d, ed, dop))
        ctx.count()
    if r.ndim > 1:
        flat = r.reshape(r.shape[0], -1)
        r = np.asarray(flat.all(axis=1) if op == "Eq" else flat.any(axis=1))
    return Value(BOOL, r, np.zeros(r.shape), taint)


def truth(v: Value, ctx: OpCtx) -> Value:
    """Truthiness (`if x`, `not x`, `and`/`or`, where's condition): x != 0, near-zero floats taint."""
    if v.t.shape:
        raise ctx.unsupported(f"truth value of {v.t}")
    if v.t.is_bool:
        return v
    r = v.data != 0
    taint = v.taint
    if v.t.is_float:
        taint = taint | decision_taint(f64(v), v.err, "Eq")
    return Value(BOOL, r, np.zeros(r.shape), taint)


def cast(v: Value, target: Scalar, ctx: OpCtx) -> Value:
    """wp.<dtype>(x) / int(x) / float(x) of a scalar or component-wise of a composite."""
    src = scalar_of(v.t)
    out_t: ValueType = target if not v.t.shape else v.t  # composite casts handled by caller
    if v.literal is not None and not isinstance(v.literal, bool) and target.is_float:
        lit = float(v.literal)
        with np.errstate(all="ignore"):
            data = np.full(v.data.shape, lit, dtype=target.np)
        e = abs(float(np.float64(data.flat[0])) - lit) + literal_parse_error(lit) if data.size else 0.0
        return Value(target, data, np.full(v.data.shape, e if np.isfinite(e) else 0.0), v.taint.copy())
    if (
        v.literal is not None
        and isinstance(v.literal, int)
        and not isinstance(v.literal, bool)
        and target.is_int
    ):
        data = wrap_int(np.full(v.data.shape, v.literal, dtype=object), target)
        return Value(target, data, np.zeros(data.shape), v.taint.copy())
    del out_t
    if target.is_bool:
        return truth(v, ctx)
    if target.is_float:
        with np.errstate(all="ignore"):
            r = v.data.astype(target.np)
        if src.is_float:
            widen = target.np.itemsize >= src.np.itemsize
            return finish_float(target, r, v.err, 0 if widen else 1, [v], f64(v))
        rounded = (_obj(r.astype(np.float64)) != _obj(v.data)) if src.bits > 24 else np.zeros(r.shape, bool)
        err = np.where(rounded, target.u * np.abs(r.astype(np.float64)), 0.0)
        return Value(target, r, err, v.taint.copy())
    # -> integer
    if src.is_float:
        x = f64(v)
        act = ctx.active(x)
        with np.errstate(all="ignore"):
            t = np.trunc(x)
        lo, hi = target.int_range
        bad = act & (np.isnan(x) | (t < lo) | (t > hi))
        if bad.any():
            raise ctx.ub(f"float->{target.name} cast out of range (value {x[bad].flat[0]!r})")
        t = np.where(np.isfinite(t), t, 0)
        with np.errstate(all="ignore"):
            jump = (np.trunc(x - v.err) != np.trunc(x + v.err)) & (v.err > 0)
        data = np.asarray(np.frompyfunc(int, 1, 1)(t), dtype=object).reshape(t.shape).astype(target.np)
        return Value(target, data, np.zeros(data.shape), v.taint | per_lane(jump))
    data = wrap_int(_obj(v.data.astype(np.int64) if src.is_bool else v.data), target)
    return Value(target, data, np.zeros(data.shape), v.taint.copy())


def negate(v: Value, ctx: OpCtx) -> Value:
    s = scalar_of(v.t)
    if s.is_float:
        return Value(v.t, -v.data, v.err.copy(), v.taint.copy())
    if s.is_bool:
        raise ctx.unsupported("USub on bool")
    data = int_finish(s, -_obj(v.data), ctx, "USub")
    return Value(v.t, data, np.zeros(data.shape), v.taint.copy())
