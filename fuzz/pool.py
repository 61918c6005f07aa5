"""Long-lived worker processes with crash and hang isolation.

A worker that dies (segfault, abort, CUDA fault) or exceeds its batch deadline is killed and
replaced; the batch it held comes back to the campaign as a `Lost` event so it can be retried
kernel by kernel, pinning the culprit as a `crash` or `timeout` case.
"""

from __future__ import annotations

import contextlib
import errno
import multiprocessing as mp
import time
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection, wait
from typing import Any

from fuzz.engine.settings import WorkerSettings
from fuzz.memory import MemoryPoint, MemorySample
from fuzz.memory import report as memory_report
from fuzz.placement import assign_devices
from fuzz.worker import worker_main


@dataclass
class Task:
    """A batch: seeds to generate, or stored cases (json) to rerun; `single` marks a retry."""

    batch_id: int
    seeds: list[int]
    cases: list[dict[str, Any]] | None = None
    single: bool = False
    reduce: list[str] | None = None  # corpus folders to reduce (within `budget_s`) instead of a batch
    budget_s: float = 0.0

    def message(self) -> tuple[str, int, list[Any]]:
        if self.reduce is not None:
            return ("reduce", self.batch_id, [self.reduce, self.budget_s])
        if self.cases is not None:
            return ("cases", self.batch_id, self.cases)
        return ("seeds", self.batch_id, self.seeds)


@dataclass
class Done:
    task: Task
    results: list[dict[str, Any]]
    stats: dict[str, float]
    worker: int
    memory: MemorySample


@dataclass
class Lost:
    """The worker holding `task` crashed (`reason` = "crash") or hung ("timeout")."""

    task: Task
    reason: str
    detail: str
    worker: int


@dataclass
class _Handle:
    index: int
    proc: Any
    conn: Connection
    ready: bool = False
    task: Task | None = None
    deadline: float = 0.0
    allowed: float = 0.0
    batches: int = 0
    baseline_kb: int | None = None  # RSS after the process's warm-up batches


class WorkerPool:
    """`n` worker processes spread over `settings.devices` (`fuzz.placement.assign_devices`:
    fewer workers than chosen GPUs raises DeviceSpecError); `submit` a task to an idle one,
    `poll` for events."""

    def __init__(
        self,
        settings: WorkerSettings,
        n: int,
        startup_timeout: float = 180.0,
        base_timeout: float = 60.0,
        per_kernel_timeout: float = 15.0,
        recycle_growth_kb: int | None = 16 * 1024,
        warm_batches: int = 10,
    ) -> None:
        """recycle_growth_kb: a worker whose RSS after a batch exceeds its RSS after its first
        `warm_batches` batches by more than this is replaced by a fresh process (None: never).
        Warp's in-process compile-and-load path keeps some native memory per batch (a few tens of
        KB, see docs/throughput.md) that no Python-side cleanup can return."""
        self.settings = settings
        # each worker's own devices (fuzz.placement): the CPU if chosen and one GPU; a worker
        # replaced after a crash or a CUDA fault gets the same ones
        self.placement = assign_devices(settings.devices, n)
        self.ctx = mp.get_context("spawn")
        self.startup_timeout = startup_timeout
        self.base_timeout = base_timeout
        self.per_kernel_timeout = per_kernel_timeout
        self.handles: list[_Handle] = [self._spawn(i) for i in range(n)]
        self.recycle_growth_kb = recycle_growth_kb
        self.warm_batches = warm_batches
        self.restarts = 0
        self.recycled = 0
        self.started = time.monotonic()
        self.memory: dict[int, list[MemoryPoint]] = {}
        self.memory_windowed = True

    def _spawn(self, index: int) -> _Handle:
        parent, child = self.ctx.Pipe()
        proc = self.ctx.Process(
            target=worker_main, args=(child, self.worker_settings(index), index), daemon=True
        )
        proc.start()
        child.close()
        return _Handle(index, proc, parent, deadline=time.monotonic() + self.startup_timeout)

    def worker_settings(self, index: int) -> WorkerSettings:
        """The settings worker `index` runs with: the pool's, on that worker's devices only."""
        return replace(self.settings, devices=self.placement[index])

    def idle(self) -> list[int]:
        return [h.index for h in self.handles if h.ready and h.task is None]

    def busy(self) -> int:
        return sum(1 for h in self.handles if h.task is not None)

    def submit(self, index: int, task: Task) -> None:
        h = self.handles[index]
        n = max(1, len(task.cases) if task.cases is not None else len(task.seeds))
        h.task = task
        h.allowed = self.base_timeout + self.per_kernel_timeout * n
        if task.reduce is not None:  # the reducer stops at its budget, past it by one batch at most
            h.allowed = self.base_timeout + 1.5 * task.budget_s
        h.deadline = time.monotonic() + h.allowed
        h.conn.send(task.message())

    def log_tail(self, index: int, chars: int = 2000) -> str:
        """End of a worker's log (native crash messages land there)."""
        import os

        path = os.path.join(self.settings.run_dir, "work", f"w{index}", "worker.log")
        try:
            with open(path, "rb") as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - chars))
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def _replace(self, h: _Handle, stop_first: bool = False) -> None:
        """A fresh process in `h`'s place: after a crash or hang (killed), or, with `stop_first`,
        an idle worker asked to exit (killed only if it does not within 10 s)."""
        if stop_first:
            with contextlib.suppress(Exception):
                h.conn.send(("stop",))
                h.proc.join(timeout=10)
        with contextlib.suppress(Exception):
            h.proc.kill()
        h.proc.join(timeout=10)
        h.conn.close()
        self.handles[h.index] = self._spawn(h.index)

    def poll(self, timeout: float) -> list[Done | Lost]:
        events: list[Done | Lost] = []
        conns = {h.conn: h for h in self.handles}
        for ready in wait(list(conns), timeout=timeout):
            h = conns[ready]  # type: ignore[index]
            try:
                msg: Any = h.conn.recv()
            except (EOFError, OSError):
                code = h.proc.exitcode if h.proc.exitcode is not None else h.proc.join(5) or h.proc.exitcode
                if h.task is not None:
                    detail = (
                        f"worker exited with status {code}\n--- worker log tail ---\n{self.log_tail(h.index)}"
                    )
                    events.append(Lost(h.task, "crash", detail, h.index))
                elif not h.ready:
                    raise RuntimeError(
                        f"worker {h.index} died while starting (exit status {code}); run "
                        "`python -c 'import warp; warp.init()'` to see whether Warp itself starts"
                    ) from None
                self.restarts += 1
                self._replace(h)
                continue
            if msg[0] == "ready":
                h.ready = True
                h.task = None
                self._remember(h, MemorySample.from_json(msg[2]))
            elif msg[0] == "storage":  # the run folder's disk: the campaign must stop, not judge
                h.task = None
                code = errno.EROFS if "Read-only" in msg[2] else errno.ENOSPC
                raise OSError(code, f"worker {h.index}: {msg[2]}")
            elif msg[0] == "fatal":
                if h.task is not None:
                    events.append(Lost(h.task, "crash", msg[2], h.index))
                h.task = None
                self.restarts += 1
                self._replace(h)
            elif msg[0] == "done":
                task, h.task = h.task, None
                assert task is not None
                h.batches += 1
                mem = MemorySample.from_json(msg[4])
                self._remember(h, mem)
                events.append(Done(task, msg[2], msg[3], h.index, mem))
                if h.batches == self.warm_batches:
                    h.baseline_kb = mem.rss_kb
                elif self._grown(h, mem):
                    self.recycled += 1
                    self._replace(h, stop_first=True)
        now = time.monotonic()
        for h in list(self.handles):
            if now > h.deadline and (h.task is not None or not h.ready):
                if h.task is not None:
                    events.append(Lost(h.task, "timeout", f"no answer within {h.allowed:.0f} s", h.index))
                    self.restarts += 1
                    self._replace(h)
                else:
                    raise RuntimeError(f"worker {h.index} did not start within {self.startup_timeout:.0f}s")
        return events

    def _grown(self, h: _Handle, m: MemorySample) -> bool:
        limit = self.recycle_growth_kb
        return limit is not None and h.baseline_kb is not None and m.rss_kb > h.baseline_kb + limit

    def _remember(self, h: _Handle, m: MemorySample) -> None:
        point = MemoryPoint(time.monotonic() - self.started, h.batches, m.peak_kb, m.rss_kb)
        self.memory.setdefault(h.index, []).append(point)
        self.memory_windowed = self.memory_windowed and m.windowed

    def memory_report(self) -> dict[str, Any]:
        """Workers' memory at the start and end of the run (see `fuzz.memory.report`)."""
        return memory_report(self.memory, self.memory_windowed)

    def close(self) -> None:
        for h in self.handles:
            try:
                if h.task is None and h.proc.is_alive():
                    h.conn.send(("stop",))
            except Exception:
                pass
        deadline = time.monotonic() + 5
        for h in self.handles:
            h.proc.join(timeout=max(0.0, deadline - time.monotonic()))
            if h.proc.is_alive():
                h.proc.kill()
                h.proc.join(timeout=5)
