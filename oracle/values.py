"""Lane values: every local holds one value per thread (leading lane axis) plus its error bound
and an instability taint, so the whole launch is interpreted at once with masks."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from oracle.access import Access, LaunchLog
from oracle.types import ArrayT, Composite, Scalar, StructT, ValueType


@dataclass
class Value:
    """data: (lanes,) + type shape in the Warp dtype; err: float64 absolute forward-error bound
    per component (zeros for ints/bools); taint: bool per lane, true when the value depends on a
    decision taken within rounding error."""

    t: ValueType
    data: np.ndarray
    err: np.ndarray
    taint: np.ndarray
    literal: int | float | bool | None = None

    @property
    def lanes(self) -> int:
        return int(self.data.shape[0])

    def lane_err(self) -> np.ndarray:
        """Per-lane maximum error over components."""
        if self.err.ndim == 1:
            return self.err
        return self.err.reshape(self.lanes, -1).max(axis=1)


@dataclass(frozen=True)
class TypeArg:
    """A type passed as a builtin argument (`wp.identity(n=3, dtype=wp.float64)`)."""

    t: ValueType


@dataclass(frozen=True)
class Keyword:
    """A keyword argument of a builtin that takes them; `value` is a Value or a TypeArg."""

    name: str
    value: object


@dataclass
class ArrayRef:
    """An array parameter: shared storage (no lane axis) with per-element error and instability.

    copies > 1 (see `evaluate_many`): the storage holds that many independent arrays stacked on
    axis 0, and `lane_base` is each lane's offset (in elements) into its own launch's copy.
    log/access: the launch's race-detection record and this array's accesses (`oracle.races`);
    without a log (an array built outside `run_kernel`) nothing is recorded."""

    name: str
    t: ArrayT
    data: np.ndarray
    err: np.ndarray
    unstable: np.ndarray  # bool, shape = array shape (without component axes)
    copies: int = 1
    lane_base: np.ndarray | None = None
    log: LaunchLog | None = None
    access: Access | None = None

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape one launch sees."""
        s = self.data.shape[: self.t.ndim]
        return (s[0] // self.copies, *s[1:]) if self.copies > 1 else tuple(s)

    @property
    def elements(self) -> int:
        """Elements in the storage (all copies)."""
        return int(np.prod(self.data.shape[: self.t.ndim]))

    def offset(self, flat: np.ndarray) -> np.ndarray:
        """Per-lane flat indices of one launch's array -> indices into the storage."""
        return flat if self.lane_base is None else flat + self.lane_base


@dataclass(frozen=True)
class StateAdvance:
    """A builtin's result plus the new value of its `uint32& state` argument: rand.h takes the
    state by reference, so the caller's variable advances (the interpreter writes it back)."""

    result: Value
    state: Value


@dataclass(frozen=True)
class RefWrites:
    """A builtin's result plus new values of arguments it takes by reference (hashgrid.h's and
    bvh.h's `query_next(query&, int& index)`): the interpreter writes each back to the variable
    passed at that position, on the active lanes."""

    result: Value
    writes: tuple[tuple[int, Value | StructVal], ...]


@dataclass
class StructVal:
    t: StructT
    fields: dict[str, Value | ArrayRef | StructVal]


def zeros_err(data: np.ndarray) -> np.ndarray:
    return np.zeros(data.shape, dtype=np.float64)


def lanes_of(t: ValueType, lanes: int) -> tuple[int, ...]:
    return (lanes, *t.shape)


@functools.lru_cache(maxsize=4096)  # a pure function of the literal; kernels repeat their literals
def literal_parse_error(value: float) -> float:
    """Bound on the rounding of a float literal's decimal text to float64: zero when the shortest
    decimal of the value is the value itself (0.5, -0.25, 10.0: nothing was rounded, so a literal
    compared with an equal one is an exact tie, not a near one), else half an ulp of float64."""
    if not np.isfinite(value) or Decimal(repr(value)) == Decimal(value):
        return 0.0
    return abs(value) * 2.0**-53


def const_value(t: ValueType, value: object, lanes: int, literal: int | float | bool | None = None) -> Value:
    """A lane-uniform value; a float literal rounded to `t` carries its exact rounding error."""
    with np.errstate(all="ignore"):
        data = np.full(lanes_of(t, lanes), value, dtype=t.np) if not isinstance(value, np.ndarray) else value
    err = np.zeros(data.shape, dtype=np.float64)
    if t.is_float and isinstance(value, float):
        with np.errstate(all="ignore"):
            d0 = float(np.float64(data.flat[0])) if data.size else value
            e = 0.0 if d0 == value else abs(d0 - value)  # wp.inf is exactly inf (inf - inf is NaN)
        if np.isfinite(e):
            e += literal_parse_error(value)
        err[...] = e
    return Value(t, data, err, np.zeros(lanes, dtype=bool), literal)


def with_taint(v: Value, extra: np.ndarray) -> Value:
    return Value(v.t, v.data, v.err, v.taint | extra, v.literal)


def lane_broadcast(mask: np.ndarray, like: np.ndarray) -> np.ndarray:
    """Broadcast a (lanes,) mask against (lanes, ...) data."""
    return mask.reshape(mask.shape + (1,) * (like.ndim - 1))


def select(mask: np.ndarray, a: Value, b: Value) -> Value:
    """Per lane: a where mask else b (types must agree)."""
    m = lane_broadcast(mask, a.data)
    return Value(
        a.t,
        np.where(m, a.data, b.data).astype(a.t.np, copy=False),
        np.where(m, a.err, b.err),
        np.where(mask, a.taint, b.taint),
    )


def scalar_or_comp(t: ValueType) -> Scalar:
    return t if isinstance(t, Scalar) else t.scalar


def is_composite(t: object) -> bool:
    return isinstance(t, Composite)
