"""Fault injection for the isolation tests, installed as worker plugins (`WorkerSettings.
worker_plugins`), so shipped code carries no fault logic:

- "tests.support.faults:crash_at:SEEDS": the process aborts when it reaches a case of SEEDS
- "tests.support.faults:hang_at:SEEDS": the process hangs there
- "tests.support.faults:cuda_fault_at:SEEDS": before that case's CUDA launch, a real kernel
  writes far out of bounds, poisoning the CUDA context the way a faulting kernel does
- "tests.support.faults:raise_at:SEEDS": checking that case raises RuntimeError (in-process: the
  runner must contain it to that case)

SEEDS is a comma-separated list of seeds. Each real failure lets a test prove crash, hang and
fault isolation without relying on a Warp bug.
"""

# mypy: ignore-errors

from __future__ import annotations

import os
import time
from typing import Any

import warp as wp


@wp.kernel
def wild_write(a: wp.array(dtype=wp.float32)):
    i = wp.tid()
    a[(i + 1) << 28] = 1.0


@wp.kernel
def spin(a: wp.array(dtype=wp.float32)):
    # never ends while a[0] stays below 1 (nothing writes it): a native loop, not Python
    while a[0] < 1.0:
        a[1] = a[1] + 1.0


def _seeds(text: str) -> frozenset[int]:
    return frozenset(int(s) for s in text.split(",") if s.strip())


def crash_at(runner: Any, seeds: str) -> None:
    hit = _seeds(seeds)

    def crash(case: Any) -> None:
        if case.seed in hit:
            os.abort()

    runner.before_case.append(crash)


def hang_at(runner: Any, seeds: str) -> None:
    hit = _seeds(seeds)

    def hang(case: Any) -> None:
        if case.seed in hit:
            time.sleep(10**6)

    runner.before_case.append(hang)


def raise_at(runner: Any, seeds: str) -> None:
    hit = _seeds(seeds)

    def fail(case: Any) -> None:
        if case.seed in hit:
            raise RuntimeError(f"planted failure at seed {case.seed}")

    runner.before_case.append(fail)


def spin_at(runner: Any, spec: str) -> None:
    """Before launching SEED, run a kernel that never ends; "SEED@MARKER" first creates the file
    MARKER, so a test knows the native loop has started."""
    seeds, _, marker = spec.partition("@")
    hit = _seeds(seeds)

    def loop(case: Any, device: str) -> None:
        if case.seed in hit:
            a = wp.zeros(2, dtype=wp.float32, device="cpu")
            if marker:
                open(marker, "w").close()
            wp.launch(spin, dim=1, inputs=[a], device="cpu")

    runner.before_launch.append(loop)


def cuda_fault_at(runner: Any, seeds: str) -> None:
    hit = _seeds(seeds)

    def fault(case: Any, device: str) -> None:
        if device.startswith("cuda") and case.seed in hit:
            a = wp.zeros(1, dtype=wp.float32, device=device)
            wp.launch(wild_write, dim=1, inputs=[a], device=device)
            wp.synchronize_device(device)

    runner.before_launch.append(fault)


def plugins(
    *,
    crash: tuple[int, ...] = (),
    hang: tuple[int, ...] = (),
    cuda_fault: tuple[int, ...] = (),
    raise_at: tuple[int, ...] = (),
) -> tuple[str, ...]:
    """The `worker_plugins` specs for these faults."""
    out = []
    faults = (("crash_at", crash), ("hang_at", hang), ("cuda_fault_at", cuda_fault), ("raise_at", raise_at))
    for fn, seeds in faults:
        if seeds:
            out.append(f"{__name__}:{fn}:{','.join(str(s) for s in seeds)}")
    return tuple(out)
