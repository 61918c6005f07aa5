"""Run cases: one Warp module per batch, launches on each device, the oracle, the judge.

`BatchRunner.run(cases, isolation)` is the one way to run cases, for campaign workers, reduction
candidates, selftest mutants, replay, harvest, export verification, `bench` and `check`. Results
come back in case order, each case identified by its position (candidates of one reduction share
a seed). The isolation mode says what a failure may cost the other cases:

- `Isolation.BATCH` (campaign batches): one module for the batch; when it fails to build, each
  case is rebuilt in a module of its own, so one bad kernel never costs its neighbours their
  verdict (and Warp modules that had a compile error are never trusted).
- `Isolation.HALVES` (reduction candidates, which need unique kernel names): a batch that fails
  to build is split in halves, not kernel by kernel, because most failing batches hold one or two
  invalid candidates and compile cost dominates.
- `Isolation.CHILD` (crash and hang cases): each case runs in a child process
  (`python -m fuzz.engine.child`); its death or silence becomes a `crash` / `timeout` result.

The runner generates inputs, runs the oracle, launches, and hands the outputs to the judge
(`judge.judge_case`, `judge.judge_gradients`), which decides the verdict. `oracle_cases` lets the
device run one case while the oracle reads another (selftest: the mutant against its original).
Hooks (`before_case`, `before_launch`, `after_launch`) are public so a worker plugin can wrap
them (see `WorkerSettings.worker_plugins`); `sweep_point` says which swept point a launch is under.

With `WorkerSettings.sweep` (docs/settings-sweep.md), once a call's cases are judged, the sources
of its verified cases are built again as one more module per swept point (the baseline's module
options plus the point's, `wp.config` flags set around it), launched on the devices the point
concerns with the baseline's inputs, and `judge.judge_setting` compares each with the baseline's
outputs: a difference, or a compile or launch error only the point has, turns the case into a
`setting_mismatch` naming the point. Without a sweep none of this runs.
"""

from __future__ import annotations

import contextlib
import importlib
import itertools
import json
import os
import pickle
import re
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

import numpy as np

from fuzz.engine import judge as J
from fuzz.engine import sweep as SW
from fuzz.engine.codecut import cut_kernels
from fuzz.engine.result import CaseResult
from fuzz.engine.settings import WorkerSettings
from fuzz.engine.verdict import Stage, Verdict, Where, device_kind
from fuzz.engine.wpmodule import CompileFailure, WarpModule, short_error
from grammar.case import KernelCase

__all__ = [
    "BatchRunner",
    "CompileFailure",
    "DevicePoisoned",
    "Isolation",
    "Stats",
    "elem_ndim",
]

_ELEM_NDIM = {"vec": 1, "quat": 1, "transform": 1, "spatial": 1, "mat": 2}
CHILD_MODULE = "fuzz.engine.child"  # the child process's entry point (`python -m`)
# Warp's code generator names the function it could not translate (1.10 to 1.19 alike)
_CODEGEN_FAILED = re.compile(r'Error while parsing function "([^"]+)"')


def elem_ndim(dtype: str) -> int:
    """Trailing axes that form one element in the NumPy form of an array of `dtype`."""
    for prefix, nd in _ELEM_NDIM.items():
        if dtype.startswith(prefix):
            return nd
    return 0


class Isolation(StrEnum):
    """What one failing case may cost the others of its batch (see the module docstring)."""

    BATCH = "batch"
    HALVES = "halves"
    CHILD = "child"


@dataclass
class Stats:
    """Where a batch's time went, for progress and the `bench` report."""

    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    def add(self, stage: str, dt: float) -> None:
        self.seconds[stage] += dt


def _load_spec(spec: str) -> tuple[Callable[..., Any], str | None]:
    """The function of a "module:function[:ARG]" spec and its ARG (None when absent)."""
    mod_name, _, rest = spec.partition(":")
    fn, sep, arg = rest.partition(":")
    if not mod_name or not fn:
        raise ValueError(f"{spec!r}: expected MODULE:FUNCTION or MODULE:FUNCTION:ARG")
    return getattr(importlib.import_module(mod_name), fn), (arg if sep else None)


def load_registry(spec: str | None) -> Any:
    """The oracle registry a "module:function" spec names (`--oracle-registry`, a worker's
    `registry_factory`), built by calling the function; None (the oracle's default) for no spec.
    Every command that takes a registry spec reads it here."""
    if not spec:
        return None
    factory, _ = _load_spec(spec)
    return factory()


class DevicePoisoned(Exception):
    """A CUDA error left this process's context unusable: the worker must be replaced."""


def _is_cuda_fault(dev: str, e: BaseException) -> bool:
    text = str(e).lower()
    return dev.startswith("cuda") and any(
        w in text for w in ("cuda error", "illegal", "misaligned", "launch failure", "unspecified launch")
    )


def _failed(
    case: KernelCase, verdict: Verdict, where: Where | Stage, e: BaseException, **evidence: Any
) -> CaseResult:
    """The result of a case that an exception stopped; internal errors keep the traceback."""
    msg = short_error(e)
    if verdict == Verdict.INTERNAL_ERROR:
        msg += "\n" + "".join(traceback.format_exception(e))[-4000:]
    return CaseResult.from_case(case, verdict, where, message=msg, **evidence)


def culprit(jobs: Sequence[_Job], failure: CompileFailure) -> _Job | None:
    """The one job whose kernel (or a helper of it, named `<kernel>_...`) Warp's code generator
    says it could not translate; None when the failure names no function (a C++ or CUDA compile
    error) or none of the jobs. Code generation translates each function on its own, so the
    others need not be split up to find it."""
    m = _CODEGEN_FAILED.search(str(failure.error))
    if m is None:
        return None
    fn = m.group(1)
    hits = [j for j in jobs if fn == j.kernel_name or fn.startswith(j.kernel_name + "_")]
    return hits[0] if len(hits) == 1 else None


@dataclass(frozen=True)
class _Job:
    """One case to run: its position in the call, what the devices run, what the oracle reads.

    A result the check produced describes `oracle_case`; one that a failure before the check
    produced (import, compile, a lost child) describes `case`, the code that failed."""

    index: int
    case: KernelCase
    oracle_case: KernelCase

    @property
    def kernel_name(self) -> str:
        return self.case.kernel_name


CaseHook = Callable[[KernelCase], None]
LaunchHook = Callable[[KernelCase, str], None]
# called with a launch's outputs (by array name), which it may change: tests plant differences
AfterLaunchHook = Callable[[KernelCase, str, dict[str, np.ndarray]], None]


@dataclass
class _Baseline:
    """What a swept point's launches reuse of a case's baseline check: the same inputs, the
    oracle's result, the outputs per device and the element axes per array."""

    inputs: dict[str, Any]
    oracle: Any
    observed: dict[str, dict[str, np.ndarray]]
    elem: dict[str, int]


@dataclass
class _PointOutcome:
    """One case under one swept point: the decision (None: agrees) and the checks behind it."""

    point: str
    decision: J.Decision | None
    checks: list[dict[str, Any]]


def by_block_dim(jobs: list[_Job]) -> list[list[_Job]]:
    """`jobs` split into one group per launch block_dim (untiled cases first), each built as its
    own module. A CUDA launch whose block_dim differs from the module's compiles the whole module
    again at launch time (`Module.load(device, block_dim)`): a 1.19.0 CPU+CUDA campaign with the
    tile family on spent 967 s of launch:cuda on 799 kernels that way, and a code generation
    error in that launch-time build failed the launches of every tiled kernel of the module."""
    groups: dict[int | None, list[_Job]] = {}
    for j in jobs:
        groups.setdefault(j.case.block_dim, []).append(j)
    return [groups[k] for k in sorted(groups, key=lambda b: -1 if b is None else b)]


class BatchRunner:
    """Compiles and checks cases; keeps Warp initialised between calls of `run`.

    Warp starts here, with its kernel cache under `work_dir` (callers may build modules of their
    own in between, as `check` does); with `start_warp=False` it starts on the first in-process
    run, so a runner that only runs child processes never initialises it. `child_timeout_s`: how
    long a child may stay silent on one case."""

    def __init__(
        self,
        settings: WorkerSettings,
        work_dir: str,
        tag: str = "w",
        child_timeout_s: float = 60.0,
        *,
        start_warp: bool = True,
    ) -> None:
        self.settings = settings
        self.work_dir = work_dir
        self.tag = tag
        self.child_timeout_s = child_timeout_s
        # called before each case is checked / before each device launch (worker plugins use them)
        self.before_case: list[CaseHook] = []
        self.before_launch: list[LaunchHook] = []
        self.after_launch: list[AfterLaunchHook] = []
        self.sweep_point: str | None = None  # the swept point being launched (None: the baseline)
        self._sweep: list[SW.ActivePoint] = []
        self._baselines: dict[str, _Baseline] = {}
        os.makedirs(work_dir, exist_ok=True)
        self._counter = itertools.count()
        self._started = False
        self._registry: Any = None
        self._module_options: dict[str, Any] = {}
        # oracle results computed before the run (a reducer screens its candidates with the
        # oracle), by `case.dumps()`: a case found here is not interpreted a second time
        self.oracle_memo: dict[str, Any] = {}
        for spec in settings.worker_plugins:
            try:
                plugin, arg = _load_spec(spec)
            except (ImportError, AttributeError) as e:
                raise ValueError(
                    f"worker plugin {spec!r} cannot be loaded ({type(e).__name__}: {e}): is its module on "
                    "the path? (tests.support plugins need the repository root: `python -m pytest` from it)"
                ) from e
            if arg is None:
                plugin(self)
            else:
                plugin(self, arg)
        if start_warp:
            self._start()

    def _start(self) -> None:
        if self._started:
            return
        import warp as wp

        from fuzz.engine import warpcompat

        warpcompat.quiet()
        wp.config.kernel_cache_dir = os.path.join(self.work_dir, "kernel-cache")
        wp.init()
        self._registry = load_registry(self.settings.registry_factory)
        s = self.settings
        self._module_options = {"enable_backward": s.enable_backward}
        self._module_options.update(warpcompat.cpu_opt_level_options(s.cpu_opt_level, s.compiles_cuda))
        if s.sweep:
            opts = self._module_options
            # the CPU -O level the baseline applies (as optimization_level or in the CPU flags)
            level = s.cpu_opt_level if {"optimization_level", "cpu_compiler_flags"} & set(opts) else None
            self._sweep, notes = SW.select(s.sweep, s.devices, s.cuda_arch, opts, level)
            for line in notes:
                print(f"note: {line}", file=sys.stderr)
        self._started = True

    @property
    def module_options(self) -> dict[str, Any]:
        """The Warp module options every module of this runner is built with."""
        self._start()
        return dict(self._module_options)

    @property
    def sweep(self) -> list[SW.ActivePoint]:
        """The swept points this runner checks on the installed Warp (those it lacks dropped)."""
        self._start()
        return list(self._sweep)

    @property
    def registry(self) -> Any:
        """The oracle registry cases are judged with (None: the default one)."""
        self._start()
        return self._registry

    # ---- the public entry point ----------------------------------------------------------
    def run(
        self,
        cases: Sequence[KernelCase],
        isolation: Isolation = Isolation.BATCH,
        *,
        oracle_cases: Sequence[KernelCase] | None = None,
        stop: Callable[[CaseResult], bool] | None = None,
    ) -> tuple[list[CaseResult], dict[str, float]]:
        """Results of `cases` in their order, and the seconds spent per stage.

        oracle_cases: per case, the case the oracle reads and the result describes (same kernel
        name and parameters; default: the case itself). stop: with `Isolation.CHILD`, once a
        result satisfies it the remaining cases are not run (`inconclusive`); in-process modes
        judge a whole module at once and ignore it."""
        if oracle_cases is not None and len(oracle_cases) != len(cases):
            raise ValueError(f"{len(cases)} cases but {len(oracle_cases)} oracle cases")
        jobs = [_Job(i, c, c if oracle_cases is None else oracle_cases[i]) for i, c in enumerate(cases)]
        if isolation is Isolation.CHILD:
            return self._in_children(jobs, stop), {}
        if isolation is Isolation.HALVES:
            names = [c.kernel_name for c in cases]
            if len(set(names)) != len(names):
                raise ValueError(f"cases of one module need unique kernel names, got {names}")
        self._start()
        stats = Stats()
        results: list[CaseResult | None] = [None] * len(jobs)
        for group in by_block_dim(jobs):
            if isolation is Isolation.BATCH:
                self._batch(group, results, stats)
            else:
                self._halves(group, results, stats)
        if self._sweep and not self.settings.compile_only:
            self._sweep_all(jobs, results, stats)
        self._baselines = {}
        missing = [j.index for j, r in zip(jobs, results, strict=True) if r is None]
        if missing:
            raise AssertionError(f"runner {self.tag}: cases {missing} got no result")  # a bug here
        return [r for r in results if r is not None], dict(stats.seconds)

    # ---- module handling -------------------------------------------------------------
    def _options(self, jobs: Sequence[_Job]) -> dict[str, Any]:
        """The module options for `jobs` (one block_dim group): a tiled group's module is built
        for its block_dim, so its CUDA launches use the variant compiled with the module."""
        bd = jobs[0].case.block_dim if jobs else None
        return self._module_options if bd is None else {**self._module_options, "block_dim": bd}

    def _build(self, jobs: Sequence[_Job]) -> WarpModule:
        name = f"wf_{self.tag}_{os.getpid()}_{next(self._counter)}"
        return WarpModule.build([j.case.source for j in jobs], name, self.work_dir, self._options(jobs))

    def _compile(self, mod: WarpModule, stats: Stats) -> dict[str, str | None]:
        return mod.compile_all(self.settings.devices, self.settings.cuda_arch, stats.add)

    # ---- Isolation.BATCH ---------------------------------------------------------------
    def _batch(self, jobs: list[_Job], results: list[CaseResult | None], stats: Stats) -> None:
        isolate = False
        bad: _Job | None = None
        try:
            with self._build(jobs) as mod:
                try:
                    sources = self._compile(mod, stats)
                    self._check_all(mod, jobs, sources, results, stats)
                except DevicePoisoned:
                    raise  # nothing more can run in this process
                except CompileFailure as e:
                    bad = culprit(jobs, e) if len(jobs) > 1 else None
                    isolate = True
                except Exception:
                    isolate = True  # rebuild each case on its own
        except DevicePoisoned:
            raise
        except Exception:
            isolate = True
        if bad is not None and all(results[j.index] is None for j in jobs):
            # code generation named the kernel it failed on: that one alone, the rest as a batch
            results[bad.index] = self._run_single(bad, stats)
            self._batch([j for j in jobs if j is not bad], results, stats)
            return
        if isolate or any(results[j.index] is None for j in jobs):
            for job in jobs:
                if results[job.index] is None:
                    results[job.index] = self._run_single(job, stats)

    def _run_single(self, job: _Job, stats: Stats) -> CaseResult:
        case = job.case
        try:
            mod = self._build([job])
        except Exception as e:
            return _failed(case, Verdict.COMPILE_ERROR, Stage.IMPORT, e)
        one: list[CaseResult | None] = [None]
        try:
            sources = self._compile(mod, stats)
            self._check_all(mod, [_Job(0, job.case, job.oracle_case)], sources, one, stats)
        except CompileFailure as e:
            return _failed(case, Verdict.COMPILE_ERROR, Where(Stage.COMPILE, e.device), e)
        except DevicePoisoned:
            raise
        except Exception as e:
            return _failed(case, Verdict.INTERNAL_ERROR, Stage.WORKER, e)
        finally:
            mod.discard()
        assert one[0] is not None
        return one[0]

    # ---- Isolation.HALVES --------------------------------------------------------------
    def _halves(self, jobs: list[_Job], results: list[CaseResult | None], stats: Stats) -> None:
        try:
            mod = self._build(jobs)
        except Exception as e:
            if len(jobs) == 1:
                results[jobs[0].index] = _failed(jobs[0].case, Verdict.COMPILE_ERROR, Stage.IMPORT, e)
            else:
                self._split(jobs, results, stats)
            return
        try:
            try:
                sources = self._compile(mod, stats)
            except CompileFailure as e:
                if len(jobs) == 1:
                    where = Where(Stage.COMPILE, e.device)
                    results[jobs[0].index] = _failed(jobs[0].case, Verdict.COMPILE_ERROR, where, e)
                    return
                mod.discard()  # before the halves build theirs
                bad = culprit(jobs, e)
                if bad is not None:  # named by code generation: it alone, the rest together
                    self._halves([bad], results, stats)
                    self._halves([j for j in jobs if j is not bad], results, stats)
                else:
                    self._split(jobs, results, stats)
                return
            except Exception as e:  # not Warp refusing the code: warpfuzz or the machine
                for j in jobs:
                    results[j.index] = _failed(j.case, Verdict.INTERNAL_ERROR, Stage.WORKER, e)
                return
            try:
                self._check_all(mod, jobs, sources, results, stats)
            except Exception as e:  # e.g. DevicePoisoned: this process can judge no more
                for j in jobs:
                    if results[j.index] is None:
                        results[j.index] = _failed(j.case, Verdict.CRASH, Stage.WORKER, e)
        finally:
            mod.discard()

    def _split(self, jobs: list[_Job], results: list[CaseResult | None], stats: Stats) -> None:
        half = len(jobs) // 2
        self._halves(jobs[:half], results, stats)
        self._halves(jobs[half:], results, stats)

    # ---- Isolation.CHILD ---------------------------------------------------------------
    def _in_children(self, jobs: list[_Job], stop: Callable[[CaseResult], bool] | None) -> list[CaseResult]:
        out: list[CaseResult] = []
        while len(out) < len(jobs):
            out += self._child(jobs[len(out) :])
            if stop is not None and any(stop(r) for r in out):
                out += [
                    CaseResult.from_case(
                        j.case, Verdict.INCONCLUSIVE, Stage.WORKER,
                        message="not run: an earlier candidate settled it",
                    )
                    for j in jobs[len(out) :]
                ]  # fmt: skip
        return out

    def _child(self, jobs: list[_Job]) -> list[CaseResult]:
        """Results of a prefix of `jobs` (at least one: the last may be a crash or timeout).

        The child appends one result line per finished case; when it dies or stays silent past
        `child_timeout_s`, the case it was on gets a `crash` / `timeout` result and the caller
        starts a fresh child for the rest (Warp start-up is paid per crash, not per case)."""
        with tempfile.TemporaryDirectory(dir=self.work_dir) as tmp:
            src = os.path.join(tmp, "in.pickle")
            dst = os.path.join(tmp, "out.jsonl")
            pairs = [(j.case.to_json(), j.oracle_case.to_json()) for j in jobs]
            with open(src, "wb") as f:
                pickle.dump((self.settings, os.path.join(self.work_dir, "child"), pairs), f)
            env = dict(os.environ)
            # the repository root, so the child imports this checkout (and any plugin module in it)
            root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
            env["PYTHONPATH"] = os.pathsep.join(p for p in [root, env.get("PYTHONPATH", "")] if p)
            proc = subprocess.Popen(
                [sys.executable, "-m", CHILD_MODULE, src, dst],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=env,
                start_new_session=True,
            )
            done: list[CaseResult] = []
            # Warp start-up counts toward the first case's deadline
            deadline = time.monotonic() + self.child_timeout_s + 60.0
            lost: tuple[Verdict, str] | None = None
            while True:
                rc = proc.poll()
                lines = _read_lines(dst)
                if len(lines) > len(done):
                    done += [CaseResult.from_json(json.loads(x)) for x in lines[len(done) :]]
                    deadline = time.monotonic() + self.child_timeout_s
                if len(done) == len(jobs):
                    break
                if rc is not None:
                    lost = (Verdict.CRASH, f"worker exited with status {rc}")
                    break
                if time.monotonic() > deadline:
                    lost = (Verdict.TIMEOUT, f"no answer within {self.child_timeout_s:.0f} s")
                    break
                time.sleep(0.1)
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            if lost is not None:
                verdict, detail = lost
                done.append(CaseResult.from_case(jobs[len(done)].case, verdict, Stage.WORKER, message=detail))
            return done

    # ---- checking a compiled module ------------------------------------------------------
    def _check_all(
        self,
        mod: WarpModule,
        jobs: Sequence[_Job],
        sources: dict[str, str | None],
        results: list[CaseResult | None],
        stats: Stats,
    ) -> None:
        t = time.perf_counter()
        names = [j.kernel_name for j in jobs]
        cuts = {dev: cut_kernels(src, names) for dev, src in sources.items() if src}
        stats.add("codecut", time.perf_counter() - t)
        for job in jobs:
            if self.settings.compile_only:  # the compile floor of `bench`: nothing after the compile
                results[job.index] = CaseResult.from_case(job.case, Verdict.COMPILED)
                continue
            code: dict[str, str | None] = {}
            for dev, cut in cuts.items():
                lang = "cpp" if dev == "cpu" else "cuda"
                code[f"{lang}_forward"] = cut[job.kernel_name].forward
                code[f"{lang}_backward"] = cut[job.kernel_name].backward
            t = time.perf_counter()
            result = self._check_one(mod, job, code, stats)
            result.check_s = round(time.perf_counter() - t, 6)
            results[job.index] = result

    def _check_one(self, mod: WarpModule, job: _Job, code: dict[str, str | None], stats: Stats) -> CaseResult:
        """Inputs, the oracle, a launch per device, then the judge's verdict on the outputs."""
        import grammar
        import oracle
        from fuzz.engine.launch import launch

        for hook in self.before_case:
            hook(job.case)
        case = job.oracle_case  # what the inputs, the oracle and the result are about
        settings = self.settings
        try:
            t = time.perf_counter()
            inputs = grammar.make_inputs(case)
            stats.add("inputs", time.perf_counter() - t)
        except Exception as e:
            return _failed(case, Verdict.INTERNAL_ERROR, Stage.INPUTS, e, code=code)
        t = time.perf_counter()
        try:
            orc = self.oracle_memo.pop(case.dumps(), None) if self.oracle_memo else None
            if orc is None:
                orc = oracle.evaluate(
                    case.module_source(), case.kernel_name, inputs, case.dim, registry=self._registry
                )
        except oracle.Unsupported as e:
            return _failed(case, Verdict.ORACLE_UNSUPPORTED, Stage.ORACLE, e, code=code)
        except oracle.UndefinedBehavior as e:
            return _failed(case, Verdict.INVALID_KERNEL, Stage.ORACLE, e, code=code)
        except Exception as e:
            return _failed(case, Verdict.INTERNAL_ERROR, Stage.ORACLE, e, code=code)
        finally:
            stats.add("oracle", time.perf_counter() - t)
        kernel = mod.kernel(job.kernel_name)
        elem = {p.name: elem_ndim(p.dtype) for p in case.params if p.kind == "array"}
        observed: dict[str, dict[str, np.ndarray]] = {}
        for dev in settings.devices:
            t = time.perf_counter()
            try:
                for launch_hook in self.before_launch:
                    launch_hook(job.case, dev)
                observed[dev] = launch(kernel, inputs, case.dim, dev, case.block_dim)
                for after in self.after_launch:
                    after(job.case, dev, observed[dev])
            except Exception as e:
                if _is_cuda_fault(dev, e):
                    raise DevicePoisoned(f"{dev}: {short_error(e)}") from e
                return _failed(case, Verdict.LAUNCH_ERROR, Where(Stage.LAUNCH, dev), e, code=code)
            finally:
                stats.add(f"launch:{device_kind(dev)}", time.perf_counter() - t)
        if self._sweep:
            self._baselines[job.kernel_name] = _Baseline(inputs, orc, observed, elem)
        t = time.perf_counter()
        judged = J.judge_case(observed, orc, elem, settings.policy)
        stats.add("judge", time.perf_counter() - t)
        decision = judged.decision
        grads: list[Any] = []
        if (
            decision.verdict == Verdict.VERIFIED
            and settings.gradients
            and settings.enable_backward
            and case.block_dim is None
        ):
            # (tiled cases: the gradient check launches untiled, and Warp 1.19's tile_max/min/
            # reduce/scan*/arange adjoints are MISSINGADJOINT stubs in warp/native/tile*.h)
            from fuzz.engine.gradients import check_all_devices

            t = time.perf_counter()
            grads = check_all_devices(kernel, case, inputs, settings.devices, orc, self._registry)
            stats.add("gradient", time.perf_counter() - t)
            decision = J.judge_gradients(grads)
        return CaseResult.from_case(
            case,
            decision.verdict,
            decision.stage,
            decision.device,
            decision.message,
            checks=[c.to_json() for c in judged.checks],
            code=code,
            unstable_fraction=judged.unstable_fraction,
            oracle_ops=int(getattr(orc, "ops", 0)),
            gradient_check=[g.to_json() for g in grads],
        )

    # ---- the settings sweep -------------------------------------------------------------
    def _sweep_all(self, jobs: Sequence[_Job], results: list[CaseResult | None], stats: Stats) -> None:
        """Every swept point over the verified cases of this call; a case that differs under some
        point becomes a setting_mismatch blaming the first such point (the others' outcome on
        the message's last line). A baseline failure stays what it is."""
        todo = [
            j
            for j in jobs
            if (r := results[j.index]) is not None
            and r.verdict == Verdict.VERIFIED
            and j.kernel_name in self._baselines
        ]
        if not todo:
            return
        outcomes: dict[int, list[_PointOutcome]] = defaultdict(list)
        for ap in self._sweep:
            with SW.config_flags(ap.point):
                for group in by_block_dim(todo):
                    self._sweep_group(ap, group, outcomes, stats)
        for job in todo:
            found = outcomes.get(job.index, [])
            blamed = next((o for o in found if o.decision is not None), None)
            old = results[job.index]
            if blamed is None or blamed.decision is None or old is None:
                continue
            d = blamed.decision
            others = ", ".join(
                f"{o.point} {'agrees' if o.decision is None else 'differs'}" for o in found if o is not blamed
            )
            where = Where(d.stage, d.device) if d.stage in (Stage.COMPILE, Stage.LAUNCH) else Where(d.stage)
            results[job.index] = replace(
                old,
                verdict=str(Verdict.SETTING_MISMATCH),
                stage=where.text,
                device=d.device,
                message=d.message + (f"\nother swept points: {others}" if others else ""),
                checks=old.checks + blamed.checks,
            )

    def _sweep_group(
        self, ap: SW.ActivePoint, jobs: list[_Job], outcomes: dict[int, list[_PointOutcome]], stats: Stats
    ) -> None:
        """`jobs` under one point as one module; a module that fails to build is split (the
        culprit code generation names alone, else case by case), so a compile error only the
        point has is blamed on its own case."""
        opts = ap.point.build_options(self._options(jobs))
        name = f"wf_{self.tag}_{os.getpid()}_{next(self._counter)}"
        try:
            mod = WarpModule.build([j.case.source for j in jobs], name, self.work_dir, opts)
        except Exception as e:  # the baseline imported the same text: the point's options refused
            for j in jobs:
                outcomes[j.index].append(self._point_error(ap, Stage.IMPORT, "", e))
            return
        try:
            try:
                self._compile_point(mod, ap, stats)
            except CompileFailure as e:
                if len(jobs) == 1:
                    outcomes[jobs[0].index].append(self._point_error(ap, Stage.COMPILE, e.device, e))
                    return
                mod.discard()
                bad = culprit(jobs, e)
                groups = (
                    [[bad], [j for j in jobs if j is not bad]] if bad is not None else [[j] for j in jobs]
                )
                for group in groups:
                    self._sweep_group(ap, group, outcomes, stats)
                return
            for job in jobs:
                outcomes[job.index].append(self._sweep_case(mod, ap, job, stats))
        finally:
            mod.discard()

    def _compile_point(self, mod: WarpModule, ap: SW.ActivePoint, stats: Stats) -> None:
        def timing(stage: str, dt: float) -> None:
            stats.add(f"sweep:{stage}", dt)

        if ap.devices:
            mod.compile_all(ap.devices, self.settings.cuda_arch if ap.cuda_aot else None, timing)
        elif ap.cuda_aot and self.settings.cuda_arch:
            t = time.perf_counter()
            try:
                mod.compile_cuda_aot(self.settings.cuda_arch)
            finally:
                timing("compile:cuda-aot", time.perf_counter() - t)

    def _point_error(self, ap: SW.ActivePoint, stage: Stage, device: str, e: BaseException) -> _PointOutcome:
        what = {Stage.IMPORT: "import", Stage.COMPILE: "compile", Stage.LAUNCH: "launch"}[stage]
        on = device or "every device"
        msg = f"{ap.text} on {on}: {what} error only under this setting: {short_error(e)}"
        return _PointOutcome(ap.text, J.Decision(Verdict.SETTING_MISMATCH, stage, device, msg), [])

    def _sweep_case(self, mod: WarpModule, ap: SW.ActivePoint, job: _Job, stats: Stats) -> _PointOutcome:
        """One case under one point: launches with the baseline's inputs, then the judge."""
        from fuzz.engine.launch import launch

        base = self._baselines[job.kernel_name]
        case = job.oracle_case
        kernel = mod.kernel(job.kernel_name)
        swept: dict[str, dict[str, np.ndarray]] = {}
        self.sweep_point = ap.text
        try:
            for dev in ap.devices:
                t = time.perf_counter()
                try:
                    for launch_hook in self.before_launch:
                        launch_hook(job.case, dev)
                    swept[dev] = launch(kernel, base.inputs, case.dim, dev, case.block_dim)
                    for after in self.after_launch:
                        after(job.case, dev, swept[dev])
                except Exception as e:
                    if _is_cuda_fault(dev, e):
                        raise DevicePoisoned(f"{dev} under {ap.text}: {short_error(e)}") from e
                    return self._point_error(ap, Stage.LAUNCH, dev, e)
                finally:
                    stats.add(f"sweep:launch:{device_kind(dev)}", time.perf_counter() - t)
        finally:
            self.sweep_point = None
        if not swept:  # compiled ahead of time only (no CUDA device): its build was the check
            return _PointOutcome(ap.text, None, [])
        t = time.perf_counter()
        judged = J.judge_setting(
            ap.text, ap.point.tolerance, base.observed, swept, base.oracle, base.elem, self.settings.policy
        )
        stats.add("sweep:judge", time.perf_counter() - t)
        return _PointOutcome(ap.text, judged.decision, [c.to_json() for c in judged.checks])


def _read_lines(path: str) -> list[str]:
    """Complete lines written so far (a line is complete once its newline is there)."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        return []
    return text.split("\n")[:-1]
