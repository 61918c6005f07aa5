"""Settings a worker process needs to run batches: picklable, so they cross the process boundary."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fuzz.engine.judge import TolerancePolicy


@dataclass(frozen=True)
class WorkerSettings:
    """How a worker compiles, runs and checks kernels.

    registry_factory: "module:function" returning an oracle registry to use instead of the
    default one (tests use it to plant a deliberately wrong oracle entry).
    crash_seeds / hang_seeds: fault injection for tests of the pool (the worker aborts or hangs
    when it reaches that seed), so crash isolation can be proven without relying on a Warp bug.
    fault_seeds: before that seed's CUDA launch, launch a real kernel that writes out of bounds,
    poisoning the CUDA context the way a faulting kernel does.
    compile_only: compile each batch and stop (the compile floor that `bench` measures).
    cpu_opt_level: clang -O level for CPU code (Warp's `optimization_level`); None keeps Warp's
    default (-O2). The emitted C++/CUDA text does not depend on it; see docs/throughput.md.
    """

    run_dir: str
    devices: tuple[str, ...] = ("cpu",)
    enable_backward: bool = True
    cuda_arch: int | None = None
    gen_config: dict[str, Any] = field(default_factory=dict)
    policy: TolerancePolicy = field(default_factory=TolerancePolicy)
    registry_factory: str | None = None
    crash_seeds: frozenset[int] = frozenset()
    hang_seeds: frozenset[int] = frozenset()
    fault_seeds: frozenset[int] = frozenset()
    gradients: bool = True  # check the backward code against the oracle (needs enable_backward)
    compile_only: bool = False
    cpu_opt_level: int | None = None

    @property
    def compiles_cuda(self) -> bool:
        return self.cuda_arch is not None or any(d.startswith("cuda") for d in self.devices)
