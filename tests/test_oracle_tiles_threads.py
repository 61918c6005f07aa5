"""Oracle tiles vs real Warp on CPU for the builtins whose per-thread part depends on the block's
width (1 on CPU, block_dim on CUDA): `wp.tile(x)` in its width-independent uses, `untile`,
`tile_empty` written before read, `tile_randf`/`tile_randi` (element 0 exact, a float tile's
others bounded), `tile_scatter_add`/`tile_scatter_masked` in their repeat-proof forms, the tile
stack's counts, and `t[indices, :]` (tile_slice_indexed). Each kernel agrees, its exact parts are
compared (not unstable), and a source with one builtin or argument swapped disagrees with Warp."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest
import warp as wp
from kernels.harness import import_file

from oracle import Unsupported, evaluate
from oracle.errors import UndefinedBehavior

HEADER = "import warp as wp\n\n"

KERNEL = """
@wp.kernel
def k(a: wp.array(dtype=wp.float32), ix: wp.array(dtype=wp.int32), o: wp.array(dtype=wp.float32),
      s: wp.array(dtype=wp.float32), r: wp.array(dtype=wp.float32), ri: wp.array(dtype=wp.int32),
      g: wp.array2d(dtype=wp.float32), c: wp.array(dtype=wp.int32)):
    i = wp.tid()
    t1 = wp.tile_load(a, shape=8, offset=i * 8)
    e = wp.tile_empty(shape=8, dtype=wp.float32)
    wp.tile_assign(e, wp.tile_view(t1, offset=(4,), shape=(4,)), offset=(0,))
    wp.tile_assign(e, wp.tile_view(t1, offset=(0,), shape=(4,)), offset=(4,))
    x = wp.tile_extract(t1, 3)
    wp.tile_scatter_add(e, 2, 0.0, x > 0.0)
    wp.tile_scatter_add(e, 5, 1.5, x > 100.0)
    wp.tile_scatter_masked(e, 1, 7.0, x > 100.0)
    wp.tile_store(o, e, offset=i * 8)
    s[i * 4 + 0] = wp.untile(wp.tile(x * 2.0))
    s[i * 4 + 1] = wp.tile_max(wp.tile(x))[0]
    s[i * 4 + 2] = wp.tile_reduce(wp.min, wp.tile(x - 1.0))[0]
    s[i * 4 + 3] = wp.tile_extract(wp.tile(x + 0.5), 0)
    rng = wp.rand_init(7, i)
    rf = wp.tile_randf(shape=8, rng=rng, min=-2.0, max=3.0)
    wp.tile_store(r, rf, offset=i * 8)
    ri[i * 3 + 0] = wp.tile_randi(shape=1, rng=rng)[0]
    ri[i * 3 + 1] = wp.tile_extract(wp.tile_randi(shape=(1,), rng=rng, min=-5, max=9), 0)
    ri[i * 3 + 2] = int(wp.tile_extract(wp.tile_randf(shape=(1,), rng=rng), 0) * 1000.0)
    ixt = wp.tile_load(ix, shape=3)
    t2 = wp.tile_reshape(t1, shape=(2, 4))
    wp.tile_store(g, wp.tile_transpose(t2)[ixt, :], offset=(i * 3, 0))
    st = wp.tile_stack(capacity=1, dtype=wp.float32)
    c[i * 6 + 0] = wp.tile_stack_push(st, x, x > 100.0)
    c[i * 6 + 1] = wp.tile_stack_count(st)
    wp.tile_stack_push(st, x, True)
    wp.tile_stack_push(st, x, True)
    c[i * 6 + 2] = wp.tile_stack_count(st)
    v, slot = wp.tile_stack_pop(st)
    c[i * 6 + 3] = wp.tile_stack_count(st)
    v2, slot2 = wp.tile_stack_pop(st)
    c[i * 6 + 4] = slot2
    wp.tile_stack_push(st, x, True)
    wp.tile_stack_clear(st)
    c[i * 6 + 5] = wp.tile_stack_count(st)
"""


def _args() -> dict[str, np.ndarray]:
    g = np.random.default_rng(5)
    a = g.uniform(-4, 4, 24).astype(np.float32)
    a[3], a[11] = 1.25, -0.75  # x of blocks 0 and 1: one scatter_add with has_value, one without
    return {
        "a": a,
        "ix": np.array([3, -1, 0], np.int32),
        "o": np.zeros(24, np.float32),
        "s": np.zeros(12, np.float32),
        "r": np.zeros(24, np.float32),
        "ri": np.zeros(9, np.int32),
        "g": np.zeros((9, 2), np.float32),
        "c": np.full(18, -9, np.int32),
    }


def _warp(tmp_path: Path, source: str, args: dict[str, np.ndarray], block_dim: int) -> dict[str, np.ndarray]:
    name = f"tilethreads_{abs(hash((source, block_dim))) % 10**12}"
    mod = import_file(tmp_path / f"{name}.py", name, HEADER + source)
    wargs: list[wp.array] = [wp.array(v, device="cpu") for v in args.values()]
    wp.launch_tiled(mod.k, dim=(3,), inputs=wargs, block_dim=block_dim, device="cpu")
    return {n: w.numpy() for n, w in zip(args, wargs, strict=True)}


def _oracle(source: str, args: dict[str, np.ndarray]):  # type: ignore[no-untyped-def]
    return evaluate(HEADER + source, "k", {n: v.copy() for n, v in args.items()}, (3,))


def _misses(got: dict[str, np.ndarray], res) -> int:  # type: ignore[no-untyped-def]
    bad = 0
    for n, g in got.items():
        exp = res.arrays[n].astype(np.float64)
        bound = res.error_bound[n].reshape(exp.shape)
        ok = (np.abs(g.astype(np.float64) - exp) <= bound) | res.unstable[n].reshape(exp.shape)
        bad += int((~ok).sum())
    return bad


@pytest.mark.parametrize("block_dim", [1, 16])
def test_width_dependent_tile_builtins_agree(tmp_path: Path, block_dim: int) -> None:
    src = textwrap.dedent(KERNEL)
    args = _args()
    got = _warp(tmp_path, src, args, block_dim)
    res = _oracle(src, args)
    assert _misses(got, res) == 0
    for n in ("o", "s", "ri", "g", "c"):  # exact parts: compared, with finite bounds
        assert not res.unstable[n].any(), n
        assert np.isfinite(res.error_bound[n]).all(), n
    # tile_randf: element 0 of each block exact, the others only bounded by [min, max]
    r = res.error_bound["r"].reshape(3, 8)
    assert (r[:, 0] < 1e-6).all() and (r[:, 1:] > 2.0).all()
    assert (got["r"] >= -2.0).all() and (got["r"] <= 3.0).all()
    assert list(got["c"][:6]) == [-1, 0, 1, 0, -1, 0]


@pytest.mark.parametrize(
    "swap",
    [
        ("offset=(4,), shape=(4,)), offset=(0,))", "offset=(0,), shape=(4,)), offset=(0,))"),
        ("wp.tile_store(o, e, offset=i * 8)", "wp.tile_store(o, t1, offset=i * 8)"),
        ("wp.tile_max(wp.tile(x))", "wp.tile_max(wp.tile(x * 0.5))"),
        ("wp.untile(wp.tile(x * 2.0))", "wp.untile(wp.tile(x * 3.0))"),
        ("rng = wp.rand_init(7, i)", "rng = wp.rand_init(8, i)"),
        ("min=-5, max=9", "min=-5, max=10"),
        ("wp.tile_transpose(t2)[ixt, :]", "wp.tile_transpose(t2 * 2.0)[ixt, :]"),
        ("c[i * 6 + 5] = wp.tile_stack_count(st)", "c[i * 6 + 5] = wp.tile_stack_count(st) + 1"),
    ],
)
def test_a_mutated_kernel_disagrees_with_warp(tmp_path: Path, swap: tuple[str, str]) -> None:
    src = textwrap.dedent(KERNEL)
    assert swap[0] in src
    args = _args()
    got = _warp(tmp_path, src, args, 1)
    assert _misses(got, _oracle(src, args)) == 0
    assert _misses(got, _oracle(src.replace(swap[0], swap[1]), args)) > 0


def _refused(body: str) -> BaseException:
    src = (
        HEADER
        + "@wp.kernel\ndef k(o: wp.array(dtype=wp.float32)):\n    i = wp.tid()\n"
        + textwrap.indent(body, "    ")
    )
    with pytest.raises((Unsupported, UndefinedBehavior)) as exc:
        evaluate(src, "k", {"o": np.zeros(4, np.float32)}, (2,))
    return exc.value


def test_width_dependent_uses_are_refused() -> None:
    # the sum of a per-thread tile counts the block's threads; a masked write by every thread is UB
    assert isinstance(_refused("o[i] = wp.tile_sum(wp.tile(1.0))[0]\n"), Unsupported)
    assert isinstance(_refused("t = wp.tile(1.0)\no[i] = wp.untile(t)\n"), Unsupported)
    ub = _refused("t = wp.tile_zeros(shape=4, dtype=wp.float32)\nwp.tile_scatter_masked(t, 1, 2.0, True)\n")
    assert isinstance(ub, UndefinedBehavior)
    assert isinstance(_refused("o[i] = wp.tile_extract(wp.tile(1.0), 1)\n"), UndefinedBehavior)
