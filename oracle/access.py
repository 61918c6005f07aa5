"""Who touched each array element during one launch: the records order-dependence checks read.

Per storage element the lowest and highest lane that did something is enough: two *different*
lanes touched it exactly when they differ, and the one that is not a given lane is the witness."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

NO_LANE = np.iinfo(np.int64).max


@dataclass
class LaneSpan:
    """Lowest and highest lane per element (hi < 0: no lane yet)."""

    lo: np.ndarray
    hi: np.ndarray

    @staticmethod
    def empty(n: int) -> LaneSpan:
        return LaneSpan(np.full(n, NO_LANE, np.int64), np.full(n, -1, np.int64))

    def add(self, f: np.ndarray, lanes: np.ndarray) -> None:
        np.minimum.at(self.lo, f, lanes)
        np.maximum.at(self.hi, f, lanes)

    def other(self, f: np.ndarray, lanes: np.ndarray) -> np.ndarray:
        """Per entry, a recorded lane of element f other than `lanes` (-1: none)."""
        lo, hi = self.lo[f], self.hi[f]
        return np.where((hi >= 0) & (lo != lanes), lo, np.where((hi >= 0) & (hi != lanes), hi, -1))

    def touched(self) -> np.ndarray:
        return self.hi >= 0


@dataclass
class Access:
    """One array's loads, plain stores and atomic updates by active lanes."""

    reads: LaneSpan
    stores: LaneSpan
    atomics: LaneSpan

    @staticmethod
    def empty(n: int) -> Access:
        return Access(LaneSpan.empty(n), LaneSpan.empty(n), LaneSpan.empty(n))

    def written(self) -> np.ndarray:
        return self.stores.touched() | self.atomics.touched()


@dataclass(frozen=True)
class SharedAtomic:
    """The first atomic whose address several lanes shared while its return value is used."""

    array: str
    element: str
    threads: tuple[tuple[int, ...], tuple[int, ...]]
    lineno: int


@dataclass
class LaunchLog:
    """Launch-wide facts: the grid (for thread ids), whether atomic results are used anywhere, and
    the lane order atomics' returned old values follow (reversed in the re-run that detects
    order dependence)."""

    dim: tuple[int, ...]
    atomic_results_used: bool
    reverse_atomics: bool = False
    shared_atomic: SharedAtomic | None = None
    launch_lanes: int = field(init=False)

    def __post_init__(self) -> None:
        self.launch_lanes = int(np.prod(self.dim))

    def tid(self, lane: int) -> tuple[int, ...]:
        """Thread id (as `wp.tid()` returns it) of an interpreter lane."""
        local = int(lane) % max(self.launch_lanes, 1)
        return tuple(int(i) for i in np.unravel_index(local, self.dim))
