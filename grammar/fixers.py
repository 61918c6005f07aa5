"""Guard helpers: bring an argument into a production's domain by wrapping it (never by hoping)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import libcst as cst

from grammar.dtypes import Interval, cap, scalar, widen
from grammar.expr import Expr, binop, call, checked, literal

if TYPE_CHECKING:
    from grammar.rand import Chooser


def clamp_to(e: Expr, lo: float, hi: float) -> Expr:
    """`wp.clamp(e, lo, hi)` unless e already lies in [lo, hi]; works for scalar dtypes."""
    if e.iv.within(Interval(lo, hi)):
        return e
    if scalar(e.dtype).is_int:
        lo, hi = math.ceil(lo), math.floor(hi)
    node = call("clamp", e.node, literal(e.dtype, lo).node, literal(e.dtype, hi).node)
    return checked(Expr(node, e.dtype, e.iv.clip(lo, hi)))


def clamp_mag(e: Expr, m: float) -> Expr:
    """Clamp to [-m, m] (unsigned: [0, m]) within the dtype's cap."""
    c = cap(e.dtype)
    return clamp_to(e, max(-m, c.lo), min(m, c.hi))


def away_from_zero(rng: Chooser, e: Expr, margin: float) -> Expr:
    """Make |e| >= margin: `wp.abs(e) + m`, `wp.max(wp.abs(e), m)` or `wp.max(e, m)` / `wp.min(e, -m)`."""
    if e.iv.excludes_zero_by(margin):
        return e
    d = e.dtype
    s = scalar(d)
    m = literal(d, margin)
    if s.kind == "uint":
        return checked(
            Expr(call("max", e.node, m.node), d, Interval(max(e.iv.lo, margin), max(e.iv.hi, margin)))
        )
    choice = rng.integer(0, 3)
    mag = e.iv.mag
    if choice == 0 and mag + margin <= cap(d).hi:
        # rounding is monotone and `margin` is representable, so the sum never drops below it
        iv = Interval(margin, widen(d, Interval(margin, mag + margin)).hi)
        return checked(Expr(binop(call("abs", e.node), cst.Add(), m.node), d, iv))
    if choice == 1:
        return checked(Expr(call("max", call("abs", e.node), m.node), d, Interval(margin, max(mag, margin))))
    if choice == 2:
        return checked(
            Expr(call("max", e.node, m.node), d, Interval(max(e.iv.lo, margin), max(e.iv.hi, margin)))
        )
    neg = literal(d, -margin)
    return checked(
        Expr(call("min", e.node, neg.node), d, Interval(min(e.iv.lo, -margin), min(e.iv.hi, -margin)))
    )


FIXER_CALLS = frozenset({"clamp", "abs", "max", "min"})
