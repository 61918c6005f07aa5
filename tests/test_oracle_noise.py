"""Perlin noise (noise.h) in the oracle vs real Warp on CPU: noise and pnoise in 1-4 D and
curlnoise in 2-4 D (default and explicit octaves, lacunarity, gain) on a grid of points (negative coordinates, integer points, periods that wrap), for several seeds, within
the oracle's error bounds; a wrong hash (the seed added to the first term instead of the last)
and a blend without smootherstep are caught."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from kernels import harness as h

import oracle
import oracle.noise as noise_mod
from oracle.builtins import Builtin, default_registry

FILE = "noise_kernels.py"
N = 96


def _args(seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    grid = np.linspace(-6.3, 7.9, N)
    p = np.stack([grid, grid[::-1] * 0.7, rng.uniform(-20, 20, N), rng.uniform(-3, 3, N)], axis=1)
    p[:4] = [[0.0, 1.0, -2.0, 3.0], [0.5, 0.5, 0.5, 0.5], [-0.25, 2.75, 9.5, -7.0], [100.3, -50.1, 3.3, 0.0]]
    periods = rng.integers(1, 9, N).astype(np.int32)
    return {"seed": seed, "p": p.astype(np.float32), "periods": periods, "out": np.zeros(8 * N, np.float32)}


@pytest.mark.parametrize("seed", [0, 7, 123456])
def test_noise_matches_warp(mod: Any, src: str, seed: int) -> None:
    h.check_against_oracle(mod, src, "noises", _args(seed), (N,), min_checked=int(0.97 * 8 * N))


@pytest.mark.parametrize("seed", [0, 99])
def test_curlnoise_matches_warp(mod: Any, src: str, seed: int) -> None:
    a = _args(seed)
    args = {
        "seed": seed,
        "p": a["p"],
        "o2": np.zeros((2 * N, 2), np.float32),
        "o3": np.zeros((3 * N, 3), np.float32),
    }
    h.check_against_oracle(mod, src, "curls", args, (N,), min_checked=int(0.95 * (4 * N + 9 * N)))


def _wrong_hash(state: np.ndarray, corner: list[np.ndarray]) -> np.ndarray:
    with np.errstate(over="ignore"):
        terms = [
            (c.astype(np.int64) * p) & 0xFFFFFFFF for c, p in zip(corner, noise_mod.PRIMES, strict=False)
        ]
        terms[0] = (terms[0] + state.astype(np.int64)) & 0xFFFFFFFF
        out = terms[0]
        for t in terms[1:]:
            out = out ^ t
    return out.astype(np.uint32)


def _linear(a0: Any, a1: Any, t: Any, ctx: Any) -> Any:
    from oracle.composite import sop

    return sop("Add", sop("Mult", sop("Sub", a1, a0, ctx), t, ctx), a0, ctx)


@pytest.mark.parametrize(("attr", "wrong"), [("_hash", _wrong_hash), ("_interpolate", _linear)])
def test_wrong_noise_caught(
    mod: Any, src: str, attr: str, wrong: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = _args(1)
    dev = h.run_device(mod, "noises", args, (N,))
    monkeypatch.setattr(noise_mod, attr, wrong)
    reg = default_registry().with_entries(
        [Builtin(b.name, b.fn, "deliberately wrong") for b in noise_mod.noise_builtins()]
    )
    orc = oracle.evaluate(src, "noises", args, (N,), registry=reg)
    assert not h.compare(dev, orc).ok


def test_wrong_curl_field_chain_caught(mod: Any, src: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The 3/4 D curl's second and third fields come from rand_init(state, 10019689) then
    rand_init(state, 13112221): swapping the offsets must be caught."""
    a = _args(5)
    args = {
        "seed": 5,
        "p": a["p"],
        "o2": np.zeros((2 * N, 2), np.float32),
        "o3": np.zeros((3 * N, 3), np.float32),
    }
    dev = h.run_device(mod, "curls", args, (N,))
    monkeypatch.setattr(noise_mod, "CURL_OFFSETS", noise_mod.CURL_OFFSETS[::-1])
    orc = oracle.evaluate(src, "curls", args, (N,))
    assert not h.compare(dev, orc, ["o3"]).ok
