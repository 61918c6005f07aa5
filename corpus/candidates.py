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

import json
import os
import pickle
import re
import subprocess
import sys
import tempfile
from dataclasses import replace
from typing import Protocol

from fuzz import judge as J
from fuzz.execute import BatchRunner, CompileFailure, Stats
from fuzz.result import CaseResult
from fuzz.settings import WorkerSettings
from grammar.case import KernelCase


def rename(case: KernelCase, new_name: str) -> KernelCase:
    """The same case with every top-level name `<kernel_name>[_...]` renamed to `new_name[_...]`."""
    pat = re.compile(r"\b" + re.escape(case.kernel_name) + r"(?![0-9A-Za-z])")
    return replace(case, kernel_name=new_name, source=pat.sub(new_name, case.source))


class Runner(Protocol):
    def run_candidates(self, cases: list[KernelCase]) -> list[CaseResult]: ...

    def close(self) -> None: ...


class CandidateRunner(BatchRunner):
    """`BatchRunner` for candidates that share a seed: results keyed by (unique) kernel name."""

    def run_candidates(self, cases: list[KernelCase]) -> list[CaseResult]:
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
            for c in cases:
                try:
                    out[c.kernel_name] = self._check_one(pymod, c, sources, stats)
                except Exception as e:  # e.g. DevicePoisoned: this process can judge no more
                    out[c.kernel_name] = self._fail(c, J.CRASH, "worker", "", e)
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
    """Runs each candidate in a child process (`python -m corpus.subrun`), with a deadline."""

    def __init__(self, settings: WorkerSettings, work_dir: str, timeout_s: float = 60.0) -> None:
        self.settings = settings
        self.work_dir = work_dir
        self.timeout_s = timeout_s
        os.makedirs(work_dir, exist_ok=True)

    def run_candidates(self, cases: list[KernelCase]) -> list[CaseResult]:
        return [self._one(c) for c in cases]

    def _one(self, case: KernelCase) -> CaseResult:
        with tempfile.TemporaryDirectory(dir=self.work_dir) as tmp:
            src = os.path.join(tmp, "in.pickle")
            dst = os.path.join(tmp, "out.json")
            with open(src, "wb") as f:
                pickle.dump((self.settings, os.path.join(self.work_dir, "child"), [case.to_json()]), f)
            env = dict(os.environ)
            root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
            env["PYTHONPATH"] = os.pathsep.join([root, *sys.path[1:], env.get("PYTHONPATH", "")])
            try:
                proc = subprocess.run(
                    [sys.executable, "-m", "corpus.subrun", src, dst],
                    timeout=self.timeout_s,
                    capture_output=True,
                    text=True,
                    env=env,
                    start_new_session=True,
                )
            except subprocess.TimeoutExpired:
                return self._lost(case, J.TIMEOUT, f"no answer within {self.timeout_s:.0f} s")
            if proc.returncode != 0 or not os.path.exists(dst):
                return self._lost(case, J.CRASH, f"worker exited with status {proc.returncode}")
            with open(dst, encoding="utf-8") as f:
                return CaseResult.from_json(json.load(f)[0])

    @staticmethod
    def _lost(case: KernelCase, verdict: str, detail: str) -> CaseResult:
        return CaseResult(
            case.seed, case.kernel_name, case.family, case.generator_version, case.to_json(), verdict,
            stage="worker", message=detail,
        )  # fmt: skip

    def close(self) -> None:
        pass
