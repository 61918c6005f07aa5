"""Worker memory measurement: per-batch peaks really reset, trimming works, reports compare windows."""

from __future__ import annotations

import mmap
import sys

import pytest

from fuzz import memory
from fuzz.memory import MemoryPoint


def _probe_windowed() -> bool:
    return memory.sample(reset=True).windowed


@pytest.mark.skipif(sys.platform != "linux", reason="per-batch peaks need Linux's /proc/self/clear_refs")
def test_peak_window_resets_after_a_freed_allocation() -> None:
    if not _probe_windowed():
        pytest.skip(
            "this kernel does not let a process reset its RSS high-water mark (/proc/self/clear_refs)"
        )
    size = 96 * 2**20
    memory.sample(reset=True)
    # A fresh anonymous mapping, every page written: 96 MiB newly resident whatever the heap
    # already holds. (A bytearray comes from calloc, which in a long-lived process can hand back
    # pages already resident, or leave a fresh mapping untouched, so RSS need not grow.)
    block = mmap.mmap(-1, size)
    block.write(b"\x01" * size)
    block.close()
    first = memory.sample(reset=True)  # window that held the block
    second = memory.sample(reset=True)  # window with nothing in it
    assert first.windowed and second.windowed
    assert first.peak_kb - first.rss_kb > 80 * 1024, first
    # a process-wide high-water mark would still remember the block here
    assert second.peak_kb < first.peak_kb - 80 * 1024, (first, second)
    assert second.peak_kb >= second.rss_kb


@pytest.mark.skipif(sys.platform != "linux", reason="malloc_trim is glibc's")
def test_trim_returns_freed_small_objects() -> None:
    if not memory.trim_heap():
        pytest.skip("this C library has no malloc_trim")
    memory.trim_heap()
    before = memory.sample(reset=False).rss_kb
    # ~100 MB of malloc'd blocks (over pymalloc's 512-byte limit, under glibc's mmap threshold)
    junk = [bytes(2000) + bytes([i % 251]) for i in range(50_000)]
    keep = junk[::500]  # a few survivors scattered through the heap keep its top mapped
    del junk
    untrimmed = memory.sample(reset=False).rss_kb
    memory.trim_heap()
    trimmed = memory.sample(reset=False).rss_kb
    assert keep
    assert untrimmed - before > 20 * 1024, (before, untrimmed)  # free() alone kept much of it
    assert trimmed < untrimmed - 20 * 1024, (untrimmed, trimmed)


def _points(rss: list[int], peak: list[int]) -> list[MemoryPoint]:
    ps = [MemoryPoint(0.0, 0, 150_000, 150_000)]
    ps += [MemoryPoint(float(i + 1), i + 1, p, r) for i, (p, r) in enumerate(zip(peak, rss, strict=True))]
    return ps


def test_report_start_and_end_are_the_first_and_last_tenth() -> None:
    rss = [200_000 + i for i in range(40)]
    peak = [250_000] * 40
    peak[1] = 400_000  # one heavy batch early on
    peak[-2] = 260_000
    rep = memory.report({0: _points(rss, peak)}, windowed=True, history=5)
    assert rep["ready_rss_kb"] == {0: 150_000}
    assert rep["start"][0] == {"batches": 4, "peak_kb": 400_000, "rss_kb": 200_003}
    assert rep["end"][0] == {"batches": 4, "peak_kb": 260_000, "rss_kb": 200_039}
    hist = rep["history"][0]
    assert hist[0][1] == 1 and hist[-1][1] == 40 and len(hist) <= 6
    assert rep["peak_per_batch"] is True


def test_report_shows_growth() -> None:
    """A leaking worker must read as one: end well above start."""
    rss = [200_000 + 1_000 * i for i in range(100)]
    rep = memory.report({1: _points(rss, [r + 30_000 for r in rss])}, windowed=False)
    assert rep["end"][1]["rss_kb"] - rep["start"][1]["rss_kb"] == 90_000
    assert rep["peak_per_batch"] is False


def test_report_without_batches_keeps_only_the_start_up() -> None:
    rep = memory.report({0: [MemoryPoint(1.0, 0, 180_000, 170_000)]}, windowed=True)
    assert rep["ready_rss_kb"] == {0: 170_000}
    assert rep["start"] == {} and rep["end"] == {} and rep["history"] == {}


def test_progress_and_summary_show_worker_memory(capsys: pytest.CaptureFixture[str]) -> None:
    from fuzz.accounting import Snapshot
    from fuzz.progress import Progress, print_summary

    snap = Snapshot(
        kernels=10, verified=9, elapsed_s=5.0, budget_s=60.0, worker_rss_kb={0: 230_400, 1: 225_280}
    )
    Progress(enabled=True, interval=0.0).update(snap)
    assert "RSS MiB 225/220" in capsys.readouterr().err
    mem = memory.report({0: _points([200_000 + 1_024 * i for i in range(20)], [260_000] * 20)}, windowed=True)
    summary = {"run_dir": "r", "kernels": 20, "verified": 20, "verified_per_s": 1.0, "kernels_per_s": 1.0,
               "elapsed_s": 20.0, "warp_version": "x", "devices": ["cpu"], "verdicts": {}, "families": {},
               "session": {"worker_memory": mem}}  # fmt: skip
    print_summary(summary)
    out = capsys.readouterr().out
    assert "worker 0 memory (MiB)" in out and "rss 196 -> 214" in out, out


def _drive(pool, tasks):  # type: ignore[no-untyped-def]
    from fuzz.pool import Done

    done = []
    queue = list(tasks)
    import time

    deadline = time.monotonic() + 600
    while queue or pool.busy():
        for idx in pool.idle():
            if queue:
                pool.submit(idx, queue.pop(0))
        done += [e for e in pool.poll(0.2) if isinstance(e, Done)]
        assert time.monotonic() < deadline, "pool did not finish"
    return done


def test_pool_replaces_a_worker_whose_memory_grew(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """With a growth allowance below zero every batch after the warm-up counts as grown: the worker
    must be replaced by a new process, and the pool must keep working with it."""
    from fuzz.engine.settings import WorkerSettings
    from fuzz.pool import Task, WorkerPool

    pool = WorkerPool(WorkerSettings(run_dir=str(tmp_path)), 1, recycle_growth_kb=-(2**30), warm_batches=1)
    try:
        first_pid = pool.handles[0].proc.pid
        done = _drive(pool, [Task(i, [500 + i]) for i in range(3)])
        assert len(done) == 3 and all(len(d.results) == 1 for d in done)
        assert pool.recycled >= 1 and pool.restarts == 0
        assert pool.handles[0].proc.pid != first_pid
        rep = pool.memory_report()
        assert rep["start"][0]["batches"] >= 1 and rep["end"][0]["batches"] >= 1
    finally:
        pool.close()


def test_pool_keeps_a_worker_within_its_allowance(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from fuzz.engine.settings import WorkerSettings
    from fuzz.pool import Task, WorkerPool

    pool = WorkerPool(WorkerSettings(run_dir=str(tmp_path)), 1, recycle_growth_kb=2**30, warm_batches=1)
    try:
        first_pid = pool.handles[0].proc.pid
        _drive(pool, [Task(i, [600 + i]) for i in range(2)])
        assert pool.recycled == 0 and pool.handles[0].proc.pid == first_pid
    finally:
        pool.close()
