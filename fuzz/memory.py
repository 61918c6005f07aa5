"""A worker's memory: give freed heap back after each batch, and measure RSS batch by batch.

Why trim: a batch frees almost everything it allocated (its module is forgotten, see
`warpcompat.forget_module`), but glibc keeps freed heap mapped, so a long-lived worker's resident
size drifts up towards the sum of its heaviest batches. `malloc_trim(0)` returns it.

Why a per-batch peak: the process-wide high-water mark (`ru_maxrss`) can only grow, so it says
nothing about whether memory is flat. On Linux the kernel lets a process reset its own mark
(`/proc/self/clear_refs`, value 5), so each sample's peak covers one batch only; where that is
not possible `windowed` is False and the peak is the process-wide one.
"""

from __future__ import annotations

import ctypes
import re
import resource
from dataclasses import asdict, dataclass
from typing import Any

_STATUS = "/proc/self/status"
_CLEAR_REFS = "/proc/self/clear_refs"


@dataclass(frozen=True)
class MemorySample:
    peak_kb: int  # highest RSS since the previous sample (the process's life if not `windowed`)
    rss_kb: int  # RSS at the sample, after trimming
    windowed: bool  # whether peak_kb covers only the time since the previous sample

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_json(d: dict[str, Any]) -> MemorySample:
        return MemorySample(int(d["peak_kb"]), int(d["rss_kb"]), bool(d["windowed"]))


def trim_heap() -> bool:
    """Return freed heap to the OS (glibc only); False where the C library has no malloc_trim."""
    try:  # the process's own symbols: no library search (find_library spawns ldconfig) per batch
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError, TypeError):
        return False
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    trim(0)
    return True


def _status_kb(field: str, text: str) -> int | None:
    m = re.search(rf"^{field}:\s+(\d+)\s+kB", text, re.MULTILINE)
    return int(m.group(1)) if m else None


def sample(reset: bool = True) -> MemorySample:
    """RSS now and its peak since the last reset; then (with `reset`) start a new peak window."""
    maxrss = int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    try:
        with open(_STATUS) as f:
            text = f.read()
    except OSError:
        return MemorySample(maxrss, maxrss, False)
    rss = _status_kb("VmRSS", text) or maxrss
    hwm = _status_kb("VmHWM", text) or maxrss
    windowed = False
    if reset:
        try:
            with open(_CLEAR_REFS, "w") as f:
                f.write("5")
            windowed = True
        except OSError:
            pass
    return MemorySample(hwm, rss, windowed)


def after_batch() -> MemorySample:
    """What a worker does at the end of each batch: trim, then sample (and reset the peak)."""
    trim_heap()
    return sample(reset=True)


@dataclass(frozen=True)
class MemoryPoint:
    """One sample as the campaign keeps it: when, after which of the worker's batches."""

    t_s: float  # seconds since the pool started
    batch: int  # batches this worker process had finished (0: just started)
    peak_kb: int
    rss_kb: int


def report(points: dict[int, list[MemoryPoint]], windowed: bool, history: int = 12) -> dict[str, Any]:
    """Each worker's memory at the start and at the end of a run, for summary.json and bench.

    `start` and `end` are the first and last tenth of the worker's batches (at least one batch
    each): the largest per-batch peak and RSS in each, so one heavy batch does not pass for a
    trend. `history` is that many evenly spaced samples, [t_s, batch, peak_kb, rss_kb].
    """

    def window(ps: list[MemoryPoint]) -> dict[str, int]:
        return {
            "batches": len(ps),
            "peak_kb": max(p.peak_kb for p in ps),
            "rss_kb": max(p.rss_kb for p in ps),
        }

    out: dict[str, Any] = {
        "peak_per_batch": windowed,
        "start": {},
        "end": {},
        "ready_rss_kb": {},
        "history": {},
    }
    for w, ps in sorted(points.items()):
        ready = [p for p in ps if p.batch == 0]
        done = [p for p in ps if p.batch > 0]
        if ready:
            out["ready_rss_kb"][w] = ready[0].rss_kb
        if not done:
            continue
        n = max(1, len(done) // 10)
        out["start"][w] = window(done[:n])
        out["end"][w] = window(done[-n:])
        step = max(1, -(-len(done) // history))
        picked = done[::step]
        if picked[-1] is not done[-1]:
            picked.append(done[-1])
        out["history"][w] = [[round(p.t_s, 1), p.batch, p.peak_kb, p.rss_kb] for p in picked]
    return out
