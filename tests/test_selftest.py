"""Mutation self-test on CPU with hand-written cases: kills are counted, an equivalent mutant
is excluded, a mutant that only makes written outputs unstable is run and counted, and a checker
with a useless tolerance lets mutants survive (so the count can say no)."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import pytest

import grammar
import oracle
from fuzz.engine.judge import TolerancePolicy
from fuzz.engine.runner import BatchRunner
from fuzz.engine.settings import WorkerSettings
from fuzz.selftest import (
    PlannedMutant,
    SelftestReport,
    classify_run,
    format_report,
    mutation_candidates,
    oracle_difference,
    run_selftest,
)
from grammar.case import MODULE_HEADER, KernelCase, ParamSpec

# every mutation of this kernel changes out (operator, constant, index shift of a / out)
LIVE = """@wp.kernel
def st_live(a: wp.array(dtype=wp.float32), out: wp.array(dtype=wp.float32)):
    i = wp.tid()
    if a[i] > 0.25:
        out[i] = a[i] * 3.0 + 1.5
    else:
        out[i] = a[i] - 2.0
"""
# every mutation of this one is equivalent: s is 5 (< any mutated bound), and the index
# shift of `out` only permutes identical values (an int array: no "unstable" site)
DEAD = """@wp.kernel
def st_dead(s: wp.int32, out: wp.array(dtype=wp.int32)):
    i = wp.tid()
    out[i] = wp.min(s, 10)
"""


def _case(seed: int) -> KernelCase:
    out = ParamSpec("out", "array", "float32", (16,), role="out")
    if seed % 2 == 0:
        a = ParamSpec("a", "array", "float32", (16,), low=-1.0, high=1.0)
        return KernelCase("st_live", LIVE, "test", seed, "test", (a, out), (16,))
    s = ParamSpec("s", "scalar", "int32", low=5, high=5, edge=False, integral=True)
    iout = ParamSpec("out", "array", "int32", (16,), role="out", integral=True)
    return KernelCase("st_dead", DEAD, "test", seed, "test", (s, iout), (16,))


def test_candidates_cover_kinds_and_stay_in_bodies() -> None:
    kinds = {m.kind for m, _ in mutation_candidates(LIVE, random.Random(0))}
    assert kinds == {"operator", "comparison", "constant", "index", "unstable"}
    for m, src in mutation_candidates(LIVE, random.Random(1)):
        assert src != LIVE and "def st_live(a: wp.array(dtype=wp.float32)" in src, m
        compile(src, "<mutant>", "exec")


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("selftest")


def test_kills_counted_and_equivalent_excluded(work: Path) -> None:
    settings = WorkerSettings(run_dir=str(work), enable_backward=False)
    rep = run_selftest(4, 0, settings, str(work / "w"), batch=4, gen=_case, live_tries=3)
    statuses = {o.seed: o.status for o in rep.outcomes}
    assert statuses == {0: "killed", 1: "equivalent", 2: "killed", 3: "equivalent"}, format_report(rep)
    assert rep.judged == 2 and rep.kill_rate == 1.0
    assert rep.equivalent_draws >= 2  # the dead kernels were redrawn before giving up
    assert "kill rate: 2/2 = 100.0 %" in format_report(rep)


def test_loose_tolerance_lets_mutants_survive(work: Path) -> None:
    loose = TolerancePolicy(safety=2.0, floor_ulps=1e12)  # ~1e5 at 1.0: nothing is ever a mismatch
    settings = WorkerSettings(run_dir=str(work), enable_backward=False, policy=loose)
    rep = run_selftest(2, 10, settings, str(work / "w2"), batch=2, gen=_case, live_tries=5)
    live = [o for o in rep.outcomes if o.seed == 10]
    assert live and live[0].status == "survived", format_report(rep)
    assert rep.kill_rate == 0.0 and rep.survivors()
    assert "survivors:" in format_report(rep) and "seed 10" in format_report(rep)


def test_subscript_annotations_get_index_and_unstable_sites() -> None:
    src = LIVE.replace("wp.array(dtype=wp.float32)", "wp.array[wp.float32]")
    kinds = {m.kind for m, _ in mutation_candidates(src, random.Random(0))}
    assert {"index", "unstable"} <= kinds


def test_unstable_only_mutant_is_run_and_counted(work: Path) -> None:
    """The "unstable" kind wraps a stored value in a rounding tie whose both sides are wrong: the
    mutant's oracle marks those outputs unstable (no stable difference), the judge compares the
    device with the original's stable values and kills it; with a useless tolerance it is not
    killed and counts against the rate instead of leaving it."""
    case = _case(0)
    mut, src = next((m, s) for m, s in mutation_candidates(LIVE, random.Random(0)) if m.kind == "unstable")
    inputs = grammar.make_inputs(case)
    orig = oracle.evaluate(MODULE_HEADER + LIVE, case.kernel_name, inputs, case.dim)
    res = oracle.evaluate(MODULE_HEADER + src, case.kernel_name, inputs, case.dim)
    diff = oracle_difference(orig, res)
    assert diff[0] == 0 and diff[1] > 0, diff
    planned = PlannedMutant(case, replace(case, source=src), mut, diff)
    for policy, status in (
        (TolerancePolicy(), "killed"),
        (TolerancePolicy(floor_ulps=1e12), "unstable_only"),
    ):
        settings = WorkerSettings(run_dir=str(work), enable_backward=False, policy=policy)
        runner = BatchRunner(settings, str(work / f"u{status}"), tag="st")
        results, _ = runner.run([planned.mutant], oracle_cases=[case])
        outcome = classify_run(planned, results[0])
        assert outcome.status == status, (outcome.verdict, outcome.message)
    rep = SelftestReport(outcomes=[outcome])
    assert rep.judged == 1 and rep.kill_rate == 0.0 and rep.survivors() == [outcome]
