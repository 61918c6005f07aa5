"""The `tiles` family: tiled launches (`wp.launch_tiled(..., block_dim=B)`) over block grids.

Each block loads a tile (the last tiles of an axis hang past the array's extent: Warp pads their
reads with zeros and drops their stores), transforms it with element-wise arithmetic, `tile_map`,
fills, views, broadcasts, reshapes, scans, transposes and matmuls, then stores tiles, reduction
results and extracted elements per block, or adds a tile atomically into an accumulator every
block shares. Only block-uniform code is written: `wp.tid()` is the block index, so the oracle's
one-lane-per-block model (oracle.tiles) is exact. Builtins whose per-thread part depends on the
block's width W (1 on CPU, block_dim on CUDA) appear only in uses every W agrees on (see
_width_step): `wp.tile(x)` under untile / tile_max / tile_min / tile_extract(., 0), a random
tile's element 0 (or a whole float tile, which the oracle bounds), scatters that repeating
cannot change, a capacity-one tile stack's counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from grammar.dtypes import Interval
from grammar.gen import Gen
from grammar.scope import ArrayParam, Var

BLOCK_DIMS = (1, 4, 16, 32, 64, 128)
# tile builtins Warp builds on CUDA with MathDx (cuBLASDx / cuSOLVERDx LTOs): with Warp 1.19.0
# (NVRTC 13.4) their LTOs fail to build below 32 threads per block ("Failed to compile LTO
# 'potrf_8_8_1_90_16_...'", at the launch's block_dim), so their kernels launch 32 or more
MATHDX_OPS = (
    "tile_matmul", "tile_cholesky", "tile_cholesky_inplace", "tile_cholesky_solve",
    "tile_cholesky_solve_inplace", "tile_lower_solve", "tile_lower_solve_inplace",
    "tile_upper_solve", "tile_upper_solve_inplace",
)  # fmt: skip
MATHDX_MIN_BLOCK_DIM = 32
UNARY_MAPS = ("sin", "cos", "tanh", "atan", "abs")
BINARY_MAPS = ("min", "max", "add", "sub", "mul")
LINALG = (
    "tile_cholesky",
    "tile_cholesky_inplace",
    "tile_cholesky_solve",
    "tile_cholesky_solve_inplace",
    "tile_lower_solve",
    "tile_lower_solve_inplace",
    "tile_upper_solve",
    "tile_upper_solve_inplace",
)
TILE_CALLS = frozenset(
    {
        "tile_load",
        "tile_store",
        "tile_atomic_add",
        "tile_zeros",
        "tile_ones",
        "tile_full",
        "tile_arange",
        "tile_map",
        "tile_matmul",
        "tile_sum",
        "tile_max",
        "tile_min",
        "tile_reduce",
        "tile_argmax",
        "tile_argmin",
        "tile_scan_inclusive",
        "tile_scan_exclusive",
        "tile_scan_max_inclusive",
        "tile_scan_min_inclusive",
        "tile_transpose",
        "tile_broadcast",
        "tile_reshape",
        "tile_view",
        "tile_astype",
        "tile_extract",
        "tile_squeeze",
        "tile_diag_add",
        "tile_dot",
        "tile_axpy",
        "tile_assign",
        "tile_sort",
        "tile_add_inplace",
        "tile_sub_inplace",
        "tile_bit_and_inplace",
        "tile_bit_or_inplace",
        "tile_bit_xor_inplace",
        "tile_load_indexed",
        "tile_store_indexed",
        "tile_atomic_add_indexed",
        "tile_from_thread",
        "tile",
        "untile",
        "tile_empty",
        "tile_randf",
        "tile_randi",
        "tile_slice_indexed",  # written as the subscript t[ix, :] (grammar.constructs names it)
        "tile_scatter_add",
        "tile_scatter_masked",
        "tile_stack",
        "tile_stack_push",
        "tile_stack_pop",
        "tile_stack_count",
        "tile_stack_clear",
        "rand_init",
        *LINALG,
        *UNARY_MAPS,
        "min",
        "max",  # (tile_map's add/sub/mul are the operators' builtins, modelled as operators)
    }
)


@dataclass
class TileKernel:
    """What the body writer knows: tile shape, element type, the block's offset expression."""

    shape: tuple[int, ...]
    dtype: str
    offset: str
    block: str  # the block's flat index (for per-block scalar results)
    padded: bool = False  # some block's tile hangs past the array: its padding zeros may tie
    gathered: bool = False  # a tile_load_indexed tile: repeated indices repeat rows, which tie
    tiles: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    n: int = 0

    def fresh(self) -> str:
        self.n += 1
        return f"t{self.n}"

    @property
    def shape_src(self) -> str:
        return str(self.shape[0]) if len(self.shape) == 1 else "(" + ", ".join(map(str, self.shape)) + ")"

    @property
    def shape_tuple(self) -> str:
        return "(" + ", ".join(map(str, self.shape)) + ("," if len(self.shape) == 1 else "") + ")"

    @property
    def size(self) -> int:
        out = 1
        for s in self.shape:
            out *= s
        return out

    def emit(self, expr: str) -> str:
        t = self.fresh()
        self.lines.append(f"{t} = {expr}")
        self.tiles.append(t)
        return t


def _tup(xs: tuple[int, ...]) -> str:
    return "(" + ", ".join(map(str, xs)) + ("," if len(xs) == 1 else "") + ")"


def _lit(gen: Gen, k: TileKernel) -> str:
    if k.dtype == "int32":
        return str(gen.rng.pick((2, 3, -1, 5)))
    v = gen.rng.pick((0.5, 2.0, -1.5, 0.25, 3.0))
    return str(v) if k.dtype == "float32" else f"wp.{k.dtype}({v})"  # a bare 2.0 is a float32


def _zero(k: TileKernel) -> str:
    return "0.0" if k.dtype == "float32" else f"wp.{k.dtype}(0.0)"


def _unary_maps(gen: Gen) -> tuple[str, ...]:
    """`tile_map` unary builtins; not tanh where the release cannot build its adjoint."""
    if "tile_map_tanh_backward" in gen.lacking:
        return tuple(m for m in UNARY_MAPS if m != "tanh")
    return UNARY_MAPS


def _tile_step(gen: Gen, k: TileKernel) -> None:
    """One new tile of the kernel's shape and type, from the tiles so far."""
    a = k.tiles[-1] if gen.rng.chance(0.6) else gen.rng.pick(k.tiles)  # mostly a chain, little dead code
    others = [t for t in k.tiles if t != a]
    b = gen.rng.pick(others) if others and gen.rng.chance(0.8) else a  # `a - a` is a zero tile: rare
    fl = k.dtype != "int32"
    dt = f"wp.{k.dtype}"
    sq = len(k.shape) == 2 and k.shape[0] == k.shape[1]
    menu: list[tuple[str, float]] = [
        (f"{a} + {b}", 2.0),
        (f"{a} - {b}", 1.5 if b != a else 0.0),
        (f"{a} * {b}", 1.0 if fl else 0.0),
        (f"{a} * {_lit(gen, k)}", 1.5),
        (f"{_lit(gen, k)} * {a}", 0.5),
        (f"-{a}", 0.5),
        (
            f"wp.tile_map(wp.{gen.rng.pick(BINARY_MAPS[:3] if b == a else BINARY_MAPS if fl else BINARY_MAPS[:-1])}, {a}, {b})",
            1.5,
        ),
        (f"{a} + wp.tile_ones(shape={k.shape_src}, dtype={dt})", 0.4),
        (f"{a} * wp.tile_full(shape={k.shape_src}, value={_lit(gen, k)}, dtype={dt})", 0.5),
        (f"{a} + wp.tile_zeros(shape={k.shape_src}, dtype={dt})", 0.2),
        (f"wp.tile_reshape(wp.tile_reshape({a}, shape=({k.size},)), shape={k.shape_tuple})", 0.4),
        # Warp 1.19 scans float32/int32/uint32 tiles only
        (f"wp.tile_scan_max_inclusive({a})", 0.3 if k.dtype != "float64" else 0.0),
        (f"wp.tile_scan_min_inclusive({a})", 0.3 if k.dtype != "float64" else 0.0),
    ]
    if fl:
        menu += [
            (f"wp.tile_map(wp.{gen.rng.pick(_unary_maps(gen))}, {a})", 2.5),
            (f"{a} / {_lit(gen, k)}", 0.7),
            (f"wp.tile_astype(wp.tile_astype({a}, dtype=wp.float64) * wp.float64(2.0), dtype={dt})", 0.4)
            if k.dtype == "float32"
            else (f"wp.tile_astype(wp.tile_astype({a}, dtype=wp.float32), dtype={dt})", 0.4),
            (f"wp.tile_scan_inclusive({a})", 0.4 if k.dtype == "float32" else 0.0),
            (f"wp.tile_scan_exclusive({a})", 0.3 if k.dtype == "float32" else 0.0),
        ]
    else:
        menu += [(f"wp.tile_scan_inclusive({a})", 0.5), (f"wp.tile_scan_exclusive({a})", 0.4)]
    idx = ", ".join(str(gen.rng.integer(0, s - 1)) for s in k.shape)
    # thread 0's value (every thread of a block holds the same one here; on CPU it is the only one)
    menu.append(
        (
            f"{a} + wp.tile_from_thread(shape={k.shape_src}, value=wp.tile_extract({b}, {idx}), thread_idx=0)",
            0.4,
        )
    )
    if len(k.shape) == 1:
        n = k.shape[0]
        start = gen.rng.pick((0, 1, -3))
        step = gen.rng.pick((1, 2))
        menu.append((f"{a} + wp.tile_arange({start}, {start + n * step}, {step}, dtype={dt})", 0.6))
    else:
        r = gen.rng.integer(0, k.shape[0] - 1)
        row = f"wp.tile_view({a}, offset=({r}, 0), shape=(1, {k.shape[1]}))"
        menu.append((f"{b} + wp.tile_broadcast({row}, shape={k.shape_src})", 0.8))
    if len(k.shape) == 2:
        r = gen.rng.integer(0, k.shape[0] - 1)
        row = f"wp.tile_squeeze(wp.tile_view({b}, offset=({r}, 0), shape=(1, {k.shape[1]})))"
        menu.append((f"{a} + wp.tile_broadcast({row}, shape={k.shape_src})", 0.4))
        if sq:
            menu.append((f"wp.tile_diag_add({a}, {row})", 0.6))
    if sq:
        menu.append((f"wp.tile_transpose({a})", 0.8))
        if fl:
            menu.append((f"wp.tile_matmul({a}, {b})", 1.2))
    exprs, weights = zip(*menu, strict=True)
    k.emit(gen.rng.weighted(list(exprs), list(weights)))
    if gen.rng.chance(0.2):
        _width_step(gen, k, a, b)
    if "tile_axpy_dot" not in gen.lacking and gen.rng.chance(0.12):  # dest += alpha * src, in place
        dest = k.emit(f"{b} + wp.tile_zeros(shape={k.shape_src}, dtype={dt})")
        k.lines.append(f"wp.tile_axpy({_lit(gen, k)}, {a}, {dest})")
    if gen.rng.chance(0.15 if fl else 0.35):  # one element updated in place (what `t[i] += v` lowers to)
        dest = k.emit(f"{a} + wp.tile_zeros(shape={k.shape_src}, dtype={dt})")
        upd = ["add", "sub"] + (["bit_and", "bit_or", "bit_xor"] if not fl else [])
        idx = ", ".join(str(gen.rng.integer(0, s - 1)) for s in k.shape)
        op = gen.rng.pick(upd)
        # every thread of the block runs the update (tile.h add_inplace: an atomic add per thread),
        # so a launch of block_dim threads applies it block_dim times and a CPU launch (one thread
        # per block) once: only values for which repeating changes nothing are device-independent
        # (`& v`, `| v`; `+ 0`, `- 0`, `^ 0`)
        val = _lit(gen, k) if op in ("bit_and", "bit_or") else "0" if not fl else _zero(k)
        k.lines.append(f"wp.tile_{op}_inplace({dest}, {idx}, {val})")
    if gen.rng.chance(0.1):  # a view of one tile copied into part of another
        dst = k.emit(
            f"wp.tile_zeros(shape={k.shape_src}, dtype={dt})"
            if gen.rng.chance(0.5)
            else f"{b} * {_lit(gen, k)}"
        )
        half = tuple(max(1, s // 2) for s in k.shape)
        at = tuple(gen.rng.integer(0, s - h) for s, h in zip(k.shape, half, strict=True))
        view = f"wp.tile_view({a}, offset={_tup((0,) * len(half))}, shape={_tup(half)})"
        k.lines.append(f"wp.tile_assign({dst}, {view}, offset={_tup(at)})")
    # float keys only: int keys tie, leaving the payload's order unspecified (nothing to compare)
    if len(k.shape) == 1 and k.dtype == "float32" and gen.rng.chance(0.12):
        # + i/8: the zero padding of a partial tile would tie
        keys = k.emit(f"{a} + wp.tile_arange(0.0, {k.shape[0] * 0.125}, 0.125, dtype={dt})")
        vals = k.emit(f"wp.tile_arange({k.shape[0]}, dtype={dt})")
        k.lines.append(f"wp.tile_sort({keys}, {vals})")
    if sq and fl and gen.rng.chance(0.3):
        _linalg(gen, k)
    if sq and fl and gen.rng.chance(0.15):  # the accumulating matmul updates a tile in place
        acc = k.emit(
            f"wp.tile_zeros(shape={k.shape_src}, dtype={dt})"
            if gen.rng.chance(0.5)
            else f"{a} * {_lit(gen, k)}"
        )
        k.lines.append(f"wp.tile_matmul({a}, {b}, {acc})")


def _width_step(gen: Gen, k: TileKernel, a: str, b: str) -> None:
    """One use of a builtin whose per-thread part depends on the block's width W, in a form
    whose result is the same for every W (so CPU, W = 1, and CUDA agree, and so does the oracle)."""
    dt = f"wp.{k.dtype}"
    fl = k.dtype != "int32"
    idx = ", ".join(str(gen.rng.integer(0, s - 1)) for s in k.shape)
    x = f"wp.tile_extract({b}, {idx})"
    kinds = ["tile", "rand", "empty", "slice"]
    weights = [1.0, 1.0, 0.8, 0.8 if "tile_slice_indexed" not in gen.lacking else 0.0]
    kinds.append("scatter")
    weights.append(0.8 if "tile_scatter_stack" not in gen.lacking else 0.0)
    if "tile_empty" in gen.lacking:
        weights[2] = 0.0
    kind = gen.rng.weighted(kinds, weights)
    if kind == "tile":
        # W copies of a block-uniform x: their max/min, element 0 and untile are x for every W
        use = gen.rng.pick(("untile", "max", "min", "reduce", "extract"))
        per = f"wp.tile({x})" if gen.rng.chance(0.6) else f"wp.tile({x} * {_lit(gen, k)})"
        if use == "untile":
            k.emit(f"{a} + wp.tile_full(shape={k.shape_src}, value=wp.untile({per}), dtype={dt})")
        elif use == "extract":
            k.emit(f"{a} + wp.tile_full(shape={k.shape_src}, value=wp.tile_extract({per}, 0), dtype={dt})")
        else:
            red = (
                f"wp.tile_{use}({per})"
                if use != "reduce"
                else f"wp.tile_reduce(wp.{gen.rng.pick(('max', 'min'))}, {per})"
            )
            k.emit(f"{a} + wp.tile_broadcast({red}, shape={k.shape_tuple})")
    elif kind == "rand":
        rng = k.fresh()
        k.lines.append(f"{rng} = wp.rand_init({gen.rng.integer(0, 99)}, {k.block})")
        if k.dtype == "int32":  # only element 0 is the same for every W: a one-element tile
            # always a small range: an unbounded randi spans int32 and any sum with it may overflow
            rng_args = gen.rng.pick((", min=-3, max=4", ", min=0, max=10"))
            one = f"wp.tile_randi(shape={gen.rng.pick(('1', '(1,)'))}, rng={rng}{rng_args})"
            k.emit(f"{a} + wp.tile_broadcast({one}, shape={k.shape_tuple})")
        else:
            rng_args = gen.rng.pick(("", ", min=-1.0, max=1.0", ", min=0.5, max=2.0"))
            if gen.rng.chance(0.5):  # a whole tile: element 0 exact, the others within [min, max]
                r = f"wp.tile_randf(shape={k.shape_src}, rng={rng}{rng_args})"
            else:
                r = f"wp.tile_broadcast(wp.tile_randf(shape=1, rng={rng}{rng_args}), shape={k.shape_tuple})"
            if k.dtype != "float32":
                r = f"wp.tile_astype({r}, dtype={dt})"
            k.emit(f"{a} + {r}")
    elif kind == "empty":
        # written whole before any read: one tile_assign, or two halves along axis 0
        e = k.fresh()
        k.lines.append(f"{e} = wp.tile_empty(shape={k.shape_src}, dtype={dt})")
        zero = _tup((0,) * len(k.shape))
        n0 = k.shape[0]
        if n0 >= 2 and gen.rng.chance(0.5):
            h = n0 // 2
            rest = k.shape[1:]
            top = _tup((h, *rest))
            bot = _tup((n0 - h, *rest))
            off_h = _tup((h,) + (0,) * len(rest))
            k.lines.append(
                f"wp.tile_assign({e}, wp.tile_view({a}, offset={zero}, shape={top}), offset={zero})"
            )
            k.lines.append(
                f"wp.tile_assign({e}, wp.tile_view({b}, offset={off_h}, shape={bot}), offset={off_h})"
            )
        else:
            k.lines.append(f"wp.tile_assign({e}, {a}, offset={zero})")
        k.tiles.append(e)
    elif kind == "slice":
        # t[indices, :] (tile_slice_indexed): a permutation of one axis, negative indices too
        ax = gen.rng.integer(0, len(k.shape) - 1)
        n = k.shape[ax]
        ix = k.fresh()
        if gen.rng.chance(0.5):
            k.lines.append(f"{ix} = wp.tile_arange({n - 1}, -1, -1, dtype=wp.int32)")
        else:
            k.lines.append(f"{ix} = wp.tile_arange(-1, {-n - 1}, -1, dtype=wp.int32)")
        if len(k.shape) == 1:
            k.emit(f"wp.tile_reshape(wp.tile_reshape({a}, shape=({n}, 1))[{ix}, :], shape=({n},))")
        else:
            k.emit(f"{a}[{ix}, :]" if ax == 0 else f"{a}[:, {ix}]")
    else:
        # a scatter every thread of the block repeats: an add of zero under a per-block condition,
        # or one that never acts (a masked write by W >= 2 threads at one index is undefined)
        dest = k.emit(f"{a} + wp.tile_zeros(shape={k.shape_src}, dtype={dt})")
        j = ", ".join(str(gen.rng.integer(0, s - 1)) for s in k.shape)
        first = f"wp.tile_extract({k.tiles[0]}, {j})"
        never = f"{first} > {'100.0' if k.dtype == 'float32' else 'wp.float64(100.0)' if fl else '100'}"
        zero = _zero(k) if fl else "0"
        sel = gen.rng.pick(("add_zero", "add_never", "masked_never"))
        if sel == "add_zero":
            cond = f"{first} > {_zero(k) if fl else '0'}" if gen.rng.chance(0.7) else "True"
            k.lines.append(f"wp.tile_scatter_add({dest}, {idx}, {zero}, {cond})")
        elif sel == "add_never":
            k.lines.append(f"wp.tile_scatter_add({dest}, {idx}, {_lit(gen, k)}, {never})")
        else:
            k.lines.append(f"wp.tile_scatter_masked({dest}, {idx}, {_lit(gen, k)}, {never})")


def _stack_counts(gen: Gen, k: TileKernel, nblocks: int) -> None:
    """A capacity-one tile stack (every W pushes then holds one element, a pop empties it): its
    counts after a few pushes, pops and clears, stored per block, and the push's slot where it
    is the same for every thread (-1: nothing offered)."""
    dt = f"wp.{k.dtype}"
    steps = gen.rng.integer(2, 4)
    out = gen.add_array("int32", "out", None, (nblocks * (steps + 1),))
    st = k.fresh()
    k.lines.append(f"{st} = wp.tile_stack(capacity=1, dtype={dt})")
    x = f"wp.tile_extract({gen.rng.pick(k.tiles)}, {', '.join(str(gen.rng.integer(0, s - 1)) for s in k.shape)})"
    first = f"wp.tile_extract({k.tiles[0]}, {', '.join('0' for _ in k.shape)})"
    never = f"{first} > {'100.0' if k.dtype == 'float32' else 'wp.float64(100.0)' if k.dtype == 'float64' else '100'}"
    k.lines.append(f"{out.name}[({k.block}) * {steps + 1}] = wp.tile_stack_push({st}, {x}, {never})")
    for n in range(steps):
        op = gen.rng.weighted(["push", "push_if", "pop", "clear"], [1.0, 1.0, 1.0, 0.4])
        if op == "push":
            k.lines.append(f"wp.tile_stack_push({st}, {x}, True)")
        elif op == "push_if":
            zero = _zero(k) if k.dtype != "int32" else "0"
            k.lines.append(f"wp.tile_stack_push({st}, {x}, {first} > {zero})")
        elif op == "pop":
            k.lines.append(f"{k.fresh()}, {k.fresh()} = wp.tile_stack_pop({st})")
        else:
            k.lines.append(f"wp.tile_stack_clear({st})")
        k.lines.append(f"{out.name}[({k.block}) * {steps + 1} + {n + 1}] = wp.tile_stack_count({st})")


def _fval(k: TileKernel, v: float) -> str:
    return str(v) if k.dtype == "float32" else f"wp.{k.dtype}({v})"


def _linalg(gen: Gen, k: TileKernel) -> None:
    """A Cholesky factor of a diagonally dominant matrix, then one or two solves with it.

    The matrix is the first loaded tile (entries in [-4, 4] or padding zeros) plus 5n on the
    diagonal: symmetric positive definite as its lower triangle reads, and both it and its factor
    are well conditioned, so the oracle's a-priori bounds are tight enough to compare. In-place
    forms overwrite a fresh copy, never a tile another name still reads.
    """
    n = k.shape[0]
    dt = f"wp.{k.dtype}"
    zeros = f"wp.tile_zeros(shape={k.shape_src}, dtype={dt})"
    a = k.emit(
        f"wp.tile_diag_add({k.tiles[0]}, wp.tile_full(shape={n}, value={_fval(k, 5.0 * n)}, dtype={dt}))"
    )
    if gen.rng.chance(0.5):
        fac = k.emit(f"wp.tile_cholesky({a})")
    else:
        fac = k.emit(f"{a} + {zeros}")
        k.lines.append(f"wp.tile_cholesky_inplace({fac})")
    for _ in range(gen.rng.integer(1, 2)):
        y = gen.rng.pick(k.tiles)
        kind = gen.rng.pick(("cholesky_solve", "lower_solve", "upper_solve"))
        mat = fac if kind != "upper_solve" else f"wp.tile_transpose({fac})"
        if gen.rng.chance(0.5):
            k.emit(f"wp.tile_{kind}({mat}, {y})")
        else:
            dest = k.emit(f"{y} + {zeros}")
            k.lines.append(f"wp.tile_{kind}_inplace({mat}, {dest})")


def _offset_tuple(k: TileKernel) -> str:
    return k.offset if k.offset.startswith("(") else f"({k.offset},)"


def _unique_indices(gen: Gen, n: int) -> str:
    """A permutation of the block's own range (reversed, or in order): unique destinations, so no
    element is written twice. Never -1 or past the tile: releases before 1.18 do not check
    indexed coordinates (1.12.0 corrupts the heap), and no gate can see an index's value."""
    if gen.rng.chance(0.75):
        return f"wp.tile_arange({n - 1}, -1, -1, dtype=wp.int32)"
    return f"wp.tile_arange({n}, dtype=wp.int32)"


def _results(gen: Gen, k: TileKernel, nblocks: int) -> None:
    """Per-block scalar results of reductions/extractions into a (blocks,) array."""
    for _ in range(gen.rng.integer(0, 3)):
        t = gen.rng.pick(k.tiles)
        kind = gen.rng.weighted(
            ["sum", "max", "min", "reduce", "argmax", "argmin", "extract", "index", "dot"],
            # argmax/argmin of int tiles tie too often (unspecified index: nothing to compare)
            # and so do a partial tile's padding zeros and the repeated rows of a gathered tile
            [
                2.0,
                1.0,
                1.0,
                1.0,
                *((0.7, 0.7) if k.dtype != "int32" and not (k.padded or k.gathered) else (0.0, 0.0)),
                0.6,
                0.6,
                0.0 if "tile_axpy_dot" in gen.lacking else 0.8,
            ],
        )
        if kind in ("argmax", "argmin"):
            out = gen.add_array("int32", "out", None, (nblocks,))
        else:
            out = gen.add_array(k.dtype, "out", None, (nblocks,))
        if kind == "reduce":
            expr = f"wp.tile_reduce(wp.{gen.rng.pick(('add', 'max', 'min'))}, {t})"
        elif kind == "dot":
            expr = f"wp.tile_dot({t}, {gen.rng.pick(k.tiles)})"
        elif kind in ("extract", "index"):
            idx = ", ".join(str(gen.rng.integer(0, s - 1)) for s in k.shape)
            if kind == "extract":
                k.lines.append(f"{out.name}[{k.block}] = wp.tile_extract({t}, {idx})")
            else:
                k.lines.append(f"{out.name}[{k.block}] = {t}[{idx}]")
            continue
        else:
            expr = f"wp.tile_{kind}({t})"
        if gen.rng.chance(0.5):
            r = k.fresh()
            k.lines.append(f"{r} = {expr}")
            k.lines.append(f"{out.name}[{k.block}] = {r}[0]")
        else:
            k.lines.append(f"wp.tile_store({out.name}, {expr}, offset={k.block})")


def tile_body(gen: Gen) -> list[cst.BaseStatement]:
    """The tiles family's layout: block grid, arrays, tile statements, stores."""
    dtype = gen.rng.weighted(["float32", "float64", "int32"], [3.0, 1.0, 1.0])
    gen.dtypes = [dtype]
    two_d = gen.rng.chance(0.5)
    if two_d:
        shape: tuple[int, ...] = (gen.rng.pick((2, 3, 4, 8)), gen.rng.pick((2, 3, 4, 8)))
        if gen.rng.chance(0.4):
            shape = (shape[0], shape[0])  # square: transpose and matmul apply
        grid2 = gen.rng.chance(0.5)
        gen.dim = (gen.rng.integer(1, 4), gen.rng.integer(1, 3)) if grid2 else (gen.rng.integer(1, 6),)
    else:
        shape = (gen.rng.pick((4, 8, 16, 32)),)
        gen.dim = (gen.rng.integer(1, 6),)
    names = "ij"
    gen.idx = [
        gen.scope.add(Var(n, "int32", Interval(0, d - 1), 0, True, False))
        for n, d in zip(names, gen.dim, strict=False)
    ]
    # the array covers the block grid's tiles, minus a partial last tile on some axes
    grid = list(gen.dim) + [1] * (len(shape) - len(gen.dim))
    ashape = tuple(
        max(1, g * s - (gen.rng.integer(0, s - 1) if gen.rng.chance(0.5) else 0))
        for g, s in zip(grid, shape, strict=True)
    )
    offs = [f"{names[d]} * {shape[d]}" if d < len(gen.dim) else "0" for d in range(len(shape))]
    offset = offs[0] if len(shape) == 1 else "(" + ", ".join(offs) + ")"
    block = "i" if len(gen.dim) == 1 else f"i * {gen.dim[1]} + j"
    nblocks = 1
    for d in gen.dim:
        nblocks *= d
    k = TileKernel(
        shape,
        dtype,
        offset,
        block,
        padded=any(g * s != n for g, s, n in zip(grid, shape, ashape, strict=True)),
    )
    iv = Interval(-4.0, 4.0) if dtype != "int32" else Interval(-20, 20)
    ins = [gen.add_array(dtype, "in", iv, ashape) for _ in range(gen.rng.integer(1, 2))]
    for a in ins:
        k.emit(f"wp.tile_load({a.name}, shape={k.shape_src}, offset={offset})")
    # the indexed forms only where every block's tile lies inside the arrays (see _unique_indices)
    indexed = not k.padded
    if indexed and gen.rng.chance(0.3):  # a gather along one axis, indices in the tile's range
        ax = gen.rng.integer(0, len(shape) - 1)
        ix = gen.add_array("int32", "in", Interval(0, shape[ax] - 1), (shape[ax],))
        ixt = k.fresh()  # an int32 tile: not one of k.tiles, which share the kernel's dtype
        k.lines.append(f"{ixt} = wp.tile_load({ix.name}, shape={shape[ax]})")
        src = gen.rng.pick(ins).name
        k.gathered = True
        k.emit(
            f"wp.tile_load_indexed({src}, indices={ixt}, shape={k.shape_tuple}, offset={_offset_tuple(k)}, axis={ax})"
        )
    # int tiles stay far from int32 overflow (UB): no tile products, at most three steps
    for _ in range(gen.rng.integer(1, max(1, min(6 if dtype != "int32" else 3, gen.knobs.max_stmts)))):
        _tile_step(gen, k)
    if indexed and dtype != "int32" and gen.rng.chance(0.2):  # previous values of a per-block scatter-add
        ax = gen.rng.integer(0, len(shape) - 1)
        acc_i: ArrayParam = gen.add_array(dtype, "inout", Interval(0, 10), ashape)
        k.emit(
            f"wp.tile_atomic_add_indexed({acc_i.name}, {_unique_indices(gen, shape[ax])}, {gen.rng.pick(k.tiles)}, "
            f"offset={_offset_tuple(k)}, axis={ax})"
        )
    out = gen.add_array(dtype, "out", None, ashape)
    k.lines.append(f"wp.tile_store({out.name}, {k.tiles[-1]}, offset={offset})")
    _results(gen, k, nblocks)
    if "tile_scatter_stack" not in gen.lacking and gen.rng.chance(0.12):
        _stack_counts(gen, k, nblocks)
    if indexed and gen.rng.chance(0.25):  # a scatter within the block's own range
        ax = gen.rng.integer(0, len(shape) - 1)
        out2 = gen.add_array(dtype, "out", None, ashape)
        k.lines.append(
            f"wp.tile_store_indexed({out2.name}, {_unique_indices(gen, shape[ax])}, {gen.rng.pick(k.tiles)}, "
            f"offset={_offset_tuple(k)}, axis={ax})"
        )
    if dtype in ("float32", "float64", "int32") and gen.rng.chance(0.3):
        acc: ArrayParam = gen.add_array(dtype, "inout", Interval(0, 10), shape)
        zero = "0" if len(shape) == 1 else "(" + ", ".join("0" for _ in shape) + ")"
        k.lines.append(f"wp.tile_atomic_add({acc.name}, {gen.rng.pick(k.tiles)}, offset={zero})")
    text = "".join(line + "\n" for line in k.lines)
    if any(f"wp.{op}(" in text for op in MATHDX_OPS):
        gen.min_block_dim = MATHDX_MIN_BLOCK_DIM
    return gen.text_body(text)


def tile_block_dim(gen: Gen) -> int:
    """The launch's threads per block (drawn after the body, so bodies do not depend on it)."""
    return int(gen.rng.pick(tuple(b for b in BLOCK_DIMS if b >= gen.min_block_dim)))
