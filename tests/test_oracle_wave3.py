"""Oracle wave 3 vs real Warp (CPU): inverse (2x2/3x3/4x4, f and d), identity, 4x4 determinant,
quat_slerp / quat_rpy / quat_from_matrix / quaternion normalize, transforms and bit_count.
One module compile for all kernels; NumPy anchors check the semantics independently of Warp."""

from __future__ import annotations

import numpy as np
import pytest
from kernels import harness as h

import oracle

FILE = "wave3.py"
N = 48


def _check(mod, src, kernel, args, dim, min_checked):
    return h.check_against_oracle(mod, src, kernel, args, dim, min_checked)


def _f(rng, lo, hi, shape, dt=np.float32):
    return rng.uniform(lo, hi, shape).astype(dt)


def _z(*shape, dt=np.float32):
    return np.zeros(shape, dt)


def _unit_quats(rng, n, dt=np.float32):
    q = rng.normal(size=(n, 4))
    return (q / np.linalg.norm(q, axis=1, keepdims=True)).astype(dt)


def _rot(q):
    x, y, z, w = q.T
    return np.stack(
        [
            np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)], -1),
            np.stack([2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)], -1),
            np.stack([2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)], -1),
        ],
        1,
    )


def _mats(rng):
    m2, m3, m4 = _f(rng, -2, 2, (N, 2, 2)), _f(rng, -2, 2, (N, 3, 3)), _f(rng, -2, 2, (N, 4, 4))
    m2[0], m3[0], m4[0] = 0, 0, 0  # singular: zero matrix out
    m2[1] = [[1, 2], [2, 4]]  # singular with nonzero entries
    m4[1] = np.eye(4)
    return m2, m3, m4


def test_inverse_identity_determinant_f32(mod, src):
    m2, m3, m4 = _mats(np.random.default_rng(1))
    args = dict(m2=m2, m3=m3, m4=m4, o2=_z(N, 2, 2), o3=_z(N, 3, 3), o4=_z(N, 4, 4), det4=_z(N))
    orc = _check(mod, src, "mat_inv", args, (N,), 25 * N)
    a = orc.arrays
    ok = slice(2, None)
    np.testing.assert_allclose(a["det4"][ok], np.linalg.det(m4[ok].astype(np.float64)), rtol=1e-3, atol=1e-4)
    for name, m, extra in (("o2", m2, 0), ("o3", m3, np.eye(3)), ("o4", m4, 0)):
        ref = np.linalg.inv(m[ok].astype(np.float64)) + extra
        good = np.abs(np.linalg.det(m[ok].astype(np.float64))) > 0.1
        np.testing.assert_allclose(a[name][ok][good], ref[good], rtol=2e-2, atol=2e-2)
    assert (a["o2"][:2] == 0).all() and (a["o4"][0] == 0).all() and (a["o3"][0] == np.eye(3)).all()


def test_inverse_identity_determinant_f64(mod, src):
    m2, m3, m4 = _mats(np.random.default_rng(2))
    args = dict(m3=m3.astype(np.float64), m4=m4.astype(np.float64), o3=_z(N, 3, 3, dt=np.float64))
    args |= dict(o4=_z(N, 4, 4, dt=np.float64), det4=_z(N, dt=np.float64))
    orc = _check(mod, src, "mat_inv_d", args, (N,), 20 * N)
    np.testing.assert_allclose(
        orc.arrays["det4"], np.linalg.det(m4.astype(np.float64)), rtol=1e-9, atol=1e-12
    )


def test_quaternion_slerp_rpy_from_matrix(mod, src):
    rng = np.random.default_rng(3)
    q0, q1 = _unit_quats(rng, N), _unit_quats(rng, N)
    t = _f(rng, 0, 1, N)
    t[:2] = [0.0, 1.0]
    rq = _unit_quats(rng, N, np.float64)
    m = _rot(rq)
    m[: N // 4] += rng.normal(0, 0.05, (N // 4, 3, 3))  # not quite rotations: all branches
    m4 = np.zeros((N, 4, 4))
    m4[:, :3, :3], m4[:, 3, 3] = m[::-1], 1.0
    args = dict(
        q0=q0, q1=q1, t=t, rpy=_f(rng, -3, 3, (N, 3)), m=m.astype(np.float32), m4=m4.astype(np.float32)
    )
    args |= dict(os=_z(N, 4), orpy=_z(N, 4), om=_z(N, 4), om4=_z(N, 4), on=_z(N, 4))
    orc = _check(mod, src, "quat_more", args, (N,), 18 * N)
    a = orc.arrays
    # anchors: slerp(q0, q1, 0) = q0; slerp(q0, q1, 1) = +-q1; from_matrix(rot(q)) = +-q; normalize(0) = identity
    np.testing.assert_allclose(a["os"][0], q0[0], atol=1e-5)
    assert min(np.abs(a["os"][1] - q1[1]).max(), np.abs(a["os"][1] + q1[1]).max()) < 1e-5
    exact = slice(N // 4, None)
    err = np.minimum(np.abs(a["om"][exact] - rq[exact]).max(1), np.abs(a["om"][exact] + rq[exact]).max(1))
    assert err.max() < 1e-4
    ident = np.array([0, 0, 0, 1], np.float32)
    np.testing.assert_allclose(a["on"] - ident, q1 / np.linalg.norm(q1, axis=1, keepdims=True), atol=1e-5)


def test_transforms(mod, src):
    rng = np.random.default_rng(4)
    ta = np.concatenate([_f(rng, -2, 2, (N, 3)), _unit_quats(rng, N)], axis=1)
    tb = np.concatenate([_f(rng, -2, 2, (N, 3)), _unit_quats(rng, N)], axis=1)
    x, p, q = _f(rng, -2, 2, (N, 3)), _f(rng, -2, 2, (N, 3)), _unit_quats(rng, N)
    args = dict(ta=ta, tb=tb, x=x, p=p, q=q, ot=_z(N, 7), oi=_z(N, 7), op=_z(N, 3), ov=_z(N, 3))
    args |= dict(oc=_z(N, 7), oq=_z(N, 4))
    orc = _check(mod, src, "xforms", args, (N,), 9 * N)
    a = orc.arrays
    # anchor: transform_point(t, x) = R(q) x + p (plus tb's translation in this kernel)
    ref = np.einsum("nij,nj->ni", _rot(ta[:, 3:].astype(np.float64)), x) + ta[:, :3] + tb[:, :3]
    np.testing.assert_allclose(a["op"], ref, atol=1e-4)
    np.testing.assert_array_equal(a["oc"][0], [0, 0, 0, 0, 0, 0, 1])
    args_d = dict(ta=ta.astype(np.float64), x=x.astype(np.float64), op=_z(N, 3, dt=np.float64))
    orc = _check(mod, src, "xforms_d", args_d, (N,), 3 * N)
    # anchor: inverse transform undoes the transform
    back = np.einsum("nij,nj->ni", _rot(ta[:, 3:].astype(np.float64)), orc.arrays["op"]) + ta[:, :3]
    np.testing.assert_allclose(back, x, atol=1e-6)


def test_bit_count(mod, src):
    rng = np.random.default_rng(5)
    a = rng.integers(-(2**31), 2**31 - 1, N).astype(np.int32)
    a[:2] = [-1, -(2**31)]
    b = rng.integers(0, 2**63, N, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    c = rng.integers(-128, 127, N).astype(np.int8)
    d = rng.integers(0, 65535, N).astype(np.uint16)
    orc = _check(mod, src, "bits", dict(a=a, b=b, c=c, d=d, out=_z(N, dt=np.int32)), (N,), 5 * N)
    assert orc.arrays["out"][0] // 1000000 == 32 and orc.arrays["out"][1] // 1000000 == 1


def test_detects_wrong_inverse_and_transform(mod, src):
    """A deliberately wrong oracle reading (transpose for inverse, rotate-inverse for rotate) must
    fail the comparison with the device."""
    m2, m3, m4 = _mats(np.random.default_rng(6))
    args = dict(m2=m2, m3=m3, m4=m4, o2=_z(N, 2, 2), o3=_z(N, 3, 3), o4=_z(N, 4, 4), det4=_z(N))
    dev = h.run_device(mod, "mat_inv", args, (N,))
    wrong = src.replace("o4[i] = wp.inverse(m4[i])", "o4[i] = wp.transpose(wp.inverse(m4[i]))")
    assert wrong != src
    assert not h.compare(dev, oracle.evaluate(wrong, "mat_inv", args, (N,))).ok
    rng = np.random.default_rng(7)
    ta = np.concatenate([_f(rng, -2, 2, (N, 3)), _unit_quats(rng, N)], axis=1)
    args_d = dict(ta=ta.astype(np.float64), x=_f(rng, -2, 2, (N, 3), np.float64), op=_z(N, 3, dt=np.float64))
    dev = h.run_device(mod, "xforms_d", args_d, (N,))
    wrong = src.replace("wp.transform_point(wp.transform_inverse(t), x[i])", "wp.transform_point(t, x[i])")
    assert wrong != src
    assert not h.compare(dev, oracle.evaluate(wrong, "xforms_d", args_d, (N,))).ok


@pytest.mark.parametrize(
    "body",
    [
        "o[i] = wp.identity(n=k, dtype=float)[0, 0]",  # n must be a literal
        "o[i] = wp.identity(n=3, dtype=int)[0, 0] * 1.0",  # int identity: not modelled
        "o[i] = wp.sin(x=1.0)",  # keywords only where the builtin takes them
    ],
)
def test_refusals(body):
    text = (
        "import warp as wp\n\n@wp.kernel\ndef r(o: wp.array(dtype=float), k: int):\n"
        f"    i = wp.tid()\n    {body}\n"
    )
    with pytest.raises(oracle.Unsupported):
        oracle.evaluate(text, "r", dict(o=np.zeros(4, np.float32), k=np.int32(3)), (4,))
