"""Oracle vs real Warp (CPU) beyond wave 1: loops, early return, @wp.func, structs, 2-D
launches, uint32 bit hashing, atomics, float64/float16/int64/int8 mixes, vectors, matrices and
quaternions. One module compile for all kernels."""

from __future__ import annotations

import numpy as np
import pytest
from kernels import harness as h

import oracle

FILE = "wave2.py"
N = 40


def _check(mod, src, kernel, args, dim, min_checked):
    return h.check_against_oracle(mod, src, kernel, args, dim, min_checked)


def _f(rng, lo, hi, shape):
    return rng.uniform(lo, hi, shape).astype(np.float32)


def test_loops_break_continue_while_func(mod, src):
    rng = np.random.default_rng(3)
    args = dict(
        x=_f(rng, -2, 3, N),
        n=rng.integers(0, 9, N).astype(np.int32),
        out=np.zeros(N, np.float32),
        steps=np.zeros(N, np.int32),
    )
    orc = _check(mod, src, "loop_break", args, (N,), 3 * N)
    assert len(np.unique(orc.arrays["steps"])) > 5


def test_early_return_and_ternary(mod, src):
    rng = np.random.default_rng(4)
    args = dict(x=_f(rng, -2, 6, N), out=np.zeros(N, np.float32))
    orc = _check(mod, src, "early_return", args, (N,), 2 * N)
    assert (orc.arrays["out"] == -1).any() and (orc.arrays["out"] != -1).any()


def test_2d_stencil_with_shape(mod, src):
    rng = np.random.default_rng(5)
    a = _f(rng, -1, 1, (5, 7))
    _check(mod, src, "stencil", dict(a=a, out=np.zeros((5, 7), np.float32)), (5, 7), 70)


def test_uint32_hash(mod, src):
    args = dict(
        seed=np.arange(N, dtype=np.uint32) * 7919, out=np.zeros(N, np.uint32), bits=np.zeros(N, np.int32)
    )
    _check(mod, src, "hash_u32", args, (N,), 3 * N)


def test_atomics_histogram(mod, src):
    rng = np.random.default_rng(6)
    v = _f(rng, 0, 2, N)
    args = dict(v=v, bins=np.zeros(9, np.int32), sums=np.zeros(8, np.float32), old=np.zeros(N, np.int32))
    # every bin is shared and `old[i]` keeps the returned old value: the result hangs on thread
    # order, so the oracle refuses the kernel (tests/test_soundness.py verifies discarded results)
    with pytest.raises(oracle.OrderDependent, match=r"^order-dependent: old\[\d+\] .*bins\["):
        oracle.evaluate(src, "histogram", args, (N,))


def test_dtype_mixes(mod, src):
    rng = np.random.default_rng(7)
    args = dict(
        d=rng.uniform(-5, 5, N),
        h=rng.uniform(-5, 5, N).astype(np.float16),
        lv=rng.integers(-100, 100, N),
        b=rng.integers(-20, 20, N).astype(np.int8),
        od=np.zeros(N),
        oh=np.zeros(N, np.float16),
        ol=np.zeros(N, np.int64),
        ob=np.zeros(N, np.int8),
    )
    _check(mod, src, "mixes", args, (N,), 8 * N)


def _vec_args(seed):
    """Inputs of `vec_ops`: points, a matrix per lane and the struct parameter."""
    rng = np.random.default_rng(seed)
    prm = dict(scale=np.float32(0.8), offset=np.array([0.1, -0.2, 0.3], np.float32), n=np.int32(3))
    args = dict(
        p=_f(rng, -1, 1, (N, 3)),
        q=_f(rng, -1, 1, (N, 3)),
        m=_f(rng, -1, 1, (N, 3, 3)),
        prm=prm,
        ov=np.zeros((N, 3), np.float32),
        os=np.zeros(N, np.float32),
    )
    return args


def test_vectors_matrices_struct(mod, src):
    args = _vec_args(8)
    _check(mod, src, "vec_ops", args, (N,), 4 * N)


def test_quaternions(mod, src):
    rng = np.random.default_rng(9)
    args = dict(
        axis=_f(rng, -1, 1, (N, 3)),
        ang=_f(rng, -3, 3, N),
        v=_f(rng, -1, 1, (N, 3)),
        o=np.zeros((N, 3), np.float32),
        om=np.zeros((N, 3, 3), np.float32),
    )
    _check(mod, src, "quat_ops", args, (N,), 12 * N)


def test_detects_wrong_matrix_product(mod, src):
    """Interpreting m*c as transpose(m)*c must be caught by the bound check."""
    args = _vec_args(10)
    dev = h.run_device(mod, "vec_ops", args, (N,))
    wrong = src.replace(
        "r = m[i] * c + wp.transpose(m[i]) * q[i]", "r = wp.transpose(m[i]) * c + wp.transpose(m[i]) * q[i]"
    )
    assert wrong != src
    cmp = h.compare(dev, oracle.evaluate(wrong, "vec_ops", args, (N,)))
    assert not cmp.ok
