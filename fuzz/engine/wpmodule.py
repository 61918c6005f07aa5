"""One Warp module built from source text or a file: import, compile per device, code, discard.

Every path that compiles kernels with the installed Warp (the batch runner, the grammar compile
check, `check`, `emit`, `bench`, the gate probes) goes through this class, so the module file, its
options, the compile order and the clean-up are the same everywhere. Warp keeps every module it
has seen, its kernel-cache folders and the source lines it read through `linecache`; a process
that builds one module per batch must undo all of it (`discard`), or its memory and disk grow.

API:
- `WarpModule.build(sources, name, work_dir, options)`: write `work_dir/<name>.py` as
  `MODULE_HEADER` + the sources (each right-stripped, ending in one newline, joined by a blank
  line) and import it as module `name`; `options` go to `wp.set_module_options` after import.
- `WarpModule.load(path, name, work_dir, options)`: import an existing file (hand-written code);
  `discard` leaves that file in place.
- `compile(device)`: build for one device; raises `CompileFailure(device, error)` (the device
  without its ordinal: "cpu", "cuda").
- `compile_all(devices, cuda_arch=None, timing=None)`: what a batch does: every device, and CUDA
  ahead of time with NVRTC when `cuda_arch` is set and no CUDA device is among them (two or more
  in a thread pool: clang and NVRTC run in parallel); returns {"cpu": source, "cuda": source}.
  `timing(stage, seconds)` receives "compile:cpu", "compile:cuda", "compile:cuda-aot".
- `compile_cuda_aot(arch)`: CUDA for `sm_<arch>` without a GPU; returns the CUDA source.
- `kernel(name)`, `source(device)`, `kernel_code(device, names)` (the per-kernel cut).
- `discard()` (also on leaving a `with` block): unload, forget, prune kernel-cache folders, the
  written source file, its `linecache` entry and `sys.modules`.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import linecache
import os
import shutil
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from types import ModuleType, TracebackType
from typing import Any

from fuzz.engine import warpcompat
from fuzz.engine.codecut import KernelCode, cut_kernels
from fuzz.engine.verdict import device_kind
from grammar.case import MODULE_HEADER


def short_error(e: BaseException) -> str:
    """`Type: message`, at most 4000 characters (what a result's message keeps of an error)."""
    text = f"{type(e).__name__}: {e}".strip()
    return text[:4000]


class CompileFailure(Exception):
    """Warp could not build the module for `device`: a finding unless the kernel is invalid."""

    def __init__(self, device: str, error: BaseException) -> None:
        super().__init__(short_error(error))
        self.device = device
        self.error = error  # Warp's own exception, for messages that quote it


def module_text(sources: Sequence[str]) -> str:
    """The module file for `sources`: the header, then each source ending in one newline."""
    return MODULE_HEADER + "\n\n".join(s.rstrip("\n") + "\n" for s in sources)


def _exec_file(path: str, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"{path}: cannot be imported as a Python module")
    pymod = importlib.util.module_from_spec(spec)
    sys.modules[name] = pymod
    try:
        spec.loader.exec_module(pymod)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return pymod


class WarpModule:
    """An imported Python module whose kernels Warp compiles as one Warp module (see the module doc)."""

    def __init__(
        self, pymod: ModuleType, path: str, work_dir: str, owns_file: bool, options: Mapping[str, Any]
    ) -> None:
        self.pymod = pymod
        self.name = pymod.__name__
        self.path = path
        self.work_dir = work_dir
        self.owns_file = owns_file
        self.options = dict(options)
        self._aot_source: str | None = None
        self._discarded = False

    # ---- construction ----------------------------------------------------------------------
    @classmethod
    def build(
        cls, sources: Sequence[str], name: str, work_dir: str, options: Mapping[str, Any] | None = None
    ) -> WarpModule:
        """Write `sources` as `work_dir/<name>.py` and import it; raises whatever importing raises."""
        path = os.path.join(work_dir, name + ".py")
        with open(path, "w", encoding="utf-8") as f:
            f.write(module_text(sources))
        try:
            return cls._imported(path, name, work_dir, True, options)
        except BaseException:
            linecache.cache.pop(path, None)
            with contextlib.suppress(OSError):
                os.remove(path)
            raise

    @classmethod
    def load(
        cls, path: str, name: str, work_dir: str, options: Mapping[str, Any] | None = None
    ) -> WarpModule:
        """Import an existing file as module `name` (never removed by `discard`)."""
        return cls._imported(path, name, work_dir, False, options)

    @classmethod
    def _imported(
        cls, path: str, name: str, work_dir: str, owns_file: bool, options: Mapping[str, Any] | None
    ) -> WarpModule:
        import warp as wp

        pymod = _exec_file(path, name)
        if options is not None:
            wp.set_module_options(dict(options), pymod)
        return cls(pymod, path, work_dir, owns_file, options or {})

    def __enter__(self) -> WarpModule:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.discard()

    # ---- Warp's side -----------------------------------------------------------------------
    @property
    def wmod(self) -> Any:
        """Warp's module object (the one holding this file's kernels)."""
        import warp as wp

        return wp.get_module(self.name)

    def kernel(self, name: str) -> Any:
        """The kernel (or any other top-level object) `name` of this module."""
        try:
            return getattr(self.pymod, name)
        except AttributeError:
            raise AttributeError(f"module {self.name} ({self.path}) defines no {name}") from None

    def compile(self, device: str) -> None:
        """Compile (or fetch from the kernel cache) for `device`; CompileFailure names the device."""
        try:
            warpcompat.load_module(self.wmod, device)
        except Exception as e:
            raise CompileFailure(device_kind(device), e) from e

    def compile_all(
        self,
        devices: Sequence[str],
        cuda_arch: int | None = None,
        timing: Callable[[str, float], None] | None = None,
    ) -> dict[str, str | None]:
        """Compile for every device (and CUDA ahead of time if asked); return module sources."""
        wmod = self.wmod
        sources: dict[str, str | None] = {}

        def build(dev: str) -> None:
            t = time.perf_counter()
            try:
                self.compile(dev)
            finally:
                if timing is not None:
                    timing(f"compile:{device_kind(dev)}", time.perf_counter() - t)

        aot_source: list[str] = []

        def aot() -> None:
            t = time.perf_counter()
            try:
                aot_source.append(self.compile_cuda_aot(cuda_arch or 0))
            finally:
                if timing is not None:
                    timing("compile:cuda-aot", time.perf_counter() - t)

        devices = list(devices)
        jobs: list[Callable[[], None]] = [functools.partial(build, d) for d in devices]
        if cuda_arch and not any(device_kind(d) == "cuda" for d in devices):
            jobs.append(aot)
        if len(jobs) > 1:
            # Warp serialises only its Python codegen; clang (CPU) and NVRTC (CUDA, on a GPU or
            # ahead of time) run in parallel, so a batch for both targets takes two threads
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(len(jobs)) as ex:
                for fut in [ex.submit(job) for job in jobs]:
                    fut.result()
        else:
            jobs[0]()
        for dev in devices:
            sources[device_kind(dev)] = warpcompat.module_source(wmod, dev)
        if aot_source:
            sources["cuda"] = aot_source[0]
        return sources

    def compile_cuda_aot(self, arch: int) -> str:
        """CUDA for `sm_<arch>` with NVRTC, no GPU needed; CompileFailure("cuda") if it fails."""
        try:
            out = os.path.join(self.work_dir, self.name + "-cuda")
            self._aot_source = warpcompat.compile_cuda_aot(self.wmod, arch, out)
        except Exception as e:
            raise CompileFailure("cuda", e) from e
        return self._aot_source

    def source(self, device: str) -> str | None:
        """The C++ (cpu) or CUDA source Warp generated, None when it has none (not compiled)."""
        text = warpcompat.module_source(self.wmod, device)
        if text is None and device.startswith("cuda"):
            return self._aot_source
        return text

    def kernel_code(self, device: str, names: Sequence[str]) -> dict[str, KernelCode]:
        """Each named kernel's forward and backward code for `device` (compile it first)."""
        text = self.source(device)
        if text is None:
            raise ValueError(
                f"module {self.name} ({self.path}): no {device} source in the kernel cache; "
                f"compile it for {device} first"
            )
        return cut_kernels(text, names)

    # ---- clean-up ----------------------------------------------------------------------------
    def discard(self) -> None:
        """Unload the module and prune its kernel-cache folders and (written) source file."""
        if self._discarded:
            return
        self._discarded = True
        wmod = self.wmod
        dirs = warpcompat.module_cache_dirs(wmod)
        with contextlib.suppress(Exception):
            wmod.unload()
        warpcompat.forget_module(self.name)
        for d in dirs:
            shutil.rmtree(d, ignore_errors=True)
        shutil.rmtree(os.path.join(self.work_dir, self.name + "-cuda"), ignore_errors=True)
        sys.modules.pop(self.name, None)
        linecache.cache.pop(self.path, None)  # Warp reads kernel sources through linecache
        if self.owns_file:
            with contextlib.suppress(OSError):
                os.remove(self.path)
