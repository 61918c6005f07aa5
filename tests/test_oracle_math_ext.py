"""Extra math builtins in the oracle vs real Warp on CPU (tests/kernels/math_ext.py): erf/erfc/erfinv/
erfcinv/copysign, norm_huber/norm_pseudo_huber/smooth_normalize, quat_from_euler/quat_to_euler,
quat_to_axis_angle, transform_compose/decompose/to_matrix/from_matrix, transform_set_translation/
rotation, svd3/svd2/qr3/eig3 (consumed sign- and order-independently), atomic_exch/cas and shared
atomic_and/xor. Each kernel is also judged from a source with one builtin swapped for a sibling
(or, for the decompositions, a wrong oracle entry), which the comparison must reject."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from kernels import harness as h

import oracle
from oracle.builtins import Builtin, default_registry
from oracle.numeric import OpCtx

FILE = "math_ext.py"
N = 40


def _quats(rng: np.random.Generator) -> np.ndarray:
    q = rng.normal(size=(N, 4))
    return (q / np.linalg.norm(q, axis=1, keepdims=True)).astype(np.float32)


def _args(kernel: str, seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    f32 = np.float32
    if kernel == "scalars":
        x = rng.uniform(-1.2, 1.2, N).astype(f32)
        x[:4] = [0.0, -0.0, 0.25, 1.0]
        y = rng.uniform(-2, 2, N).astype(f32)
        y[:4] = [-0.0, 0.0, -1.0, 0.0]
        return {"x": x, "y": y, "of": np.zeros(6 * N, f32)}
    if kernel == "scalars_d":
        return {"x": rng.uniform(-1.2, 1.2, N), "of": np.zeros(3 * N)}
    if kernel == "vecnorms":
        a = rng.uniform(-3, 3, (N, 3)).astype(f32)
        return {"a": a, "d": rng.uniform(-2, 2, N).astype(f32), "of": np.zeros(3 * N, f32),
                "ov": np.zeros((2 * N, 3), f32)}  # fmt: skip
    if kernel == "euler":
        e = rng.uniform(-3, 3, (N, 3)).astype(f32)
        return {"e": e, "q": _quats(rng), "oq": np.zeros((3 * N, 4), f32), "ov": np.zeros((4 * N, 3), f32)}
    if kernel == "xforms":
        a, b = (rng.uniform(-3, 3, (N, 3)).astype(f32) for _ in range(2))
        return {
            "a": a,
            "b": b,
            "q": _quats(rng) * 1.5,
            "ov": np.zeros((4 * N, 3), f32),
            "of": np.zeros(3 * N, f32),
        }
    if kernel == "decomps":
        return {"q1": _quats(rng), "q2": _quats(rng), "d": rng.uniform(0, 3, (N, 3)).astype(f32),
                "om": np.zeros((3 * N, 3, 3), f32), "ov": np.zeros((2 * N, 3), f32),
                "o4": np.zeros((N, 4), f32)}  # fmt: skip
    x = rng.integers(0, 200, N).astype(np.int32)
    acc = np.where(rng.random(N) < 0.5, x * 3, 7).astype(np.int32)
    accf = np.where(rng.random(N) < 0.5, 0.5, 1.5).astype(f32)
    return {"x": x, "f": rng.uniform(-2, 2, N).astype(f32), "acc": acc, "accf": accf,
            "shared": np.full(5, 255, np.int32), "out": np.zeros(N, np.int32)}  # fmt: skip


KERNELS = ["scalars", "scalars_d", "vecnorms", "euler", "xforms", "decomps", "exch_cas"]


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("kernel", KERNELS)
def test_math_ext_matches_warp(mod: Any, src: str, kernel: str, seed: int) -> None:
    args = _args(kernel, seed)
    n_out = sum(v.size for k, v in args.items() if k.startswith("o") or k in ("acc", "accf", "shared"))
    n_el = sum(v.size // (v[0].size if v.ndim > 1 else 1) for k, v in args.items() if k.startswith("o"))
    orc = h.check_against_oracle(mod, src, kernel, args, (N,), min_checked=int(0.9 * n_el))
    assert n_out > 0 and orc is not None


@pytest.mark.parametrize(
    ("kernel", "old", "new"),
    [
        ("scalars", "wp.erf(x[i] * 2.0)", "wp.erfc(x[i] * 2.0)"),
        ("scalars", "wp.erfc(x[i] * 2.0)", "(1.0 - wp.erf(x[i] * 2.0) + 1e-5)"),
        ("scalars", "wp.erfinv(u)", "wp.erfcinv(u)"),
        ("scalars", "wp.erfcinv(u + 1.0)", "wp.erfinv(u + 0.0)"),
        ("scalars", "wp.copysign(x[i], y[i])", "wp.copysign(y[i], x[i])"),
        ("vecnorms", "wp.norm_huber(a[i], dl)", "wp.norm_pseudo_huber(a[i], dl)"),
        ("vecnorms", "wp.smooth_normalize(a[i], dl)", "wp.normalize(a[i])"),
        ("euler", "wp.quat_from_euler(e[i], 2, 0, 1)", "wp.quat_from_euler(e[i], 1, 0, 2)"),
        ("euler", "wp.quat_to_euler(qn, 0, 2, 0)", "wp.quat_to_euler(qn, 0, 1, 0)"),
        ("euler", "wp.quat_to_euler(qn, 2, 1, 0)", "wp.quat_to_rpy(qn)"),
        ("xforms", "wp.transform_compose(a[i], qn, sc)", "wp.transform_compose(a[i], qn, a[i])"),
        ("xforms", "return p + wp.quat_rotate(r, s)", "return p + wp.quat_rotate_inv(r, s)"),
        ("xforms", "wp.transform_set_rotation(t, q)", "wp.transform_set_translation(t, p)"),
        ("xforms", "return axis * angle", "return axis * (angle * 0.5)"),
        ("decomps", "return u * wp.diag(s) * wp.transpose(v)", "return v * wp.diag(s) * wp.transpose(u)"),
        ("decomps", "q, d = wp.eig3(m)", "q, d = wp.eig3(wp.transpose(m))"),
        ("decomps", "return q * r + wp.transpose(r) * r", "return wp.transpose(q) * r + wp.transpose(r) * r"),
        ("decomps", "r = u * wp.diag(s) * wp.transpose(v)", "r = v * wp.diag(s) * wp.transpose(u)"),
        ("exch_cas", "wp.atomic_cas(acc, i, 7, 100)", "wp.atomic_exch(acc, i, 100)"),
        ("exch_cas", "old = wp.atomic_exch(acc, i, x[i] * 3)", "old = wp.atomic_add(acc, i, x[i] * 3)"),
        ("exch_cas", "wp.atomic_xor(shared, 2 + i % 3, x[i])", "wp.atomic_or(shared, 2 + i % 3, x[i])"),
    ],
)
def test_swapped_builtin_rejected(mod: Any, src: str, kernel: str, old: str, new: str) -> None:
    assert src.count(old) == 1, old
    args = _args(kernel, 5)
    dev = h.run_device(mod, kernel, args, (N,))
    orc = oracle.evaluate(src.replace(old, new), kernel, args, (N,))
    assert not h.compare(dev, orc).ok


def _wrong_svd_values() -> Any:
    """svd3 whose singular values ignore det(A)'s sign (numpy's non-negative convention)."""
    reg = default_registry()
    good = reg.get("svd3")
    assert good is not None

    def fn(args: list[Any], ctx: OpCtx) -> Any:
        u, s, v = good.fn(args, ctx)
        s.data[...] = np.abs(s.data)
        return u, s, v

    return reg.with_entries([Builtin("svd3", fn, "deliberately wrong")])


def test_wrong_svd_convention_rejected(mod: Any, src: str) -> None:
    args = _args("decomps", 6)
    dev = h.run_device(mod, "decomps", args, (N,))
    orc = oracle.evaluate(src, "decomps", args, (N,), registry=_wrong_svd_values())
    assert not h.compare(dev, orc).ok


def test_shared_exchange_refused(mod: Any, src: str) -> None:
    """atomic_exch on a slot two threads share has no single answer: OrderDependent."""
    args = _args("exch_cas", 7)
    with pytest.raises(oracle.OrderDependent):
        oracle.evaluate(
            src.replace("wp.atomic_exch(acc, i,", "wp.atomic_exch(acc, i // 2,"), "exch_cas", args, (N,)
        )
