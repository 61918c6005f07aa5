"""Scalar expression productions: operators, math builtins, casts, selects and comparisons.

Each entry declares its types, guard, interval and emitter in one `Production`. Intervals are
computed in float64 and widened for the result dtype's rounding by `Production.build`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from typing import TYPE_CHECKING

import libcst as cst

from grammar.dtypes import BOOL, FLOATS, INTS, SINTS, UINTS, Interval, cap, corners, point_in, scalar, widen
from grammar.expr import Expr, Rejected, bare_call, binop, call, checked, literal, paren
from grammar.fixers import FIXER_CALLS, away_from_zero, clamp_mag, clamp_to
from grammar.production import Production

if TYPE_CHECKING:
    from grammar.gen import Gen

NUMERIC = FLOATS + INTS
SIGNED = FLOATS + SINTS


def same(kinds: tuple[str, ...], n: int) -> Callable[[Gen, str], tuple[str, ...] | None]:
    """Result dtype in `kinds`, n arguments of the same dtype."""

    def args(gen: Gen, dtype: str) -> tuple[str, ...] | None:
        return (dtype,) * n if dtype in kinds else None

    return args


def _wp(name: str) -> Callable[[list[cst.BaseExpression]], cst.BaseExpression]:
    return lambda a: call(name, *a)


def _binop(op: type[cst.BaseBinaryOp]) -> Callable[[list[cst.BaseExpression]], cst.BaseExpression]:
    return lambda a: binop(a[0], op(), a[1])


# ---- arithmetic operators ----------------------------------------------------------------------


def _half(dtype: str) -> float:
    c = cap(dtype)
    return c.hi * 0.49 if scalar(dtype).is_float else c.hi // 2


def fits(d: str, iv: Interval) -> bool:
    """Whether a result in `iv` stays in the cap after its rounding (what `checked` will test)."""
    return widen(d, iv).within(cap(d))


def _guard_add(gen: Gen, d: str, a: list[Expr]) -> list[Expr]:
    x, y = a
    if not fits(d, Interval(x.iv.lo + y.iv.lo, x.iv.hi + y.iv.hi)):
        x, y = clamp_mag(x, _half(d)), clamp_mag(y, _half(d))
    return [x, y]


def _guard_sub(gen: Gen, d: str, a: list[Expr]) -> list[Expr]:
    x, y = a
    if scalar(d).kind == "uint":
        if x.iv.lo < y.iv.hi:
            raise Rejected("unsigned subtraction could wrap")
        return [x, y]
    if not fits(d, Interval(x.iv.lo - y.iv.hi, x.iv.hi - y.iv.lo)):
        x, y = clamp_mag(x, _half(d)), clamp_mag(y, _half(d))
    return [x, y]


def _guard_mul(gen: Gen, d: str, a: list[Expr]) -> list[Expr]:
    x, y = a
    if not fits(d, corners(lambda p, q: p * q, x.iv, y.iv)):
        r = math.isqrt(int(cap(d).hi)) if scalar(d).is_int else math.sqrt(cap(d).hi) * 0.99
        x, y = clamp_mag(x, r), clamp_mag(y, r)
    return [x, y]


def _guard_div(gen: Gen, d: str, a: list[Expr]) -> list[Expr]:
    """Denominator at least 1 in magnitude (0.5 for floats), numerator small enough for the cap."""
    x, y = a
    margin = 0.5 if scalar(d).is_float else 1
    y = away_from_zero(gen.rng, y, margin)
    if not fits(d, corners(lambda p, q: p / q, x.iv, y.iv)):
        x = clamp_mag(x, _half(d) * margin)
    return [x, y]


def _iv_div(d: str, a: list[Expr]) -> Interval:
    r = corners(lambda p, q: p / q, a[0].iv, a[1].iv)
    if scalar(d).is_int:  # truncation toward zero stays inside the real-valued bounds
        return Interval(math.floor(r.lo), math.ceil(r.hi))
    return r


def _iv_floordiv(d: str, a: list[Expr]) -> Interval:
    r = corners(lambda p, q: p / q, a[0].iv, a[1].iv)
    return Interval(math.floor(r.lo), math.floor(r.hi))


def _iv_mod(d: str, a: list[Expr]) -> Interval:
    """C-style remainder: sign of the dividend, magnitude below the divisor's and the dividend's."""
    x, y = a[0].iv, a[1].iv
    m = y.mag if scalar(d).is_float else y.mag - 1
    lo = 0 if x.lo >= 0 else max(x.lo, -m)
    hi = 0 if x.hi <= 0 else min(x.hi, m)
    return Interval(lo, hi)


def _guard_pow(gen: Gen, d: str, a: list[Expr]) -> list[Expr]:
    """Positive base in [0.25, 8], exponent in [-3, 3]: finite and well conditioned."""
    b, e = a
    b = clamp_to(b, 0.25, 8.0) if b.iv.lo < 0.25 or b.iv.hi > 8.0 else b
    e = clamp_to(e, -3.0, 3.0)
    return [b, e]


def _iv_pow(d: str, a: list[Expr]) -> Interval:
    return corners(lambda p, q: p**q, a[0].iv, a[1].iv)


# ---- unary math --------------------------------------------------------------------------------


def _unary_math(
    name: str,
    fn: Callable[[float], float],
    domain: tuple[float, float] | None = None,
    monotone: bool = True,
    out: tuple[float, float] | None = None,
    tag: str = "math",
    kinds: tuple[str, ...] = FLOATS,
    fix: str = "clamp",
) -> Production:
    """A one-argument float builtin: clamp the argument into `domain`, interval by monotonicity."""

    def guard(gen: Gen, d: str, a: list[Expr]) -> list[Expr]:
        x = a[0]
        if domain is None or x.iv.within(Interval(*domain)):
            return [x]
        if fix == "abs" and domain[0] == 0.0 and x.iv.mag <= domain[1]:
            return [Expr(call("abs", x.node), d, widen(d, Interval(0.0, x.iv.mag)))]
        return [clamp_to(x, *domain)]

    def interval(d: str, a: list[Expr]) -> Interval:
        if out is not None:
            return Interval(*out)
        iv = a[0].iv
        lo, hi = fn(iv.lo), fn(iv.hi)
        return Interval(min(lo, hi), max(lo, hi)) if monotone else Interval(lo, hi)

    return Production(name, tag, same(kinds, 1), interval, _wp(name), guard, frozenset({name}) | FIXER_CALLS)


def _float_cap_domain(d: str) -> float:
    return cap(d).hi


def _sqrt() -> Production:
    def guard(gen: Gen, d: str, a: list[Expr]) -> list[Expr]:
        x = a[0]
        if x.iv.lo >= 0:
            return [x]
        return [Expr(call("abs", x.node), d, widen(d, Interval(0.0, x.iv.mag)))]

    return Production(
        "sqrt",
        "math",
        same(FLOATS, 1),
        lambda d, a: Interval(math.sqrt(a[0].iv.lo), math.sqrt(a[0].iv.hi)),
        _wp("sqrt"),
        guard,
        frozenset({"sqrt", "abs"}),
    )


def _log(name: str, fn: Callable[[float], float]) -> Production:
    """log family: argument at least 0.01 (shifted `wp.abs(x) + 1` or clamped)."""

    def guard(gen: Gen, d: str, a: list[Expr]) -> list[Expr]:
        x = a[0]
        if x.iv.lo >= 0.01:
            return [x]
        if gen.rng.chance(0.5) and x.iv.mag + 1 <= cap(d).hi:
            node = binop(call("abs", x.node), cst.Add(), literal(d, 1.0).node)
            return [Expr(node, d, widen(d, Interval(1.0, x.iv.mag + 1.0)))]
        return [clamp_to(x, 0.01, max(x.iv.hi, 1.0))]

    return Production(
        name,
        "math",
        same(FLOATS, 1),
        lambda d, a: Interval(fn(a[0].iv.lo), fn(a[0].iv.hi)),
        _wp(name),
        guard,
        frozenset({name, "abs", "clamp"}),
    )


def _exp_bound(d: str) -> float:
    return 6.0 if d == "float16" else 12.0


def _exp_like(name: str, fn: Callable[[float], float], even: bool = False) -> Production:
    def guard(gen: Gen, d: str, a: list[Expr]) -> list[Expr]:
        b = _exp_bound(d)
        return [clamp_to(a[0], -b, b)]

    def interval(d: str, a: list[Expr]) -> Interval:
        iv = a[0].iv
        if even:  # cosh: minimum at 0
            lo = 1.0 if iv.contains(0.0) else min(fn(iv.lo), fn(iv.hi))
            return Interval(lo, max(fn(iv.lo), fn(iv.hi)))
        return Interval(fn(iv.lo), fn(iv.hi))

    return Production(name, "math", same(FLOATS, 1), interval, _wp(name), guard, frozenset({name, "clamp"}))


def _trig(name: str) -> Production:
    def guard(gen: Gen, d: str, a: list[Expr]) -> list[Expr]:
        return [clamp_to(a[0], -64.0, 64.0)]

    return Production(
        name,
        "math",
        same(FLOATS, 1),
        lambda d, a: Interval(-1.0, 1.0),
        _wp(name),
        guard,
        frozenset({name, "clamp"}),
    )


def _rounding(name: str, fn: Callable[[float], float]) -> Production:
    # floor/ceil/round/rint/trunc return integers, exact in every float type within the caps
    # (|x| <= 1000 for float16, whose integers are exact to 2048): no rounding slack to add. With
    # it, wp.ceil(wp.float16(wp.clamp(a, -999, 999))) got the interval [-999.98, 1000.98] and
    # failed the float16 cap check (campaign seed 304743, an internal error)
    return Production(
        name,
        "math",
        same(FLOATS, 1),
        lambda d, a: Interval(fn(a[0].iv.lo), fn(a[0].iv.hi)),
        _wp(name),
        calls=frozenset({name}),
        rounds=False,
    )


def _abs() -> Production:
    def interval(d: str, a: list[Expr]) -> Interval:
        iv = a[0].iv
        lo = 0 if iv.contains(0) else min(abs(iv.lo), abs(iv.hi))
        return Interval(lo, iv.mag)

    return Production(
        "abs", "math", same(SIGNED, 1), interval, _wp("abs"), calls=frozenset({"abs"}), rounds=False
    )


def _minmax(name: str) -> Production:
    f = min if name == "min" else max
    return Production(
        name,
        "math",
        same(NUMERIC, 2),
        lambda d, a: Interval(f(a[0].iv.lo, a[1].iv.lo), f(a[0].iv.hi, a[1].iv.hi)),
        _wp(name),
        calls=frozenset({name}),
        rounds=False,
    )


def _clamp() -> Production:
    """wp.clamp(x, lo, hi) with literal bounds lo <= hi (Warp leaves lo > hi unspecified)."""

    def args(gen: Gen, d: str) -> tuple[str, ...] | None:
        return (d,) if d in NUMERIC else None

    def guard(gen: Gen, d: str, a: list[Expr]) -> list[Expr]:
        x = a[0]
        k_lo, k_hi = gen.rng.integer(0, 4), gen.rng.integer(1, 4)
        if scalar(d).is_int:
            # exact: in float64 a full-range int64's bounds round past INT64_MAX (seed 305770
            # emitted wp.int64(9223372036854775808))
            xlo, xhi = Fraction(math.ceil(x.iv.lo)), Fraction(math.floor(x.iv.hi))
            lo_q = xlo + (xhi - xlo) * k_lo / 8
            hi_q = lo_q + (xhi - lo_q) * k_hi / 4
            lo_v: float = math.floor(lo_q)
            hi_v: float = math.floor(hi_q)
        else:
            lo_f = x.iv.lo + (x.iv.hi - x.iv.lo) * k_lo / 8
            hi_f = lo_f + (x.iv.hi - lo_f) * k_hi / 4
            lo_v, hi_v = round(lo_f, 2), round(hi_f, 2)
        if hi_v < lo_v:
            hi_v = lo_v
        gen.note_threshold(lo_v)
        gen.note_threshold(hi_v)
        return [x, literal(d, lo_v), literal(d, hi_v)]

    return Production(
        "clamp",
        "math",
        args,
        lambda d, a: a[0].iv.clip(a[1].iv.lo, a[2].iv.lo),
        _wp("clamp"),
        guard,
        frozenset({"clamp"}),
        rounds=False,
    )


def _sign() -> Production:
    return Production(
        "sign", "math", same(SIGNED, 1), lambda d, a: Interval(-1, 1), _wp("sign"), calls=frozenset({"sign"})
    )


def _01(name: str) -> Production:
    return Production(
        name, "math", same(FLOATS, 1), lambda d, a: Interval(0.0, 1.0), _wp(name), calls=frozenset({name})
    )


def _atan2() -> Production:
    return Production(
        "atan2",
        "math",
        same(FLOATS, 2),
        lambda d, a: Interval(-math.pi, math.pi),
        _wp("atan2"),
        calls=frozenset({"atan2"}),
    )


def _lerp() -> Production:
    def guard(gen: Gen, d: str, a: list[Expr]) -> list[Expr]:
        return [clamp_mag(a[0], cap(d).hi / 4), clamp_mag(a[1], cap(d).hi / 4), clamp_to(a[2], -1.0, 2.0)]

    return Production(
        "lerp",
        "math",
        same(FLOATS, 3),
        lambda d, a: corners(lambda x, y, t: x + t * (y - x), a[0].iv, a[1].iv, a[2].iv),
        _wp("lerp"),
        guard,
        frozenset({"lerp", "clamp"}),
    )


def _smoothstep() -> Production:
    """smoothstep(e0, e1, x) with literal edges e0 < e1 (e0 == e1 divides by zero)."""

    def args(gen: Gen, d: str) -> tuple[str, ...] | None:
        return (d,) if d in FLOATS else None

    def guard(gen: Gen, d: str, a: list[Expr]) -> list[Expr]:
        e0 = gen.rng.pick((-1.0, 0.0, 0.5, -2.0))
        e1 = e0 + gen.rng.pick((0.5, 1.0, 2.0, 4.0))
        gen.note_threshold(e0)
        gen.note_threshold(e1)
        return [literal(d, e0), literal(d, e1), a[0]]

    return Production(
        "smoothstep",
        "math",
        args,
        lambda d, a: Interval(0.0, 1.0),
        _wp("smoothstep"),
        guard,
        frozenset({"smoothstep"}),
    )


def _scale(name: str, k: float) -> Production:
    def guard(gen: Gen, d: str, a: list[Expr]) -> list[Expr]:
        return [clamp_mag(a[0], cap(d).hi / 100)]

    return Production(
        name,
        "math",
        same(FLOATS, 1),
        lambda d, a: Interval(a[0].iv.lo * k, a[0].iv.hi * k),
        _wp(name),
        guard,
        frozenset({name, "clamp"}),
    )


# ---- casts, selects, comparisons ---------------------------------------------------------------


def _cast(bare: bool) -> Production:
    """`wp.<dtype>(x)` (or bare `float(x)` / `int(x)`) from another dtype, clamped into range first."""

    def args(gen: Gen, d: str) -> tuple[str, ...] | None:
        if d not in NUMERIC or (bare and d not in ("float32", "int32")):
            return None
        # bool -> float16 breaks Warp 1.19's backward pass (ambiguous half -> bool in adj_float16)
        with_bool = not bare and gen.wave2 and d != "float16"
        srcs = [t for t in gen.dtypes if t != d] + ([BOOL] if with_bool else [])
        return (gen.rng.pick(srcs),) if srcs else None

    def guard(gen: Gen, d: str, a: list[Expr]) -> list[Expr]:
        x = a[0]
        if x.dtype == BOOL:
            return [x]
        tc = cap(d)
        # room for the target's rounding; integer bounds stay exact
        lo_t, hi_t = (tc.lo * 0.999, tc.hi * 0.999) if scalar(d).is_float else (tc.lo, tc.hi)
        return [clamp_to(x, max(lo_t, cap(x.dtype).lo), min(hi_t, cap(x.dtype).hi))]

    def interval(d: str, a: list[Expr]) -> Interval:
        iv = a[0].iv
        if scalar(d).is_int and a[0].dtype != BOOL and scalar(a[0].dtype).is_float:
            return Interval(math.trunc(iv.lo), math.trunc(iv.hi))
        return iv

    def emit(a: list[cst.BaseExpression]) -> cst.BaseExpression:
        raise AssertionError("replaced per result dtype")

    name = "bare_cast" if bare else "cast"
    calls = frozenset({"int", "float"}) if bare else frozenset(NUMERIC) | frozenset({"clamp"})
    return Production(
        name, "cast", args, interval, emit, guard, calls | frozenset({"clamp"}), builder=build_cast
    )


def build_cast(gen: Gen, p: Production, d: str, depth: int) -> Expr:
    """Casts emit per result dtype, so they bypass `Production.emit`."""
    ts = p.args(gen, d)
    if ts is None:
        raise Rejected(f"no cast source for {d}")
    x = p.guard(gen, d, [gen.expr(ts[0], depth)])[0]
    if p.name == "bare_cast":
        node: cst.BaseExpression = bare_call("float" if d == "float32" else "int", x.node)
    else:
        node = call(d, x.node)
    return checked(Expr(node, d, widen(d, p.interval(d, [x]))))


def _bool_cast() -> Production:
    """`wp.bool(x)`: a condition from any numeric value (true where nonzero)."""

    def args(gen: Gen, d: str) -> tuple[str, ...] | None:
        # Warp 1.19 `wp.bool(<float16>)` fails to compile on CPU: the C++ `bool(half)` is an
        # ambiguous conversion (half converts to every builtin scalar type)
        srcs = [t for t in gen.dtypes if t in NUMERIC and t != "float16"]
        return (gen.rng.pick(srcs),) if d == BOOL and srcs and gen.wave2 else None

    def interval(d: str, a: list[Expr]) -> Interval:
        iv = a[0].iv
        return Interval(0 if iv.contains(0) else 1, 0 if iv.lo == iv.hi == 0 else 1)

    return Production(
        "bool", "cast", args, interval, _wp("bool"), calls=frozenset({"bool"}), weight=0.5, rounds=False
    )


def _where() -> Production:
    def args(gen: Gen, d: str) -> tuple[str, ...] | None:
        return (BOOL, d, d) if d != BOOL else None

    return Production(
        "where",
        "select",
        args,
        lambda d, a: a[1].iv.union(a[2].iv),
        _wp("where"),
        calls=frozenset({"where"}),
        rounds=False,
    )


def _ifexp() -> Production:
    def args(gen: Gen, d: str) -> tuple[str, ...] | None:
        return (BOOL, d, d) if d != BOOL else None

    def emit(a: list[cst.BaseExpression]) -> cst.BaseExpression:
        return cst.IfExp(test=paren(a[0]), body=paren(a[1]), orelse=paren(a[2]))

    return Production(
        "IfExp",
        "ternary",
        args,
        lambda d, a: a[1].iv.union(a[2].iv),
        emit,
        operators=frozenset({"IfExp"}),
        rounds=False,
    )


_CMP = {
    "Lt": cst.LessThan,
    "LtE": cst.LessThanEqual,
    "Gt": cst.GreaterThan,
    "GtE": cst.GreaterThanEqual,
    "Eq": cst.Equal,
    "NotEq": cst.NotEqual,
}


def _compare(opname: str) -> Production:
    """`x <op> y` between same-dtype operands; a literal side records a branch threshold."""

    def args(gen: Gen, d: str) -> tuple[str, ...] | None:
        if d != BOOL or not gen.dtypes:
            return None
        t = gen.rng.pick(gen.dtypes)
        return (t, t)

    def guard(gen: Gen, d: str, a: list[Expr]) -> list[Expr]:
        x, y = a
        if gen.rng.chance(0.5):  # compare against a threshold inside x's range
            t = point_in(x.iv.lo, x.iv.hi, gen.rng.integer(0, 8), 8, scalar(x.dtype).is_int)
            t = t if scalar(x.dtype).is_int else round(t, 2)
            gen.note_threshold(t)
            y = literal(x.dtype, t)
        return [x, y]

    op = _CMP[opname]

    def emit(a: list[cst.BaseExpression]) -> cst.BaseExpression:
        return cst.Comparison(
            left=paren(a[0]), comparisons=[cst.ComparisonTarget(operator=op(), comparator=paren(a[1]))]
        )

    return Production(
        opname, "cmp", args, lambda d, a: Interval(0, 1), emit, guard, operators=frozenset({opname})
    )


def _boolop(opname: str) -> Production:
    op = cst.And if opname == "And" else cst.Or

    def emit(a: list[cst.BaseExpression]) -> cst.BaseExpression:
        return cst.BooleanOperation(left=paren(a[0]), operator=op(), right=paren(a[1]))

    return Production(
        opname, "logic", same((BOOL,), 2), lambda d, a: Interval(0, 1), emit, operators=frozenset({opname})
    )


def _not() -> Production:
    def emit(a: list[cst.BaseExpression]) -> cst.BaseExpression:
        return cst.UnaryOperation(operator=cst.Not(), expression=paren(a[0]))

    return Production(
        "Not", "logic", same((BOOL,), 1), lambda d, a: Interval(0, 1), emit, operators=frozenset({"Not"})
    )


def _isx(name: str) -> Production:
    def args(gen: Gen, d: str) -> tuple[str, ...] | None:
        fl = [t for t in gen.dtypes if t in FLOATS]
        return (gen.rng.pick(fl),) if d == BOOL and fl else None

    return Production(
        name, "logic", args, lambda d, a: Interval(0, 1), _wp(name), calls=frozenset({name}), weight=0.3
    )


def _neg() -> Production:
    def emit(a: list[cst.BaseExpression]) -> cst.BaseExpression:
        return cst.UnaryOperation(operator=cst.Minus(), expression=paren(a[0]))

    return Production(
        "USub",
        "arith",
        same(SIGNED, 1),
        lambda d, a: Interval(-a[0].iv.hi, -a[0].iv.lo),
        emit,
        operators=frozenset({"USub"}),
        weight=0.4,
        rounds=False,
    )


def _pos() -> Production:
    def emit(a: list[cst.BaseExpression]) -> cst.BaseExpression:
        return cst.UnaryOperation(operator=cst.Plus(), expression=paren(a[0]))

    return Production(
        "UAdd",
        "arith2",
        same(SIGNED, 1),
        lambda d, a: a[0].iv,
        emit,
        operators=frozenset({"UAdd"}),
        weight=0.1,
    )


def scalar_productions() -> tuple[Production, ...]:
    """Every scalar production of the subset's waves 1 and 2 (bit operations live in bits.py)."""
    return (
        Production(
            "Add",
            "arith",
            same(NUMERIC, 2),
            lambda d, a: Interval(a[0].iv.lo + a[1].iv.lo, a[0].iv.hi + a[1].iv.hi),
            _binop(cst.Add),
            _guard_add,
            FIXER_CALLS,
            frozenset({"Add"}),
            2.0,
        ),
        Production(
            "Sub",
            "arith",
            same(NUMERIC, 2),
            lambda d, a: Interval(a[0].iv.lo - a[1].iv.hi, a[0].iv.hi - a[1].iv.lo),
            _binop(cst.Subtract),
            _guard_sub,
            FIXER_CALLS,
            frozenset({"Sub"}),
            2.0,
        ),
        Production(
            "Mult",
            "arith",
            same(NUMERIC, 2),
            lambda d, a: corners(lambda p, q: p * q, a[0].iv, a[1].iv),
            _binop(cst.Multiply),
            _guard_mul,
            FIXER_CALLS,
            frozenset({"Mult"}),
            2.0,
        ),
        Production(
            "Div",
            "arith",
            same(NUMERIC, 2),
            _iv_div,
            _binop(cst.Divide),
            _guard_div,
            FIXER_CALLS,
            frozenset({"Div"}),
            0.8,
        ),
        Production(
            "FloorDiv",
            "arith",
            same(NUMERIC, 2),
            _iv_floordiv,
            _binop(cst.FloorDivide),
            _guard_div,
            FIXER_CALLS,
            frozenset({"FloorDiv"}),
            0.5,
        ),
        Production(
            "Mod",
            "arith",
            same(NUMERIC, 2),
            _iv_mod,
            _binop(cst.Modulo),
            _guard_div,
            FIXER_CALLS,
            frozenset({"Mod"}),
            0.5,
        ),
        Production(
            "Pow",
            "arith2",
            same(FLOATS, 2),
            _iv_pow,
            _binop(cst.Power),
            _guard_pow,
            frozenset({"clamp"}),
            frozenset({"Pow"}),
            0.3,
        ),
        _neg(),
        _pos(),
        _abs(),
        _sign(),
        _minmax("min"),
        _minmax("max"),
        _clamp(),
        _rounding("floor", math.floor),
        _rounding("ceil", math.ceil),
        _rounding("round", lambda v: float(math.floor(v + 0.5)) if v >= 0 else -float(math.floor(-v + 0.5))),
        _rounding("rint", lambda v: float(round(v))),
        _rounding("trunc", lambda v: float(math.trunc(v))),
        Production(
            "frac",
            "math",
            same(FLOATS, 1),
            lambda d, a: Interval(-1.0, 1.0),
            _wp("frac"),
            calls=frozenset({"frac"}),
        ),
        _sqrt(),
        _unary_math("cbrt", lambda v: math.copysign(abs(v) ** (1 / 3), v)),
        _exp_like("exp", math.exp),
        _exp_like("sinh", math.sinh),
        _exp_like("cosh", math.cosh, even=True),
        _unary_math("tanh", math.tanh),
        _log("log", math.log),
        _log("log2", math.log2),
        _log("log10", math.log10),
        _trig("sin"),
        _trig("cos"),
        _unary_math("tan", math.tan, domain=(-1.3, 1.3)),
        _unary_math("asin", math.asin, domain=(-1.0, 1.0)),
        _unary_math("acos", math.acos, domain=(-1.0, 1.0)),
        _unary_math("atan", math.atan),
        _atan2(),
        Production(
            "pow",
            "math",
            same(FLOATS, 2),
            _iv_pow,
            _wp("pow"),
            _guard_pow,
            frozenset({"pow", "clamp"}),
            weight=0.5,
        ),
        _01("step"),
        _01("nonzero"),
        _lerp(),
        _smoothstep(),
        _scale("degrees", 180.0 / math.pi),
        _scale("radians", math.pi / 180.0),
        _cast(bare=False),
        _cast(bare=True),
        _bool_cast(),
        _where(),
        _ifexp(),
        *(_compare(op) for op in _CMP),
        _boolop("And"),
        _boolop("Or"),
        _not(),
        _isx("isfinite"),
        _isx("isnan"),
        _isx("isinf"),
    )


__all__ = ["scalar_productions", "build_cast", "NUMERIC", "SIGNED", "UINTS", "SINTS"]
