"""Reductions inside a campaign: every saved failure is queued and reduced by the same worker
pool as the fuzzing batches, within a share of the workers' time, each job with its own limit.

While fuzzing, an idle worker takes a reduction when reductions have used less than `share` of
the worker time so far (a failure found early is reduced early, so triage can group it while the
campaign runs); once the fuzzing deadline has passed, the workers reduce what is left until the
budget ends. What is still queued at the end is reported as unreduced.
"""

from __future__ import annotations

import os
from collections import deque
from dataclasses import dataclass, field

from corpus.folder import CorpusFolder


@dataclass(frozen=True)
class ReducePolicy:
    """share: fraction of worker time reductions may take while fuzzing (0: no reductions);
    job_s: one reduction's limit (it keeps the smallest case found by then); tail: fraction
    of the budget at its end given to reductions only (when the queue is not empty)."""

    share: float = 0.5
    job_s: float = 60.0
    tail: float = 0.1
    min_job_s: float = 10.0

    @property
    def enabled(self) -> bool:
        return self.share > 0


def needs_reduction(folder: str) -> bool:
    """A saved failure with a case and no reduced/ folder yet."""
    return CorpusFolder.holds_case(folder) and not CorpusFolder.is_folder(CorpusFolder.reduction_of(folder))


@dataclass
class ReductionQueue:
    policy: ReducePolicy
    pending: deque[str] = field(default_factory=deque)
    queued: set[str] = field(default_factory=set)
    busy_s: float = 0.0  # worker seconds spent on finished reductions
    reduced: int = 0
    failed: int = 0  # did not reproduce, or the reducer (or its worker) failed

    def add(self, folders: list[str]) -> None:
        for f in folders:
            if f not in self.queued and needs_reduction(f):
                self.queued.add(f)
                self.pending.append(f)

    def add_existing(self, corpus: str) -> None:
        """Unreduced folders a resumed campaign's earlier sessions saved."""
        if os.path.isdir(corpus):
            self.add([os.path.join(corpus, n) for n in sorted(os.listdir(corpus))])

    def take(self, *, fuzzing: bool, worker_s: float, left_s: float) -> tuple[str, float] | None:
        """(folder, budget) for an idle worker, or None: reductions are off, the queue is empty,
        their share is used while fuzzing, or too little time is left for one."""
        if not self.policy.enabled or not self.pending:
            return None
        if fuzzing and self.busy_s >= self.policy.share * worker_s:
            return None
        budget = min(self.policy.job_s, left_s)
        if budget < self.policy.min_job_s:
            return None
        return self.pending.popleft(), budget

    def finished(self, seconds: float, ok: bool) -> None:
        self.busy_s += seconds
        if ok:
            self.reduced += 1
        else:
            self.failed += 1

    def unreduced(self, corpus: str) -> int:
        """Saved failures under `corpus` without a reduced/ folder."""
        if not os.path.isdir(corpus):
            return 0
        return sum(1 for n in os.listdir(corpus) if needs_reduction(os.path.join(corpus, n)))
