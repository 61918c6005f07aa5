"""Reductions inside a campaign: every saved failure is queued and reduced by the same worker
pool as the fuzzing batches, within a share of the workers' time, each job with its own limit.

A job is a group of up to `group` failures whose candidates may share a Warp module (forward
or gradient failures, `corpus.reduce.SHARED_MODES`: one module per round for all of them, so a
group costs little more than one reduction); compile errors, crashes and timeouts are reduced
one per job. While fuzzing, an idle worker takes a job when reductions have used less than
`share` of the worker time so far (a failure found early is reduced early, so triage can group
it while the campaign runs), or when a full group is waiting (`backlogged`: failures found
faster than they are reduced slow the fuzzing instead of piling up). New batches stop early
enough for the pending failures to be reduced at the rate measured so far (`projected_s`), and
at the latest at the budget's tail; then the workers reduce what is left until the budget ends.
What is still queued at the end is reported as unreduced.
"""

from __future__ import annotations

import os
from collections import deque
from dataclasses import dataclass, field

from corpus.folder import CorpusFolder
from corpus.reduce import SHARED_MODES, ReduceMode, folder_mode


@dataclass(frozen=True)
class ReducePolicy:
    """share: fraction of worker time reductions may take while fuzzing (0: no reductions);
    job_s: one reduction's limit (it keeps the smallest case found by then); tail: fraction
    of the budget at its end given to reductions only (when the queue is not empty); group:
    most failures reduced side by side in one job, whose limit grows by `group_extra` x job_s
    per failure after the first (a shared round compiles more candidates than a lone one)."""

    share: float = 0.5
    job_s: float = 60.0
    tail: float = 0.1
    min_job_s: float = 10.0
    group: int = 8
    group_extra: float = 0.3

    def job_budget(self, n: int) -> float:
        return self.job_s * (1.0 + self.group_extra * max(0, n - 1))

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
    modes: dict[str, ReduceMode | None] = field(default_factory=dict)
    busy_s: float = 0.0  # worker seconds spent on finished reductions
    reduced: int = 0
    failed: int = 0  # did not reproduce, or the reducer (or its worker) failed

    def add(self, folders: list[str]) -> None:
        for f in folders:
            if f not in self.queued and needs_reduction(f):
                self.queued.add(f)
                self.pending.append(f)
                self.modes[f] = folder_mode(f)

    def add_existing(self, corpus: str) -> None:
        """Unreduced folders a resumed campaign's earlier sessions saved."""
        if os.path.isdir(corpus):
            self.add([os.path.join(corpus, n) for n in sorted(os.listdir(corpus))])

    def take(self, *, fuzzing: bool, worker_s: float, left_s: float) -> tuple[list[str], float] | None:
        """(folders, budget) for an idle worker, or None: reductions are off, the queue is empty,
        their share is used while fuzzing, or too little time is left for one. The folders are
        the oldest pending one and, when its mode shares modules (`corpus.reduce.SHARED_MODES`),
        the next pending ones of the same mode, up to `group`."""
        if not self.policy.enabled or not self.pending:
            return None
        if fuzzing and self.busy_s >= self.policy.share * worker_s and not self.backlogged():
            return None
        if left_s < self.policy.min_job_s:
            return None
        first = self.pending.popleft()
        folders = [first]
        mode = self.modes.get(first)
        if mode in SHARED_MODES:
            for f in list(self.pending):
                if len(folders) >= max(1, self.policy.group):
                    break
                if self.modes.get(f) is mode:
                    self.pending.remove(f)
                    folders.append(f)
        return folders, min(self.policy.job_budget(len(folders)), left_s)

    def backlogged(self) -> bool:
        """A full group is waiting: reductions go first whatever their share, so failures
        found faster than they are reduced slow the fuzzing down instead of piling up."""
        return len(self.pending) >= max(1, self.policy.group)

    def per_failure_s(self) -> float:
        """Worker seconds one failure has cost so far (before any: a third of a job's limit)."""
        done = self.reduced + self.failed
        return self.busy_s / done if done else self.policy.job_s / 3

    def projected_s(self, workers: int) -> float:
        """Wall seconds the pending failures would take on `workers` workers at that rate."""
        return len(self.pending) * self.per_failure_s() / max(1, workers)

    def finished(self, seconds: float, reduced: int, failed: int) -> None:
        self.busy_s += seconds
        self.reduced += reduced
        self.failed += failed

    def unreduced(self, corpus: str) -> int:
        """Saved failures under `corpus` without a reduced/ folder."""
        if not os.path.isdir(corpus):
            return 0
        return sum(1 for n in os.listdir(corpus) if needs_reduction(os.path.join(corpus, n)))
