"""Warp scalar types and value intervals: the numbers every domain guard reasons about.

Every generated expression carries an `Interval` that bounds each of its scalar components.
Guards keep those intervals inside `cap(dtype)`, which for integers is the symmetric dtype range
(so `abs` and `INT_MIN / -1` can never overflow) and for floats is a magnitude that keeps results
finite and reasonably conditioned.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from types import MappingProxyType

from oracle import types as O


@dataclass(frozen=True)
class Scalar:
    """One Warp scalar type: its name after `wp.`, kind ("float", "sint", "uint") and width."""

    name: str
    kind: str
    bits: int

    @property
    def is_float(self) -> bool:
        return self.kind == "float"

    @property
    def is_int(self) -> bool:
        return self.kind in ("sint", "uint")

    @property
    def default_literal(self) -> bool:
        """Bare Python literals type as float32 / int32 in Warp; others need `wp.<dtype>(lit)`."""
        return self.name in ("float32", "int32")


# Warp's scalar names come from the oracle's one table (`oracle.types.SCALAR_NAMES`), in its order
FLOATS: tuple[str, ...] = tuple(n for n in O.SCALAR_NAMES if O.Scalar(n).is_float)
SINTS: tuple[str, ...] = tuple(n for n in O.SCALAR_NAMES if O.Scalar(n).is_int and O.Scalar(n).signed)
UINTS: tuple[str, ...] = tuple(n for n in O.SCALAR_NAMES if O.Scalar(n).is_int and not O.Scalar(n).signed)
INTS: tuple[str, ...] = SINTS + UINTS
BOOL = O.BOOL.name
SCALARS: MappingProxyType[str, Scalar] = MappingProxyType(
    {
        n: Scalar(n, "float" if n in FLOATS else "sint" if n in SINTS else "uint", O.Scalar(n).bits)
        for n in FLOATS + INTS
    }
)

# float magnitude caps: far below the dtype maximum so a few more operations stay finite
_FLOAT_CAP = MappingProxyType({"float16": 1.0e3, "float32": 1.0e6, "float64": 1.0e9})
# relative widening per float operation, covering the dtype's rounding
_FLOAT_EPS = MappingProxyType({"float16": 2.0**-10, "float32": 2.0**-22, "float64": 2.0**-50})


@dataclass(frozen=True)
class Interval:
    """Closed bounds [lo, hi] of every scalar component of a value (ints exact, floats widened)."""

    lo: float
    hi: float

    def __post_init__(self) -> None:
        if not (self.lo <= self.hi) or math.isnan(self.lo) or math.isnan(self.hi):
            raise ValueError(f"bad interval [{self.lo}, {self.hi}]")

    @property
    def mag(self) -> float:
        return max(abs(self.lo), abs(self.hi))

    def contains(self, v: float) -> bool:
        return self.lo <= v <= self.hi

    def within(self, other: Interval) -> bool:
        return other.lo <= self.lo and self.hi <= other.hi

    def union(self, other: Interval) -> Interval:
        return Interval(min(self.lo, other.lo), max(self.hi, other.hi))

    def clip(self, lo: float, hi: float) -> Interval:
        """The interval of `clamp(x, lo, hi)` for x in self."""
        return Interval(min(max(self.lo, lo), hi), min(max(self.hi, lo), hi))

    def excludes_zero_by(self, margin: float) -> bool:
        return self.lo >= margin or self.hi <= -margin


def scalar(name: str) -> Scalar:
    try:
        return SCALARS[name]
    except KeyError:
        raise ValueError(f"unknown Warp scalar type {name!r}; known: {', '.join(SCALARS)}") from None


def dtype_range(name: str) -> Interval:
    """The exact representable range (ints) or largest finite magnitude (floats)."""
    s = scalar(name)
    if s.kind == "uint":
        return Interval(0, 2**s.bits - 1)
    if s.kind == "sint":
        return Interval(-(2 ** (s.bits - 1)), 2 ** (s.bits - 1) - 1)
    big = {"float16": 65504.0, "float32": 3.4028234663852886e38, "float64": 1.7976931348623157e308}[name]
    return Interval(-big, big)


def cap(name: str) -> Interval:
    """The bounds guards keep every value of this dtype within."""
    if name == BOOL:
        return Interval(0, 1)
    s = scalar(name)
    if s.kind == "uint":
        # Warp 1.19 emits uint64 constants above INT64_MAX as unsuffixed C++ literals, which do
        # not compile ("integer literal is too large"); stay at or below INT64_MAX
        return Interval(0, min(2**s.bits - 1, 2**63 - 1))
    if s.kind == "sint":
        m = 2 ** (s.bits - 1) - 1
        return Interval(-m, m)
    c = _FLOAT_CAP[name]
    return Interval(-c, c)


def widen(name: str, iv: Interval) -> Interval:
    """Widen a float interval computed in float64 to cover rounding in `name`; ints stay exact."""
    if name == BOOL or scalar(name).is_int:
        return Interval(int(math.floor(iv.lo)), int(math.ceil(iv.hi)))
    e = _FLOAT_EPS[name] * iv.mag + 1e-30
    # rounding never changes a value's sign
    lo = iv.lo - e if iv.lo < 0 else max(iv.lo - e, 0.0)
    hi = iv.hi + e if iv.hi > 0 else min(iv.hi + e, 0.0)
    return Interval(lo, hi)


def point_in(lo: float, hi: float, num: int, den: int, is_int: bool) -> float:
    """lo + (hi - lo) * num / den: floored and exact for ints (in float64, full-range int64 bounds
    round past INT64_MAX), plain float arithmetic otherwise."""
    if is_int:
        lo_f = Fraction(math.ceil(lo))
        return math.floor(lo_f + (Fraction(math.floor(hi)) - lo_f) * num / den)
    return lo + (hi - lo) * num / den


def corners(fn: object, *ivs: Interval) -> Interval:
    """Interval of a function monotone in each argument: evaluate it at every corner of the box."""
    import itertools

    vals = [fn(*c) for c in itertools.product(*[(iv.lo, iv.hi) for iv in ivs])]  # type: ignore[operator]
    return Interval(min(vals), max(vals))
