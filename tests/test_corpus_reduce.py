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


class _CountingRunner:
    """A CandidateRunner that counts the modules it is asked to judge."""

    def __init__(self, inner) -> None:  # type: ignore[no-untyped-def]
        self.inner, self.calls = inner, 0

    def run_candidates(self, cases, stop=None):  # type: ignore[no-untyped-def]
        self.calls += 1
        return self.inner.run_candidates(cases, stop)


@pytest.mark.slow
def test_reductions_side_by_side_share_one_module_per_round(tmp_path: Path) -> None:
    from corpus import reduce as R
    from corpus.candidates import CandidateRunner

    settings = WorkerSettings(run_dir=str(tmp_path), enable_backward=False, registry_factory=WRONG)
    target = Signature("judge", "cpu~oracle", "mismatch", "float32:value",
                       ("Add", "Gt", "If", "Mult", "Sub", "abs", "cos", "floor", "sin"))  # fmt: skip
    cases = [_case(21), _case(22), _case(23)]
    items = [(c, target) for c in cases]
    reds = [
        R._Reducer(target, settings, 16, float("inf"), lambda s: None, tag=f"r{k}c", min_grow=4)
        for k in range(3)
    ]
    runner = _CountingRunner(CandidateRunner(settings, str(tmp_path / "w"), tag="sbs"))
    out = R.drive([r.steps(c, R.PASSES) for r, (c, _) in zip(reds, items, strict=True)], runner)
    assert all(isinstance(r, R.Reduction) for r in out), out
    for c, r in zip(cases, out, strict=True):
        assert isinstance(r, R.Reduction)
        assert r.statements_after <= 3 and "wp.sin" in r.case.source, r.case.source
        assert r.case.kernel_name == c.kernel_name
    # one module per round for all three: as many as the longest of them asked for, not the sum
    per = [r.batches for r in reds]
    assert runner.calls == max(per) < sum(per), (runner.calls, per)
    # and the public entry point: same outcome, one failure that does not reproduce refused alone
    quiet = Signature("judge", "cpu~oracle", "mismatch", "float32:value", ("Add",))
    ok = WorkerSettings(run_dir=str(tmp_path), enable_backward=False)  # the real oracle: sin is right
    both = R.reduce_cases([(_case(24), target)], settings, work_dir=str(tmp_path / "w2"), budget_s=200)
    assert isinstance(both[0], R.Reduction) and both[0].statements_after <= 3
    refused = R.reduce_cases([(_case(25), quiet)], ok, work_dir=str(tmp_path / "w3"), budget_s=60)
    assert isinstance(refused[0], R.DoesNotReproduce)


def test_reduce_modes_decide_what_shares_a_module() -> None:
    from corpus.reduce import ReduceMode, judging_settings, reduce_mode

    def sig(stage: str, verdict: str) -> Signature:
        return Signature(stage, "cpu", verdict, "k", ())

    assert reduce_mode(sig("judge", "mismatch")) is ReduceMode.JUDGED
    assert reduce_mode(sig("gradient", "gradient_mismatch")) is ReduceMode.GRADIENT
    assert reduce_mode(sig("compile:cpu", "compile_error")) is ReduceMode.COMPILE
    assert reduce_mode(sig("worker", "crash")) is ReduceMode.ISOLATED
    st = WorkerSettings(run_dir="/tmp", enable_backward=True)
    assert judging_settings(ReduceMode.JUDGED, st).enable_backward is False
    assert judging_settings(ReduceMode.GRADIENT, st).enable_backward is True
    assert judging_settings(ReduceMode.COMPILE, st) is st


def test_the_queue_groups_failures_of_one_shared_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from corpus.reduce import ReduceMode
    from fuzz import reducequeue
    from fuzz.reducequeue import ReducePolicy, ReductionQueue

    modes = {"a": ReduceMode.JUDGED, "b": ReduceMode.COMPILE, "c": ReduceMode.JUDGED,
             "d": ReduceMode.GRADIENT, "e": ReduceMode.JUDGED, "f": ReduceMode.ISOLATED}  # fmt: skip
    monkeypatch.setattr(reducequeue, "needs_reduction", lambda f: True)
    monkeypatch.setattr(reducequeue, "folder_mode", lambda f: modes[f])
    q = ReductionQueue(ReducePolicy(share=1.0, job_s=60, group=2, group_extra=0.5))
    q.add(list(modes))
    assert q.take(fuzzing=False, worker_s=1, left_s=999) == (["a", "c"], 90.0)  # 60 * (1 + 0.5)
    assert q.take(fuzzing=False, worker_s=1, left_s=999) == (["b"], 60.0)  # compile errors alone
    assert q.take(fuzzing=False, worker_s=1, left_s=999) == (["d"], 60.0)  # no other gradient one
    assert q.take(fuzzing=False, worker_s=1, left_s=50) == (["e"], 50.0)  # capped by what is left
    assert q.take(fuzzing=False, worker_s=1, left_s=999) == (["f"], 60.0)
    assert q.take(fuzzing=False, worker_s=1, left_s=999) is None


def test_a_full_group_waiting_goes_before_fuzzing_and_the_queue_projects_its_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from corpus.reduce import ReduceMode
    from fuzz import reducequeue
    from fuzz.reducequeue import ReducePolicy, ReductionQueue

    monkeypatch.setattr(reducequeue, "needs_reduction", lambda f: True)
    monkeypatch.setattr(reducequeue, "folder_mode", lambda f: ReduceMode.JUDGED)
    q = ReductionQueue(ReducePolicy(share=0.5, job_s=60, group=3))
    q.add(["a", "b"])
    q.busy_s = 90.0  # 90 s of 100: over its share
    assert not q.backlogged() and q.take(fuzzing=True, worker_s=100, left_s=999) is None
    q.add(["c"])
    assert q.backlogged()  # three waiting: a full group goes first
    assert q.take(fuzzing=True, worker_s=100, left_s=999) == (["a", "b", "c"], 60 * (1 + 0.3 * 2))
    q.finished(60.0, reduced=2, failed=1)
    q.add(["d", "e"])
    assert q.per_failure_s() == (90.0 + 60.0) / 3
    assert q.projected_s(workers=2) == 2 * 50.0 / 2


def test_a_candidate_outside_the_corpus_allow_list_is_not_compiled(tmp_path: Path) -> None:
    """Cutting `wp.constant(wp.float64(0.125))` to its argument leaves `C = wp.float64(0.125)`,
    which every corpus reader refuses: such a candidate is rejected before it is compiled."""
    from corpus import reduce as R

    settings = WorkerSettings(run_dir=str(tmp_path), enable_backward=False)
    target = Signature("judge", "cpu~oracle", "mismatch", "float32:value", ())
    red = R._Reducer(target, settings, 4, float("inf"), lambda s: None)
    base = _case(31)
    ok = KernelCase(base.kernel_name, "C = wp.constant(wp.float64(0.125))\n" + base.source, "branch", 31,
                    "test", base.params, base.dim)  # fmt: skip
    cut = KernelCase(base.kernel_name, "C = wp.float64(0.125)\n" + base.source, "branch", 31, "test",
                     base.params, base.dim)  # fmt: skip
    big = (10**6,) * 4
    assert red.admissible(ok, big)
    assert not red.admissible(cut, big) and red.rejected_early == 1
