"""Run a batch of cases: one Warp module per batch, launches on each device, oracle, judge.

This is the body of a worker process; it also runs in-process for `check`, `replay` and
`reduce`. A compile failure of the batch module is isolated by rebuilding each case in a module
of its own, so one bad kernel never costs its neighbours their verdict (and Warp modules that
had a compile error are never trusted).
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import itertools
import linecache
import os
import shutil
import sys
import time
import traceback
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fuzz.engine import judge as J
from fuzz.engine.codecut import cut_kernels
from fuzz.engine.result import CaseResult
from fuzz.engine.settings import WorkerSettings
from fuzz.engine.wpmodule import CompileFailure  # defined there; imported from here too
from grammar.case import MODULE_HEADER, KernelCase

_ELEM_NDIM = {"vec": 1, "quat": 1, "transform": 1, "spatial": 1, "mat": 2}


def elem_ndim(dtype: str) -> int:
    """Trailing axes that form one element in the NumPy form of an array of `dtype`."""
    for prefix, nd in _ELEM_NDIM.items():
        if dtype.startswith(prefix):
            return nd
    return 0


@dataclass
class Stats:
    """Where a batch's time went, for progress and the `bench` report."""

    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    def add(self, stage: str, dt: float) -> None:
        self.seconds[stage] += dt


def _load_registry(spec: str | None) -> Any:
    if not spec:
        return None
    mod_name, _, fn = spec.partition(":")
    return getattr(importlib.import_module(mod_name), fn)()


def _short_error(e: BaseException) -> str:
    text = f"{type(e).__name__}: {e}".strip()
    return text[:4000]


class DevicePoisoned(Exception):
    """A CUDA error left this process's context unusable: the worker must be replaced."""


def _is_cuda_fault(dev: str, e: BaseException) -> bool:
    text = str(e).lower()
    return dev.startswith("cuda") and any(
        w in text for w in ("cuda error", "illegal", "misaligned", "launch failure", "unspecified launch")
    )


class BatchRunner:
    """Compiles and checks batches inside one process; keeps Warp initialised between batches."""

    def __init__(self, settings: WorkerSettings, work_dir: str, tag: str = "w") -> None:
        import warp as wp

        self.wp = wp
        self.settings = settings
        self.work_dir = work_dir
        self.tag = tag
        os.makedirs(work_dir, exist_ok=True)
        from fuzz.engine import warpcompat

        warpcompat.quiet()
        wp.config.kernel_cache_dir = os.path.join(work_dir, "kernel-cache")
        wp.init()
        self.registry = _load_registry(settings.registry_factory)
        note = warpcompat.cpu_opt_level_note(settings.cpu_opt_level, settings.compiles_cuda)
        self.module_options: dict[str, Any] = {"enable_backward": settings.enable_backward}
        if settings.cpu_opt_level is not None and note is None:
            self.module_options["optimization_level"] = settings.cpu_opt_level
        self._counter = itertools.count()

    # ---- module handling -------------------------------------------------------------
    def _import(self, cases: list[KernelCase]) -> Any:
        name = f"wf_{self.tag}_{os.getpid()}_{next(self._counter)}"
        path = os.path.join(self.work_dir, name + ".py")
        with open(path, "w", encoding="utf-8") as f:
            f.write(MODULE_HEADER + "\n\n".join(c.source.rstrip("\n") + "\n" for c in cases))
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        pymod = importlib.util.module_from_spec(spec)
        sys.modules[name] = pymod
        try:
            spec.loader.exec_module(pymod)
        except BaseException:
            sys.modules.pop(name, None)
            raise
        self.wp.set_module_options(dict(self.module_options), pymod)
        return pymod

    def _discard(self, pymod: Any) -> None:
        """Unload the module and prune its kernel-cache folders and source file."""
        from fuzz.engine import warpcompat

        name = pymod.__name__
        wmod = self.wp.get_module(name)
        dirs = warpcompat.module_cache_dirs(wmod)
        with contextlib.suppress(Exception):
            wmod.unload()
        warpcompat.forget_module(name)
        for d in dirs:
            shutil.rmtree(d, ignore_errors=True)
        shutil.rmtree(os.path.join(self.work_dir, name + "-cuda"), ignore_errors=True)
        sys.modules.pop(name, None)
        path = os.path.join(self.work_dir, name + ".py")
        linecache.cache.pop(path, None)  # Warp reads kernel sources through linecache
        with contextlib.suppress(OSError):
            os.remove(path)

    def _compile(self, pymod: Any, stats: Stats) -> dict[str, str | None]:
        """Compile the module for every device (and CUDA AOT if asked); return module sources."""
        from fuzz.engine import warpcompat

        wmod = self.wp.get_module(pymod.__name__)
        sources: dict[str, str | None] = {}

        def build(dev: str) -> None:
            t = time.perf_counter()
            try:
                warpcompat.load_module(wmod, dev)
            except Exception as e:
                raise CompileFailure(dev.split(":")[0], e) from e
            finally:
                stats.add(f"compile:{dev.split(':')[0]}", time.perf_counter() - t)

        devices = list(self.settings.devices)
        if len(devices) > 1:
            # Warp serialises only its Python codegen; clang (CPU) and NVRTC (CUDA) run in parallel
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(len(devices)) as ex:
                for fut in [ex.submit(build, d) for d in devices]:
                    fut.result()
        else:
            build(devices[0])
        for dev in devices:
            sources[dev.split(":")[0]] = warpcompat.module_source(wmod, dev)
        if self.settings.cuda_arch and "cuda" not in sources:
            t = time.perf_counter()
            try:
                out = os.path.join(self.work_dir, pymod.__name__ + "-cuda")
                sources["cuda"] = warpcompat.compile_cuda_aot(wmod, self.settings.cuda_arch, out)
            except Exception as e:
                raise CompileFailure("cuda", e) from e
            finally:
                stats.add("compile:cuda-aot", time.perf_counter() - t)
        return sources

    # ---- the batch ---------------------------------------------------------------------
    def run(self, cases: list[KernelCase]) -> tuple[list[CaseResult], dict[str, float]]:
        stats = Stats()
        results: dict[int, CaseResult] = {}
        groups: list[list[KernelCase]] = [cases]
        try:
            pymod = self._import(cases)
            try:
                sources = self._compile(pymod, stats)
                self._check_all(pymod, cases, sources, results, stats)
            except DevicePoisoned:
                raise  # nothing more can run in this process
            except Exception:
                groups = [[c] for c in cases]  # isolate: rebuild each case on its own
            finally:
                self._discard(pymod)
        except DevicePoisoned:
            raise
        except Exception:
            groups = [[c] for c in cases]
        if len(groups) > 1 or (groups and not results):
            for group in groups:
                if group[0].seed in results:
                    continue
                self._run_single(group[0], results, stats)
        return [results[c.seed] for c in cases], dict(stats.seconds)

    def _run_single(self, case: KernelCase, results: dict[int, CaseResult], stats: Stats) -> None:
        try:
            pymod = self._import([case])
        except Exception as e:
            results[case.seed] = self._fail(case, J.COMPILE_ERROR, "import", "", e)
            return
        try:
            sources = self._compile(pymod, stats)
            self._check_all(pymod, [case], sources, results, stats)
        except CompileFailure as e:
            results[case.seed] = self._fail(case, J.COMPILE_ERROR, f"compile:{e.device}", e.device, e)
        except DevicePoisoned:
            raise
        except Exception as e:
            results[case.seed] = self._fail(case, J.INTERNAL_ERROR, "worker", "", e)
        finally:
            self._discard(pymod)

    def _fail(self, case: KernelCase, verdict: str, stage: str, device: str, e: BaseException) -> CaseResult:
        msg = _short_error(e)
        if verdict == J.INTERNAL_ERROR:
            msg += "\n" + "".join(traceback.format_exception(e))[-4000:]
        return CaseResult(
            case.seed, case.kernel_name, case.family, case.generator_version, case.to_json(),
            verdict, stage=stage, device=device, message=msg,
        )  # fmt: skip

    def _check_all(
        self,
        pymod: Any,
        cases: list[KernelCase],
        sources: dict[str, str | None],
        results: dict[int, CaseResult],
        stats: Stats,
    ) -> None:
        t = time.perf_counter()
        names = [c.kernel_name for c in cases]
        cuts = {dev: cut_kernels(src, names) for dev, src in sources.items() if src}
        stats.add("codecut", time.perf_counter() - t)
        for case in cases:
            if self.settings.compile_only:  # the compile floor of `bench`: nothing after the compile
                results[case.seed] = CaseResult(
                    case.seed,
                    case.kernel_name,
                    case.family,
                    case.generator_version,
                    case.to_json(),
                    "compiled",
                )
                continue
            code: dict[str, str | None] = {}
            for dev, cut in cuts.items():
                lang = "cpp" if dev == "cpu" else "cuda"
                code[f"{lang}_forward"] = cut[case.kernel_name].forward
                code[f"{lang}_backward"] = cut[case.kernel_name].backward
            results[case.seed] = self._check_one(pymod, case, code, stats)

    def _check_one(
        self, pymod: Any, case: KernelCase, code: dict[str, str | None], stats: Stats
    ) -> CaseResult:
        import grammar
        import oracle
        from fuzz.engine.launch import launch

        if case.seed in self.settings.crash_seeds:
            os.abort()
        if case.seed in self.settings.hang_seeds:
            time.sleep(10**6)
        base = CaseResult(
            case.seed,
            case.kernel_name,
            case.family,
            case.generator_version,
            case.to_json(),
            J.VERIFIED,
            code=code,
        )
        try:
            t = time.perf_counter()
            inputs = grammar.make_inputs(case)
            stats.add("inputs", time.perf_counter() - t)
        except Exception as e:
            return self._with(base, J.INTERNAL_ERROR, "inputs", "", e)
        # the oracle
        t = time.perf_counter()
        try:
            orc = oracle.evaluate(
                case.module_source(), case.kernel_name, inputs, case.dim, registry=self.registry
            )
        except oracle.Unsupported as e:
            return self._with(base, J.ORACLE_UNSUPPORTED, "oracle", "", e)
        except oracle.UndefinedBehavior as e:
            return self._with(base, J.INVALID_KERNEL, "oracle", "", e)
        except Exception as e:
            return self._with(base, J.INTERNAL_ERROR, "oracle", "", e)
        finally:
            stats.add("oracle", time.perf_counter() - t)
        base.oracle_ops = int(getattr(orc, "ops", 0))
        kernel = getattr(pymod, case.kernel_name)
        elem = {p.name: elem_ndim(p.dtype) for p in case.params if p.kind == "array"}
        checks: list[J.DeviceCheck] = []
        observed: dict[str, dict[str, np.ndarray]] = {}
        for dev in self.settings.devices:
            t = time.perf_counter()
            try:
                if dev.startswith("cuda") and case.seed in self.settings.fault_seeds:
                    self._fault(dev)
                observed[dev] = launch(kernel, inputs, case.dim, dev, case.block_dim)
            except Exception as e:
                if _is_cuda_fault(dev, e):
                    raise DevicePoisoned(f"{dev}: {_short_error(e)}") from e
                return self._with(base, J.LAUNCH_ERROR, f"launch:{dev}", dev, e)
            finally:
                stats.add(f"launch:{dev.split(':')[0]}", time.perf_counter() - t)
            t = time.perf_counter()
            checks.append(
                J.check_device(
                    dev,
                    observed[dev],
                    orc.arrays,
                    orc.error_bound,
                    orc.unstable,
                    elem,
                    self.settings.policy,
                    orc.written,
                )
            )
            stats.add("judge", time.perf_counter() - t)
        cuda_devs = [d for d in observed if d.startswith("cuda")]
        if "cpu" in observed and cuda_devs:
            # device against device, allowing both sides their oracle tolerance
            pair_policy = J.TolerancePolicy(
                safety=2 * self.settings.policy.safety, floor_ulps=2 * self.settings.policy.floor_ulps
            )
            for cd in cuda_devs:
                checks.append(
                    J.check_device(
                        f"cpu~{cd}",
                        observed[cd],
                        observed["cpu"],
                        orc.error_bound,
                        orc.unstable,
                        elem,
                        pair_policy,
                        orc.written,
                    )
                )
        base.checks = [c.to_json() for c in checks]
        base.unstable_fraction = J.unstable_fraction(checks)
        decision = J.decide(checks, self.settings.policy)
        if decision.verdict != J.VERIFIED:
            base.verdict, base.stage = decision.verdict, decision.stage
            base.device, base.message = decision.device, decision.message
        elif self.settings.gradients and self.settings.enable_backward and case.block_dim is None:
            # (tiled cases: the gradient check launches untiled, and Warp 1.19's tile_max/min/
            # reduce/scan*/arange adjoints are MISSINGADJOINT stubs in warp/native/tile*.h)
            from fuzz.engine.gradients import check_all_devices, first_mismatch

            t = time.perf_counter()
            grads = check_all_devices(kernel, case, inputs, self.settings.devices, orc, self.registry)
            stats.add("gradient", time.perf_counter() - t)
            base.gradient_check = [g.to_json() for g in grads]
            bad = first_mismatch(grads)
            if bad is not None:
                base.verdict, base.stage, base.device = J.GRADIENT_MISMATCH, "gradient", bad.device
                base.message = f"{bad.device} backward: {bad.message}"
        return base

    def _fault(self, dev: str) -> None:
        """Fault injection for tests: launch a kernel that writes far out of bounds on `dev`."""
        import warp as wp

        from fuzz.engine.faulty import wild_write

        a = wp.zeros(1, dtype=wp.float32, device=dev)
        wp.launch(wild_write, dim=1, inputs=[a], device=dev)
        wp.synchronize_device(dev)

    def _with(self, base: CaseResult, verdict: str, stage: str, device: str, e: BaseException) -> CaseResult:
        f = self._fail(KernelCase.from_json(base.case), verdict, stage, device, e)
        f.code = base.code
        return f
