"""The one source of choices for a case: a seeded stream, or Hypothesis draws that shrink.

Every production asks a `Chooser`; nothing else in the generator is random. Choices are phrased
so that the smallest answer (integer 0, first item, `chance` False) gives the smallest kernel,
which is the direction Hypothesis shrinks in.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Protocol, TypeVar

T = TypeVar("T")


class Chooser(Protocol):
    def integer(self, lo: int, hi: int) -> int:
        """Uniform integer in [lo, hi]; shrinks toward lo."""
        ...

    def chance(self, p: float) -> bool:
        """True with probability p; shrinks toward False."""
        ...

    def pick(self, items: Sequence[T]) -> T:
        """Uniform item; shrinks toward the first."""
        ...

    def weighted(self, items: Sequence[T], weights: Sequence[float]) -> T:
        """Item with probability proportional to its weight; shrinks toward the first."""
        ...


class SeededChooser:
    """Choices from `random.Random(seed)`: the same seed gives the same choices in any process."""

    def __init__(self, seed: int) -> None:
        self._r = random.Random(seed)

    def integer(self, lo: int, hi: int) -> int:
        return self._r.randint(lo, hi)

    def chance(self, p: float) -> bool:
        return self._r.random() < p

    def pick(self, items: Sequence[T]) -> T:
        if not items:
            raise IndexError("pick from an empty sequence")
        return items[self._r.randrange(len(items))]

    def weighted(self, items: Sequence[T], weights: Sequence[float]) -> T:
        return pick_weighted(items, weights, self._r.random())


def pick_weighted(items: Sequence[T], weights: Sequence[float], u: float) -> T:
    """The item whose cumulative-weight slot holds u in [0, 1); zero weights are never picked."""
    total = float(sum(weights))
    if not items or total <= 0.0:
        raise ValueError("weighted pick needs at least one item with positive weight")
    acc = 0.0
    last = None
    for item, w in zip(items, weights, strict=True):
        if w <= 0:
            continue
        acc += w / total
        last = item
        if u < acc:
            return item
    assert last is not None
    return last
