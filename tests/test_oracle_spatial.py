"""Spatial (6-D) builtins in the oracle vs real Warp on CPU: spatial_vector (both constructors),
spatial_dot, spatial_cross, spatial_cross_dual, spatial_top, spatial_bottom and spatial_adjoint
(applied to a twist and indexed), float32 and float64, and the builtins Warp writes in Python
(warp/_src/math.py: transform_twist/wrench, velocity_at_point, quat_twist(_angle(_signed)),
quat_to_rpy); wrong entries are caught."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from kernels import harness as h

import oracle
from oracle.builtins import Builtin, default_registry
from oracle.numeric import OpCtx

FILE = "spatial_kernels.py"
N = 40


def _args(kernel: str, seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    if kernel == "spatial_f":
        v = {k: rng.uniform(-3, 3, (N, 3)).astype(np.float32) for k in "abcd"}
        m = {k: rng.uniform(-2, 2, (N, 3, 3)).astype(np.float32) for k in "rs"}
        return v | m | {"ov": np.zeros((6 * N, 3), np.float32), "of": np.zeros(3 * N, np.float32)}
    if kernel == "math_funcs":
        v = {k: rng.uniform(-3, 3, (N, 3)).astype(np.float32) for k in "ab"}
        qs = rng.normal(size=(N, 4))
        qs /= np.linalg.norm(qs, axis=1, keepdims=True)
        t = np.concatenate([rng.uniform(-3, 3, (N, 3)), rng.normal(size=(N, 4))], axis=1)
        t[:, 3:] /= np.linalg.norm(t[:, 3:], axis=1, keepdims=True)
        outs = {"ov": np.zeros((6 * N, 3), np.float32), "oq": np.zeros((N, 4), np.float32)}
        return (
            v
            | {"q": qs.astype(np.float32), "t": t.astype(np.float32), "of": np.zeros(2 * N, np.float32)}
            | outs
        )
    v = {k: rng.uniform(-3, 3, (N, 3)) for k in "ab"}
    return v | {"r": rng.uniform(-2, 2, (N, 3, 3)), "ov": np.zeros((3 * N, 3)), "of": np.zeros(N)}


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("kernel", ["spatial_f", "spatial_d", "math_funcs"])
def test_spatial_matches_warp(mod: Any, src: str, kernel: str, seed: int) -> None:
    args = _args(kernel, seed)
    n_out = args["ov"].size + args["of"].size + (args["oq"].size if "oq" in args else 0)
    h.check_against_oracle(mod, src, kernel, args, (N,), min_checked=int(0.95 * n_out))


def _swap(name: str, other: str) -> Any:
    b = default_registry().get(other)
    assert b is not None
    return default_registry().with_entries([Builtin(name, b.fn, "deliberately wrong")])


def _adjoint_transposed() -> Any:
    """spatial_adjoint as [[R, S], [0, R]]: the transpose of the right block layout."""
    reg = default_registry()
    good, tr = reg.get("spatial_adjoint"), reg.get("transpose")
    assert good is not None and tr is not None

    def fn(args: list[Any], ctx: OpCtx) -> Any:
        return tr.fn([good.fn([tr.fn([a], ctx) for a in args], ctx)], ctx)

    return reg.with_entries([Builtin("spatial_adjoint", fn, "deliberately wrong")])


@pytest.mark.parametrize(
    "registry",
    [
        pytest.param(lambda: _swap("spatial_cross", "spatial_cross_dual"), id="cross-as-dual"),
        pytest.param(lambda: _swap("spatial_top", "spatial_bottom"), id="top-as-bottom"),
        pytest.param(_adjoint_transposed, id="adjoint-transposed"),
    ],
)
def test_wrong_entry_caught(mod: Any, src: str, registry: Any) -> None:
    args = _args("spatial_f", 3)
    dev = h.run_device(mod, "spatial_f", args, (N,))
    orc = oracle.evaluate(src, "spatial_f", args, (N,), registry=registry())
    assert not h.compare(dev, orc).ok


@pytest.mark.parametrize(
    ("name", "other"),
    [("transform_twist", "transform_wrench"), ("quat_twist_angle", "quat_twist_angle_signed")],
)
def test_wrong_math_func_caught(mod: Any, src: str, name: str, other: str) -> None:
    args = _args("math_funcs", 4)
    dev = h.run_device(mod, "math_funcs", args, (N,))
    orc = oracle.evaluate(src, "math_funcs", args, (N,), registry=_swap(name, other))
    assert not h.compare(dev, orc).ok
