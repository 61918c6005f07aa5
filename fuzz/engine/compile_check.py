"""Compile (and launch) generated kernels with real Warp on CPU, batched into shared modules.

Warp 1.19 refuses a whole module when one kernel fails, so a failing batch is retried kernel by
kernel to name the culprits. Modules are `fuzz.engine.wpmodule.WarpModule`s, as in a campaign: the
CPU variant `wp.launch` uses (block_dim=1) is the one compiled, and each module is discarded after
its launches (kernel-cache folders, source file and Warp's registry entry).
"""

from __future__ import annotations

import tempfile
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fuzz.engine import warpcompat
from fuzz.engine.wpmodule import CompileFailure, WarpModule
from grammar.case import KernelCase


@dataclass(frozen=True)
class Failure:
    seed: int
    family: str
    stage: str  # "compile" or "launch"
    error: str


def init_warp(cache_dir: str | None = None) -> Any:
    import warp as wp

    wp.config.quiet = True  # type: ignore[attr-defined]
    wp.config.kernel_cache_dir = cache_dir or tempfile.mkdtemp(prefix="warpfuzz-grammar-cache-")
    wp.init()
    return wp


def compile_batch(
    cases: list[KernelCase],
    workdir: Path,
    tag: str,
    launch: bool = True,
    enable_backward: bool = True,
    cpu_opt_level: int | None = 0,
) -> list[Failure]:
    """Compile `cases` as one module; on failure retry each alone. Then launch each that compiled.

    enable_backward=False skips the adjoint code where only forward typing is under test.
    cpu_opt_level: clang's -O level, as a campaign's `--cpu-opt-level` (default 0: the emitted
    C++ is the same, the compile faster; None keeps Warp's -O2).
    """
    options: dict[str, Any] = {"enable_backward": enable_backward}
    options.update(warpcompat.cpu_opt_level_options(cpu_opt_level, compiles_cuda=False))
    fails: list[Failure] = []
    built: list[WarpModule] = []
    ok_mods: dict[str, WarpModule] = {}
    try:
        try:
            batch = WarpModule.build([c.source for c in cases], f"gm_{tag}", str(workdir), options)
            built.append(batch)
            batch.compile("cpu")
            ok_mods = {c.kernel_name: batch for c in cases}
        except Exception:
            for c in cases:
                try:
                    one = WarpModule.build([c.source], f"gm_{tag}_{c.seed}", str(workdir), options)
                    built.append(one)
                    one.compile("cpu")
                    ok_mods[c.kernel_name] = one
                except Exception as e:
                    fails.append(Failure(c.seed, c.family, "compile", _short(e)))
        if launch:
            from fuzz.engine.launch import launch as run
            from grammar.inputs import make_inputs

            for c in cases:
                if c.kernel_name not in ok_mods:
                    continue
                try:
                    run(ok_mods[c.kernel_name].kernel(c.kernel_name), make_inputs(c), c.dim, "cpu")
                except Exception as e:
                    fails.append(Failure(c.seed, c.family, "launch", _short(e)))
    finally:
        for m in built:
            m.discard()
    return fails


def _short(e: BaseException) -> str:
    if isinstance(e, CompileFailure):
        e = e.error  # Warp's own error, not the device wrapper
    text = "".join(traceback.format_exception_only(type(e), e)).strip()
    return text[-1500:]
