"""min/max/clamp of +0 against -0: which zero Warp returns is the implementation's choice
(builtin.h's CPU fmax returns its first operand on a tie, CUDA's fmaxf its own, NumPy the
second), so the oracle marks the sign unknown: a 16-core 1.19.0 campaign reported
atan2(clamp(-0.0, 0.0, 1.0), -0.5) as +pi on CPU against the oracle's -pi."""

from __future__ import annotations

import numpy as np

import oracle

SRC = (
    "import warp as wp\n"
    "@wp.kernel\ndef k(a: wp.array(dtype=wp.float32), out: wp.array(dtype=wp.float32)):\n"
    "    i = wp.tid()\n    out[i] = wp.atan2(wp.clamp(a[i], 0.0, 1.0), -0.5)\n"
)


def test_a_signed_zero_tie_leaves_the_sign_unknown_and_nothing_else() -> None:
    a = np.array([-0.0, 0.0, 0.5, -2.0, 2.0], np.float32)
    r = oracle.evaluate(SRC, "k", {"a": a, "out": np.zeros(5, np.float32)}, (5,))
    assert r.unstable["out"].tolist() == [True, False, False, False, False]
    assert np.allclose(r.arrays["out"][1:], np.arctan2(np.clip(a[1:], 0, 1), -0.5))
