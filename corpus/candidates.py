"""Run many variants of one case: in-process through `BatchRunner`, or in child processes.

Candidates of one case share its seed (inputs derive from the seed), while `BatchRunner.run`
keys results by seed, so `CandidateRunner` keys them by kernel name instead and gives each
candidate a unique one (`rename`). A batch compiles as one Warp module; when that fails the
batch is split in halves (not kernel by kernel), because most failing batches hold one or two
invalid candidates and compile cost dominates.

Crash and hang cases cannot be run in-process: `SubprocessRunner` runs each candidate in a child
process and turns its death or silence into a `crash` / `timeout` result.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Protocol

from fuzz.engine import judge as J
from fuzz.engine.result import CaseResult
from fuzz.engine.runner import BatchRunner, CompileFailure, Stats
from fuzz.engine.settings import WorkerSettings
from grammar.case import KernelCase


def rename(case: KernelCase, new_name: str) -> KernelCase:
    """The same case with every top-level name `<kernel_name>[_...]` renamed to `new_name[_...]`."""
    pat = re.compile(r"\b" + re.escape(case.kernel_name) + r"(?![0-9A-Za-z])")
    return replace(case, kernel_name=new_name, source=pat.sub(new_name, case.source))


class Runner(Protocol):
    def run_candidates(
        self, cases: list[KernelCase], stop: Callable[[CaseResult], bool] | None = None
    ) -> list[CaseResult]: ...

    def close(self) -> None: ...


class _InOrder(dict[int, CaseResult]):
    """What `BatchRunner._check_all` stores as `results[seed] = ...`, kept in case order (the
    candidates share one seed, so a dict keyed by seed would keep only the last)."""

    def __init__(self) -> None:
        super().__init__()
        self.order: list[CaseResult] = []

    def __setitem__(self, key: int, value: CaseResult) -> None:
        self.order.append(value)


class CandidateRunner(BatchRunner):
    """`BatchRunner` for candidates that share a seed: results keyed by (unique) kernel name."""

    def run_candidates(
        self, cases: list[KernelCase], stop: Callable[[CaseResult], bool] | None = None
    ) -> list[CaseResult]:
        """Results in order (`stop` is ignored: one module judges all candidates at once)."""
        names = [c.kernel_name for c in cases]
        if len(set(names)) != len(names):
            raise ValueError(f"candidates need unique kernel names, got {names}")
        out: dict[str, CaseResult] = {}
        self._group(cases, out, Stats())
        return [out[n] for n in names]

    def _group(self, cases: list[KernelCase], out: dict[str, CaseResult], stats: Stats) -> None:
        try:
            pymod = self._import(cases)
        except Exception as e:
            if len(cases) == 1:
                out[cases[0].kernel_name] = self._fail(cases[0], J.COMPILE_ERROR, "import", "", e)
            else:
                self._split(cases, out, stats)
            return
        try:
            try:
                sources = self._compile(pymod, stats)
            except CompileFailure as e:
                if len(cases) == 1:
                    out[cases[0].kernel_name] = self._fail(
                        cases[0], J.COMPILE_ERROR, f"compile:{e.device}", e.device, e
                    )
                    return
                self._discard(pymod)
                pymod = None
                self._split(cases, out, stats)
                return
            except Exception as e:  # not Warp refusing the code: warpfuzz or the machine
                for c in cases:
                    out[c.kernel_name] = self._fail(c, J.INTERNAL_ERROR, "worker", "", e)
                return
            collected = _InOrder()
            try:
                self._check_all(pymod, cases, sources, collected, stats)  # type: ignore[arg-type]
            except Exception as e:  # e.g. DevicePoisoned: this process can judge no more
                for c in cases[len(collected.order) :]:
                    out[c.kernel_name] = self._fail(c, J.CRASH, "worker", "", e)
            for c, r in zip(cases, collected.order, strict=False):
                out[c.kernel_name] = r
        finally:
            if pymod is not None:
                self._discard(pymod)

    def _split(self, cases: list[KernelCase], out: dict[str, CaseResult], stats: Stats) -> None:
        half = len(cases) // 2
        self._group(cases[:half], out, stats)
        self._group(cases[half:], out, stats)

    def close(self) -> None:
        pass


class SubprocessRunner:
    """Runs candidates in a child process (`python -m corpus.subrun`), one Warp module each.

    The child appends one result line per finished candidate; when it dies or stays silent past
    `timeout_s`, the candidate it was on gets a `crash` / `timeout` result and a fresh child
    carries on with the rest (so Warp start-up is paid per crash, not per candidate).
    """

    def __init__(self, settings: WorkerSettings, work_dir: str, timeout_s: float = 60.0) -> None:
        self.settings = settings
        self.work_dir = work_dir
        self.timeout_s = timeout_s
        os.makedirs(work_dir, exist_ok=True)

    def run_candidates(
        self, cases: list[KernelCase], stop: Callable[[CaseResult], bool] | None = None
    ) -> list[CaseResult]:
        """Results in order; once one satisfies `stop`, the rest are not run (`inconclusive`)."""
        out: list[CaseResult] = []
        while len(out) < len(cases):
            out += self._child(cases[len(out) :])
            if stop is not None and any(stop(r) for r in out):
                rest = cases[len(out) :]
                out += [
                    self._lost(c, J.INCONCLUSIVE, "not run: an earlier candidate settled it") for c in rest
                ]
        return out

    def _child(self, cases: list[KernelCase]) -> list[CaseResult]:
        """Results of a prefix of `cases` (at least one: the last may be a crash or timeout)."""
        with tempfile.TemporaryDirectory(dir=self.work_dir) as tmp:
            src = os.path.join(tmp, "in.pickle")
            dst = os.path.join(tmp, "out.jsonl")
            with open(src, "wb") as f:
                pickle.dump(
                    (self.settings, os.path.join(self.work_dir, "child"), [c.to_json() for c in cases]), f
                )
            env = dict(os.environ)
            root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
            env["PYTHONPATH"] = os.pathsep.join(p for p in [root, env.get("PYTHONPATH", "")] if p)
            proc = subprocess.Popen(
                [sys.executable, "-m", "corpus.subrun", src, dst],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=env,
                start_new_session=True,
            )
            done: list[CaseResult] = []
            # Warp start-up counts toward the first candidate's deadline
            deadline = time.monotonic() + self.timeout_s + 60.0
            lost: tuple[str, str] | None = None
            while True:
                rc = proc.poll()
                lines = _read_lines(dst)
                if len(lines) > len(done):
                    done += [CaseResult.from_json(json.loads(x)) for x in lines[len(done) :]]
                    deadline = time.monotonic() + self.timeout_s
                if len(done) == len(cases):
                    break
                if rc is not None:
                    lost = (J.CRASH, f"worker exited with status {rc}")
                    break
                if time.monotonic() > deadline:
                    lost = (J.TIMEOUT, f"no answer within {self.timeout_s:.0f} s")
                    break
                time.sleep(0.1)
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            if lost is not None:
                done.append(self._lost(cases[len(done)], *lost))
            return done

    @staticmethod
    def _lost(case: KernelCase, verdict: str, detail: str) -> CaseResult:
        return CaseResult(
            case.seed, case.kernel_name, case.family, case.generator_version, case.to_json(), verdict,
            stage="worker", message=detail,
        )  # fmt: skip

    def close(self) -> None:
        pass


def _read_lines(path: str) -> list[str]:
    """Complete lines written so far (a line is complete once its newline is there)."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        return []
    return text.split("\n")[:-1]
