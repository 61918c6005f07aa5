"""`bench`'s per-family split of worker seconds and `--families` weights (no compiling)."""

from __future__ import annotations

import pytest

from fuzz.bench import Phase, family_weights, split_batch
from fuzz.engine.result import CaseResult
from grammar.generate import DEFAULT_WEIGHTS


def _result(seed: int, family: str, check_s: float, cpp: str = "") -> CaseResult:
    return CaseResult(
        seed, f"k_{seed}", family, "1", {}, "verified", code={"cpp_forward": cpp}, check_s=check_s
    )


def test_split_charges_compile_by_code_and_checks_to_their_kernel() -> None:
    ph = Phase("full_backward", kernels=2, seconds=10.0)
    rs = [_result(1, "a", 0.5, "x" * 300), _result(2, "b", 0.1, "x" * 100)]
    # compile 4 s (3:1 by emitted C++), generation 1 s (evenly), checks 0.6 s (their own)
    split_batch(ph, rs, {"compile:cpu": 4.0, "generate": 1.0, "oracle": 0.6}, {1: 300, 2: 100})
    assert ph.family_seconds["a"] == pytest.approx(3.0 + 0.5 + 0.5)
    assert ph.family_seconds["b"] == pytest.approx(1.0 + 0.5 + 0.1)
    assert sum(ph.family_seconds.values()) == pytest.approx(5.6)
    # a family twice as dear per kernel as the mean gets about half the phase's rate
    assert ph.family_rate("a") < ph.rate < ph.family_rate("b")
    assert ph.family_rate("a") == pytest.approx(0.2 * (5.6 / 2) / 4.0)
    assert ph.family_rate("missing") == 0.0


def test_families_weights_only_those_named() -> None:
    w = family_weights(["branch", "tiles"], None)
    assert w["branch"] == DEFAULT_WEIGHTS["branch"] and w["tiles"] == DEFAULT_WEIGHTS["tiles"] == 3.0
    assert sum(v for f, v in w.items() if f not in ("branch", "tiles")) == 0.0
    assert family_weights(["branch"], {**DEFAULT_WEIGHTS, "branch": 3.0})["branch"] == 3.0
    with pytest.raises(ValueError, match="unknown families nope"):
        family_weights(["nope"], None)
    with pytest.raises(ValueError):
        family_weights([], None)
