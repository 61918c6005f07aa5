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
    worker_plugins: "module:function" or "module:function:ARG" specs, each called once with every
    `BatchRunner` built from these settings (in a campaign worker, a reduction, a child process),
    as function(runner) or function(runner, "ARG"); a plugin may append to the runner's public
    hooks (`before_case`, `before_launch`). The tests install their fault injection this way
    (tests/support/faults.py: abort, hang or poison the CUDA context at a seed); shipped code
    installs none.
    compile_only: compile each batch and stop (the compile floor that `bench` measures).
    cpu_opt_level: clang -O level for CPU code (Warp's `optimization_level`); None keeps Warp's
    default (-O2). The emitted C++/CUDA text does not depend on it; see docs/throughput.md.
    sweep: settings-sweep points ("max_unroll=0", expanded by `fuzz.engine.sweep.expand`): each
    batch is built and its verified cases run once more per point, and a difference from the
    baseline is a `setting_mismatch` (docs/settings-sweep.md). Empty: no sweep, no extra work.
    """

    run_dir: str
    devices: tuple[str, ...] = ("cpu",)
    enable_backward: bool = True
    cuda_arch: int | None = None
    gen_config: dict[str, Any] = field(default_factory=dict)
    policy: TolerancePolicy = field(default_factory=TolerancePolicy)
    registry_factory: str | None = None
    worker_plugins: tuple[str, ...] = ()
    gradients: bool = True  # check the backward code against the oracle (needs enable_backward)
    compile_only: bool = False
    cpu_opt_level: int | None = None
    sweep: tuple[str, ...] = ()

    @property
    def compiles_cuda(self) -> bool:
        return self.cuda_arch is not None or any(d.startswith("cuda") for d in self.devices)
