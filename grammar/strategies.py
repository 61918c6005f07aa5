"""Public Hypothesis strategy over generated kernels; every choice is a Hypothesis draw.

Choices shrink toward their smallest answer (integer lower bound, first item, `chance` False),
which the generator maps to fewer statements, shallower expressions and earlier families, so a
failing example shrinks toward a small kernel.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from hypothesis import strategies as st

from grammar.case import KernelCase
from grammar.families import FAMILIES
from grammar.generate import DEFAULT_WEIGHTS, GenConfig, build_case, default_registry
from grammar.rand import pick_weighted

T = TypeVar("T")


class HypothesisChooser:
    """A `Chooser` drawing from Hypothesis's `data` object."""

    def __init__(self, data: Any) -> None:
        self._data = data

    def integer(self, lo: int, hi: int) -> int:
        return int(self._data.draw(st.integers(lo, hi)))

    def chance(self, p: float) -> bool:
        if p <= 0:
            return False
        if p >= 1:
            return True
        return int(self._data.draw(st.integers(0, 999))) >= round(1000 * (1 - p))

    def pick(self, items: Sequence[T]) -> T:
        return items[self.integer(0, len(items) - 1)]

    def weighted(self, items: Sequence[T], weights: Sequence[float]) -> T:
        u = self.integer(0, 9999) / 10000
        return pick_weighted(items, weights, u)


@st.composite
def _kernels(draw: Any, families: tuple[str, ...], config: GenConfig) -> KernelCase:
    data = draw(st.data())
    family = draw(st.sampled_from(families))
    seed = draw(st.integers(0, 2**31 - 1))
    case, _ = build_case(HypothesisChooser(data), seed, family, config, default_registry())
    return case


def kernels(
    families: Sequence[str] | None = None, max_stmts: int = 8, max_depth: int = 4, max_loop_nesting: int = 2
) -> st.SearchStrategy[KernelCase]:
    """Kernels from the given families (default: every family enabled by default)."""
    fams = tuple(families) if families is not None else tuple(f for f in FAMILIES if DEFAULT_WEIGHTS[f] > 0)
    unknown = [f for f in fams if f not in FAMILIES]
    if unknown or not fams:
        raise ValueError(f"unknown or no families {unknown or fams!r}; known families: {', '.join(FAMILIES)}")
    config = GenConfig(max_stmts=max_stmts, max_depth=max_depth, max_loop_nesting=max_loop_nesting)
    return _kernels(fams, config)
