"""Mutation self-test on CPU with hand-written cases: kills are counted, an equivalent mutant
is excluded, and a checker with a useless tolerance lets mutants survive (so the count can say no)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from fuzz.judge import TolerancePolicy
from fuzz.selftest import format_report, mutation_candidates, run_selftest
from fuzz.settings import WorkerSettings
from grammar.case import KernelCase, ParamSpec

# every mutation of this kernel changes out (operator, constant, index shift of a / out)
LIVE = """@wp.kernel
def st_live(a: wp.array(dtype=wp.float32), out: wp.array(dtype=wp.float32)):
    i = wp.tid()
    if a[i] > 0.25:
        out[i] = a[i] * 3.0 + 1.5
    else:
        out[i] = a[i] - 2.0
"""
# every mutation of this one is equivalent: s is 0.5 (< any mutated bound), and the index
# shift of `out` only permutes identical values
DEAD = """@wp.kernel
def st_dead(s: wp.float32, out: wp.array(dtype=wp.float32)):
    i = wp.tid()
    out[i] = wp.min(s, 10.0)
"""


def _case(seed: int) -> KernelCase:
    out = ParamSpec("out", "array", "float32", (16,), role="out")
    if seed % 2 == 0:
        a = ParamSpec("a", "array", "float32", (16,), low=-1.0, high=1.0)
        return KernelCase("st_live", LIVE, "test", seed, "test", (a, out), (16,))
    s = ParamSpec("s", "scalar", "float32", low=0.5, high=0.5, edge=False)
    return KernelCase("st_dead", DEAD, "test", seed, "test", (s, out), (16,))


def test_candidates_cover_kinds_and_stay_in_bodies() -> None:
    kinds = {m.kind for m, _ in mutation_candidates(LIVE, random.Random(0))}
    assert kinds == {"operator", "comparison", "constant", "index"}
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
