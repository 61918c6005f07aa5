"""Oracle vs real Warp (CPU) on the wave-1 subset, plus the oracle's ability to say no."""

from __future__ import annotations

import numpy as np
from kernels import harness as h

import oracle

FILE = "wave1.py"
EDGE = np.array(
    [0, -0.0, 1, -1, 0.5, -0.5, 1.5, 2.5, -2.5, 0.49999997, 3.0, -7.25, 1e-30, 20, -20, 100, np.pi / 2, 1e6],
    np.float32,
)


def _inputs(seed: int = 1):
    rng = np.random.default_rng(seed)
    x = np.concatenate([EDGE, rng.uniform(-4, 4, 46).astype(np.float32)])
    y = np.concatenate([EDGE[::-1], rng.uniform(-4, 4, 46).astype(np.float32)])
    n = len(x)
    a = rng.integers(-20, 20, n).astype(np.int32)
    b = (rng.integers(1, 6, n) * np.where(rng.random(n) < 0.5, -1, 1)).astype(np.int32)
    return x, y, a, b


def _check(mod, src, kernel, args, dim, min_checked):
    dev = h.run_device(mod, kernel, args, dim)
    orc = oracle.evaluate(src, kernel, args, dim)
    cmp = h.compare(dev, orc)
    assert cmp.ok, f"{kernel}: " + "; ".join(cmp.mismatches[:8])
    assert cmp.checked >= min_checked, (
        f"{kernel}: only {cmp.checked} elements checked ({cmp.unstable} unstable)"
    )
    # inputs are never mutated
    for k, v in args.items():
        if isinstance(v, np.ndarray) and k not in ("out",):
            assert v is not orc.arrays.get(k)
    return orc


def test_saxpy_clamp(mod, src):
    x, y, _, _ = _inputs()
    n = len(x)
    _check(
        mod, src, "saxpy_clamp", dict(x=x, y=y, out=np.zeros(n, np.float32), a=np.float32(0.7)), (n,), 3 * n
    )


def test_branches_and_boolops(mod, src):
    x, _, a, _ = _inputs(2)
    n = len(x)
    ni = (a % 5).astype(np.int32)
    args = dict(x=x, n=ni, out=np.zeros(n, np.float32), flag=np.zeros(n, np.int32))
    orc = _check(mod, src, "branchy", args, (n,), 3 * n)
    assert set(np.unique(orc.arrays["flag"])) == {1, 2, 3}


def test_int_division_signs(mod, src):
    a = np.array([7, -7, 7, -7, 0, 5, -1, 6, -6], np.int32)
    b = np.array([2, 2, -2, -2, 3, -3, 5, 3, -3], np.int32)
    z = np.zeros(len(a), np.int32)
    orc = _check(mod, src, "int_divmod", dict(a=a, b=b, q=z, f=z, r=z), (len(a),), 5 * len(a))
    # measured Warp semantics: / truncates, // floors, % has the dividend's sign
    assert orc.arrays["q"][:4].tolist() == [3, -3, -3, 3]
    assert orc.arrays["f"][:4].tolist() == [3, -4, -4, 3]
    assert orc.arrays["r"][:4].tolist() == [1, -1, 1, -1]


def test_float_division(mod, src):
    x, y, _, _ = _inputs(3)
    n = len(x)
    z = np.zeros(n, np.float32)
    _check(mod, src, "float_divmod", dict(a=x, b=y, q=z, f=z, r=z), (n,), 4 * n)


def test_unary_builtins(mod, src):
    x, _, _, _ = _inputs(4)
    n = len(x)
    orc = _check(mod, src, "unary_sweep", dict(x=x, o=np.zeros((n, 28), np.float32)), (n,), 25 * n)
    o = orc.arrays["o"]
    assert o[0, 1] == 1 and o[1, 1] == 1  # sign(0.0) == sign(-0.0) == 1
    assert o[7, 4] == 3 and o[8, 4] == -3 and o[7, 5] == 2  # round half away, rint to even
    assert o[0, 23] == 0 and o[3, 23] == 1  # step(x) = x < 0 ? 1 : 0


def test_binary_builtins(mod, src):
    x, y, _, _ = _inputs(5)
    n = len(x)
    args = dict(x=x, y=y, o=np.zeros((n, 10), np.float32), c=np.zeros((n, 5), np.int32))
    _check(mod, src, "binary_sweep", args, (n,), 14 * n)


def test_casts(mod, src):
    x, _, a, _ = _inputs(6)
    n = len(x)
    args = dict(x=x, n=a, fo=np.zeros((n, 3), np.float32), io=np.zeros((n, 2), np.int32))
    _check(mod, src, "casts", args, (n,), 4 * n)


def test_int_builtins_and_augassign(mod, src):
    _, _, a, b = _inputs(7)
    n = len(a)
    _check(mod, src, "int_builtins", dict(a=a, b=b, o=np.zeros((n, 10), np.int32)), (n,), 10 * n)


# ---------------------------------------------------------------- the check can say no


def test_detects_floordiv_vs_div(mod, src):
    """Device runs `/`, oracle interprets the same kernel written with `//`: must mismatch."""
    a = np.array([7, -7, 7, -7, 9], np.int32)
    b = np.array([2, 2, -2, -2, 4], np.int32)
    args = dict(a=a, b=b, q=np.zeros(5, np.int32))
    dev = h.run_device(mod, "wrong_floordiv", args, (5,))
    wrong_src = src.replace("    q[i] = a[i] / b[i]\n", "    q[i] = a[i] // b[i]\n")
    assert wrong_src != src
    orc = oracle.evaluate(wrong_src, "wrong_floordiv", args, (5,))
    cmp = h.compare(dev, orc)
    assert not cmp.ok and len(cmp.mismatches) == 2


def test_detects_float_perturbation(mod, src):
    """A device result off by 1000 ulp must fail the bound check."""
    x, _, _, _ = _inputs(8)
    n = len(x)
    args = dict(x=x, o=np.zeros((n, 28), np.float32))
    dev = h.run_device(mod, "unary_sweep", args, (n,))
    orc = oracle.evaluate(src, "unary_sweep", args, (n,))
    assert h.compare(dev, orc).ok
    bad = {k: v.copy() for k, v in dev.items()}
    col = bad["o"][:, 14]  # sin
    col += np.where(col != 0, np.spacing(np.abs(col)) * 1000, 0).astype(np.float32)
    cmp = h.compare(bad, orc)
    assert not cmp.ok
    assert len(cmp.mismatches) >= 5
