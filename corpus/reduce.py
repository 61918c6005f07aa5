"""Test-case reduction: shrink a failing case while its failure signature survives.

The C-Reduce/cvise design: passes (`corpus.passes`) propose candidate edits of the libcst tree,
and one generic loop keeps a candidate when (1) it is strictly smaller (`passes.size`), (2) the
oracle finds no undefined behaviour in it, and (3) compiled and judged like any campaign case, it
fails with the same signature (`signature.same_failure`: same stage, devices, verdict and kind,
constructs only removed). Candidates are compiled many per Warp module (compile cost dominates);
crash and timeout cases run each candidate in a child process.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from corpus.candidates import CandidateRunner, Runner, SubprocessRunner, rename
from corpus.device_subset import restrict_signature
from corpus.folder import CASE, CorpusFolder, settings_from_meta
from corpus.folder_check import source_problems
from corpus.passes import PASSES, Candidate, Pass, size, statement_count
from corpus.save import write_folder
from fuzz.engine.result import CaseResult
from fuzz.engine.runner import load_registry
from fuzz.engine.settings import WorkerSettings
from fuzz.engine.signature import Signature, same_failure, signature_of, with_cause
from fuzz.engine.verdict import Stage, Verdict, Where
from grammar.case import KernelCase
from grammar.native_output import stderr_to


class ReduceError(RuntimeError):
    """The case cannot be reduced (it does not reproduce, or the folder lacks its case)."""


class DoesNotReproduce(ReduceError):
    """The case, run again alone, does not fail with its recorded signature."""


class UnusableFolder(ReduceError):
    """The folder is damaged or its kernel source was refused: nothing of it was imported."""


TEMP_PREFIX = "warpfuzz-reduce-"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale_work_dirs(tmp: str | None = None) -> list[str]:
    """Remove the temporary work folders of reductions whose process is gone (killed or crashed
    in native code, where no `finally` runs); their names carry the owner's pid."""
    root = tmp or tempfile.gettempdir()
    removed = []
    with contextlib.suppress(OSError):
        for name in os.listdir(root):
            if not name.startswith(TEMP_PREFIX):
                continue
            pid = name[len(TEMP_PREFIX) :].split("-", 1)[0]
            if pid.isdigit() and not _pid_alive(int(pid)):
                shutil.rmtree(os.path.join(root, name), ignore_errors=True)
                removed.append(name)
    return removed


@dataclass
class Reduction:
    """Outcome of one reduction."""

    case: KernelCase
    result: CaseResult
    signature: Signature
    statements_before: int
    statements_after: int
    tested: int = 0
    rejected_early: int = 0
    accepted: int = 0
    batches: int = 0
    seconds: float = 0.0
    log: list[str] = field(default_factory=list)
    settings: WorkerSettings | None = None  # what the candidates were judged with

    def to_json(self) -> dict[str, Any]:
        return {
            "statements_before": self.statements_before,
            "statements_after": self.statements_after,
            "tested": self.tested,
            "rejected_early": self.rejected_early,
            "accepted": self.accepted,
            "batches": self.batches,
            "seconds": round(self.seconds, 2),
            "steps": self.log,
        }


def _key(case: KernelCase) -> str:
    return case.dumps()


class ReduceMode(StrEnum):
    """How a failure's candidates must run, which decides what may share a Warp module with them.

    JUDGED: a forward failure, compiled and judged in this process; candidates of several
    reductions share one module per round (the per-module compile cost is paid once for all of
    them), built without backward code, which a forward verdict never reads.
    GRADIENT: a gradient failure; shared modules as JUDGED, with the backward code.
    COMPILE: the failure is Warp refusing the code; most candidates fail to build, which splits
    a shared module, so each such reduction runs alone.
    ISOLATED: crash or timeout; every candidate runs in a child process, one reduction at a time.
    """

    JUDGED = "judged"
    GRADIENT = "gradient"
    COMPILE = "compile"
    ISOLATED = "isolated"


def reduce_mode(sig: Signature) -> ReduceMode:
    if sig.verdict in (Verdict.CRASH, Verdict.TIMEOUT):
        return ReduceMode.ISOLATED
    if Where.parse(sig.stage).stage in (Stage.IMPORT, Stage.COMPILE) or sig.verdict == Verdict.COMPILE_ERROR:
        return ReduceMode.COMPILE
    if Where.parse(sig.stage).stage is Stage.GRADIENT or sig.verdict == Verdict.GRADIENT_MISMATCH:
        return ReduceMode.GRADIENT
    return ReduceMode.JUDGED


SHARED_MODES = frozenset({ReduceMode.JUDGED, ReduceMode.GRADIENT})


def judging_settings(mode: ReduceMode, settings: WorkerSettings) -> WorkerSettings:
    """The settings candidates of `mode` are judged with: the campaign's, without backward code
    for a forward failure (half the compile work; its verdict never reads the adjoint)."""
    if mode is ReduceMode.JUDGED and settings.enable_backward:
        return replace(settings, enable_backward=False)
    return settings


SCREEN_WHILE_ITERATIONS = 2_000
# the operator the `canonical` pass writes; a candidate may hold it where the case did not
CANONICAL_OPERATOR = "Add"

# a reduction as a coroutine: it yields candidate batches and is sent their results, in order
Steps = Generator[list[KernelCase], list[CaseResult], Reduction]


class _Reducer:
    def __init__(
        self,
        target: Signature,
        settings: WorkerSettings,
        batch: int,
        deadline: float,
        say: Callable[[str], None],
        tag: str = "c",
        min_grow: int = 1,
    ) -> None:
        self.target = target
        self.settings = settings
        self.batch = max(1, batch)
        self.min_grow = max(1, min(min_grow, self.batch))
        self.grow = self.min_grow
        self.deadline = deadline
        self.say = say
        self.tag = tag
        self.registry = load_registry(settings.registry_factory)
        self.names = itertools.count()
        self.seen: set[str] = set()
        self.tested = self.rejected_early = self.batches = 0
        # the runner's oracle memo (in-process runners): a candidate's screening result is
        # handed on under its new name instead of being interpreted again
        self.memo: dict[str, Any] | None = None
        self.screened: dict[str, Any] = {}
        self.while_cap: int | None = None  # the oracle's default, until `steps` screens the case
        # the oracle reached the original case: a candidate it cannot interpret fails differently
        self.needs_oracle = Where.parse(target.stage).stage not in (
            Stage.IMPORT,
            Stage.COMPILE,
            Stage.ORACLE,
        )

    def named(self, cases: list[KernelCase]) -> list[KernelCase]:
        """The batch under unique kernel names (candidates of one case share its name)."""
        self.batches += 1
        self.tested += len(cases)
        base = cases[0].kernel_name
        named = [rename(c, f"{base}_{self.tag}{next(self.names)}") for c in cases]
        for c, n in zip(cases, named, strict=True):
            orc = self.screened.pop(_key(c), None)
            if orc is not None and self.memo is not None:
                self.memo[n.dumps()] = orc
        self.screened.clear()
        return named

    def keeps(self, res: CaseResult) -> bool:
        return same_failure(self.target, signature_of(res))

    def admissible(self, cand: KernelCase, current_size: tuple[int, ...]) -> bool:
        """Cheap checks before compiling: smaller, parses, inputs build, oracle finds no UB."""
        import grammar
        import oracle

        key = _key(cand)
        if key in self.seen:
            return False
        self.seen.add(key)
        if size(cand) >= current_size:
            return False
        src = cand.module_source()
        try:
            # outside the corpus allow-list (`k_C = wp.float64(0.125)` cut from `wp.constant(...)`)
            # the reduced folder would be refused by every reader; a syntax error is a problem too
            refused = source_problems(src, CASE)
            inputs = grammar.make_inputs(cand)
        except Exception:
            refused = ["inputs"]
        if refused:
            self.rejected_early += 1
            return False
        if self.target.verdict == Verdict.INVALID_KERNEL:
            return True  # the undefined behaviour is the failure being reduced
        try:
            cap = {} if self.while_cap is None else {"max_while_iterations": self.while_cap}
            orc = oracle.evaluate(src, cand.kernel_name, inputs, cand.dim, registry=self.registry, **cap)
            if self.memo is not None:
                self.screened[key] = orc
        except oracle.UndefinedBehavior:
            self.rejected_early += 1
            return False
        except Exception:
            if self.needs_oracle:
                self.rejected_early += 1
                return False
        return True

    def one_pass(
        self, current: KernelCase, proposals: Iterator[Candidate]
    ) -> Generator[list[KernelCase], list[CaseResult], tuple[Candidate, CaseResult] | None]:
        """Test proposals batch by batch; return the first (biggest cut) that keeps the failure.

        The batch grows (1, 2, 4, ... up to `batch`) while candidates keep being rejected and
        falls back to `min_grow` (1 alone) after a keep: when most cuts succeed (early
        deletions) the candidates after the first kept one are wasted compiles; when most fail
        (literals) one module per many candidates saves the per-module compile cost. Reductions
        sharing modules start wider: the module's cost is paid anyway, and a round saved is
        saved for all of them."""
        cur_size = size(current)
        pending: list[Candidate] = []
        exhausted = False
        while not exhausted and time.monotonic() < self.deadline:
            pending.clear()
            for cand in proposals:
                if self.admissible(cand.case, cur_size):
                    pending.append(cand)
                    if len(pending) >= self.grow:
                        break
            else:
                exhausted = True
            if not pending:
                break
            results = yield self.named([c.case for c in pending])
            for cand, res in zip(pending, results, strict=True):
                if self.keeps(res):
                    self.grow = self.min_grow
                    return cand, res
            self.grow = min(self.batch, self.grow * 2)
        return None

    def screening_cap(self, case: KernelCase) -> int | None:
        """`SCREEN_WHILE_ITERATIONS` unless the case's own while loops run longer (then None:
        the oracle's default). A cut that deletes a loop's increment makes a loop that never
        ends; the oracle would run it to its default cap of 100,000 iterations (seconds per
        candidate) before refusing it."""
        import grammar
        import oracle

        try:
            inputs = grammar.make_inputs(case)
            oracle.evaluate(
                case.module_source(), case.kernel_name, inputs, case.dim, registry=self.registry,
                max_while_iterations=SCREEN_WHILE_ITERATIONS,
            )  # fmt: skip
        except oracle.Unsupported as e:
            return None if "no termination" in str(e) else SCREEN_WHILE_ITERATIONS
        except Exception:
            return SCREEN_WHILE_ITERATIONS
        return SCREEN_WHILE_ITERATIONS

    def steps(self, case: KernelCase, passes: tuple[tuple[str, Pass], ...]) -> Steps:
        """The whole reduction of `case`: reproduce it, run the passes to a fixpoint (or the
        deadline), judge the result once more under the case's own name."""
        self.while_cap = self.screening_cap(case)
        first = (yield self.named([case]))[0]
        got = signature_of(first)
        if not same_failure(self.target, got):
            raise DoesNotReproduce(
                f"seed {case.seed} ({case.kernel_name}): does not reproduce; expected {self.target.key()!r}, "
                f"got {got.key()!r}. The failure may be flaky or depend on other kernels of its batch."
            )
        self.target = with_cause(self.target, got)  # keep the cause from here on
        if CANONICAL_OPERATOR not in self.target.constructs:  # `canonical` may write `+`
            self.target = replace(self.target, constructs=(*self.target.constructs, CANONICAL_OPERATOR))
        out = Reduction(case, first, got, statement_count(case), statement_count(case))
        current, best = case, first
        progress = True
        while progress and time.monotonic() < self.deadline:
            progress = False
            for name, p in passes:
                while time.monotonic() < self.deadline:
                    found = yield from self.one_pass(current, p(current))
                    if found is None:
                        break
                    cand, res = found
                    current, best = cand.case, res
                    out.accepted += 1
                    progress = True
                    line = f"{name}: {cand.what} -> {statement_count(current)} statements"
                    out.log.append(line)
                    self.say(line)
        # the reduced case under its own name, judged once more from scratch
        final = rename(current, case.kernel_name)
        self.batches += 1
        self.tested += 1
        again = (yield [final])[0]
        if self.keeps(again):
            best = again
        best = replace(best, case=final.to_json(), kernel_name=final.kernel_name)
        out.case = final
        out.result = best
        out.signature = signature_of(best)
        out.statements_after = statement_count(final)
        out.tested, out.rejected_early, out.batches = self.tested, self.rejected_early, self.batches
        return out


def drive(
    steps: list[Steps], runner: Runner, stop: Callable[[CaseResult], bool] | None = None
) -> list[Reduction | ReduceError]:
    """Run reductions side by side: each round, the batches every live reduction asks for are
    compiled together as one Warp module and each gets its own results back. `stop` (one
    reduction only) lets a child-process runner skip the rest of a batch once one keeps the
    failure."""
    out: list[Reduction | ReduceError | None] = [None] * len(steps)
    asks: dict[int, list[KernelCase]] = {}

    def advance(i: int, results: list[CaseResult] | None) -> None:
        try:
            asks[i] = next(steps[i]) if results is None else steps[i].send(results)
        except StopIteration as done:
            out[i] = done.value
            asks.pop(i, None)
        except ReduceError as e:
            out[i] = e
            asks.pop(i, None)

    for i in range(len(steps)):
        advance(i, None)
    while asks:
        order = list(asks)
        cases = [c for i in order for c in asks[i]]
        results = runner.run_candidates(cases, stop=stop if len(steps) == 1 else None)
        at = 0
        for i in order:
            n = len(asks[i])
            advance(i, results[at : at + n])
            at += n
    return [r for r in out if r is not None]


def _runner_for(settings: WorkerSettings, wdir: str, isolate: bool, timeout_s: float) -> Runner:
    if isolate:
        return SubprocessRunner(settings, wdir, timeout_s=timeout_s)
    return CandidateRunner(settings, wdir, tag="red")


@contextlib.contextmanager
def _work_dir(work_dir: str | None) -> Iterator[str]:
    if work_dir is not None:
        yield work_dir
        return
    sweep_stale_work_dirs()
    wdir = tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-")
    try:
        yield wdir
    finally:
        shutil.rmtree(wdir, ignore_errors=True)


def reduce_case(
    case: KernelCase,
    target: Signature | CaseResult,
    settings: WorkerSettings,
    *,
    work_dir: str | None = None,
    budget_s: float = 300.0,
    batch: int = 8,
    isolate: bool | None = None,
    timeout_s: float = 60.0,
    passes: tuple[tuple[str, Pass], ...] = PASSES,
    log: Callable[[str], None] | None = None,
    exact_settings: bool = False,
) -> Reduction:
    """Shrink `case` while it keeps failing with `target`'s signature.

    settings: devices, tolerance and oracle registry to judge candidates with (the campaign's;
    `judging_settings` drops the backward code of a forward failure unless `exact_settings`).
    isolate: run candidates in child processes (default: for crash and timeout cases).
    Raises ReduceError if the case does not reproduce its signature to begin with.
    """
    sig = target if isinstance(target, Signature) else signature_of(target)
    start = time.monotonic()
    mode = reduce_mode(sig)
    if isolate is None:
        isolate = mode is ReduceMode.ISOLATED
    if not exact_settings:
        settings = judging_settings(mode, settings)
    red = _Reducer(sig, settings, batch, start + budget_s, log or (lambda s: None))
    with _work_dir(work_dir) as wdir:
        runner = _runner_for(settings, wdir, isolate, timeout_s)
        red.memo = getattr(runner, "oracle_memo", None)
        # candidates compiled in this process make clang warn on fd 2; keep that off the terminal
        quiet = contextlib.nullcontext() if isolate else stderr_to(os.path.join(wdir, "compiler.log"))
        try:
            with quiet:
                (res,) = drive([red.steps(case, passes)], runner, stop=red.keeps)
        finally:
            runner.close()
    if isinstance(res, ReduceError):
        raise res
    res.seconds = time.monotonic() - start
    res.settings = settings
    return res


def reduce_cases(
    items: list[tuple[KernelCase, Signature]],
    settings: WorkerSettings,
    *,
    work_dir: str | None = None,
    budget_s: float = 300.0,
    batch: int = 16,
    min_grow: int = 4,
    passes: tuple[tuple[str, Pass], ...] = PASSES,
) -> list[Reduction | ReduceError]:
    """Reduce several failures of one shared mode (`SHARED_MODES`) together, one module per
    round, all within `budget_s`, judged with `judging_settings(mode, settings)`; per item its
    Reduction, or the ReduceError saying why it was not."""
    modes = {reduce_mode(s) for _, s in items}
    if len(modes) > 1 or not modes <= SHARED_MODES:
        names = ", ".join(f"{c.kernel_name} ({reduce_mode(s)})" for c, s in items)
        raise ValueError(
            f"{names}: only failures of one shared mode share modules; reduce others with reduce_case"
        )
    if not items:
        return []
    st = judging_settings(modes.pop(), settings)
    start = time.monotonic()
    reds = [
        _Reducer(sig, st, batch, start + budget_s, lambda s: None, tag=f"r{k}c", min_grow=min_grow)
        for k, (_, sig) in enumerate(items)
    ]
    with _work_dir(work_dir) as wdir:
        runner = _runner_for(st, wdir, False, 60.0)
        for red in reds:
            red.memo = getattr(runner, "oracle_memo", None)
        try:
            with stderr_to(os.path.join(wdir, "compiler.log")):
                out = drive([r.steps(c, passes) for r, (c, _) in zip(reds, items, strict=True)], runner)
        finally:
            runner.close()
    for r in out:
        if isinstance(r, Reduction):
            r.seconds = time.monotonic() - start
            r.settings = st
    return out


def available_devices(recorded: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The recorded devices this machine has (CPU always; CUDA devices only with a GPU). A GPU
    ordinal the machine lacks (a failure found on cuda:3 of an 8-GPU host) becomes cuda:0:
    results do not depend on which GPU of one model ran them."""
    wanted = tuple(recorded) or ("cpu",)
    if not any(d.startswith("cuda") for d in wanted):
        return wanted
    import warp as wp

    wp.config.quiet = True  # type: ignore[attr-defined]
    wp.init()
    return placed_devices(wanted, wp.get_cuda_device_count() if wp.is_cuda_available() else 0)


def placed_devices(wanted: tuple[str, ...], cuda_count: int) -> tuple[str, ...]:
    """`wanted` on a machine with `cuda_count` GPUs: CUDA dropped without one, ordinals the
    machine lacks mapped to cuda:0 (without repeating a device)."""
    out: list[str] = []
    for d in wanted:
        if d.startswith("cuda"):
            if cuda_count == 0:
                continue
            _, _, n = d.partition(":")
            d = d if n.isdigit() and int(n) < cuda_count else "cuda:0"
        if d not in out:
            out.append(d)
    return tuple(out) or ("cpu",)


def settings_for(meta: dict[str, Any], *, devices: tuple[str, ...] | None = None, registry: str | None = None,
                 run_dir: str = "") -> WorkerSettings:  # fmt: skip
    """Worker settings that judge like the campaign that saved `meta` (`corpus.folder.
    settings_from_meta`), on the recorded devices this machine has (unless `devices` says
    otherwise). The oracle registry is `registry` (from the command line) or the installed
    oracle's: a folder is data, its meta.json never chooses code to import."""
    recorded = settings_from_meta(meta)
    return settings_from_meta(
        meta, run_dir=run_dir, devices=devices or available_devices(recorded.devices), registry=registry
    )


@dataclass(frozen=True)
class _FolderJob:
    folder: CorpusFolder
    target: Signature
    settings: WorkerSettings


def _folder_job(path: str, settings: WorkerSettings | None, log: Callable[[str], None] | None) -> _FolderJob:
    ent = CorpusFolder.read(path)
    if not ent.usable:
        raise UnusableFolder(f"{path}: {ent.problem()}")
    if ent.case is None:
        raise ReduceError(f"{path}: no {CASE} (the case was never generated); nothing to reduce")
    st = settings or settings_for(ent.meta, run_dir=path)
    if settings is not None and settings.sweep != ent.worker_settings().sweep:
        # a campaign's settings sweep every point: sweep what the folder recorded instead (its
        # blamed point; nothing for other failures), so a setting_mismatch stays one of its point
        st = replace(settings, sweep=ent.worker_settings().sweep)
    target = restrict_signature(ent.signature, st.devices, st.cuda_arch)
    if target is None:
        raise ReduceError(
            f"{path}: its failure ({ent.signature.devices}) needs devices this machine lacks ({', '.join(st.devices)})"
        )
    if target.devices != ent.signature.devices and log:
        log(
            f"reducing the {target.devices} part of {ent.signature.devices} (the rest needs devices not here)"
        )
    return _FolderJob(ent, target, st)


def _write_reduced(job: _FolderJob, red: Reduction) -> str:
    ent, st = job.folder, red.settings or job.settings
    dest = ent.reduced_path
    if os.path.isdir(dest):
        shutil.rmtree(dest)
    extra = {
        "reduced_from": {"path": os.path.abspath(ent.path), "signature": ent.signature.to_json()},
        "reduction": red.to_json(),
        "known": ent.meta.get("known", {"status": "open", "issue": None, "note": ""}),
        "gen_config": ent.meta.get("gen_config", {}),
    }
    write_folder(dest, red.result, st, gen_config=ent.meta.get("gen_config"), extra=extra)
    return dest


def _reduce_alone(
    job: _FolderJob,
    settings: WorkerSettings,
    budget_s: float,
    batch: int,
    log: Callable[[str], None] | None,
    exact: bool = False,
) -> Reduction:
    """One folder's reduction on its own; a forward failure that does not reproduce without the
    backward code (`judging_settings`) is tried once more with `settings` as they are."""
    assert job.folder.case is not None
    start = time.monotonic()
    try:
        return reduce_case(
            job.folder.case,
            job.target,
            settings,
            budget_s=budget_s,
            batch=batch,
            log=log,
            exact_settings=exact,
        )
    except DoesNotReproduce:
        if exact or judging_settings(reduce_mode(job.target), settings) == settings:
            raise
        left = max(1.0, budget_s - (time.monotonic() - start))
        return reduce_case(
            job.folder.case, job.target, settings, budget_s=left, batch=batch, log=log, exact_settings=True
        )


def reduce_folder(
    path: str,
    *,
    settings: WorkerSettings | None = None,
    budget_s: float = 300.0,
    batch: int = 8,
    log: Callable[[str], None] | None = None,
) -> str:
    """Reduce the case of corpus folder `path`; write the result to `path/reduced/`; return it."""
    job = _folder_job(path, settings, log)
    red = _reduce_alone(job, job.settings, budget_s, batch, log)
    return _write_reduced(job, red)


def folder_mode(path: str) -> ReduceMode | None:
    """The reduce mode of a saved failure's recorded signature (None: the folder is unreadable)."""
    try:
        return reduce_mode(CorpusFolder.read(path).signature)
    except Exception:
        return None


def reduce_folders(
    paths: list[str],
    *,
    settings: WorkerSettings,
    budget_s: float = 300.0,
    batch: int = 8,
) -> list[str | ReduceError]:
    """Reduce several folders within `budget_s` in all, judged with `settings` (a campaign's):
    the failures of each shared mode side by side, one module per round (`reduce_cases`), the
    others one after another in what is left. A forward failure that does not reproduce without
    the backward code is tried once more alone with `settings` as they are. Per path its
    reduced/ folder or the ReduceError."""
    start = time.monotonic()
    out: dict[int, str | ReduceError] = {}
    jobs: dict[int, _FolderJob] = {}
    for k, p in enumerate(paths):
        try:
            jobs[k] = _folder_job(p, settings, None)
        except ReduceError as e:
            out[k] = e
    exact: set[int] = set()

    def left() -> float:
        return budget_s - (time.monotonic() - start)

    for mode in (ReduceMode.JUDGED, ReduceMode.GRADIENT):
        # (a setting_mismatch is reduced alone, under its own swept point)
        shared = [k for k, j in jobs.items() if reduce_mode(j.target) is mode and not j.settings.sweep]
        if not shared or left() <= 1:
            continue
        items = []
        for k in shared:
            case = jobs[k].folder.case
            assert case is not None
            items.append((case, jobs[k].target))
        plain = replace(settings, sweep=())
        for k, res in zip(shared, reduce_cases(items, plain, budget_s=left()), strict=True):
            if isinstance(res, DoesNotReproduce) and judging_settings(mode, plain) != plain:
                exact.add(k)  # e.g. a forward failure that needs the backward code built
            else:
                out[k] = res if isinstance(res, ReduceError) else _write_reduced(jobs[k], res)
    for k, job in jobs.items():
        if k in out:
            continue
        if left() <= 1:
            out[k] = ReduceError(f"{job.folder.path}: no time left in this reduction job")
            continue
        try:
            st = replace(settings, sweep=job.settings.sweep)
            out[k] = _write_reduced(job, _reduce_alone(job, st, left(), batch, None, exact=k in exact))
        except ReduceError as e:
            out[k] = e
    return [out[k] for k in range(len(paths))]


def pending_representatives(run_dir: str) -> list[str]:
    """Folders to reduce: the first (lowest seed) of each signature under RUN_DIR/corpus, unless
    some folder of that signature already has a reduced/ one. Lowest seed first."""
    from corpus.save import corpus_dir

    root = corpus_dir(run_dir)
    if not os.path.isdir(root):
        return []
    firsts: dict[str, CorpusFolder] = {}
    done: set[str] = set()
    for name in sorted(os.listdir(root)):
        p = os.path.join(root, name)
        if not CorpusFolder.is_folder(p):
            continue
        ent = CorpusFolder.read(p)
        key = ent.signature.key()
        if ent.has_reduced:
            done.add(key)
        if ent.case is not None and (key not in firsts or ent.seed < firsts[key].seed):
            firsts[key] = ent
    todo = [e for k, e in firsts.items() if k not in done]
    return [e.path for e in sorted(todo, key=lambda e: e.seed)]


def reduce_new_signatures(
    run_dir: str,
    *,
    settings: WorkerSettings | None = None,
    budget_s: float = 600.0,
    per_case_s: float = 120.0,
    log: Callable[[str], None] | None = None,
) -> list[str]:
    """Reduce `pending_representatives(run_dir)` until `budget_s` is spent; return the reduced
    folders. `settings` default to each folder's recorded ones (the campaign's)."""
    out = []
    start = time.monotonic()
    for path in pending_representatives(run_dir):
        left = budget_s - (time.monotonic() - start)
        if left <= 5:
            break
        try:
            st = settings or settings_for(CorpusFolder.read(path).meta, run_dir=run_dir)
            out.append(reduce_folder(path, settings=st, budget_s=min(per_case_s, left), log=log))
        except ReduceError as e:
            if log:
                log(f"{path}: {e}")
    return out
