import numpy as np

from fuzz.engine.judge import TolerancePolicy, check_device, compare_array, decide
from fuzz.engine.verdict import Verdict

P = TolerancePolicy()


def test_integers_must_match_exactly() -> None:
    exp = np.array([1, 2, 3], dtype=np.int32)
    assert compare_array("o", exp.copy(), exp, None, None, P).passed
    obs = exp.copy()
    obs[1] = 3
    c = compare_array("o", obs, exp, None, None, P)
    assert not c.passed and c.bad == 1 and c.worst_index == [1] and c.observed == 3 and c.expected == 2


def test_float_tolerance_follows_error_bound() -> None:
    exp = np.array([1.0, 100.0], dtype=np.float32)
    bound = np.array([1e-3, 0.0])
    obs = exp + np.array([1.5e-3, 0.0], dtype=np.float32)
    assert compare_array("o", obs, exp, bound, None, P).passed  # within 2 * bound
    obs = exp + np.array([3e-3, 0.0], dtype=np.float32)
    c = compare_array("o", obs, exp, bound, None, P)
    assert not c.passed and c.worst_index == [0]
    # with no error budget only a couple of ulp are allowed
    obs = np.array([1.0, np.nextafter(np.float32(100), np.float32(200))], dtype=np.float32)
    assert compare_array("o", obs, exp, np.zeros(2), None, P).passed
    obs = np.array([1.0, 100.01], dtype=np.float32)
    assert not compare_array("o", obs, exp, np.zeros(2), None, P).passed


def test_nan_and_inf_rules() -> None:
    exp = np.array([np.nan, np.inf, 1.0], dtype=np.float32)
    ok = np.array([np.nan, np.inf, 1.0], dtype=np.float32)
    assert compare_array("o", ok, exp, np.zeros(3), None, P).passed
    for bad in ([1.0, np.inf, 1.0], [np.nan, -np.inf, 1.0], [np.nan, np.inf, np.nan]):
        assert not compare_array("o", np.array(bad, dtype=np.float32), exp, np.full(3, 1e9), None, P).passed


def test_unstable_elements_are_skipped_and_counted() -> None:
    exp = np.array([1.0, 2.0], dtype=np.float32)
    obs = np.array([5.0, 2.0], dtype=np.float32)
    c = compare_array("o", obs, exp, np.zeros(2), np.array([True, False]), P)
    assert c.passed and c.unstable == 1 and c.checked == 1


def test_vector_elements_and_missing_arrays() -> None:
    exp = np.zeros((4, 3), dtype=np.float32)
    obs = exp.copy()
    obs[2, 1] = 1.0
    c = compare_array("v", obs, exp, np.zeros((4, 3)), None, P, elem_ndim=1)
    assert not c.passed and c.bad == 1 and c.elements == 4 and c.worst_index == [2]
    d = check_device("cpu", {"a": exp}, {"a": exp, "b": exp}, {}, {}, {}, P)
    assert not d.passed and [a.name for a in d.failing()] == ["b"]


def test_written_and_compared_counts_per_element() -> None:
    """Counts are per element (a vec3 element is written/compared as one) and come only with the
    oracle's write record; the read-only array's stable elements are no evidence."""
    exp = np.zeros((4, 3), dtype=np.float32)
    written = np.zeros((4, 3), bool)
    written[:3] = True
    unstable = np.zeros((4, 3), bool)
    unstable[1] = True
    c = compare_array("v", exp.copy(), exp, np.zeros((4, 3)), unstable, P, elem_ndim=1, written=written)
    assert (c.elements, c.written, c.compared, c.unstable) == (4, 3, 2, 1)
    assert compare_array("v", exp.copy(), exp, None, unstable, P, elem_ndim=1).written is None
    d = check_device("cpu", {"a": exp, "v": exp}, {"a": exp, "v": exp}, {}, {"v": unstable}, {"a": 1, "v": 1}, P,
                     {"a": np.zeros((4, 3), bool), "v": written})  # fmt: skip
    checks = {a.name: a for a in d.arrays}
    assert checks["a"].written == 0 and checks["a"].checked == 4 and checks["v"].compared == 2
    assert decide([d], P).verdict == Verdict.VERIFIED
    unstable[0] = True  # 1 of 3 written elements compared: below half
    d = check_device("cpu", {"a": exp, "v": exp}, {"a": exp, "v": exp}, {}, {"v": unstable}, {"a": 1, "v": 1}, P,
                     {"a": np.zeros((4, 3), bool), "v": written})  # fmt: skip
    got = decide([d], P)
    assert (
        got.verdict == Verdict.INCONCLUSIVE
        and "v: 1 of 3 written elements compared (2 unstable" in got.message
    )


# ---- the judge's verdict on a whole case (judge_case / judge_gradients) and its vocabulary ------


def _oracle(expected: dict[str, np.ndarray], bound: float = 0.0):
    from oracle.result import OracleResult

    return OracleResult(
        arrays=expected,
        error_bound={k: np.full(v.shape, bound) for k, v in expected.items()},
        unstable={k: np.zeros(v.shape, bool) for k, v in expected.items()},
        ops=0,
        written={k: np.ones(v.shape, bool) for k, v in expected.items()},
    )


def test_judge_case_verifies_and_says_no_per_device() -> None:
    from fuzz.engine.judge import judge_case
    from fuzz.engine.verdict import Stage, Verdict

    exp = {"out": np.array([1.0, 2.0, 3.0], np.float32)}
    ok = judge_case({"cpu": {"out": exp["out"].copy()}}, _oracle(exp), {}, P)
    assert ok.verdict is Verdict.VERIFIED and ok.decision.stage == Stage.NONE and ok.unstable_fraction == 0.0
    assert [c.device for c in ok.checks] == ["cpu"]
    wrong = exp["out"].copy()
    wrong[2] = 4.0
    bad = judge_case({"cpu": {"out": wrong}}, _oracle(exp), {}, P)
    assert bad.verdict is Verdict.MISMATCH and bad.decision.stage == "judge" and bad.decision.device == "cpu"
    assert bad.decision.message.startswith("cpu≠oracle: out[2] observed 4.0 expected 3.0")


def test_judge_case_pairs_cpu_with_cuda_under_the_doubled_policy() -> None:
    """Each device is within its tolerance of the oracle, on opposite sides: the cpu~cuda pair
    check allows both sides their tolerance (safety and floor doubled), so it passes where the
    single policy would not; a CUDA result off from both the oracle and the CPU fails both checks."""
    from fuzz.engine.judge import compare_array, judge_case
    from fuzz.engine.verdict import Verdict

    exp = {"out": np.array([1.0], np.float32)}
    orc = _oracle(exp, bound=1e-3)  # each side may differ by 2e-3 (+ 2 ulp)
    cpu, cuda = np.array([1.0019], np.float32), np.array([0.9981], np.float32)
    near = judge_case({"cpu": {"out": cpu}, "cuda:0": {"out": cuda}}, orc, {}, P)
    assert near.verdict is Verdict.VERIFIED
    assert [c.device for c in near.checks] == ["cpu", "cuda:0", "cpu~cuda:0"]
    assert near.checks[2].passed and near.checks[2].tolerance_rule == TolerancePolicy(4.0, 4.0).describe()
    assert not compare_array("out", cuda, cpu, orc.error_bound["out"], None, P).passed  # undoubled: no
    far = judge_case({"cpu": {"out": cpu}, "cuda:0": {"out": np.array([1.01], np.float32)}}, orc, {}, P)
    assert [c.passed for c in far.checks] == [True, False, False]
    assert far.verdict is Verdict.MISMATCH and far.decision.device == "cuda:0+cpu~cuda:0"
    assert far.decision.message.startswith("cuda:0≠oracle: out[0] observed 1.00999")


def test_judge_gradients_takes_the_first_mismatching_device() -> None:
    from fuzz.engine.gradients import GradientCheck
    from fuzz.engine.judge import judge_gradients
    from fuzz.engine.verdict import Stage, Verdict

    good = GradientCheck("cpu", "verified")
    bad = GradientCheck("cuda:0", "mismatch", message="d out / d x off by 2")
    assert judge_gradients([good]).verdict is Verdict.VERIFIED
    d = judge_gradients([good, bad])
    assert (d.verdict, d.stage, d.device) == (Verdict.GRADIENT_MISMATCH, Stage.GRADIENT, "cuda:0")
    assert d.message == "cuda:0 backward: d out / d x off by 2"


def test_stage_texts_round_trip_and_unknown_ones_are_refused() -> None:
    import json

    import pytest

    from fuzz.engine.verdict import Stage, Verdict, Where

    for text in ("import", "compile:cpu", "compile:cuda", "launch:cuda:0", "judge", "gradient", "worker", ""):
        assert Where.parse(text).text == text
    assert Where.parse("launch:cuda:0") == Where(Stage.LAUNCH, "cuda:0")
    assert Where(Stage.COMPILE, "cpu").text == "compile:cpu" and str(Where(Stage.JUDGE)) == "judge"
    with pytest.raises(ValueError, match="unknown stage 'linking:cpu'"):
        Where.parse("linking:cpu")
    # the enums are the stored strings: comparisons with stored text and JSON are unchanged
    assert Verdict.MISMATCH == "mismatch" and f"{Verdict.CRASH}" == "crash" and Stage.ORACLE == "oracle"
    assert Verdict.VERIFIED == "verified" and json.dumps([Verdict.INCONCLUSIVE]) == '["inconclusive"]'


def test_case_result_from_case_takes_the_identity_and_where() -> None:
    import json

    from fuzz.engine.result import CaseResult
    from fuzz.engine.verdict import Stage, Verdict, Where
    from grammar.case import KernelCase, ParamSpec

    case = KernelCase("k_7", "@wp.kernel\ndef k_7(o: wp.array(dtype=float)):\n    o[0] = 1.0\n", "f", 7, "1.0",
                      (ParamSpec("o", "array", "float32", (1,)),), (1,))  # fmt: skip
    r = CaseResult.from_case(case, Verdict.COMPILE_ERROR, Where(Stage.COMPILE, "cpu"), message="boom")
    assert (r.seed, r.kernel_name, r.family, r.generator_version) == (7, "k_7", "f", "1.0")
    assert (r.verdict, r.stage, r.device, r.message) == ("compile_error", "compile:cpu", "cpu", "boom")
    assert type(r.verdict) is str and type(r.stage) is str  # the store's form
    assert r.case == case.to_json()
    again = CaseResult.from_json(json.loads(json.dumps(r.to_json())))
    assert json.dumps(again.to_json()) == json.dumps(r.to_json())
    m = CaseResult.from_case(case, Verdict.MISMATCH, Stage.JUDGE, "cpu+cuda:0", checks=[{"device": "cpu"}])
    assert (m.stage, m.device, m.checks) == ("judge", "cpu+cuda:0", [{"device": "cpu"}])
    lost = CaseResult.without_case(9, Verdict.INTERNAL_ERROR, Stage.GENERATE, "no case")
    assert (lost.kernel_name, lost.family, lost.case, lost.stage) == ("k_9", "?", {}, "generate")
