"""atomic_or (shared slots), ddot, div_approx and inverse_approx in the oracle vs real Warp on
CPU (tests/kernels/approx_ddot.py); a source with one builtin swapped (or a wrong oracle entry) must
be rejected by the comparison."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from kernels import harness as h

import oracle
from oracle.builtins import Builtin, default_registry
from oracle.numeric import OpCtx

FILE = "approx_ddot.py"
N = 40
K = "extras"


def _args(seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    f32 = np.float32
    d = rng.uniform(-1, 1, (N, 2, 2)) + 3.0 * np.eye(2)
    return {
        "x": rng.integers(0, 256, N).astype(np.int32),
        "a": rng.uniform(-2, 2, (N, 3, 3)).astype(f32),
        "b": rng.uniform(-2, 2, (N, 3, 3)).astype(f32),
        "d": d,
        "f": rng.uniform(-5, 5, N).astype(f32),
        "shared": np.array([0, 16, 1024], np.int32),
        "of": np.zeros(3 * N, f32),
        "om": np.zeros((N, 3, 3), f32),
        "od": np.zeros(N),
    }


@pytest.mark.parametrize("seed", [0, 1])
def test_extras_match_warp(mod: Any, src: str, seed: int) -> None:
    args = _args(seed)
    orc = h.check_against_oracle(mod, src, K, args, (N,), min_checked=int(0.9 * 5 * N))
    assert orc is not None


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("wp.atomic_or(shared, i % 3, x[i])", "wp.atomic_xor(shared, i % 3, x[i])"),
        ("wp.ddot(a[i], b[i])", "wp.ddot(a[i], wp.transpose(b[i]))"),
        ("wp.ddot(a[i], a[i])", "wp.trace(a[i] * a[i])"),
        ("wp.div_approx(f[i], wp.clamp(", "wp.div_approx(f[i] * 1.5, wp.clamp("),
        ("om[i] = wp.inverse_approx(a[i] +", "om[i] = wp.transpose(a[i] +"),
    ],
)
def test_swapped_builtin_rejected(mod: Any, src: str, old: str, new: str) -> None:
    assert src.count(old) == 1, old
    args = _args(5)
    dev = h.run_device(mod, K, args, (N,))
    orc = oracle.evaluate(src.replace(old, new), K, args, (N,))
    assert not h.compare(dev, orc).ok


def test_wrong_inverse_approx_rejected(mod: Any, src: str) -> None:
    """An inverse_approx entry that forgets to invert (returns its argument) is caught."""
    reg = default_registry()

    def fn(args: list[Any], ctx: OpCtx) -> Any:
        return args[0]

    args = _args(6)
    dev = h.run_device(mod, K, args, (N,))
    orc = oracle.evaluate(
        src, K, args, (N,), registry=reg.with_entries([Builtin("inverse_approx", fn, "wrong")])
    )
    assert not h.compare(dev, orc).ok
