import numpy as np

from fuzz.engine.judge import INCONCLUSIVE, VERIFIED, TolerancePolicy, check_device, compare_array, decide

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
    assert decide([d], P).verdict == VERIFIED
    unstable[0] = True  # 1 of 3 written elements compared: below half
    d = check_device("cpu", {"a": exp, "v": exp}, {"a": exp, "v": exp}, {}, {"v": unstable}, {"a": 1, "v": 1}, P,
                     {"a": np.zeros((4, 3), bool), "v": written})  # fmt: skip
    got = decide([d], P)
    assert got.verdict == INCONCLUSIVE and "v: 1 of 3 written elements compared (2 unstable" in got.message
