"""Run many variants of one case through the public runner, in-process or in child processes.

Candidates of one case share its seed (inputs derive from the seed); `BatchRunner.run` returns
results by position, so sharing is no problem, but one Warp module needs unique kernel names, so
each candidate gets one (`rename`). In-process, a batch compiles as one module and a failing one
is split in halves (`Isolation.HALVES`); crash and hang cases run each candidate in a child
process (`Isolation.CHILD`), whose death or silence becomes a `crash` / `timeout` result.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Protocol

from fuzz.engine.result import CaseResult
from fuzz.engine.runner import BatchRunner, Isolation
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


class CandidateRunner:
    """Candidates judged in this process, one module per batch (`Isolation.HALVES`)."""

    def __init__(self, settings: WorkerSettings, work_dir: str, tag: str = "c") -> None:
        self.runner = BatchRunner(settings, work_dir, tag=tag)
        self.oracle_memo = self.runner.oracle_memo  # screened candidates' oracle results

    def run_candidates(
        self, cases: list[KernelCase], stop: Callable[[CaseResult], bool] | None = None
    ) -> list[CaseResult]:
        """Results in order (`stop` is ignored: one module judges all candidates at once); the
        candidates need unique kernel names."""
        return self.runner.run(cases, Isolation.HALVES)[0]

    def close(self) -> None:
        pass


class SubprocessRunner:
    """Candidates judged in child processes (`Isolation.CHILD`), one Warp module each; a child
    that dies or stays silent past `timeout_s` costs its candidate a `crash` / `timeout`."""

    def __init__(self, settings: WorkerSettings, work_dir: str, timeout_s: float = 60.0) -> None:
        self.runner = BatchRunner(settings, work_dir, tag="sub", child_timeout_s=timeout_s, start_warp=False)

    def run_candidates(
        self, cases: list[KernelCase], stop: Callable[[CaseResult], bool] | None = None
    ) -> list[CaseResult]:
        """Results in order; once one satisfies `stop`, the rest are not run (`inconclusive`)."""
        return self.runner.run(cases, Isolation.CHILD, stop=stop)[0]

    def close(self) -> None:
        pass
