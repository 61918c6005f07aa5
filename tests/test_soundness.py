"""'Verified' means written elements were compared; order-dependent kernels are refused.

Real Warp on CPU and the real oracle throughout: a case whose written elements are all unstable is
inconclusive (however many read-only input elements agree), kernels whose result hangs on thread
order raise OrderDependent and become invalid_kernel, commutative accumulation still verifies, and a
deliberately wrong output is still a mismatch.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import oracle
from fuzz.engine import judge as J
from fuzz.engine.result import CaseResult
from fuzz.engine.settings import WorkerSettings
from fuzz.engine.verdict import Verdict
from grammar.case import MODULE_HEADER, KernelCase, ParamSpec

N = 64


def _arr(name: str, dtype: str = "float32", role: str = "in", shape: tuple[int, ...] = (N,)) -> ParamSpec:
    integral = dtype.startswith("int")
    if role == "out":
        return ParamSpec(name, "array", dtype, shape, "out", integral=integral)
    lo, hi = (0, 8) if integral else (-2.0, 2.0)
    return ParamSpec(name, "array", dtype, shape, role, lo, hi, integral=integral)


def _case(seed: int, body: str, params: tuple[ParamSpec, ...]) -> KernelCase:
    name = f"snd_{seed}"
    sig = ", ".join(f"{p.name}: wp.array(dtype=wp.{p.dtype})" for p in params)
    src = f"@wp.kernel\ndef {name}({sig}):\n    i = wp.tid()\n" + "".join(
        f"    {ln}\n" for ln in body.splitlines()
    )
    return KernelCase(name, src, "test", seed, "test", params, (N,), ())


X, OUT = _arr("x"), _arr("out", role="out")
ONE = _arr("total", role="out", shape=(1,))
ORDER_DEPENDENT = {
    # every thread stores a different value to out[0]
    "race": (
        1,
        "out[0] = x[i] * 2.0",
        (X, OUT),
        r"threads \(\d+,\) and \(\d+,\) store different values to out\[0\]",
    ),
    # the returned running sum of a shared-address atomic reaches an output
    "atomic_old": (
        2,
        "old = wp.atomic_add(total, 0, x[i])\nout[i] = old",
        (X, ONE, OUT),
        r"out\[\d+\] takes a different value when the atomics on total\[0\]",
    ),
    # stream compaction: the slot comes from the atomic's return value
    "compaction": (
        3,
        "if x[i] > 0.0:\n    slot = wp.atomic_add(count, 0, 1)\n    out[slot] = x[i]",
        (X, ParamSpec("count", "array", "int32", (1,), "in", 0, 0, integral=True), OUT),
        r"out\[\d+\] takes a different value when the atomics on count\[0\]",
    ),
    # each thread reads the element its left neighbour stores
    "neighbour": (
        4,
        "if i > 0:\n    x[i] = x[i] + x[i - 1]",
        (X,),
        r"thread \(\d+,\) reads x\[\d+\], which thread \(\d+,\) stores to",
    ),
}


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory) -> object:
    from fuzz.engine.runner import BatchRunner

    work = tmp_path_factory.mktemp("soundness")
    return BatchRunner(WorkerSettings(str(work), ("cpu",), enable_backward=False), str(work), tag="snd")


def _run(runner: object, cases: list[KernelCase]) -> dict[int, CaseResult]:
    results, _ = runner.run(cases)  # type: ignore[attr-defined]
    return {r.seed: r for r in results}


def _evaluate(case: KernelCase) -> oracle.OracleResult:
    import grammar

    return oracle.evaluate(case.module_source(), case.kernel_name, grammar.make_inputs(case), case.dim)


@pytest.mark.parametrize("which", sorted(ORDER_DEPENDENT))
def test_order_dependent_kernels_are_refused_by_the_oracle(which: str) -> None:
    seed, body, params, pattern = ORDER_DEPENDENT[which]
    case = _case(seed, body, params)
    with pytest.raises(oracle.OrderDependent, match=r"^order-dependent: ") as info:
        _evaluate(case)
    err = info.value
    assert isinstance(err, oracle.UndefinedBehavior)
    assert re.search(pattern, str(err)), str(err)
    assert len(err.threads) == 2 and err.threads[0] != err.threads[1]
    assert all(isinstance(t, tuple) and len(t) == 1 for t in err.threads)
    assert err.lineno > 0 and f"(line {err.lineno})" in str(err)


def test_order_dependent_kernels_are_invalid_in_a_campaign(runner: object) -> None:
    cases = [_case(s, b, p) for s, b, p, _ in ORDER_DEPENDENT.values()]
    got = _run(runner, cases)
    for seed, *_ in ORDER_DEPENDENT.values():
        r = got[seed]
        assert r.verdict == Verdict.INVALID_KERNEL and r.stage == "oracle", (seed, r.verdict, r.message)
        assert "OrderDependent: order-dependent:" in r.message


COMMUTATIVE = (
    # float and int sums with discarded results, and `a[0] += v` (lowered to atomic_add)
    (
        10,
        "wp.atomic_add(total, 0, x[i])\nwp.atomic_add(count, 0, n[i])\nacc[0] += x[i] * 0.5\nout[i] = x[i] + 1.0",
        (
            X,
            _arr("n", "int32"),
            ONE,
            _arr("count", "int32", role="out", shape=(1,)),
            _arr("acc", role="out", shape=(1,)),
            OUT,
        ),
    ),
    # an atomic whose return value is used but whose address no other thread shares
    (
        11,
        "old = wp.atomic_add(hist, i, 1)\nout[i] = float(old) + x[i]",
        (X, _arr("hist", "int32", role="out"), OUT),
    ),
    # min/max/or accumulation, and a thread reading back only its own element
    (
        12,
        "wp.atomic_max(m, i % 4, n[i])\nwp.atomic_min(m, 4 + i % 4, n[i])\nwp.atomic_or(m, 8, n[i])\nx[i] = x[i] + 1.0",
        (X, _arr("n", "int32"), _arr("m", "int32", role="out", shape=(9,))),
    ),
)


def test_commutative_accumulation_still_verifies(runner: object) -> None:
    got = _run(runner, [_case(s, b, p) for s, b, p in COMMUTATIVE])
    for seed, _, _ in COMMUTATIVE:
        r = got[seed]
        assert r.verdict == Verdict.VERIFIED, (seed, r.verdict, r.message)
        arrays = {a["name"]: a for c in r.checks for a in c["arrays"]}
        assert all(a["written"] is not None for a in arrays.values())
        assert sum(a["compared"] for a in arrays.values()) > 0
    sums = {a["name"]: a for a in got[10].checks[0]["arrays"]}
    assert sums["total"]["written"] == 1 and sums["total"]["compared"] == 1
    assert sums["x"]["written"] == 0 and sums["x"]["elements"] == N  # read only: compared, no evidence


# every written element hangs on a comparison within rounding error (sin^2 + cos^2 against 1): the
# read-only input x has 64 stable elements, the output none
ALL_UNSTABLE = (
    "s = wp.sin(x[i] + 0.1)\nc = wp.cos(x[i] + 0.1)\n"
    "if s * s + c * c >= 1.0:\n    out[i] = 1.0\nelse:\n    out[i] = 2.0"
)


def test_all_written_elements_unstable_is_inconclusive(runner: object) -> None:
    case = _case(20, ALL_UNSTABLE, (X, OUT))
    orc = _evaluate(case)
    assert orc.written["out"].all() and orc.unstable["out"].all() and not orc.written["x"].any()
    r = _run(runner, [case])[20]
    assert r.verdict == Verdict.INCONCLUSIVE and r.stage == "judge", (r.verdict, r.message)
    assert f"out: 0 of {N} written elements compared ({N} unstable" in r.message
    arrays = {a["name"]: a for a in r.checks[0]["arrays"]}
    assert arrays["out"]["written"] == N and arrays["out"]["compared"] == 0
    # today's rule counted the stable input too: half the elements stable looked like evidence
    assert arrays["x"]["checked"] == N


def test_a_launch_that_writes_nothing_is_inconclusive(runner: object) -> None:
    case = _case(21, "if x[i] > 100.0:\n    out[i] = 1.0", (X, OUT))
    r = _run(runner, [case])[21]
    assert r.verdict == Verdict.INCONCLUSIVE and "writes no element" in r.message, r.message


def test_a_deliberately_wrong_output_is_still_a_mismatch(tmp_path: Path) -> None:
    """The oracle reads `out[i] = x[i] + 1.0`; the device runs `+ 2.0` (the self-test's trick)."""
    from fuzz.engine.runner import BatchRunner

    right = _case(30, "wp.atomic_add(total, 0, x[i])\nout[i] = x[i] + 1.0", (X, ONE, OUT))
    wrong = _case(30, "wp.atomic_add(total, 0, x[i])\nout[i] = x[i] + 2.0", (X, ONE, OUT))
    settings = WorkerSettings(str(tmp_path), ("cpu",), enable_backward=False)
    results, _ = BatchRunner(settings, str(tmp_path / "w")).run([wrong], oracle_cases=[right])
    assert results[0].verdict == Verdict.MISMATCH and "out[" in results[0].message, results[0].message


def test_decide_needs_compared_written_elements_per_array() -> None:
    """The rule itself, on synthetic checks: per written array, compared/written >= 1 - max_unstable."""
    p = J.TolerancePolicy()
    exp = np.zeros(8, np.float32)
    written = {"a": np.zeros(8, bool), "o1": np.ones(8, bool), "o2": np.ones(8, bool)}
    unstable = {"a": np.zeros(8, bool), "o1": np.zeros(8, bool), "o2": np.arange(8) < 5}
    obs = {k: exp.copy() for k in written}
    dc = J.check_device("cpu", obs, {k: exp for k in written}, {}, unstable, {}, p, written)
    d = J.decide([dc], p)
    assert d.verdict == Verdict.INCONCLUSIVE and d.evidence is J.Evidence.TOO_UNSTABLE
    assert "o2: 3 of 8 written elements compared (5 unstable" in d.message
    unstable["o2"] = np.arange(8) < 4  # exactly half compared: enough
    dc = J.check_device("cpu", obs, {k: exp for k in written}, {}, unstable, {}, p, written)
    assert J.decide([dc], p).verdict == Verdict.VERIFIED
    # without the write record nothing is provably compared
    dc = J.check_device("cpu", obs, {k: exp for k in written}, {}, unstable, {}, p)
    assert J.decide([dc], p).evidence is J.Evidence.UNKNOWN
    # a wrong element still fails first
    obs["o1"][3] = 1.0
    dc = J.check_device("cpu", obs, {k: exp for k in written}, {}, unstable, {}, p, written)
    assert J.decide([dc], p).verdict == Verdict.MISMATCH


def test_module_header_is_what_cases_use() -> None:
    assert _case(1, "out[i] = x[i]", (X, OUT)).module_source().startswith(MODULE_HEADER)


def test_a_tie_of_exact_literals_is_stable_and_verifies(runner: object) -> None:
    """`-0.5 >= -0.5` is an exact tie (both literals are exact binary fractions), so the branch is
    decided and the written elements are compared; an inexact decimal (0.1) keeps its parse error.
    Before, every float literal carried half an ulp of float64, which tainted this branch on every
    lane and left seed 24 of a campaign with 0 of 128 written elements compared."""
    from oracle.types import FLOAT32
    from oracle.values import const_value, literal_parse_error

    case = _case(40, "if -0.5 >= -0.5:\n    out[i] = x[i] * 3.0\nelse:\n    out[i] = 0.0", (X, OUT))
    orc = _evaluate(case)
    assert orc.written["out"].all() and not orc.unstable["out"].any()
    r = _run(runner, [case])[40]
    assert r.verdict == Verdict.VERIFIED, (r.verdict, r.message)
    assert literal_parse_error(0.5) == 0.0 and literal_parse_error(10.0) == 0.0
    assert literal_parse_error(0.1) > 0.0
    assert const_value(FLOAT32, 0.1, 1).err[0] > 0.0 and const_value(FLOAT32, -0.5, 1).err[0] == 0.0
