"""Oracle tiles vs real Warp on CPU for the Cholesky factor and triangular solves (and their
in-place forms), the indexed loads/stores/atomic adds and tile_from_thread: each kernel agrees
within the oracle's bounds, the bounds are tight (finite, small, no lane left unstable), and a
source with one builtin swapped for a sibling disagrees with what Warp computed."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest
import warp as wp
from kernels.harness import import_file

from oracle import evaluate

HEADER = "import warp as wp\n\n"


def _warp(tmp_path: Path, source: str, args: dict[str, np.ndarray], dim: tuple[int, ...], block_dim: int):  # type: ignore[no-untyped-def]
    name = f"tilesolve_{abs(hash((source, block_dim))) % 10**12}"
    mod = import_file(tmp_path / f"{name}.py", name, HEADER + source)
    wargs = [wp.array(v, device="cpu") for v in args.values()]
    wp.launch_tiled(mod.k, dim=dim, inputs=wargs, block_dim=block_dim, device="cpu")
    return {n: a.numpy() for n, a in zip(args, wargs, strict=True)}


def _oracle(source: str, args: dict[str, np.ndarray], dim: tuple[int, ...]):  # type: ignore[no-untyped-def]
    return evaluate(HEADER + source, "k", {n: v.copy() for n, v in args.items()}, dim)


def _misses(got: dict[str, np.ndarray], res) -> int:  # type: ignore[no-untyped-def]
    """Elements where Warp is outside the oracle's bound (unstable elements excepted)."""
    bad = 0
    for n, g in got.items():
        exp = res.arrays[n].astype(np.float64)
        bound = res.error_bound[n].reshape(exp.shape)
        ok = (np.abs(g.astype(np.float64) - exp) <= bound) | res.unstable[n].reshape(exp.shape)
        bad += int((~ok).sum())
    return bad


def _tight(res, names: list[str], rel: float) -> None:  # type: ignore[no-untyped-def]
    for n in names:
        exp = np.abs(res.arrays[n].astype(np.float64))
        bound = res.error_bound[n].reshape(exp.shape)
        assert not res.unstable[n].any(), n
        assert np.isfinite(bound).all(), n
        assert (bound <= rel * (1.0 + exp)).all(), (n, float(bound.max()))


SOLVE = """
@wp.kernel
def k(a: wp.array2d(dtype=DT), y: wp.array2d(dtype=DT), f: wp.array2d(dtype=DT), x1: wp.array2d(dtype=DT),
      x2: wp.array2d(dtype=DT), x3: wp.array2d(dtype=DT), x4: wp.array2d(dtype=DT)):
    i = wp.tid()
    t = wp.tile_load(a, shape=(N, N), offset=(i * N, 0))
    r = wp.tile_load(y, shape=(N, N), offset=(i * N, 0))
    m = wp.tile_diag_add(t, wp.tile_full(shape=N, value=DIAG, dtype=DT))
    c = FACTOR
    wp.tile_store(f, c, offset=(i * N, 0))
    wp.tile_store(x1, wp.tile_cholesky_solve(c, r), offset=(i * N, 0))
    wp.tile_store(x2, wp.tile_lower_solve(c, r), offset=(i * N, 0))
    wp.tile_store(x3, wp.tile_upper_solve(wp.tile_transpose(c), r), offset=(i * N, 0))
    z = r + wp.tile_zeros(shape=(N, N), dtype=DT)
    INPLACE
    wp.tile_store(x4, z, offset=(i * N, 0))
"""
FACTORS = {
    "new": "wp.tile_cholesky(m)",
    "inplace": "m + wp.tile_zeros(shape=(N, N), dtype=DT)\n    wp.tile_cholesky_inplace(c)",
}
INPLACE = ("wp.tile_cholesky_solve_inplace(c, z)", "wp.tile_lower_solve_inplace(c, z)",
           "wp.tile_upper_solve_inplace(wp.tile_transpose(c), z)")  # fmt: skip


def _solve_src(dt: str, n: int, factor: str, inplace: str) -> str:
    diag = f"{5.0 * n}" if dt == "float32" else f"wp.float64({5.0 * n})"
    src = SOLVE.replace("FACTOR", FACTORS[factor]).replace("INPLACE", inplace)
    return textwrap.dedent(src).replace("DIAG", diag).replace("DT", f"wp.{dt}").replace("N", str(n))


def _solve_args(dt: str, n: int, blocks: int) -> dict[str, np.ndarray]:
    g = np.random.default_rng(n)
    nt = np.float32 if dt == "float32" else np.float64
    a = g.uniform(-4, 4, (blocks * n, n)).astype(nt)
    y = g.uniform(-4, 4, (blocks * n, n)).astype(nt)
    outs = {o: np.zeros((blocks * n, n), nt) for o in ("f", "x1", "x2", "x3", "x4")}
    return {"a": a, "y": y, **outs}


@pytest.mark.parametrize(
    "dt,n,factor,inplace,block_dim",
    [
        ("float32", 4, "new", INPLACE[0], 1),
        ("float32", 8, "inplace", INPLACE[1], 32),
        ("float64", 3, "new", INPLACE[2], 16),
        ("float64", 8, "inplace", INPLACE[0], 64),
    ],
)
def test_cholesky_and_solves_agree_tightly(
    tmp_path: Path, dt: str, n: int, factor: str, inplace: str, block_dim: int
) -> None:
    src = _solve_src(dt, n, factor, inplace)
    args = _solve_args(dt, n, 2)
    got = _warp(tmp_path, src, args, (2,), block_dim)
    res = _oracle(src, args, (2,))
    assert _misses(got, res) == 0
    # the factor's strict upper triangle is zero, in Warp as in the oracle
    f = got["f"].reshape(2, n, n)
    assert (np.triu(f, 1) == 0).all()
    _tight(res, ["f", "x1", "x2", "x3", "x4"], 1e-4 if dt == "float32" else 1e-12)


@pytest.mark.parametrize(
    "swap",
    [
        ("wp.tile_lower_solve(c, r)", "wp.tile_upper_solve(c, r)"),
        ("wp.tile_cholesky_solve(c, r)", "wp.tile_lower_solve(c, r)"),
        ("wp.tile_upper_solve(wp.tile_transpose(c), r)", "wp.tile_upper_solve(c, r)"),
        ("wp.tile_cholesky_solve_inplace(c, z)", "wp.tile_lower_solve_inplace(c, z)"),
    ],
)
def test_a_swapped_solve_disagrees_with_warp(tmp_path: Path, swap: tuple[str, str]) -> None:
    src = _solve_src("float32", 4, "new", INPLACE[0])
    assert swap[0] in src
    args = _solve_args("float32", 4, 2)
    got = _warp(tmp_path, src, args, (2,), 16)
    assert _misses(got, _oracle(src, args, (2,))) == 0
    assert _misses(got, _oracle(src.replace(swap[0], swap[1]), args, (2,))) > 0


def test_an_indefinite_matrix_is_unstable_not_compared(tmp_path: Path) -> None:
    # no diagonal shift: the matrix is indefinite, Warp's factor is unspecified (NaN here)
    src = _solve_src("float32", 4, "new", INPLACE[0]).replace(
        "wp.tile_full(shape=4, value=20.0", "wp.tile_full(shape=4, value=-20.0"
    )
    args = _solve_args("float32", 4, 2)
    got = _warp(tmp_path, src, args, (2,), 8)
    res = _oracle(src, args, (2,))
    assert res.unstable["f"].all() and res.unstable["x1"].all()
    assert _misses(got, res) == 0


INDEXED = """
@wp.kernel
def k(a: wp.array2d(dtype=wp.float32), ix: wp.array(dtype=wp.int32), o: wp.array2d(dtype=wp.float32),
      s: wp.array2d(dtype=wp.float32), acc: wp.array2d(dtype=wp.float32), old: wp.array2d(dtype=wp.float32)):
    i = wp.tid()
    g = wp.tile_load(ix, shape=4)
    t = wp.tile_load_indexed(a, indices=g, shape=(4, 4), offset=(i * 4, 0), axis=AXIS)
    wp.tile_store(o, t + wp.tile_from_thread(shape=(4, 4), value=wp.tile_extract(t, 1, 2), thread_idx=0),
                  offset=(i * 4, 0))
    wp.tile_store_indexed(s, PERM, t, offset=(i * 4, 0), axis=1)
    p = wp.tile_atomic_add_indexed(acc, PERM, t, offset=(i * 4, 0), axis=0)
    wp.tile_store(old, p, offset=(i * 4, 0))
"""
PERMS = ("wp.tile_arange(3, -1, -1, dtype=wp.int32)", "wp.tile_arange(-1, 3, 1, dtype=wp.int32)")


def _indexed_args() -> dict[str, np.ndarray]:
    g = np.random.default_rng(3)
    return {
        "a": g.uniform(-4, 4, (7, 4)).astype(np.float32),  # 7 rows: the second block's last is padding
        "ix": np.array([2, -1, 0, 5], np.int32),  # -1 and 5 (past the end on axis 1) read zero
        "o": np.zeros((7, 4), np.float32),
        "s": np.full((7, 4), -9.0, np.float32),
        "acc": g.uniform(0, 10, (7, 4)).astype(np.float32),
        "old": np.zeros((7, 4), np.float32),
    }


@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("perm", PERMS)
def test_indexed_memory_and_from_thread_agree(tmp_path: Path, axis: int, perm: str) -> None:
    src = textwrap.dedent(INDEXED).replace("AXIS", str(axis)).replace("PERM", perm)
    args = _indexed_args()
    got = _warp(tmp_path, src, args, (2,), 16)
    res = _oracle(src, args, (2,))
    assert _misses(got, res) == 0
    _tight(res, ["o", "s", "acc", "old"], 1e-5)
    # the shift's -1 slot is skipped (one column per block keeps -9); the reversal writes all
    assert (got["s"] == -9.0).any() == (perm == PERMS[1]) and (got["s"] != -9.0).any()


@pytest.mark.parametrize(
    "swap",
    [
        ("axis=AXIS", "axis=1 - AXIS"),
        ("offset=(i * 4, 0), axis=1)", "offset=(i * 4, 0), axis=0)"),
        ("thread_idx=0", "thread_idx=0) * 2.0 + wp.tile_zeros(shape=(4, 4), dtype=wp.float32"),
        ("wp.tile_store(old, p,", "wp.tile_store(old, t,"),
    ],
)
def test_a_mutated_indexed_kernel_disagrees_with_warp(tmp_path: Path, swap: tuple[str, str]) -> None:
    src = textwrap.dedent(INDEXED).replace("PERM", PERMS[0])
    assert swap[0] in src
    args = _indexed_args()
    good = src.replace("AXIS", "0")
    got = _warp(tmp_path, good, args, (2,), 16)
    assert _misses(got, _oracle(good, args, (2,))) == 0
    bad = src.replace(swap[0], swap[1]).replace("1 - AXIS", "1").replace("AXIS", "0")
    assert _misses(got, _oracle(bad, args, (2,))) > 0
