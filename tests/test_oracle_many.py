"""`evaluate_many` interprets several launches at once; each result must equal `evaluate`'s.

The gradient check relies on this for its finite differences, so the test compares every output,
error bound and instability flag over generated kernels of every family, and over hand-written
kernels whose threads share array elements (atomics, stores by other threads' indices, 2-D
arrays): if the launches leaked into each other's arrays, those are where it would show.
"""

from __future__ import annotations

import numpy as np
import pytest

import grammar
from fuzz.engine.gradients import float64_source
from oracle import evaluate, evaluate_many

HEADER = "import warp as wp\n\n"


def _variants(inputs: dict, k: int) -> list[dict]:
    """k argument sets that differ in every float array (and int arrays by a shift)."""
    out = []
    for c in range(k):
        args = {}
        for name, v in inputs.items():
            if isinstance(v, np.ndarray) and v.dtype.kind == "f":
                args[name] = (v * (1 + 0.125 * c) + 0.25 * c).astype(v.dtype)
            elif isinstance(v, np.ndarray) and v.dtype.kind == "i" and name.startswith("a"):
                args[name] = v  # int inputs may be indices: keep them in bounds
            else:
                args[name] = v
        out.append(args)
    return out


def _same(a, b) -> None:
    assert a.arrays.keys() == b.arrays.keys()
    for name in a.arrays:
        np.testing.assert_array_equal(a.arrays[name], b.arrays[name], err_msg=name)
        np.testing.assert_array_equal(a.error_bound[name], b.error_bound[name], err_msg=name)
        np.testing.assert_array_equal(a.unstable[name], b.unstable[name], err_msg=name)


@pytest.mark.parametrize("family", grammar.FAMILIES)
def test_many_equals_one_at_a_time_on_generated_kernels(family):
    compared = 0
    for seed in range(40):
        case = grammar.generate(seed, family=family)
        sets = _variants(grammar.make_inputs(case), 3)
        for source in (case.module_source(), float64_source(case.module_source())):
            try:
                singles = [evaluate(source, case.kernel_name, a, case.dim) for a in sets]
            except Exception as e:  # noqa: BLE001 - the batch must then fail the same way
                with pytest.raises(type(e)):
                    evaluate_many(source, case.kernel_name, sets, case.dim)
                continue
            many = evaluate_many(source, case.kernel_name, sets, case.dim)
            assert len(many) == len(sets)
            for one, batched in zip(singles, many, strict=True):
                _same(one, batched)
            compared += 1
        if compared >= 6:
            break
    assert compared >= 2, f"no {family} kernel compared"


SHARED = (
    HEADER
    + """
@wp.kernel
def shared(a: wp.array(dtype=wp.float32), idx: wp.array(dtype=wp.int32), grid: wp.array2d(dtype=wp.float32),
           acc: wp.array(dtype=wp.float32), hist: wp.array(dtype=wp.int32), out: wp.array(dtype=wp.float32)):
    i = wp.tid()
    wp.atomic_add(acc, 0, a[i] * 2.0)
    wp.atomic_max(acc, 1, a[i])
    wp.atomic_add(hist, idx[i], 1)
    wp.atomic_add(out, idx[i], a[i] - grid[i % 2, idx[i]])  # shared addresses, no race
    wp.atomic_add(out, i % 3, grid[(i + 1) % 2, i % 3])
"""
)


def test_launches_never_touch_each_others_arrays():
    rng = np.random.default_rng(7)
    sets = []
    for c in range(4):
        sets.append(
            {
                "a": rng.normal(size=8).astype(np.float32) + c,
                "idx": np.array([c % 3, 1, 2, 0, 1, 2, 0, c % 2], dtype=np.int32),
                "grid": rng.normal(size=(2, 3)).astype(np.float32),
                "acc": np.zeros(2, np.float32),
                "hist": np.zeros(3, np.int32),
                "out": np.zeros(3, np.float32),
            }
        )
    singles = [evaluate(SHARED, "shared", s, (8,)) for s in sets]
    many = evaluate_many(SHARED, "shared", sets, (8,))
    for one, batched in zip(singles, many, strict=True):
        _same(one, batched)
    # the copies really differ, so the equality above says something
    assert not np.array_equal(many[0].arrays["hist"], many[1].arrays["hist"])
    assert many[0].arrays["acc"][0] != many[3].arrays["acc"][0]


TID2 = (
    HEADER
    + """
@wp.kernel
def tid2(m: wp.array2d(dtype=wp.float32), out: wp.array2d(dtype=wp.float32)):
    i, j = wp.tid()
    out[i, j] = m[j % 2, i] * wp.float32(i + 10 * j)
"""
)


def test_multidimensional_launches():
    sets = [
        {"m": np.full((2, 3), float(c + 1), np.float32), "out": np.zeros((3, 4), np.float32)}
        for c in range(3)
    ]
    many = evaluate_many(TID2, "tid2", sets, (3, 4))
    for s, batched in zip(sets, many, strict=True):
        _same(evaluate(TID2, "tid2", s, (3, 4)), batched)
    assert many[2].arrays["out"][1, 2] == 3.0 * 21


def test_ub_in_one_launch_fails_the_batch():
    from oracle import UndefinedBehavior

    src = (
        HEADER
        + """
@wp.kernel
def div(a: wp.array(dtype=wp.int32), out: wp.array(dtype=wp.int32)):
    i = wp.tid()
    out[i] = 100 / a[i]
"""
    )
    ok = {"a": np.array([1, 2], np.int32), "out": np.zeros(2, np.int32)}
    bad = {"a": np.array([1, 0], np.int32), "out": np.zeros(2, np.int32)}
    assert evaluate_many(src, "div", [ok, ok], (2,))[1].arrays["out"].tolist() == [100, 50]
    with pytest.raises(UndefinedBehavior):
        evaluate_many(src, "div", [ok, bad], (2,))
