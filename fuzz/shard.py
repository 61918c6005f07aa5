"""Shard K of N of a campaign: a fixed, non-overlapping share of its seeds.

Shard K/N (0 <= K < N) of a campaign whose first seed is S owns the seeds S+K, S+K+N, S+K+2N, ...
For any N the N shards are disjoint and together cover every seed >= S, and the share depends
only on (S, K, N), never on what is stored, so a resumed shard continues its own sequence. The
spec is recorded in the store's meta (`campaign.shard`) and a resume with another spec is refused.
This is what lets a Slurm array or a Kubernetes Indexed Job run a campaign: task K runs
`python -m fuzz --shard K/N --seed S --out DIR/shards/K` (docs/scale-out.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

_SPEC = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


class ShardSpecError(ValueError):
    """A --shard value that is not K/N with 0 <= K < N."""


@dataclass(frozen=True)
class Shard:
    """Shard `index` of `count` (zero-based, as Slurm's array index and a Job completion index)."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if self.count < 1 or not 0 <= self.index < self.count:
            raise ShardSpecError(
                f"--shard {self.index}/{self.count}: K/N needs N >= 1 and 0 <= K < N (K counts from 0)"
            )

    @classmethod
    def parse(cls, text: str) -> Shard:
        m = _SPEC.match(text)
        if m is None:
            raise ShardSpecError(f"--shard {text!r}: write K/N, e.g. 0/8 for the first of eight shards")
        return cls(int(m.group(1)), int(m.group(2)))

    @property
    def label(self) -> str:
        return f"{self.index}/{self.count}"

    def seed(self, first: int, i: int) -> int:
        """The i-th seed (i >= 0) of this shard for a campaign starting at `first`."""
        return first + self.index + i * self.count

    def owns(self, first: int, seed: int) -> bool:
        return seed >= first and (seed - first) % self.count == self.index

    def seeds(self, first: int, done: set[int]) -> Iterator[int]:
        """This shard's seeds in order, skipping those already stored."""
        i = 0
        while True:
            s = self.seed(first, i)
            if s not in done:
                yield s
            i += 1


WHOLE = Shard(0, 1)  # an unsharded campaign: every seed from the first one up
