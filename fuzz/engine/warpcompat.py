"""The few places where warpfuzz reaches into Warp beyond its public API, kept in one module.

Each helper works on the releases we support or raises `WarpCompatError` naming what is missing,
so a newer or older Warp degrades with a clear message instead of a confusing traceback.
"""

from __future__ import annotations

import glob
import inspect
import os
import re
from typing import Any

import warp as wp


class WarpCompatError(RuntimeError):
    """This Warp release lacks an internal that a feature relies on."""


def warp_version() -> str:
    return str(wp.__version__)


def quiet() -> None:
    """Silence Warp's per-module load lines (releases differ in which switch controls them)."""
    wp.config.quiet = True  # type: ignore[attr-defined]
    if hasattr(wp.config, "log_level") and hasattr(wp, "LOG_WARNING"):
        wp.config.log_level = wp.LOG_WARNING
    if hasattr(wp.config, "verbose"):
        wp.config.verbose = False


def device_facts(device: str) -> dict[str, Any]:
    """What a pair's record says about the device it was verified on."""
    import platform

    d = wp.get_device(device)
    facts: dict[str, Any] = {"device": str(device), "name": str(d.name), "warp_version": warp_version()}
    if d.is_cuda:
        facts["sm_arch"] = int(d.arch)
        try:
            runtime = _runtime()
            tk = runtime.toolkit_version
            facts["toolkit_version"] = ".".join(map(str, tk)) if tk else None
            drv = getattr(runtime, "driver_version", None)
            facts["driver_version"] = ".".join(map(str, drv)) if isinstance(drv, tuple) else drv
        except Exception as e:  # older releases: say what is missing instead of guessing
            facts["toolkit_version"] = f"unavailable ({type(e).__name__})"
    else:
        facts["cpu"] = platform.processor() or platform.machine()
    return facts


def _runtime() -> Any:
    """Warp's runtime object: `warp._src.context` from 1.10 on, `warp.context` before."""
    import importlib

    for name in ("warp._src.context", "warp.context"):
        try:
            rt = getattr(importlib.import_module(name), "runtime", None)
        except ImportError:
            continue
        if rt is not None:
            return rt
    raise WarpCompatError(
        f"warp {warp_version()}: neither warp._src.context.runtime nor warp.context.runtime exists "
        "(toolkit and driver versions are unavailable); call wp.init() first"
    )


def load_module(module: Any, device: str) -> None:
    """Compile (or fetch from cache) `module` for `device` with the block size `wp.launch` uses.

    On CPU, launches run with block_dim=1 from Warp 1.19 on; loading with the module default
    would compile a second, unused variant.
    """
    params = inspect.signature(module.load).parameters
    if "block_dim" in params and str(device).startswith("cpu"):
        module.load(device, block_dim=1)
    else:
        module.load(device)


def has_optimization_level() -> bool:
    """Whether this release has the `optimization_level` module option (warp-lang 1.11.0 on)."""
    return "optimization_level" in _module_option_names()


def has_cpu_compiler_flags() -> bool:
    """Whether this release has the `cpu_compiler_flags` module option (warp-lang 1.13.0 on)."""
    return "cpu_compiler_flags" in _module_option_names()


def _module_option_names() -> set[str]:
    probe = wp.get_module("warpfuzz_option_probe")
    names = set(getattr(probe, "options", {}))
    forget_module("warpfuzz_option_probe")
    return names


def _release() -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", warp_version())[:3])


def cpu_opt_level_note(level: int | None, compiles_cuda: bool) -> str | None:
    """Why a requested CPU -O level will not be applied in this run, or None when it will.

    A CPU-only run sets Warp's `optimization_level`; one that also compiles CUDA cannot (that
    option is one per module for every device, and CUDA is not to be compiled at -O0), so it
    passes the level in `cpu_compiler_flags`, which releases before 1.13.0 lack."""
    if level is None:
        return None
    if compiles_cuda and not has_cpu_compiler_flags():
        return (
            f"--cpu-opt-level {level} not applied: this run also compiles CUDA, warp {warp_version()} "
            "has no cpu_compiler_flags module option (added in 1.13.0) to set the CPU level alone, and "
            "its optimization_level would change the CUDA build too; both use Warp's defaults"
        )
    if not compiles_cuda and not has_optimization_level():
        return (
            f"--cpu-opt-level {level} not applied: warp {warp_version()} has no optimization_level "
            "module option (added in 1.11.0); CPU code is compiled at Warp's default -O2"
        )
    return None


CPU_LEVEL_FLAGS_MARK = "-O"


def cpu_opt_level_options(level: int | None, compiles_cuda: bool) -> dict[str, Any]:
    """The module options that compile CPU code at clang `-O<level>` (empty: Warp's defaults).

    CPU-only runs use Warp's own `optimization_level`. A run that also compiles CUDA appends
    `-O<level>` to the CPU compiler flags instead: Warp puts those flags after its own `-O2` on
    clang's (cc1) command line and clang takes the last `-O`, so the IR passes run at the level
    asked while NVRTC keeps its -O3 and the emitted C++ and CUDA text are unchanged. LLVM's code
    generator keeps Warp's CPU default there (it reads `optimization_level` alone); at -O0 clang
    marks every function `optnone`, which makes it select instructions at -O0 too. Below -O2,
    releases whose flag parser knows `-fno-vectorize` (1.19 on) get it and `-fno-slp-vectorize`,
    as Warp's own levels 0 and 1 switch the vectorizers off. The flags extend the ones Warp would
    use (`wp.config.cpu_compiler_flags`, `-march=native` when unset), so call after `wp.init()`.
    Empty where `cpu_opt_level_note` has a note."""
    if level is None or cpu_opt_level_note(level, compiles_cuda) is not None:
        return {}
    if not compiles_cuda:
        return {"optimization_level": level}
    base = getattr(wp.config, "cpu_compiler_flags", None)
    flags = [base if base is not None else "-march=native", f"{CPU_LEVEL_FLAGS_MARK}{level}"]
    if level < 2 and _release() >= (1, 19):
        flags += ["-fno-vectorize", "-fno-slp-vectorize"]
    return {"cpu_compiler_flags": " ".join(f for f in flags if f)}


def with_point_options(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """`base` module options overlaid with `extra` (a swept point's); a point that sets
    `optimization_level` drops the CPU level `cpu_opt_level_options` put in `cpu_compiler_flags`,
    which would otherwise win over the point's level on CPU."""
    out = {**base, **extra}
    if "optimization_level" in extra and "cpu_compiler_flags" not in extra and "cpu_compiler_flags" in base:
        out.pop("cpu_compiler_flags")
    return out


def module_identifier(module: Any, device: str) -> str:
    """Name of the module's folder in the kernel cache for the variant `wp.launch` uses."""
    ident = getattr(module, "get_module_identifier", None)
    if ident is None:
        raise WarpCompatError(f"warp {warp_version()} has no Module.get_module_identifier")
    params = inspect.signature(ident).parameters
    if "block_dim" in params and str(device).startswith("cpu"):
        return str(ident(block_dim=1))
    return str(ident())


def module_source(module: Any, device: str) -> str | None:
    """The C++ (cpu) or CUDA source Warp generated for `module`, read from the kernel cache."""
    folder = os.path.join(str(wp.config.kernel_cache_dir), module_identifier(module, device))
    pattern = "*.cpp" if str(device).startswith("cpu") else "*.cu"
    files = sorted(glob.glob(os.path.join(folder, pattern)))
    if not files:
        return None
    with open(files[0], encoding="utf-8") as f:
        return f.read()


def forget_module(name: str) -> None:
    """Drop a Warp module from Warp's registry of user modules once it is unloaded.

    Warp keeps every module it has seen (with its kernels and their adjoint state) in a
    process-wide dict, and every module whose functions a kernel calls (`warp.math`'s `norm_l1`,
    a struct's module...) keeps that kernel's module in its `dependents` set; a campaign creates
    one module per batch, so unless both links are cut a worker's memory grows for as long as it
    runs (measured: 185 -> 470 MB over a 30-minute campaign with only the first one cut).
    """
    for where in ("warp._src.context", "warp.context"):
        try:
            registry = getattr(__import__(where, fromlist=["user_modules"]), "user_modules", None)
        except ImportError:
            continue
        if isinstance(registry, dict):
            module = registry.pop(name, None)
            refs = getattr(module, "references", None)
            if isinstance(refs, set):
                for ref in tuple(refs):
                    deps = getattr(ref, "dependents", None)
                    if isinstance(deps, set):
                        deps.discard(module)
                refs.clear()
            return


def module_cache_dirs(module: Any) -> list[str]:
    """Every folder of the kernel cache that holds a variant of `module` (for pruning)."""
    name = getattr(module, "name", "")
    return sorted(glob.glob(os.path.join(str(wp.config.kernel_cache_dir), f"wp_{name}_*")))


def compile_cuda_aot(module: Any, arch: int, out_dir: str) -> str:
    """Compile `module` for CUDA `sm_<arch>` with NVRTC (no GPU needed); return the CUDA source.

    Raises whatever Warp raises when the CUDA code does not compile: that is a finding.
    """
    aot = getattr(wp, "compile_aot_module", None)
    if aot is None:
        raise WarpCompatError(
            f"warp {warp_version()} has no wp.compile_aot_module (CUDA compile without a GPU)"
        )
    aot(module, arch=arch, module_dir=out_dir)
    files = sorted(glob.glob(os.path.join(out_dir, "**", "*.cu"), recursive=True))
    if not files:
        raise WarpCompatError(f"warp {warp_version()}: compile_aot_module left no .cu source in {out_dir}")
    with open(files[0], encoding="utf-8") as f:
        return f.read()
