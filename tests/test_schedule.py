"""The scheduler the campaign and bench share, on one real worker: prepared tasks run in order
and stop at their deadline, seed batches keep to the kernel limit, a stop request starts nothing."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from fuzz.engine.settings import WorkerSettings
from fuzz.pool import Done, Lost, Task, WorkerPool
from fuzz.schedule import Plan, PreparedTasks, Scheduler, SeedBatches
from fuzz.stopping import StopRequest


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkerPool]:
    run_dir = tmp_path_factory.mktemp("schedule")
    p = WorkerPool(WorkerSettings(run_dir=str(Path(run_dir)), devices=("cpu",), enable_backward=False), 1)
    yield p
    p.close()


def _drive(sched: Scheduler) -> tuple[list[list[int]], list[Lost]]:
    batches: list[list[int]] = []
    lost: list[Lost] = []

    def done(ev: Done) -> None:
        batches.append([int(r["seed"]) for r in ev.results])

    sched.run(done, lost.append)
    return batches, lost


def test_prepared_tasks_run_in_order_and_all_finish(pool: WorkerPool) -> None:
    tasks = [Task(10, [5, 6]), Task(11, [7]), Task(12, [8, 9])]
    sched = Scheduler(pool, PreparedTasks(tasks), Plan(time.monotonic(), None, 2, 1, grace_s=None))
    batches, lost = _drive(sched)
    assert batches == [[5, 6], [7], [8, 9]] and not lost
    assert sched.dispatched == 5 and pool.busy() == 0


def test_a_passed_deadline_dispatches_nothing(pool: WorkerPool) -> None:
    now = time.monotonic()
    sched = Scheduler(pool, PreparedTasks([Task(1, [5])]), Plan(now - 10, now - 1, 1, 1, grace_s=None))
    assert _drive(sched) == ([], []) and sched.dispatched == 0


def test_seed_batches_keep_to_the_kernel_limit(pool: WorkerPool) -> None:
    plan = Plan(time.monotonic(), time.monotonic() + 600, 2, 1, max_kernels=5)
    sched = Scheduler(pool, SeedBatches(iter(range(100, 10_000))), plan)
    batches, lost = _drive(sched)
    assert batches == [[100, 101], [102, 103], [104]] and not lost


def test_a_stop_request_starts_nothing(pool: WorkerPool) -> None:
    stop = StopRequest()
    stop.ask("SIGTERM")
    plan = Plan(time.monotonic(), time.monotonic() + 600, 2, 1)
    sched = Scheduler(pool, SeedBatches(iter(range(10))), plan, stop=stop)
    assert _drive(sched) == ([], []) and sched.dispatched == 0
    with pytest.raises(KeyboardInterrupt):  # Ctrl-C after a stop request: stop now
        stop.ask("SIGINT")
    assert stop.by == "SIGTERM"
