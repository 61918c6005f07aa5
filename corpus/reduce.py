"""Test-case reduction: shrink a failing case while its failure signature survives.

The C-Reduce/cvise design: passes (`corpus.passes`) propose candidate edits of the libcst tree,
and one generic loop keeps a candidate when (1) it is strictly smaller (`passes.size`), (2) the
oracle finds no undefined behaviour in it, and (3) compiled and judged like any campaign case, it
fails with the same signature (`signature.same_failure`: same stage, devices, verdict and kind,
constructs only removed). Candidates are compiled many per Warp module (compile cost dominates);
crash and timeout cases run each candidate in a child process.
"""

from __future__ import annotations

import ast
import contextlib
import itertools
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from corpus.candidates import CandidateRunner, Runner, SubprocessRunner, rename
from corpus.device_subset import restrict_signature
from corpus.folder import CASE, CorpusFolder, settings_from_meta
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


class _Reducer:
    def __init__(
        self,
        target: Signature,
        settings: WorkerSettings,
        runner: Runner,
        batch: int,
        deadline: float,
        say: Callable[[str], None],
    ) -> None:
        self.target = target
        self.settings = settings
        self.runner = runner
        self.batch = max(1, batch)
        self.grow = 1
        self.deadline = deadline
        self.say = say
        self.registry = load_registry(settings.registry_factory)
        self.names = itertools.count()
        self.seen: set[str] = set()
        self.tested = self.rejected_early = self.batches = 0
        # the oracle reached the original case: a candidate it cannot interpret fails differently
        self.needs_oracle = Where.parse(target.stage).stage not in (
            Stage.IMPORT,
            Stage.COMPILE,
            Stage.ORACLE,
        )

    def run(self, cases: list[KernelCase]) -> list[CaseResult]:
        self.batches += 1
        self.tested += len(cases)
        base = cases[0].kernel_name
        named = [rename(c, f"{base}_c{next(self.names)}") for c in cases]
        return self.runner.run_candidates(named, stop=lambda r: same_failure(self.target, signature_of(r)))

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
        try:
            ast.parse(cand.module_source())
            inputs = grammar.make_inputs(cand)
        except Exception:
            self.rejected_early += 1
            return False
        if self.target.verdict == Verdict.INVALID_KERNEL:
            return True  # the undefined behaviour is the failure being reduced
        try:
            oracle.evaluate(cand.module_source(), cand.kernel_name, inputs, cand.dim, registry=self.registry)
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
    ) -> tuple[Candidate, CaseResult] | None:
        """Test proposals batch by batch; return the first (biggest cut) that keeps the failure.

        The batch grows (1, 2, 4, ... up to `batch`) while candidates keep being rejected and
        falls back to 1 after a keep: when most cuts succeed (early deletions) the candidates
        after the first kept one are wasted compiles; when most fail (literals) one module per
        many candidates saves the per-module compile cost."""
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
            results = self.run([c.case for c in pending])
            for cand, res in zip(pending, results, strict=True):
                if same_failure(self.target, signature_of(res)):
                    self.grow = 1
                    return cand, res
            self.grow = min(self.batch, self.grow * 2)
        return None


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
) -> Reduction:
    """Shrink `case` while it keeps failing with `target`'s signature.

    settings: devices, tolerance and oracle registry to judge candidates with (the campaign's).
    isolate: run candidates in child processes (default: for crash and timeout cases).
    Raises ReduceError if the case does not reproduce its signature to begin with.
    """
    sig = target if isinstance(target, Signature) else signature_of(target)
    say = log or (lambda s: None)
    start = time.monotonic()
    own_dir = work_dir is None
    if own_dir:
        sweep_stale_work_dirs()
    wdir = work_dir or tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-")
    if isolate is None:
        isolate = sig.verdict in (Verdict.CRASH, Verdict.TIMEOUT)
    runner: Runner = (
        SubprocessRunner(settings, wdir, timeout_s=timeout_s)
        if isolate
        else CandidateRunner(settings, wdir, tag="red")
    )
    red = _Reducer(sig, settings, runner, batch, start + budget_s, say)
    # candidates compiled in this process make clang warn on fd 2; keep that off the terminal
    quiet = contextlib.nullcontext() if isolate else stderr_to(os.path.join(wdir, "compiler.log"))
    with quiet:
        try:
            first = red.run([case])[0]
            got = signature_of(first)
            if not same_failure(sig, got):
                raise ReduceError(
                    f"seed {case.seed} ({case.kernel_name}): does not reproduce; expected {sig.key()!r}, "
                    f"got {got.key()!r}. The failure may be flaky or depend on other kernels of its batch."
                )
            red.target = sig = with_cause(sig, got)  # keep the cause from here on
            out = Reduction(case, first, got, statement_count(case), statement_count(case))
            current, best = case, first
            progress = True
            while progress and time.monotonic() < red.deadline:
                progress = False
                for name, p in passes:
                    while time.monotonic() < red.deadline:
                        found = red.one_pass(current, p(current))
                        if found is None:
                            break
                        cand, res = found
                        current, best = cand.case, res
                        out.accepted += 1
                        progress = True
                        line = f"{name}: {cand.what} -> {statement_count(current)} statements"
                        out.log.append(line)
                        say(line)
            # the reduced case under its own name, judged once more from scratch
            final = rename(current, case.kernel_name)
            with contextlib.suppress(Exception):
                again = runner.run_candidates([final])[0]
                if same_failure(sig, signature_of(again)):
                    best = again
            best = replace(best, case=final.to_json(), kernel_name=final.kernel_name)
            out.case = final
            out.result = best
            out.signature = signature_of(best)
            out.statements_after = statement_count(final)
            out.tested, out.rejected_early, out.batches = red.tested, red.rejected_early, red.batches
            out.seconds = time.monotonic() - start
            return out
        finally:
            runner.close()
            if own_dir:
                shutil.rmtree(wdir, ignore_errors=True)


def available_devices(recorded: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The recorded devices this machine has (CPU always; CUDA devices only with a GPU)."""
    wanted = tuple(recorded) or ("cpu",)
    if not any(d.startswith("cuda") for d in wanted):
        return wanted
    import warp as wp

    wp.config.quiet = True  # type: ignore[attr-defined]
    wp.init()
    have = tuple(d for d in wanted if d == "cpu" or (d.startswith("cuda") and wp.is_cuda_available()))
    return have or ("cpu",)


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


def reduce_folder(
    path: str,
    *,
    settings: WorkerSettings | None = None,
    budget_s: float = 300.0,
    batch: int = 8,
    log: Callable[[str], None] | None = None,
) -> str:
    """Reduce the case of corpus folder `path`; write the result to `path/reduced/`; return it."""
    ent = CorpusFolder.read(path)
    if not ent.usable:
        raise UnusableFolder(f"{path}: {ent.problem()}")
    if ent.case is None:
        raise ReduceError(f"{path}: no {CASE} (the case was never generated); nothing to reduce")
    st = settings or settings_for(ent.meta, run_dir=path)
    target = restrict_signature(ent.signature, st.devices)
    if target is None:
        raise ReduceError(
            f"{path}: its failure ({ent.signature.devices}) needs devices this machine lacks ({', '.join(st.devices)})"
        )
    if target.devices != ent.signature.devices and log:
        log(
            f"reducing the {target.devices} part of {ent.signature.devices} (the rest needs devices not here)"
        )
    red = reduce_case(ent.case, target, st, budget_s=budget_s, batch=batch, log=log)
    dest = ent.reduced_path
    if os.path.isdir(dest):
        shutil.rmtree(dest)
    extra = {
        "reduced_from": {"path": os.path.abspath(path), "signature": ent.signature.to_json()},
        "reduction": red.to_json(),
        "known": ent.meta.get("known", {"status": "open", "issue": None, "note": ""}),
        "gen_config": ent.meta.get("gen_config", {}),
    }
    write_folder(dest, red.result, st, gen_config=ent.meta.get("gen_config"), extra=extra)
    return dest


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
