"""Random numbers (rand.h) in the oracle vs real Warp on CPU: integer streams and states bit for
bit over several seeds and offsets, floats within their error bounds, the sampling helpers,
poisson, and how the `uint32& state` argument is threaded (in place, copies, branches, loops,
temporaries). Wrong entries (a state that does not advance, draws in the other order, a wrong
PCG constant) must be caught."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from kernels import harness as h

import oracle
from oracle.builtins import Builtin, default_registry
from oracle.numeric import OpCtx
from oracle.random import Stream, box_muller, pcg, random_builtins
from oracle.values import StateAdvance

FILE = "random_kernels.py"
N = 64


def _seeds(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    seeds = rng.integers(-(2**31), 2**31 - 1, N).astype(np.int32)
    seeds[:4] = [0, 1, -1, 42]
    offs = rng.integers(-(2**30), 2**30, N).astype(np.int32)
    offs[:4] = [0, 0, 7, -5]
    return seeds, offs


def _cases(seed: int) -> dict[str, dict[str, Any]]:
    seeds, offs = _seeds(seed)
    lams = np.random.default_rng(seed + 1).uniform(0, 30, N).astype(np.float32)
    lams[:3] = [0.0, 9.99, 10.0]
    return {
        "streams": {
            "seeds": seeds,
            "offs": offs,
            "ui": np.zeros(2 * N, np.uint32),
            "oi": np.zeros(4 * N, np.int32),
            "ou": np.zeros(3 * N, np.uint32),
            "of": np.zeros(4 * N, np.float32),
        },
        "samplers": {
            "seeds": seeds,
            "v2": np.zeros((5 * N, 2), np.float32),
            "v3": np.zeros((5 * N, 3), np.float32),
        },
        "poissons": {"seeds": seeds, "lams": lams, "out": np.zeros(3 * N, np.uint32)},
        "threading": {
            "seeds": seeds,
            "n": 3,
            "of": np.zeros(7 * N, np.float32),
            "ou": np.zeros(2 * N, np.uint32),
        },
        "ternary": {"seeds": seeds, "of": np.zeros(N, np.float32), "ou": np.zeros(N, np.uint32)},
        "nested": {"seeds": seeds, "of": np.zeros(2 * N, np.float32), "ou": np.zeros(2 * N, np.uint32)},
    }


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("kernel", ["streams", "samplers", "poissons", "threading", "ternary", "nested"])
def test_random_matches_warp(mod: Any, src: str, kernel: str, seed: int) -> None:
    args = _cases(seed)[kernel]
    n_out = sum(
        v.size for k, v in args.items() if isinstance(v, np.ndarray) and k not in ("seeds", "offs", "lams")
    )
    h.check_against_oracle(mod, src, kernel, args, (N,), min_checked=n_out)


def test_integer_streams_bit_exact(mod: Any, src: str) -> None:
    """States and integer draws equal exactly (compare() checks ints with ==; assert it directly too)."""
    args = _cases(5)["streams"]
    dev = h.run_device(mod, "streams", args, (N,))
    orc = oracle.evaluate(src, "streams", args, (N,))
    for name in ("ui", "oi", "ou"):
        assert dev[name].dtype == orc.arrays[name].dtype
        assert np.array_equal(dev[name], orc.arrays[name]), name
    # rand_init(seed) is one PCG step of uint32(seed): an anchor independent of the interpreter
    assert np.array_equal(dev["ui"][0::2], pcg(args["seeds"].view(np.uint32)))


def _wrong(name: str, fn: Any) -> Any:
    return default_registry().with_entries([Builtin(name, fn, "deliberately wrong")])


def _entry(name: str) -> Any:
    return next(b.fn for b in random_builtins() if b.name == name)


def _no_advance(name: str) -> Any:
    good = _entry(name)

    def fn(args: list[Any], ctx: OpCtx) -> Any:
        out = good(args, ctx)
        return out.result if isinstance(out, StateAdvance) else out

    return fn


def _randn_swapped(args: list[Any], ctx: OpCtx) -> Any:
    """randn with its two draws taken in the other order (the angle's draw first)."""
    s = Stream(args[0], ctx)
    angle = s.randf()
    return s.done(box_muller(s.randf(), angle, ctx))


def _rand_init_wrong(args: list[Any], ctx: OpCtx) -> Any:
    good = _entry("rand_init")(args, ctx)
    good.data = good.data ^ np.uint32(1)
    return good


@pytest.mark.parametrize(
    ("name", "fn", "kernel"),
    [
        ("randf", _no_advance("randf"), "threading"),
        ("randi", _no_advance("randi"), "streams"),
        ("randn", _randn_swapped, "streams"),
        ("rand_init", _rand_init_wrong, "streams"),
        ("sample_unit_sphere", _no_advance("sample_unit_sphere"), "samplers"),
    ],
)
def test_wrong_entry_caught(mod: Any, src: str, name: str, fn: Any, kernel: str) -> None:
    args = _cases(0)[kernel]
    dev = h.run_device(mod, kernel, args, (N,))
    orc = oracle.evaluate(src, kernel, args, (N,), registry=_wrong(name, fn))
    cmp = h.compare(dev, orc)
    assert not cmp.ok, f"a wrong wp.{name} verified on {kernel}"


def test_zero_range_is_undefined(src: str) -> None:
    from oracle.errors import UndefinedBehavior

    kernel = (
        "import warp as wp\n\n@wp.kernel\ndef k(out: wp.array(dtype=wp.int32)):\n"
        "    i = wp.tid()\n    s = wp.rand_init(i)\n    out[i] = wp.randi(s, 3, 3)\n"
    )
    with pytest.raises(UndefinedBehavior):
        oracle.evaluate(kernel, "k", {"out": np.zeros(4, np.int32)}, (4,))
