"""A module that Warp's code generator refuses names the function it failed on: the runner
rebuilds that case alone and the rest as one module, instead of one module per case (BATCH) or
halves (HALVES). Real Warp on CPU; the builds are counted, and the verdicts are the same as
with every case built on its own."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from fuzz.engine.runner import BatchRunner, CompileFailure, Isolation, culprit
from fuzz.engine.settings import WorkerSettings
from tests.test_runner import BROKEN, GOOD, _case


class _Counting(BatchRunner):
    builds = 0

    def _build(self, jobs):  # type: ignore[no-untyped-def]
        self.builds += 1
        return super()._build(jobs)


@pytest.mark.parametrize("isolation", [Isolation.BATCH, Isolation.HALVES])
def test_the_named_kernel_is_built_alone_and_the_rest_together(tmp_path: Path, isolation: Isolation) -> None:
    names = [f"rc_{isolation.value}_{k}" for k in range(8)]
    cases = [_case(n, 40 + k, BROKEN if k == 5 else GOOD) for k, n in enumerate(names)]
    settings = WorkerSettings(run_dir=str(tmp_path), enable_backward=False)
    runner = _Counting(settings, str(tmp_path / "w"), tag="rc")
    results, _ = runner.run(cases, isolation)
    assert [r.verdict for r in results] == ["verified"] * 5 + ["compile_error"] + ["verified"] * 2
    assert "no_such_builtin" in results[5].message
    # the batch, the culprit alone, the other seven together (one per case or halves: 9 or more)
    assert runner.builds == 3


def test_a_failure_naming_no_single_job_has_no_culprit() -> None:
    jobs = [SimpleNamespace(kernel_name=f"cj_{k}") for k in range(3)]  # what culprit reads of a job
    named = CompileFailure("cpu", RuntimeError('Error while parsing function "cj_1_helper" at f.py:3:\n...'))
    assert culprit(jobs, named) is jobs[1]  # type: ignore[arg-type]
    assert culprit(jobs, CompileFailure("cpu", RuntimeError("clang: error: something"))) is None  # type: ignore[arg-type]
    other = CompileFailure("cpu", RuntimeError('Error while parsing function "elsewhere" at f.py:3:'))
    assert culprit(jobs, other) is None  # type: ignore[arg-type]
