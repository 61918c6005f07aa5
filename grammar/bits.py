"""Integer bit productions: & | ^ ~ << >>, guarded so shifts stay in [0, width-1] without overflow."""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from grammar.dtypes import INTS, Interval, cap, scalar
from grammar.expr import Expr, binop, call, literal, paren
from grammar.fixers import clamp_to
from grammar.production import Production

if TYPE_CHECKING:
    from grammar.gen import Gen


def _same(n: int):  # type: ignore[no-untyped-def]
    def args(gen: Gen, d: str) -> tuple[str, ...] | None:
        return (d,) * n if d in INTS and gen.wave2 else None

    return args


def _nonneg(gen: Gen, d: str, a: list[Expr]) -> list[Expr]:
    """Bitwise results of non-negative operands stay below the next power of two: no sign games."""
    return [clamp_to(x, 0, cap(d).hi) for x in a]


def _bits_iv(d: str, a: list[Expr]) -> Interval:
    m = max(x.iv.hi for x in a)
    top = (1 << int(m).bit_length()) - 1
    return Interval(0, min(top, cap(d).hi))


def _and_iv(d: str, a: list[Expr]) -> Interval:
    return Interval(0, min(x.iv.hi for x in a))


def _guard_shift(gen: Gen, d: str, a: list[Expr]) -> list[Expr]:
    """Left shift: non-negative value, count in [0, width-1], and no bit shifted past the cap."""
    x, k = a
    x = clamp_to(x, 0, cap(d).hi)
    width = scalar(d).bits
    kmax = gen.rng.integer(0, min(width - 1, 8))
    k = literal(d, gen.rng.integer(0, kmax)) if gen.rng.chance(0.5) else clamp_to(k, 0, kmax)
    if x.iv.hi * (1 << int(k.iv.hi)) > cap(d).hi:
        x = clamp_to(x, 0, int(cap(d).hi) >> int(k.iv.hi))
    return [x, k]


def _guard_rshift(gen: Gen, d: str, a: list[Expr]) -> list[Expr]:
    x, k = a
    width = scalar(d).bits
    k = literal(d, gen.rng.integer(0, width - 1)) if gen.rng.chance(0.5) else clamp_to(k, 0, width - 1)
    return [x, k]


def _rshift_iv(d: str, a: list[Expr]) -> Interval:
    x, k = a[0].iv, a[1].iv
    lo = x.lo if x.lo < 0 else int(x.lo) >> int(k.hi)
    hi = int(x.hi) >> int(k.lo) if x.hi >= 0 else -1
    return Interval(min(lo, 0) if x.lo < 0 else lo, max(hi, 0) if x.hi >= 0 else hi)


def _invert_args(gen: Gen, d: str) -> tuple[str, ...] | None:
    return (d,) if d in INTS and scalar(d).kind == "sint" and gen.wave2 else None


def _invert_emit(a: list[cst.BaseExpression]) -> cst.BaseExpression:
    return cst.UnaryOperation(operator=cst.BitInvert(), expression=paren(a[0]))


def _bit_count_args(gen: Gen, d: str) -> tuple[str, ...] | None:
    """`wp.bit_count(x)` is an int32 from any integer type (two's complement, so negatives too)."""
    srcs = [t for t in gen.dtypes if t in INTS]
    return (gen.rng.pick(srcs),) if d == "int32" and srcs and gen.wave2 else None


def _bit_count_iv(d: str, a: list[Expr]) -> Interval:
    x = a[0]
    if x.iv.lo >= 0:  # at most the bits of its largest value
        return Interval(0, int(x.iv.hi).bit_length())
    return Interval(0, scalar(x.dtype).bits)


def bit_productions() -> tuple[Production, ...]:
    def op(c: type[cst.BaseBinaryOp]):  # type: ignore[no-untyped-def]
        return lambda a: binop(a[0], c(), a[1])

    return (
        Production(
            "BitAnd",
            "bits",
            _same(2),
            _and_iv,
            op(cst.BitAnd),
            _nonneg,
            frozenset({"clamp"}),
            frozenset({"BitAnd"}),
        ),
        Production(
            "BitOr",
            "bits",
            _same(2),
            _bits_iv,
            op(cst.BitOr),
            _nonneg,
            frozenset({"clamp"}),
            frozenset({"BitOr"}),
        ),
        Production(
            "BitXor",
            "bits",
            _same(2),
            _bits_iv,
            op(cst.BitXor),
            _nonneg,
            frozenset({"clamp"}),
            frozenset({"BitXor"}),
        ),
        Production(
            "LShift",
            "bits",
            _same(2),
            lambda d, a: Interval(0, int(a[0].iv.hi) << int(a[1].iv.hi)),
            op(cst.LeftShift),
            _guard_shift,
            frozenset({"clamp"}),
            frozenset({"LShift"}),
        ),
        Production(
            "RShift",
            "bits",
            _same(2),
            _rshift_iv,
            op(cst.RightShift),
            _guard_rshift,
            frozenset({"clamp"}),
            frozenset({"RShift"}),
        ),
        # ~x == -x - 1 for signed x: stays inside the symmetric cap when x does
        Production(
            "Invert",
            "bits",
            _invert_args,
            lambda d, a: Interval(-a[0].iv.hi - 1, -a[0].iv.lo - 1),
            _invert_emit,
            lambda g, d, a: [clamp_to(a[0], cap(d).lo, cap(d).hi - 1)],
            frozenset({"clamp"}),
            frozenset({"Invert"}),
            0.5,
        ),
        Production(
            "bit_count",
            "bits",
            _bit_count_args,
            _bit_count_iv,
            lambda a: call("bit_count", a[0]),
            calls=frozenset({"bit_count"}),
            weight=0.5,
            rounds=False,
        ),
    )
