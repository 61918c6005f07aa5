"""What a worker pool runs next: batches of seeds (or prepared tasks), retries, reductions.

The campaign and `bench` drive their workers through one `Scheduler`. It hands a task to every
idle worker (a retry first, then a reduction while their share of worker time allows, then a new
batch), shrinks batches near the end so the last ones finish within the budget, splits a lost
batch into one task per kernel so a crash or hang is pinned on its culprit, and stops when the
budget, the kernel limit or a stop request (`fuzz.stopping`) says so: once asked it starts nothing
new and abandons what is in flight 2 s later (a resume redoes it). What is done with the results (store,
counts, corpus) is the caller's: `run` passes it every finished batch and every culprit.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from fuzz.pool import Done, Lost, Task, WorkerPool
from fuzz.reducequeue import ReducePolicy, ReductionQueue
from fuzz.stopping import StopRequest


class TaskSource:
    """The batches to run: `next_task` makes (or takes) one of at most `size` kernels;
    `sized`: it makes batches of the size asked (so they can shrink near the end)."""

    sized = False

    def has_more(self) -> bool:
        return True

    def next_task(self, batch_id: int, size: int) -> Task:
        raise NotImplementedError


@dataclass
class SeedBatches(TaskSource):
    """Batches of consecutive seeds from an endless stream (a campaign's, or its shard's)."""

    seeds: Iterator[int]
    sized = True

    def next_task(self, batch_id: int, size: int) -> Task:
        return Task(batch_id, [next(self.seeds) for _ in range(size)])


@dataclass
class PreparedTasks(TaskSource):
    """Tasks made beforehand, run in order, each as it is (bench's phases)."""

    tasks: list[Task]
    queue: deque[Task] = field(init=False)

    def __post_init__(self) -> None:
        self.queue = deque(self.tasks)

    def has_more(self) -> bool:
        return bool(self.queue)

    def next_task(self, batch_id: int, size: int) -> Task:
        return self.queue.popleft()


@dataclass
class Plan:
    """start/end: the budget on time.monotonic()'s clock (end None: no time limit);
    max_kernels: new kernels to dispatch at most; grace_s: how long past the end batches still in
    flight are waited for (None: until they finish); retry_lost: split a lost batch into one
    task per kernel (False: every lost task goes to the caller as it is)."""

    start: float
    end: float | None
    batch: int
    workers: int
    max_kernels: int | None = None
    grace_s: float | None = 20.0
    retry_lost: bool = True
    poll_s: float = 0.2


class Scheduler:
    """One pool's dispatch loop (`run`); `dispatched` counts the kernels handed out."""

    def __init__(
        self,
        pool: WorkerPool,
        source: TaskSource,
        plan: Plan,
        reductions: ReductionQueue | None = None,
        stop: StopRequest | None = None,
    ) -> None:
        self.pool = pool
        self.source = source
        self.plan = plan
        self.reductions = reductions or ReductionQueue(ReducePolicy(share=0.0))
        self.stop = stop or StopRequest()
        policy = self.reductions.policy
        self.end = math.inf if plan.end is None else plan.end
        # new batches stop here; the rest of the budget reduces what is still queued
        tail = (self.end - plan.start) * policy.tail if policy.enabled and plan.end is not None else 0.0
        self.deadline = self.end - tail
        self.retry: deque[Task] = deque()
        self.batch_ids = iter(range(1, 1 << 62))
        self.dispatched = 0
        self.batch_times: deque[tuple[float, int]] = deque(maxlen=20)  # (seconds, kernels) of recent batches
        self.started_at: dict[int, float] = {}
        self.now = plan.start

    def _reduce_busy(self) -> bool:
        return any(h.task is not None and h.task.reduce is not None for h in self.pool.handles)

    def _fuzz_busy(self) -> bool:
        return any(h.task is not None and h.task.reduce is None for h in self.pool.handles)

    def _size(self, now: float, fuzz_end: float) -> int:
        """The batch size; near the end, small enough for the last batches to finish in time."""
        if not self.source.sized or not self.batch_times or math.isinf(fuzz_end):
            return self.plan.batch
        per_kernel = sum(t for t, _ in self.batch_times) / max(1, sum(n for _, n in self.batch_times))
        if per_kernel <= 0:
            return self.plan.batch
        return min(self.plan.batch, int(0.8 * (fuzz_end - now) / per_kernel))

    def in_tail(self) -> bool:
        """Past the fuzzing deadline with reductions still queued or workers busy."""
        return self.now >= self.deadline and bool(self.reductions.pending or self.pool.busy())

    def _dispatch(self, now: float, may_start: bool, size: int) -> None:
        """A task for every idle worker: a retry, a reduction within its share, or a new batch."""
        plan, reductions, pool = self.plan, self.reductions, self.pool
        for idx in pool.idle():
            job = None
            if not self.retry and not self.stop.requested:
                fuzzing = may_start or self._fuzz_busy()
                job = reductions.take(
                    fuzzing=fuzzing and now < self.deadline,
                    worker_s=(now - plan.start) * plan.workers,
                    left_s=self.end - now,
                )
            if self.retry:
                task = self.retry.popleft()
            elif job is not None:
                task = Task(next(self.batch_ids), [], reduce=job[0], budget_s=job[1])
            elif may_start and self.source.has_more():
                n = size
                if plan.max_kernels is not None:
                    n = min(n, plan.max_kernels - self.dispatched)
                if n <= 0:
                    break
                task = self.source.next_task(next(self.batch_ids), n)
                self.dispatched += len(task.cases) if task.cases is not None else len(task.seeds)
            else:
                break
            self.started_at[task.batch_id] = time.monotonic()
            pool.submit(idx, task)

    def _requeue(self, ev: Lost) -> bool:
        """A lost batch again as one task per kernel; False for a single kernel (the culprit)."""
        task = ev.task
        if task.single or not self.plan.retry_lost:
            return False
        if task.cases is not None:
            for c in task.cases:
                self.retry.append(Task(next(self.batch_ids), [int(c["seed"])], cases=[c], single=True))
        else:
            for s in task.seeds:
                self.retry.append(Task(next(self.batch_ids), [s], single=True))
        return True

    def _settle(
        self, ev: Done | Lost, on_done: Callable[[Done], None], on_lost: Callable[[Lost], None]
    ) -> None:
        t0 = self.started_at.pop(ev.task.batch_id, None)
        if ev.task.reduce is not None:  # a reduction: no verdicts, never retried
            n = len(ev.task.reduce)
            ok = int(ev.stats.get("reduced", 0.0)) if isinstance(ev, Done) else 0
            self.reductions.finished(time.monotonic() - (t0 or time.monotonic()), ok, n - ok)
        elif isinstance(ev, Done):
            if t0 is not None and not ev.task.single:
                self.batch_times.append((time.monotonic() - t0, len(ev.task.seeds)))
            on_done(ev)
        elif not self._requeue(ev):
            on_lost(ev)

    def run(
        self,
        on_done: Callable[[Done], None],
        on_lost: Callable[[Lost], None],
        on_tick: Callable[[], None] = lambda: None,
    ) -> None:
        """Keep the workers busy until the plan ends; `on_done` gets every finished batch,
        `on_lost` every culprit (a single kernel lost again), `on_tick` runs after every poll."""
        plan, reductions, pool, stop = self.plan, self.reductions, self.pool, self.stop
        policy = reductions.policy
        while True:
            now = self.now = time.monotonic()
            reduce_busy = self._reduce_busy()
            # the budget's tail is for reductions only while some are queued or running
            fuzz_end = self.deadline if reductions.pending or reduce_busy else self.end
            if reductions.policy.enabled and reductions.pending:
                # leave the workers the time the queued failures need at the measured rate
                fuzz_end = min(fuzz_end, self.end - reductions.projected_s(plan.workers))
            size = self._size(now, fuzz_end)
            may_start = not stop.requested and now < fuzz_end and size >= 1 and self.source.has_more()
            if plan.max_kernels is not None and self.dispatched >= plan.max_kernels:
                may_start = False
            self._dispatch(now, may_start, size)
            reducing = bool(reductions.pending) and not stop.requested and now < self.end - policy.min_job_s
            if pool.busy() == 0 and not self.retry and not may_start and not reducing:
                break
            limit = self.end if reductions.pending or reduce_busy else fuzz_end
            if plan.grace_s is not None and now > limit + plan.grace_s:
                break  # in-flight batches are abandoned: a resume redoes them
            if stop.requested and now > stop.at + 2:
                break
            for ev in pool.poll(timeout=plan.poll_s):
                self._settle(ev, on_done, on_lost)
            on_tick()
