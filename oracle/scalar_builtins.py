"""Scalar Warp builtins: each entry is the NumPy semantics of `wp.<name>` on scalar lane values (as
builtin.h defines it) together with its error rule; composites reuse them component by component."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

import numpy as np

from oracle.builtin_table import Builtin, BuiltinFn
from oracle.composite import scale
from oracle.numeric import (
    ULPS,
    OpCtx,
    cast,
    compare,
    decision_taint,
    f64,
    finish_float,
    float_binop,
    float_pow,
    float_rounding,
    int_binop,
    int_finish,
    scalar_of,
    truth,
)
from oracle.types import BOOL, SCALAR_NAMES, Scalar
from oracle.values import Value, const_value, lane_broadcast

# ------------------------------------------------------------------ helpers


def _need(cond: bool, ctx: OpCtx, name: str, args: list[Any]) -> None:
    if not cond:
        sig = ", ".join(str(getattr(a, "t", type(a).__name__)) for a in args)
        raise ctx.unsupported(f"call wp.{name}", f"argument types ({sig})")


def _values(name: str, args: list[Any], ctx: OpCtx, n: int) -> list[Value]:
    _need(len(args) == n and all(isinstance(a, Value) for a in args), ctx, name, args)
    return list(args)


def _same_type(name: str, args: list[Value], ctx: OpCtx) -> None:
    _need(all(a.t == args[0].t for a in args), ctx, name, args)


def _clamped(f: Callable[[np.ndarray], np.ndarray]) -> Callable[[np.ndarray], np.ndarray]:
    """asin/acos as builtin.h writes them, f(min(max(x, -1), 1)): a value past 1 gives acos(1) = 0,
    not NaN, and NaN becomes -1 (max(NaN, -1) is -1 on CPU and CUDA: acos(NaN) = pi, measured on
    CPU)."""
    return lambda x: f(np.where(np.isnan(x), -1.0, np.clip(x, -1.0, 1.0)))


def _mono(f: Callable[[np.ndarray], np.ndarray]) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """Propagated error of a function monotone on the interval: its change over [x-e, x+e]."""

    def prop(x: np.ndarray, e: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            fx = f(x)
            d = np.maximum(np.abs(f(x + e) - fx), np.abs(f(x - e) - fx))
            d = np.where(np.isnan(d) & ~np.isnan(fx), np.inf, d)
            return np.where(e == 0, 0.0, d)

    return prop


def _tan_prop(x: np.ndarray, e: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        pole = np.floor((x - e) / np.pi + 0.5) != np.floor((x + e) / np.pi + 0.5)
        d = e * (1 + np.maximum(np.tan(x - e) ** 2, np.tan(x + e) ** 2))
        return np.where(e == 0, 0.0, np.where(pole, np.inf, d))


def _cosh_prop(x: np.ndarray, e: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.where(e == 0, 0.0, e * np.sinh(np.abs(x) + e))


def _periodic_prop(x: np.ndarray, e: np.ndarray) -> np.ndarray:
    return np.minimum(e, 2.0)


_erf = np.frompyfunc(math.erf, 1, 1)
_erfc = np.frompyfunc(math.erfc, 1, 1)


def _erf64(x: np.ndarray) -> np.ndarray:
    return np.asarray(_erf(np.asarray(x, np.float64)), dtype=np.float64)


def _erfc64(x: np.ndarray) -> np.ndarray:
    return np.asarray(_erfc(np.asarray(x, np.float64)), dtype=np.float64)


def erfinv64(y: np.ndarray) -> np.ndarray:
    """erfinv in float64: Winitzki's approximation refined by Newton steps on math.erf (to a few
    ulp of double on (-1, 1)); +-inf at +-1 and NaN outside, as crt.h's erfinv."""
    y = np.asarray(y, np.float64)
    with np.errstate(all="ignore"):
        inside = np.abs(y) < 1
        yc = np.where(inside, y, 0.0)
        a = 0.147
        ln = np.log1p(-yc * yc)
        t = 2 / (np.pi * a) + ln / 2
        x = np.sign(yc) * np.sqrt(np.sqrt(t * t - ln / a) - t)
        for _ in range(6):
            x = x - (_erf64(x) - yc) / (2 / math.sqrt(math.pi) * np.exp(-x * x))
        return np.where(inside, x, np.where(np.abs(y) == 1, np.sign(y) * np.inf, np.nan))


def _erfcinv64(y: np.ndarray) -> np.ndarray:
    """crt.h: erfcinv(x) = erfinv(1 - x); 1 - x is exact in double for a float32 x in [2^-29, 2]."""
    return erfinv64(1.0 - np.asarray(y, np.float64))


_UNARY: dict[
    str, tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray, np.ndarray], np.ndarray]]
] = {
    "sqrt": (np.sqrt, _mono(np.sqrt)),
    "cbrt": (np.cbrt, _mono(np.cbrt)),
    "exp": (np.exp, _mono(np.exp)),
    "log": (np.log, _mono(np.log)),
    "log2": (np.log2, _mono(np.log2)),
    "log10": (np.log10, _mono(np.log10)),
    "sin": (np.sin, _periodic_prop),
    "cos": (np.cos, _periodic_prop),
    "tan": (np.tan, _tan_prop),
    "asin": (_clamped(np.arcsin), _mono(_clamped(np.arcsin))),
    "acos": (_clamped(np.arccos), _mono(_clamped(np.arccos))),
    "atan": (np.arctan, _mono(np.arctan)),
    "sinh": (np.sinh, _mono(np.sinh)),
    "cosh": (np.cosh, _cosh_prop),
    "tanh": (np.tanh, _mono(np.tanh)),
    "erf": (_erf64, _mono(_erf64)),
    "erfc": (_erfc64, _mono(_erfc64)),
    "erfinv": (erfinv64, _mono(erfinv64)),
    "erfcinv": (_erfcinv64, _mono(_erfcinv64)),
}


# (x, f(x)) points where every libm returns the exact result (sign-symmetric zeros, f(0)=1...)
_EXACT_POINTS: dict[str, tuple[float, ...]] = {
    "sqrt": (0.0, 1.0),
    "cbrt": (0.0, 1.0, -1.0),
    "sin": (0.0,),
    "tan": (0.0,),
    "asin": (0.0,),
    "atan": (0.0,),
    "sinh": (0.0,),
    "tanh": (0.0,),
    "cos": (0.0,),
    "cosh": (0.0,),
    "exp": (0.0,),
    "log": (1.0,),
    "log2": (1.0,),
    "log10": (1.0,),
    "acos": (1.0,),
    "erf": (0.0,),
    "erfc": (0.0,),
    "erfinv": (0.0,),
    "erfcinv": (1.0,),
}


def _unary_math(name: str) -> BuiltinFn:
    f, prop = _UNARY[name]
    points = _EXACT_POINTS.get(name, ())

    def fn(args: list[Any], ctx: OpCtx) -> Value:
        (v,) = _values(name, args, ctx, 1)
        _need(v.t.is_float, ctx, name, args)
        ctx.count(int(np.prod(v.t.shape)) if v.t.shape else 1)
        with np.errstate(all="ignore"):
            x = f64(v)
            r64 = f(x)
            r = r64.astype(v.t.np)
            p = prop(x, v.err)
            s = scalar_of(v.t)
            rnd = ULPS[name] * s.u * np.abs(r64) + float(np.finfo(s.np).smallest_subnormal)
            exact = np.isin(x, points)
            if name == "sqrt":  # correctly rounded everywhere: exact when the square matches
                rr = r.astype(np.float64)
                exact |= (rr * rr == x) & (s.name != "float64")
            rnd = np.where(exact, 0.0, rnd)
        return finish_float(v.t, r, p, ULPS[name], [v], r64, rnd=rnd)

    return fn


def _rounding(name: str) -> BuiltinFn:
    def fn(args: list[Any], ctx: OpCtx) -> Value:
        (v,) = _values(name, args, ctx, 1)
        _need(v.t.is_float, ctx, name, args)
        return float_rounding(name, v, ctx)

    return fn


def _frac(args: list[Any], ctx: OpCtx) -> Value:
    """frac(x) = x - trunc(x) (builtin.h): exact, discontinuous at integers."""
    (v,) = _values("frac", args, ctx, 1)
    _need(v.t.is_float, ctx, "frac", args)
    ctx.count()
    t = float_rounding("trunc", v, ctx, count=False)
    with np.errstate(all="ignore"):
        r = (
            (v.data.astype(np.float32) - t.data.astype(np.float32)).astype(v.t.np)
            if v.t.np == np.float16
            else v.data - t.data
        )
    return Value(v.t, r, v.err.copy(), t.taint)


def _abs(args: list[Any], ctx: OpCtx) -> Value:
    (v,) = _values("abs", args, ctx, 1)
    s = scalar_of(v.t)
    _need(not s.is_bool, ctx, "abs", args)
    if s.is_float:
        return Value(v.t, np.abs(v.data), v.err.copy(), v.taint.copy())
    if not s.signed:
        return Value(v.t, v.data.copy(), v.err.copy(), v.taint.copy())
    data = int_finish(s, np.abs(v.data.astype(object)), ctx, "abs")
    return Value(v.t, data, np.zeros(data.shape), v.taint.copy())


def _sign_like(name: str) -> BuiltinFn:
    """sign: x < 0 ? -1 : 1; step: x < 0 ? 1 : 0 (builtin.h; sign(0) = sign(-0.0) = 1)."""

    def fn(args: list[Any], ctx: OpCtx) -> Value:
        (v,) = _values(name, args, ctx, 1)
        s = scalar_of(v.t)
        _need(not s.is_bool and not v.t.shape, ctx, name, args)
        neg = v.data < 0
        if name == "sign":
            r = np.where(neg, -1, 1)
            if not s.signed and not s.is_float:
                r = np.ones_like(r)
        else:
            r = np.where(neg, 1, 0)
        taint = v.taint
        if s.is_float:
            taint = taint | decision_taint(f64(v), v.err, "Lt")
            ctx.count()
        data = r.astype(s.np)
        return Value(v.t, data, np.zeros(data.shape), taint)

    return fn


def _nonzero(args: list[Any], ctx: OpCtx) -> Value:
    (v,) = _values("nonzero", args, ctx, 1)
    _need(not v.t.shape and not v.t.is_bool, ctx, "nonzero", args)
    b = truth(v, ctx)
    data = b.data.astype(v.t.np)
    return Value(v.t, data, np.zeros(data.shape), b.taint)


def _minmax(name: str) -> BuiltinFn:
    """Float min/max follow fmin/fmax (the non-NaN operand wins); continuous (no taint)."""

    def fn(args: list[Any], ctx: OpCtx) -> Value:
        a, b = _values(name, args, ctx, 2)
        _same_type(name, [a, b], ctx)
        _need(not a.t.is_bool, ctx, name, args)
        return minmax(name, a, b, ctx)

    return fn


def minmax(name: str, a: Value, b: Value, ctx: OpCtx) -> Value:
    """fmin/fmax. The exact result lies in [f(a-ea, b-eb), f(a+ea, b+eb)] (f is monotone in
    both operands), so the error is the larger distance from the result to that interval's ends:
    the chosen operand's own error when the choice is clear (clamp(x, lo, hi) at a literal bound
    is exact), never more than max(ea, eb) (f is 1-Lipschitz). Using max(ea, eb) everywhere made
    `exp(clamp(big, -12, 12))` carry big's error: a mutation self-test survivor."""
    if a.t.is_float:
        ctx.count()
        r = np.fmin(a.data, b.data) if name == "min" else np.fmax(a.data, b.data)
        f = np.fmin if name == "min" else np.fmax
        with np.errstate(all="ignore"):
            x, y, r64 = f64(a), f64(b), np.asarray(r, dtype=np.float64)
            lo, hi = f(x - a.err, y - b.err), f(x + a.err, y + b.err)
            err = np.maximum(r64 - lo, hi - r64) * (1 + 2.0**-50)
            lip = np.maximum(a.err, b.err)
            err = np.where(np.isfinite(err), np.minimum(err, lip), lip)
        # +0 against -0: which zero comes back is the implementation's choice (builtin.h on CPU
        # returns the first operand, `a >= b ? a : ...`; CUDA's fmaxf its own; NumPy the second),
        # so the sign is unknown and the lane is tainted (it only matters where the sign is read)
        ties = (a.data == 0) & (b.data == 0) & (np.signbit(a.data) != np.signbit(b.data))
        return Value(a.t, r, err, a.taint | b.taint | ties)
    r = np.minimum(a.data, b.data) if name == "min" else np.maximum(a.data, b.data)
    return Value(a.t, r, np.zeros(r.shape), a.taint | b.taint)


def _mod(args: list[Any], ctx: OpCtx) -> Value:
    """`wp.mod(a, b)` is the `%` operator: fmod for floats, C remainder for integers."""
    a, b = _values("mod", args, ctx, 2)
    _same_type("mod", [a, b], ctx)
    _need(not a.t.shape and not a.t.is_bool, ctx, "mod", args)
    return float_binop("Mod", a, b, ctx) if a.t.is_float else int_binop("Mod", a, b, ctx)


def _clamp(args: list[Any], ctx: OpCtx) -> Value:
    """clamp(x, a, b) = min(max(a, x), b) (builtin.h): so a > b yields b."""
    x, lo, hi = _values("clamp", args, ctx, 3)
    _same_type("clamp", [x, lo, hi], ctx)
    _need(not x.t.shape and not x.t.is_bool, ctx, "clamp", args)
    return minmax("min", minmax("max", lo, x, ctx), hi, ctx)


def _float_args(name: str, args: list[Any], ctx: OpCtx, n: int) -> list[Value]:
    vs = _values(name, args, ctx, n)
    _same_type(name, vs, ctx)
    _need(vs[0].t.is_float and not vs[0].t.shape, ctx, name, args)
    return vs


def _atan2(args: list[Any], ctx: OpCtx) -> Value:
    y, x = _float_args("atan2", args, ctx, 2)
    ctx.count()
    with np.errstate(all="ignore"):
        xv, yv = f64(x), f64(y)
        r64 = np.arctan2(yv, xv)
        rmin = np.hypot(xv, yv) - np.hypot(x.err, y.err)
        # |d atan2/dx| = |y|/r^2, |d atan2/dy| = |x|/r^2, bounded over the input box; the angle
        # bound (ex + ey)/r alone is far too loose when |y| << |x| (or the reverse)
        deriv = ((np.abs(yv) + y.err) * x.err + (np.abs(xv) + x.err) * y.err) / (rmin * rmin)
        prop = np.where(rmin > 0, np.minimum((x.err + y.err) / rmin, deriv), np.inf)
        prop = np.where((x.err == 0) & (y.err == 0), 0.0, prop)
        cut = (xv < 0) & (np.abs(yv) <= y.err) & (y.err > 0)  # branch cut along the negative x axis
    return finish_float(y.t, r64.astype(y.t.np), prop, ULPS["atan2"], [y, x], r64, extra_taint=cut)


def _copysign(args: list[Any], ctx: OpCtx) -> Value:
    """copysign(x, y) = |x| with the sign bit of y (builtin.h; half: through float). Exact; the
    lane is tainted where y's sign is within its error bound of flipping (|y| <= err_y, err_y > 0)."""
    x, y = _float_args("copysign", args, ctx, 2)
    ctx.count()
    r = np.copysign(x.data, y.data).astype(x.t.np)
    near = (y.err > 0) & (np.abs(f64(y)) <= y.err)
    return Value(x.t, r, x.err.copy(), x.taint | y.taint | near)


def _pow(args: list[Any], ctx: OpCtx) -> Value:
    a, b = _float_args("pow", args, ctx, 2)
    return float_pow(a, b, ctx)


def _const_like(v: Value, value: float) -> Value:
    return const_value(Scalar(scalar_of(v.t).name), float(value), v.lanes)


def _lerp(args: list[Any], ctx: OpCtx) -> Value:
    """lerp(a, b, t) = a*(1-t) + b*t, evaluated op by op in the dtype as builtin.h does."""
    a, b, t = _values("lerp", args, ctx, 3)
    _need(a.t == b.t and a.t.is_float and scalar_of(a.t) == t.t, ctx, "lerp", args)
    one = _const_like(t, 1.0)
    omt = float_binop("Sub", one, t, ctx)
    if a.t.shape:
        return composite_add(scale(a, omt, ctx), scale(b, t, ctx), ctx)
    return float_binop("Add", float_binop("Mult", a, omt, ctx), float_binop("Mult", b, t, ctx), ctx)


def composite_add(a: Value, b: Value, ctx: OpCtx) -> Value:
    return float_binop("Add", a, b, ctx)


def _smoothstep(args: list[Any], ctx: OpCtx) -> Value:
    """x = clamp((x - e0) / (e1 - e0), 0, 1); x*x*(3 - 2*x) (builtin.h DECLARE_INTERP_FUNCS)."""
    e0, e1, x = _float_args("smoothstep", args, ctx, 3)
    zero, one = _const_like(x, 0.0), _const_like(x, 1.0)
    two, three = _const_like(x, 2.0), _const_like(x, 3.0)
    q = float_binop("Div", float_binop("Sub", x, e0, ctx), float_binop("Sub", e1, e0, ctx), ctx)
    c = minmax("min", minmax("max", zero, q, ctx), one, ctx)
    poly = float_binop("Sub", three, float_binop("Mult", two, c, ctx), ctx)
    return float_binop("Mult", float_binop("Mult", c, c, ctx), poly, ctx)


_RAD_TO_DEG = 57.29577951308232
_DEG_TO_RAD = 0.017453292519943295


def _angle(name: str) -> BuiltinFn:
    """degrees/radians: `x * RAD_TO_DEG` where the constant is a C++ double literal (builtin.h),
    so half and float arguments are promoted: the product is taken in double and rounded once to
    the argument's type (measured: half degrees(-4.2578125) is -244.0, not -243.875 as a product
    with the constant rounded to half would give)."""

    def fn(args: list[Any], ctx: OpCtx) -> Value:
        (v,) = _float_args(name, args, ctx, 1)
        c = _RAD_TO_DEG if name == "degrees" else _DEG_TO_RAD
        if not v.t.shape:
            ctx.count()
            with np.errstate(all="ignore"):
                r64 = v.data.astype(np.float64) * c
                r = r64.astype(v.t.np)
            return finish_float(v.t, r, abs(c) * v.err, 1, [v], r64)
        return float_binop("Mult", v, const_value(v.t, c, v.lanes), ctx)

    return fn


def _classify(name: str) -> BuiltinFn:
    """isfinite/isnan/isinf -> bool; tainted when the bound reaches overflow or is not finite."""
    fns = {"isfinite": np.isfinite, "isnan": np.isnan, "isinf": np.isinf}

    def fn(args: list[Any], ctx: OpCtx) -> Value:
        (v,) = _values(name, args, ctx, 1)
        _need(not v.t.shape, ctx, name, args)
        r = np.asarray(fns[name](v.data), dtype=bool)
        taint = v.taint
        if v.t.is_float:
            fmax = float(np.finfo(v.t.np).max)
            with np.errstate(all="ignore"):
                # an exact value (err 0) is classified exactly, the float's max included
                reach = (v.err > 0) & (np.abs(f64(v)) + v.err >= fmax)
                near = ~np.isfinite(v.err) | (np.isfinite(v.data) & reach)
            taint = taint | near
        return Value(BOOL, r, np.zeros(r.shape), taint)

    return fn


def _where(args: list[Any], ctx: OpCtx) -> Value:
    """where(cond, a, b): both sides are evaluated (they are call arguments); cond is bool or int."""
    c, a, b = _values("where", args, ctx, 3)
    _need(a.t == b.t and not c.t.shape and (c.t.is_bool or c.t.is_int), ctx, "where", args)
    cb = truth(c, ctx)
    m = lane_broadcast(cb.data, a.data)
    return Value(
        a.t,
        np.where(m, a.data, b.data).astype(a.t.np),
        np.where(m, a.err, b.err),
        cb.taint | np.where(cb.data, a.taint, b.taint),
    )


def _scalar_cast(target: Scalar) -> BuiltinFn:
    def fn(args: list[Any], ctx: OpCtx) -> Value:
        if len(args) == 0:
            return const_value(target, 0, int(ctx.mask.shape[0]))
        (v,) = _values(target.name, args, ctx, 1)
        _need(not v.t.shape, ctx, target.name, args)
        if v.t == target and v.literal is None:
            return v
        if target.is_float:
            ctx.count()
        return cast(v, target, ctx)

    return fn


def _tid(args: list[Any], ctx: OpCtx) -> Any:
    raise ctx.unsupported("call wp.tid", "only as `i = wp.tid()` / `i, j = wp.tid()`")


def _compare_fn(op: str) -> BuiltinFn:
    def fn(args: list[Any], ctx: OpCtx) -> Value:
        a, b = _values(op, args, ctx, 2)
        return compare(op, a, b, ctx)

    return fn


def scalar_builtins() -> list[Builtin]:
    """Scalar math, rounding, classification, casts (wave 1 of the subset + every scalar dtype)."""
    out: list[Builtin] = []
    for name in _UNARY:
        out.append(
            Builtin(name, _unary_math(name), f"float64 reference rounded to dtype; {ULPS[name]}u budget")
        )
    for name in ("floor", "ceil", "trunc", "round", "rint"):
        out.append(Builtin(name, _rounding(name), "exact; taint where x±err rounds differently"))
    out += [
        Builtin("frac", _frac, "x - trunc(x)"),
        Builtin("abs", _abs, "exact; int32/int64 INT_MIN is UB"),
        Builtin("sign", _sign_like("sign"), "x < 0 ? -1 : 1"),
        Builtin("step", _sign_like("step"), "x < 0 ? 1 : 0"),
        Builtin("nonzero", _nonzero, "x == 0 ? 0 : 1"),
        Builtin("min", _minmax("min"), "fmin for floats"),
        Builtin("max", _minmax("max"), "fmax for floats"),
        Builtin("clamp", _clamp, "min(max(a, x), b)"),
        Builtin("mod", _mod, "the % operator"),
        Builtin("atan2", _atan2, "float64 reference; branch cut taint"),
        Builtin("pow", _pow, "float64 reference; corner error"),
        Builtin("copysign", _copysign, "|x| with y's sign bit; taint where y's sign is undecided"),
        Builtin("lerp", _lerp, "a*(1-t) + b*t"),
        Builtin("smoothstep", _smoothstep, "Hermite on clamped ratio"),
        Builtin("degrees", _angle("degrees"), "x * RAD_TO_DEG"),
        Builtin("radians", _angle("radians"), "x * DEG_TO_RAD"),
        Builtin("isfinite", _classify("isfinite"), "bool"),
        Builtin("isnan", _classify("isnan"), "bool"),
        Builtin("isinf", _classify("isinf"), "bool"),
        Builtin("where", _where, "select"),
        Builtin("tid", _tid, "lane indices (interpreter form)"),
    ]
    for name in SCALAR_NAMES:
        out.append(Builtin(name, _scalar_cast(Scalar(name)), "C cast; float->int truncates, UB out of range"))
    out.append(Builtin("int", _scalar_cast(Scalar("int32")), "int32 cast"))
    out.append(Builtin("float", _scalar_cast(Scalar("float32")), "float32 cast"))
    return out


def call_scalar(name: str, args: list[Value], ctx: OpCtx) -> Value:
    """`wp.<name>(*args)` for a scalar builtin: the composite formulas are written with these."""
    b = _scalar_table().get(name)
    if b is None:
        raise ctx.unsupported(f"call wp.{name}")
    return b.fn(list(args), ctx)


@functools.lru_cache(maxsize=1)
def _scalar_table() -> Mapping[str, Builtin]:
    """`scalar_builtins()` by name, built once (the first entry of a name, as the scan found it)."""
    table: dict[str, Builtin] = {}
    for b in scalar_builtins():
        table.setdefault(b.name, b)
    return MappingProxyType(table)
