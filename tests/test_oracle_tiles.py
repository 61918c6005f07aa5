"""Oracle tiles vs real Warp on CPU: every modelled tile builtin in small fixed kernels over
several block sizes and shapes, partial (zero-padded) loads, and a planted wrong semantics
that the comparison must reject."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest
import warp as wp
from kernels.harness import import_file

from oracle import Unsupported, evaluate
from oracle.builtins import Builtin, default_registry
from oracle.errors import UndefinedBehavior

HEADER = "import warp as wp\n\n"


def _module(tmp_path: Path, source: str, name: str):  # type: ignore[no-untyped-def]
    return import_file(tmp_path / f"{name}.py", name, HEADER + source)


def run_both(
    tmp_path: Path,
    source: str,
    args: dict[str, np.ndarray],
    dim: tuple[int, ...],
    block_dim: int,
    registry=None,
):  # type: ignore[no-untyped-def]
    """Launch `k` tiled on CPU and interpret it; returns (warp arrays, oracle result)."""
    source = textwrap.dedent(source)
    name = f"tilecase_{abs(hash((source, block_dim))) % 10**12}"
    mod = _module(tmp_path, source, name)
    kern = mod.k
    wargs = [wp.array(v, device="cpu") for v in args.values()]
    wp.launch_tiled(kern, dim=dim, inputs=wargs, block_dim=block_dim, device="cpu")
    got = {n: a.numpy() for n, a in zip(args, wargs, strict=True)}
    res = evaluate(HEADER + source, "k", {n: v.copy() for n, v in args.items()}, dim, registry=registry)
    return got, res


def agree(got: dict[str, np.ndarray], res) -> bool:  # type: ignore[no-untyped-def]
    for n, g in got.items():
        exp = res.arrays[n].astype(np.float64)
        bound = (
            res.error_bound[n].reshape(exp.shape)
            if res.error_bound[n].size == exp.size
            else res.error_bound[n]
        )
        ok = (np.abs(g.astype(np.float64) - exp) <= bound) | res.unstable[n].reshape(exp.shape)
        if not ok.all():
            return False
    return True


def rng_f(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-4, 4, shape).astype(np.float32)


LOAD_STORE = """
@wp.kernel
def k(a: wp.array2d(dtype=wp.float32), o: wp.array2d(dtype=wp.float32)):
    i, j = wp.tid()
    t = wp.tile_load(a, shape=(TM, TN), offset=(i * TM, j * TN))
    wp.tile_store(o, t * 2.0 + t, offset=(i * TM, j * TN))
"""


@pytest.mark.parametrize("block_dim", [1, 4, 32])
@pytest.mark.parametrize("tm,tn", [(2, 3), (4, 4)])
def test_load_store_partial_tiles(tmp_path: Path, block_dim: int, tm: int, tn: int) -> None:
    # 5 x 7 is not a multiple of the tile: the last tiles read zeros and drop their overhang
    src = LOAD_STORE.replace("TM", str(tm)).replace("TN", str(tn))
    dim = (-(-5 // tm), -(-7 // tn))
    args = {"a": rng_f((5, 7)), "o": np.full((5, 7), -7.0, np.float32)}
    got, res = run_both(tmp_path, src, args, dim, block_dim)
    assert agree(got, res)
    assert res.written["o"].all()


def test_padding_reads_zero(tmp_path: Path) -> None:
    src = """
    @wp.kernel
    def k(a: wp.array(dtype=wp.float32), o: wp.array(dtype=wp.float32)):
        i = wp.tid()
        t = wp.tile_load(a, shape=8, offset=i * 8)
        s = wp.tile_sum(t)
        o[i] = s[0]
    """
    args = {"a": np.ones(12, np.float32), "o": np.zeros(2, np.float32)}
    got, res = run_both(tmp_path, src, args, (2,), 8)
    assert got["o"].tolist() == [8.0, 4.0]
    assert res.arrays["o"].tolist() == [8.0, 4.0]


ELEMENTWISE = """
@wp.kernel
def k(a: wp.array(dtype=wp.float32), b: wp.array(dtype=wp.float32), o: wp.array(dtype=wp.float32)):
    i = wp.tid()
    x = wp.tile_load(a, shape=16, offset=i * 16)
    y = wp.tile_load(b, shape=16, offset=i * 16)
    z = -(x * y - 0.5 * x) / 2.0 + y
    z = wp.tile_map(wp.sin, z)
    z = wp.tile_map(wp.max, z, y)
    z = wp.tile_map(wp.add, z, wp.tile_ones(shape=16, dtype=wp.float32))
    wp.tile_store(o, z, offset=i * 16)
"""


@pytest.mark.parametrize("block_dim", [2, 16, 64])
def test_elementwise_and_map(tmp_path: Path, block_dim: int) -> None:
    args = {"a": rng_f((48,), 1), "b": rng_f((48,), 2), "o": np.zeros(48, np.float32)}
    got, res = run_both(tmp_path, ELEMENTWISE, args, (3,), block_dim)
    assert agree(got, res)


REDUCE = """
@wp.kernel
def k(a: wp.array2d(dtype=wp.float32), o: wp.array(dtype=wp.float32), ix: wp.array(dtype=wp.int32),
      rs: wp.array(dtype=wp.float32)):
    i = wp.tid()
    t = wp.tile_load(a, shape=(4, 8), offset=(i * 4, 0))
    s = wp.tile_sum(t)
    mx = wp.tile_max(t)
    mn = wp.tile_min(t)
    r = wp.tile_reduce(wp.add, t)
    am = wp.tile_argmax(t)
    an = wp.tile_argmin(t)
    o[i * 4 + 0] = s[0]
    o[i * 4 + 1] = mx[0]
    o[i * 4 + 2] = mn[0]
    o[i * 4 + 3] = r[0]
    ix[i * 2 + 0] = am[0]
    ix[i * 2 + 1] = an[0]
    wp.tile_store(rs, wp.tile_sum(t, axis=1), offset=i * 4)
"""


@pytest.mark.parametrize("block_dim", [1, 8, 128])
def test_reductions(tmp_path: Path, block_dim: int) -> None:
    args = {
        "a": rng_f((8, 8), 3),
        "o": np.zeros(8, np.float32),
        "ix": np.zeros(4, np.int32),
        "rs": np.zeros(8, np.float32),
    }
    got, res = run_both(tmp_path, REDUCE, args, (2,), block_dim)
    assert agree(got, res)
    assert not res.unstable["ix"].any()  # distinct random values: argmax/argmin are determined


INT_TILES = """
@wp.kernel
def k(a: wp.array(dtype=wp.int32), o: wp.array(dtype=wp.int32)):
    i = wp.tid()
    t = wp.tile_load(a, shape=8, offset=i * 8)
    p = wp.tile_reduce(wp.mul, t)
    q = wp.tile_arange(2, 18, 2, dtype=wp.int32)
    u = t * 3 + q - wp.tile_full(shape=8, value=5, dtype=wp.int32)
    wp.tile_store(o, wp.tile_scan_inclusive(u), offset=i * 24)
    wp.tile_store(o, wp.tile_scan_exclusive(t), offset=i * 24 + 8)
    wp.tile_store(o, wp.tile_scan_max_inclusive(t), offset=i * 24 + 16)
    o[48 + i] = p[0]
    lo = wp.tile_min(t)
    hi = wp.tile_max(t)
    o[50 + i] = lo[0] * 100 + hi[0]
"""


def test_int_tiles_scans_arange(tmp_path: Path) -> None:
    a = np.random.default_rng(4).integers(-9, 9, 16).astype(np.int32)
    args = {"a": a, "o": np.zeros(52, np.int32)}
    got, res = run_both(tmp_path, INT_TILES, args, (2,), 4)
    assert np.array_equal(got["o"], res.arrays["o"])


MATMUL = """
@wp.kernel
def k(a: wp.array2d(dtype=wp.float32), b: wp.array2d(dtype=wp.float32), o: wp.array2d(dtype=wp.float32),
      p: wp.array2d(dtype=wp.float32)):
    i = wp.tid()
    x = wp.tile_load(a, shape=(4, 3), offset=(i * 4, 0))
    y = wp.tile_load(b, shape=(3, 5))
    c = wp.tile_matmul(x, y)
    acc = wp.tile_zeros(shape=(4, 5), dtype=wp.float32)
    wp.tile_matmul(x, y, acc)
    wp.tile_matmul(x, y, acc)
    wp.tile_store(o, c + acc, offset=(i * 4, 0))
    v = wp.tile_view(c, offset=(1, 1), shape=(2, 3))
    bt = wp.tile_broadcast(wp.tile_load(b, shape=(1, 3)), shape=(2, 3))
    w = wp.tile_transpose(wp.tile_reshape(v + bt, shape=(3, 2)))
    wp.tile_store(p, wp.tile_astype(w, dtype=wp.float32), offset=(i * 2, 0))
"""


@pytest.mark.parametrize("block_dim", [4, 64])
def test_matmul_view_broadcast_transpose(tmp_path: Path, block_dim: int) -> None:
    args = {
        "a": rng_f((8, 3), 5),
        "b": rng_f((3, 5), 6),
        "o": np.zeros((8, 5), np.float32),
        "p": np.zeros((4, 3), np.float32),
    }
    got, res = run_both(tmp_path, MATMUL, args, (2,), block_dim)
    assert agree(got, res)


ATOMIC = """
@wp.kernel
def k(a: wp.array(dtype=wp.float32), acc: wp.array(dtype=wp.float32), e: wp.array(dtype=wp.float32)):
    i = wp.tid()
    t = wp.tile_load(a, shape=4, offset=i * 4)
    old = wp.tile_atomic_add(acc, t)
    z = wp.tile_zeros(shape=4, dtype=wp.float32)
    x = wp.tile_extract(t, 2) + t[1]
    e[i] = x
"""


def test_atomic_add_and_extract(tmp_path: Path) -> None:
    # every block adds onto the same 4 elements: the sums commute, the returned olds are unused
    args = {"a": rng_f((12,), 7), "acc": np.ones(4, np.float32), "e": np.zeros(3, np.float32)}
    got, res = run_both(tmp_path, ATOMIC, args, (3,), 8)
    assert agree(got, res)
    assert res.written["acc"].all()


def test_store_bounds_check_false_past_end_is_ub(tmp_path: Path) -> None:
    src = textwrap.dedent("""
    @wp.kernel
    def k(o: wp.array(dtype=wp.float32)):
        i = wp.tid()
        wp.tile_store(o, wp.tile_ones(shape=4, dtype=wp.float32), offset=i * 4, bounds_check=False)
    """)
    with pytest.raises(UndefinedBehavior):
        evaluate(HEADER + src, "k", {"o": np.zeros(6, np.float32)}, (2,))


def test_per_thread_tiles_are_refused() -> None:
    src = textwrap.dedent("""
    @wp.kernel
    def k(o: wp.array(dtype=wp.float32)):
        i = wp.tid()
        t = wp.tile(float(i))
        wp.tile_store(o, t)
    """)
    with pytest.raises(Unsupported, match="block width"):
        evaluate(HEADER + src, "k", {"o": np.zeros(4, np.float32)}, (1,))


def test_planted_wrong_semantics_is_caught(tmp_path: Path) -> None:
    """A registry whose wp.sin is cos: tile_map through it must disagree with Warp."""
    reg = default_registry()
    cos = reg.get("cos")
    assert cos is not None
    wrong = reg.with_entries([Builtin("sin", cos.fn, "planted: cos")])
    args = {"a": rng_f((48,), 1), "b": rng_f((48,), 2), "o": np.zeros(48, np.float32)}
    got, res = run_both(tmp_path, ELEMENTWISE, args, (3,), 16, registry=wrong)
    assert not agree(got, res)
    got, res = run_both(tmp_path, ELEMENTWISE, args, (3,), 16)
    assert agree(got, res)


def test_planted_wrong_padding_is_caught(tmp_path: Path) -> None:
    """Warp output compared with an oracle result whose padded elements are altered."""
    src = LOAD_STORE.replace("TM", "2").replace("TN", "3")
    args = {"a": rng_f((5, 7)), "o": np.full((5, 7), -7.0, np.float32)}
    got, res = run_both(tmp_path, src, args, (3, 3), 4)
    assert agree(got, res)
    res.arrays["o"][4, 6] += 1.0
    assert not agree(got, res)


IN_PLACE = """
@wp.kernel
def k(a: wp.array2d(dtype=wp.float32), o: wp.array2d(dtype=wp.float32), d: wp.array(dtype=wp.float32),
      s: wp.array(dtype=wp.float32), v: wp.array(dtype=wp.float32)):
    i = wp.tid()
    x = wp.tile_load(a, shape=(4, 4), offset=(i * 4, 0))
    row = wp.tile_squeeze(wp.tile_view(x, offset=(1, 0), shape=(1, 4)))
    y = wp.tile_diag_add(x, row)
    wp.tile_axpy(2.0, x, y)
    z = wp.tile_zeros(shape=(4, 4), dtype=wp.float32)
    wp.tile_assign(z, wp.tile_view(y, offset=(0, 0), shape=(2, 4)), offset=(2, 0))
    wp.tile_store(o, z + y, offset=(i * 4, 0))
    dd = wp.tile_dot(x, y)
    d[i] = dd[0]
    keys = wp.tile_reshape(x, shape=(16,))
    vals = wp.tile_arange(16, dtype=wp.float32)
    wp.tile_sort(keys, vals)
    wp.tile_store(s, keys, offset=i * 16)
    wp.tile_store(v, vals, offset=i * 16)
"""


@pytest.mark.parametrize("block_dim", [1, 32])
def test_squeeze_diag_add_axpy_assign_dot_sort(tmp_path: Path, block_dim: int) -> None:
    args = {
        "a": rng_f((8, 4), 9),
        "o": np.zeros((8, 4), np.float32),
        "d": np.zeros(2, np.float32),
        "s": np.zeros(32, np.float32),
        "v": np.zeros(32, np.float32),
    }
    got, res = run_both(tmp_path, IN_PLACE, args, (2,), block_dim)
    assert agree(got, res)
    assert not res.unstable["v"].any()  # distinct random keys: the permutation is determined


ELEMENT_UPDATES = """
@wp.kernel
def k(a: wp.array(dtype=wp.int32), o: wp.array(dtype=wp.int32), f: wp.array2d(dtype=wp.float32)):
    i = wp.tid()
    t = wp.tile_load(a, shape=8, offset=i * 8)
    wp.tile_add_inplace(t, 1, 5)
    wp.tile_sub_inplace(t, 2, 3)
    wp.tile_bit_and_inplace(t, 3, 6)
    wp.tile_bit_or_inplace(t, 4, 9)
    wp.tile_bit_xor_inplace(t, i + 5, 12)
    wp.tile_store(o, t, offset=i * 8)
    x = wp.tile_load(f, shape=(2, 2), offset=(i * 2, 0))
    wp.tile_add_inplace(x, 1, 0, 0.25)
    wp.tile_sub_inplace(x, 0, 1, 2.0)
    wp.tile_store(f, x, offset=(i * 2, 0))
"""


def test_element_updates_in_place(tmp_path: Path) -> None:
    args = {
        "a": np.random.default_rng(11).integers(-50, 50, 16).astype(np.int32),
        "o": np.zeros(16, np.int32),
        "f": rng_f((4, 2), 12),
    }
    got, res = run_both(tmp_path, ELEMENT_UPDATES, args, (2,), 4)
    assert np.array_equal(got["o"], res.arrays["o"])
    assert agree(got, res)
