"""Compile (and launch) generated kernels with real Warp on CPU, batched into shared modules.

Warp 1.19 refuses a whole module when one kernel fails, so a failing batch is retried kernel by
kernel to name the culprits. Modules load through `fuzz.engine.warpcompat.load_module`, which compiles
the CPU variant `wp.launch` uses (block_dim=1) instead of a second, unused one.
"""

from __future__ import annotations

import importlib.util
import sys
import tempfile
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


def _import(path: Path, modname: str) -> Any:
    spec = importlib.util.spec_from_file_location(modname, path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[modname] = mod
    spec.loader.exec_module(mod)
    return mod


def _module_source(cases: list[KernelCase], enable_backward: bool = True) -> str:
    head = "import warp as wp\n\n"
    if not enable_backward:  # forward code only: about a third of the compile time
        head += 'wp.set_module_options({"enable_backward": False})\n\n'
    return head + "\n\n".join(c.source for c in cases)


def compile_batch(
    cases: list[KernelCase], workdir: Path, tag: str, launch: bool = True, enable_backward: bool = True
) -> list[Failure]:
    """Compile `cases` as one module; on failure retry each alone. Then launch each that compiled.

    enable_backward=False skips the adjoint code where only forward typing is under test.
    """
    from fuzz.engine.warpcompat import load_module

    path = workdir / f"gm_{tag}.py"
    path.write_text(_module_source(cases, enable_backward))
    fails: list[Failure] = []
    try:
        mod = _import(path, f"gm_{tag}")
        load_module(getattr(mod, cases[0].kernel_name).module, "cpu")
        ok_mods = {c.kernel_name: mod for c in cases}
    except Exception:
        ok_mods = {}
        for c in cases:
            p1 = workdir / f"gm_{tag}_{c.seed}.py"
            p1.write_text(_module_source([c], enable_backward))
            try:
                m1 = _import(p1, f"gm_{tag}_{c.seed}")
                load_module(getattr(m1, c.kernel_name).module, "cpu")
                ok_mods[c.kernel_name] = m1
            except Exception as e:
                fails.append(Failure(c.seed, c.family, "compile", _short(e)))
    if launch:
        from fuzz.engine.launch import launch as run
        from grammar.inputs import make_inputs

        for c in cases:
            if c.kernel_name not in ok_mods:
                continue
            try:
                run(getattr(ok_mods[c.kernel_name], c.kernel_name), make_inputs(c), c.dim, "cpu")
            except Exception as e:
                fails.append(Failure(c.seed, c.family, "launch", _short(e)))
    return fails


def _short(e: BaseException) -> str:
    text = "".join(traceback.format_exception_only(type(e), e)).strip()
    return text[-1500:]
