"""The reducer on hand-written cases: a wrong-oracle mismatch, a crash (in child processes), and
a case that does not reproduce (the reducer must refuse it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from corpus.passes import statement_count
from corpus.reduce import ReduceError, reduce_case
from fuzz.engine.result import CaseResult
from fuzz.engine.settings import WorkerSettings
from fuzz.engine.signature import Signature, signature_of
from grammar.case import KernelCase, ParamSpec
from tests.support import faults

WRONG = "tests.support.wrong_oracles:wrong_sin"

SRC = """@wp.kernel
def k_{seed}(a1: wp.array(dtype=wp.float32), a2: wp.array(dtype=wp.float32), out3: wp.array(dtype=wp.float32), out4: wp.array(dtype=wp.float32)):
    i = wp.tid()
    v5 = wp.abs(a1[i]) * 0.5
    v6 = wp.sin(a2[i]) + v5
    if v5 > 0.25:
        v6 = v6 * 2.0
    else:
        v6 = v6 - wp.floor(v5)
    out4[i] = wp.exp(v5)
    out3[i] = v6 + wp.cos(a1[i])
"""


def _case(seed: int) -> KernelCase:
    params = (
        ParamSpec("a1", "array", "float32", (32,), "in", -2.0, 2.0),
        ParamSpec("a2", "array", "float32", (32,), "in", -2.0, 2.0),
        ParamSpec("out3", "array", "float32", (32,), "out"),
        ParamSpec("out4", "array", "float32", (32,), "out"),
    )
    return KernelCase(f"k_{seed}", SRC.format(seed=seed), "branch", seed, "test", params, (32,))


@pytest.mark.slow
def test_mismatch_reduces_to_the_wrong_builtin(tmp_path: Path) -> None:
    case = _case(7)
    settings = WorkerSettings(run_dir=str(tmp_path), enable_backward=False, registry_factory=WRONG)
    target = Signature("judge", "cpu~oracle", "mismatch", "float32:value",
                       ("Add", "Gt", "If", "Mult", "Sub", "abs", "cos", "floor", "sin"))  # fmt: skip
    red = reduce_case(case, target, settings, work_dir=str(tmp_path / "w"), budget_s=240)
    assert red.statements_before == 8
    assert red.statements_after <= 3, red.case.source
    assert "wp.sin" in red.case.source and "wp.exp" not in red.case.source
    assert red.signature.bucket() == target.bucket() and set(red.signature.constructs) <= set(
        target.constructs
    )
    assert len(red.case.params) < len(case.params) and red.case.dim[0] < 32
    assert red.case.kernel_name == "k_7"


def test_a_case_that_does_not_fail_so_is_refused(tmp_path: Path) -> None:
    settings = WorkerSettings(run_dir=str(tmp_path), enable_backward=False)  # the right oracle
    target = Signature("judge", "cpu~oracle", "mismatch", "float32:value", ("sin",))
    with pytest.raises(ReduceError, match="does not reproduce"):
        reduce_case(_case(8), target, settings, work_dir=str(tmp_path / "w"), budget_s=60)


@pytest.mark.slow
def test_crash_is_reduced_in_child_processes(tmp_path: Path) -> None:
    case = _case(9)
    # the worker aborts on seed 9 once the kernel compiled: a crash we can produce at will
    settings = WorkerSettings(
        run_dir=str(tmp_path), enable_backward=False, worker_plugins=faults.plugins(crash=(9,))
    )
    crashed = CaseResult(9, "k_9", "branch", "test", case.to_json(), "crash", stage="worker",
                         message="worker exited with status -6")  # fmt: skip
    red = reduce_case(case, crashed, settings, work_dir=str(tmp_path / "w"), budget_s=150, timeout_s=60)
    assert red.result.verdict == "crash" and signature_of(red.result).kind == "exit -6"
    assert statement_count(red.case) <= 1, red.case.source
    # without the injected fault the same case runs fine: nothing to reduce
    with pytest.raises(ReduceError):
        reduce_case(case, crashed, WorkerSettings(run_dir=str(tmp_path), enable_backward=False),
                    work_dir=str(tmp_path / "w2"), budget_s=60, timeout_s=60)  # fmt: skip


def test_recorded_gpus_the_machine_lacks_map_to_its_first() -> None:
    from corpus.reduce import placed_devices

    assert placed_devices(("cpu", "cuda:3"), 8) == ("cpu", "cuda:3")
    assert placed_devices(("cpu", "cuda:3"), 1) == ("cpu", "cuda:0")
    assert placed_devices(("cpu", "cuda:1"), 0) == ("cpu",)
    assert placed_devices(("cuda:1",), 0) == ("cpu",)
    assert placed_devices(("cuda:0", "cuda:1"), 1) == ("cuda:0",)
