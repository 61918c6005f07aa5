"""Warp tiles at block granularity: one oracle lane per block of a tiled launch.

In `wp.launch_tiled(k, dim=D, block_dim=B)` every thread of a block sees the same `wp.tid()`
(the block index), so scalar code is block-uniform and a tile is one value per block. A tile is
therefore a lane Value whose type is a `TileT` (data: (lanes, *tile shape)), and every element-wise
operation reuses the scalar semantics of `oracle.numeric` over lanes x elements. Semantics follow
Warp 1.19's builtin docs and `warp/native/tile*.h`:

- `tile_load` reads coordinates at or past an axis' extent as zero (bounds_check, the default);
  `tile_store` / `tile_atomic_add` skip them. Negative coordinates are undefined behaviour.
- reductions, scans and matmul combine elements in an unspecified order (block_dim, device): a
  float result carries the bound of any summation order, (n-1)u sum|x|, plus its inputs' error.
- `tile_matmul(a, b)` accumulates in `a`'s dtype; `tile_matmul(a, b, out)` updates `out` in place
  (alpha = beta = 1 unless given).
- argmax/argmin of tied (or within-error) extremes is unspecified: the lane is marked unstable.
- `tile(x)` / `untile(t)` depend on the device's effective block width (1 on CPU unless
  `wp.config.enable_cpu_blocks`), so they are refused rather than given one answer.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from oracle.builtin_table import Registry
from oracle.errors import Unsupported
from oracle.numeric import OpCtx, cast, float_binop, int_binop, negate, wrap_int
from oracle.races import record_atomic, record_load, record_store
from oracle.types import FLOAT32, INT32, Composite, Scalar, composite_from_name, scalar_from_name, wp_attr
from oracle.values import ArrayRef, Value, const_value


@dataclass(frozen=True)
class TileT(Composite):
    """A register/shared tile of scalar elements; `shape` is the tile's shape."""


def tile_type(scalar: Scalar, shape: tuple[int, ...]) -> TileT:
    return TileT("tile", tuple(int(s) for s in shape), scalar, f"tile({scalar}, {tuple(shape)})")


def is_tile(v: object) -> bool:
    return isinstance(v, Value) and isinstance(v.t, TileT)


class Host(Protocol):
    """The part of the interpreter a tile call needs (kept structural: no import cycle)."""

    lanes: int
    lineno: int
    registry: Registry

    def eval(self, node: ast.expr, m: np.ndarray) -> Any: ...
    def ctx(self, mask: np.ndarray) -> OpCtx: ...
    def unsupported(self, construct: str, detail: str = "") -> Unsupported: ...
    def bind(self, name: str, v: Value, m: np.ndarray) -> None: ...


# ------------------------------------------------------------------ lanes x elements


def _size(shape: tuple[int, ...]) -> int:
    return int(np.prod(shape)) if shape else 1


def flatten(v: Value) -> Value:
    """A tile as a scalar Value over lanes x elements (row-major within a lane)."""
    assert isinstance(v.t, TileT)
    e = _size(v.t.shape)
    n = v.lanes * e
    return Value(v.t.scalar, v.data.reshape(n), v.err.reshape(n), np.repeat(v.taint, e))


def spread(v: Value, e: int) -> Value:
    """A per-lane scalar repeated over a tile's `e` elements (a literal stays a literal)."""
    return Value(v.t, np.repeat(v.data, e), np.repeat(v.err, e), np.repeat(v.taint, e), v.literal)


def unflatten(s: Value, lanes: int, shape: tuple[int, ...]) -> Value:
    if not isinstance(s.t, Scalar):
        raise Unsupported("tile of non-scalar elements", 0, str(s.t))
    e = _size(shape)
    return Value(
        tile_type(s.t, shape),
        s.data.reshape(lanes, *shape),
        s.err.reshape(lanes, *shape),
        np.asarray(s.taint.reshape(lanes, e).any(axis=1) if e else np.zeros(lanes, bool)),
    )


def elem_ctx(ctx: OpCtx, e: int) -> OpCtx:
    ct = None if ctx.ctl_taint is None else np.repeat(ctx.ctl_taint, e)
    return OpCtx(np.repeat(ctx.mask, e), ctx.lineno, ctx.stats, ct)


def _retype(s: Value, t: Scalar, ctx: OpCtx, convert: bool = False) -> Value:
    """A scalar beside a tile must have the tile's element type (Warp 1.19: "underlying scalar
    types don't match" otherwise, a literal 2.0 being float32); `convert`: a literal is converted
    (tile_full's `value` with a `dtype`)."""
    if s.t == t:
        return s
    if convert and s.literal is not None and not isinstance(s.literal, bool):
        return cast(s, t, ctx)
    raise ctx.unsupported("tile arithmetic with a scalar of another type", f"{s.t} and {t}")


def _scalar_binop(op: str, a: Value, b: Value, ctx: OpCtx) -> Value:
    if isinstance(a.t, Scalar) and a.t.is_float:
        return float_binop(op, a, b, ctx)
    if isinstance(a.t, Scalar) and a.t.is_int and op in ("Add", "Sub", "Mult"):
        return int_binop(op, a, b, ctx)
    raise ctx.unsupported(f"tile operator {op}", f"on {a.t}")


def elementwise(fn: Callable[[list[Value], OpCtx], Value], args: list[Value], ctx: OpCtx) -> Value:
    """Apply a scalar operation to tiles (all of one shape) and per-lane scalars element-wise."""
    tiles = [a for a in args if is_tile(a)]
    if not tiles:
        raise ctx.unsupported("tile operation without a tile argument")
    t0 = tiles[0].t
    assert isinstance(t0, TileT)
    if any(a.t.shape != t0.shape for a in tiles):
        raise ctx.unsupported(
            "tile operation on tiles of different shapes", ", ".join(str(a.t) for a in tiles)
        )
    e = _size(t0.shape)
    ectx = elem_ctx(ctx, e)
    flat = [flatten(a) if is_tile(a) else _retype(spread(a, e), t0.scalar, ectx) for a in args]
    r = fn(flat, ectx)
    return unflatten(r, tiles[0].lanes, t0.shape)


def binop(op: str, a: Value, b: Value, ctx: OpCtx) -> Value:
    """`t + u`, `t * 2.0`, `s - t`, `t / 2.0` ... on tiles: element-wise with the scalar rules."""
    if is_tile(a) and is_tile(b) and a.t.scalar != b.t.scalar:
        raise ctx.unsupported(f"tile operator {op}", f"on {a.t} and {b.t}")
    if op in ("Add", "Sub") and not (is_tile(a) and is_tile(b)):
        # Warp 1.19 has no tile +/- scalar overload: the kernel does not compile
        raise ctx.unsupported(f"tile operator {op} with a scalar operand", f"{a.t} and {b.t}")
    if op == "Div" and is_tile(b):
        raise ctx.unsupported("tile operator Div with a tile divisor", f"{a.t} / {b.t}")
    return elementwise(lambda xs, c: _scalar_binop(op, xs[0], xs[1], c), [a, b], ctx)


def unary_minus(v: Value, ctx: OpCtx) -> Value:
    return elementwise(lambda xs, c: negate(xs[0], c), [v], ctx)


# ------------------------------------------------------------------ call arguments


@dataclass(frozen=True)
class Args:
    """A tile call's arguments as written: positional nodes and keyword nodes."""

    pos: list[ast.expr]
    kw: dict[str, ast.expr]

    def get(self, i: int, name: str) -> ast.expr | None:
        if name in self.kw:
            return self.kw[name]
        return self.pos[i] if i < len(self.pos) else None


def _const_int(host: Host, node: ast.expr, m: np.ndarray, what: str) -> int:
    v = host.eval(node, m)
    if not isinstance(v, Value) or not isinstance(v.t, Scalar) or not v.t.is_int or v.taint.any():
        raise host.unsupported(f"{what} that is not a compile-time integer", ast.unparse(node))
    if v.lanes and not (v.data == v.data[0]).all():
        raise host.unsupported(f"{what} that differs between blocks", ast.unparse(node))
    return int(v.data[0]) if v.lanes else 0


def _shape(host: Host, node: ast.expr | None, m: np.ndarray, tuple_only: bool = False) -> tuple[int, ...]:
    if node is None:
        raise host.unsupported("tile call without a shape")
    if tuple_only and not isinstance(node, ast.Tuple):
        raise host.unsupported(
            "tile shape that is not a tuple (Warp 1.19 has no int overload here)", ast.unparse(node)
        )
    elts = node.elts if isinstance(node, ast.Tuple) else [node]
    shape = tuple(_const_int(host, e, m, "tile shape") for e in elts)
    if not 1 <= len(shape) <= 4 or any(s <= 0 for s in shape):
        raise host.unsupported("tile shape", str(shape))
    return shape


def _ints(host: Host, node: ast.expr | None, m: np.ndarray, nd: int) -> list[Value]:
    """Runtime integer offsets, one per axis (zeros when omitted)."""
    if node is None:
        return [const_value(INT32, 0, host.lanes) for _ in range(nd)]
    elts = node.elts if isinstance(node, ast.Tuple) else [node]
    out = []
    for e in elts:
        v = host.eval(e, m)
        if not isinstance(v, Value) or not isinstance(v.t, Scalar) or not v.t.is_int:
            raise host.unsupported("tile offset that is not an integer", ast.unparse(e))
        out.append(v)
    if len(out) != nd:
        raise host.unsupported("tile offset with a different number of entries than axes", ast.unparse(node))
    return out


def _dtype(host: Host, node: ast.expr | None, default: Scalar) -> Scalar:
    if node is None:
        return default
    name = wp_attr(node) if isinstance(node, ast.Attribute) else getattr(node, "id", None)
    t = {"float": FLOAT32, "int": INT32}.get(str(name)) or scalar_from_name(str(name))
    if t is None or t.is_bool:
        if name is not None and composite_from_name(str(name)) is not None:
            raise host.unsupported("tile of vector/matrix elements", str(name))
        raise host.unsupported("tile dtype", ast.unparse(node))
    return t


def _flag(host: Host, node: ast.expr | None, default: bool) -> bool:
    if node is None:
        return default
    if isinstance(node, ast.Constant) and isinstance(node.value, bool):
        return node.value
    raise host.unsupported("tile flag that is not a True/False literal", ast.unparse(node))


def _tile(host: Host, node: ast.expr | None, m: np.ndarray) -> Value:
    v = host.eval(node, m) if node is not None else None
    if not is_tile(v):
        raise host.unsupported("tile argument that is not a tile", ast.unparse(node) if node else "missing")
    assert isinstance(v, Value)
    return v


def _array(host: Host, node: ast.expr | None, m: np.ndarray, what: str) -> ArrayRef:
    v = host.eval(node, m) if node is not None else None
    if not isinstance(v, ArrayRef) or not isinstance(v.t.dtype, Scalar):
        raise host.unsupported(f"{what} of something other than an array of scalars")
    return v


# ------------------------------------------------------------------ memory


def _ctl(host: Host, m: np.ndarray) -> np.ndarray:
    ct = host.ctx(m).ctl_taint
    return np.zeros(host.lanes, bool) if ct is None else ct


@dataclass(frozen=True)
class Region:
    """Per lane, the array elements a tile covers: flat storage index and in-bounds flag (L, E)."""

    flat: np.ndarray
    inb: np.ndarray
    taint: np.ndarray  # offsets computed within rounding error


def region(
    host: Host,
    arr: ArrayRef,
    shape: tuple[int, ...],
    offs: list[Value],
    m: np.ndarray,
    bounds: bool,
    what: str,
) -> Region:
    if len(shape) != arr.t.ndim:
        raise host.unsupported(f"{what} with a tile of another rank than the array", f"{shape} vs {arr.t}")
    grid = np.indices(shape).reshape(len(shape), -1)
    cols, inb = [], np.ones((host.lanes, grid.shape[1]), bool)
    taint = np.zeros(host.lanes, bool)
    for d, (o, n) in enumerate(zip(offs, arr.shape, strict=True)):
        c = o.data.astype(np.int64)[:, None] + grid[d][None, :]
        neg = (c < 0) & m[:, None]
        if neg.any():
            raise host.ctx(m).ub(f"{what}: negative coordinate {int(c[neg][0])} on axis {d} of {arr.name!r}")
        ok = c < n
        if not bounds and (~ok & m[:, None]).any():
            raise host.ctx(m).ub(f"{what} with bounds_check=False past axis {d} of {arr.name!r} (size {n})")
        inb &= ok
        cols.append(c)
        taint |= o.taint
    safe = tuple(np.where(inb, c, 0) for c in cols)
    flat = np.ravel_multi_index(safe, arr.shape) if all(arr.shape) else np.zeros(inb.shape, np.int64)
    if arr.lane_base is not None:
        flat = flat + arr.lane_base[:, None]
    return Region(np.asarray(flat, np.int64), inb & m[:, None], taint)


def tile_load(host: Host, a: Args, m: np.ndarray) -> Value:
    arr = _array(host, a.get(0, "a"), m, "wp.tile_load")
    shape = _shape(host, a.get(1, "shape"), m)
    offs = _ints(host, a.get(2, "offset"), m, arr.t.ndim)
    r = region(host, arr, shape, offs, m, _flag(host, a.kw.get("bounds_check"), True), "wp.tile_load")
    n = arr.elements
    for j in range(r.inb.shape[1]):
        lanes = np.nonzero(r.inb[:, j])[0]
        record_load(arr, r.flat[lanes, j], lanes, host.lineno)
    data = (
        np.where(r.inb, arr.data.reshape(n)[r.flat], 0).astype(arr.t.dtype.np) if n else np.zeros(r.inb.shape)
    )
    err = np.where(r.inb, arr.err.reshape(n)[r.flat], 0.0) if n else np.zeros(r.inb.shape)
    uns = (arr.unstable.reshape(n)[r.flat] & r.inb).any(axis=1) if n else np.zeros(host.lanes, bool)
    assert isinstance(arr.t.dtype, Scalar)
    t = tile_type(arr.t.dtype, shape)
    return Value(
        t, data.astype(t.np).reshape(host.lanes, *shape), err.reshape(host.lanes, *shape), uns | r.taint
    )


def tile_store(host: Host, a: Args, m: np.ndarray) -> None:
    arr = _array(host, a.get(0, "a"), m, "wp.tile_store")
    t = _tile(host, a.get(1, "t"), m)
    if t.t.scalar != arr.t.dtype:
        raise host.unsupported("wp.tile_store of a different type", f"{t.t} into {arr.t}")
    offs = _ints(host, a.get(2, "offset"), m, arr.t.ndim)
    r = region(host, arr, t.t.shape, offs, m, _flag(host, a.kw.get("bounds_check"), True), "wp.tile_store")
    n = arr.elements
    vals = t.data.reshape(host.lanes, -1)
    errs = t.err.reshape(host.lanes, -1)
    data, err, uns = arr.data.reshape(n), arr.err.reshape(n), arr.unstable.reshape(n)
    taint = t.taint | r.taint | _ctl(host, m)
    for j in range(r.inb.shape[1]):  # one element of every block's tile at a time: one entry per lane
        lanes = np.nonzero(r.inb[:, j])[0]
        f = r.flat[lanes, j]
        record_store(arr, f, lanes, vals[lanes, j], data[f], host.lineno)
        data[f] = vals[lanes, j]
        err[f] = errs[lanes, j]
        uns[f] = taint[lanes]


def tile_atomic_add(host: Host, a: Args, m: np.ndarray) -> Value:
    """Adds in lane order; a lane sharing elements with another gets its returned tile tainted."""
    arr = _array(host, a.get(0, "a"), m, "wp.tile_atomic_add")
    t = _tile(host, a.get(1, "t"), m)
    offs = _ints(host, a.get(2, "offset"), m, arr.t.ndim)
    r = region(
        host, arr, t.t.shape, offs, m, _flag(host, a.kw.get("bounds_check"), True), "wp.tile_atomic_add"
    )
    return _atomic_add_region(host, arr, t, r, m, "wp.tile_atomic_add")


def _atomic_add_region(host: Host, arr: ArrayRef, t: Value, r: Region, m: np.ndarray, what: str) -> Value:
    s = arr.t.dtype
    assert isinstance(s, Scalar)
    if t.t.scalar != s or s.name not in ("int32", "uint32", "int64", "uint64", "float32", "float64"):
        raise host.unsupported(what, f"{t.t} into {arr.t}")
    n = arr.elements
    data, err, uns = arr.data.reshape(n), arr.err.reshape(n), arr.unstable.reshape(n)
    lanes = np.nonzero(r.inb)[0]
    f = r.flat[r.inb]
    for j in range(r.inb.shape[1]):
        col = np.nonzero(r.inb[:, j])[0]
        record_atomic(arr, r.flat[col, j], col, host.lineno)
    old = np.where(r.inb, data[r.flat], 0).astype(s.np)
    old_err = np.where(r.inb, err[r.flat], 0.0)
    counts = np.bincount(f, minlength=n) if n else np.zeros(0, np.int64)
    shared = np.zeros(r.inb.shape, bool)
    shared[r.inb] = counts[f] > 1
    vals = t.data.reshape(host.lanes, -1)[r.inb]
    if s.is_float:
        absacc = np.abs(data.astype(np.float64))
        np.add.at(absacc, f, np.abs(vals.astype(np.float64)))
        with np.errstate(all="ignore"):
            np.add.at(data, f, vals)
        np.add.at(err, f, t.err.reshape(host.lanes, -1)[r.inb])
        hit = counts > 0
        err[hit] += counts[hit] * s.u * absacc[hit] * 1.01
    else:
        acc = data.astype(object)
        np.add.at(acc, f, vals.astype(object))
        data[:] = wrap_int(acc, s)
    uns[f] |= (t.taint | r.taint | _ctl(host, m))[lanes]
    shape = t.t.shape
    taint = shared.any(axis=1) | t.taint | r.taint
    return Value(
        tile_type(s, shape), old.reshape(host.lanes, *shape), old_err.reshape(host.lanes, *shape), taint
    )


def _indexed_region(
    host: Host, arr: ArrayRef, a: Args, shape: tuple[int, ...], m: np.ndarray, what: str
) -> Region:
    """tile_*_indexed: element c sits at offset[d] + c[d], and at offset[axis] + indices[c[axis]]
    along `axis`; a coordinate outside [0, extent) on any axis is out of bounds (read as zero,
    write skipped: Warp 1.19 checks both ends, so -1 is a padding sentinel)."""
    idx = _tile(host, a.get(1, "indices"), m)
    axis_node = a.get(4, "axis")
    axis = 0 if axis_node is None else _const_int(host, axis_node, m, f"{what} axis")
    if len(shape) != arr.t.ndim or not 0 <= axis < len(shape):
        raise host.unsupported(f"{what} with a tile of another rank than the array", f"{shape} vs {arr.t}")
    if not idx.t.scalar.is_int or idx.t.shape != (shape[axis],):
        raise host.unsupported(f"{what} indices", f"{idx.t} for axis {axis} of a {shape} tile")
    offs = _ints(host, a.get(3, "offset"), m, arr.t.ndim)
    grid = np.indices(shape).reshape(len(shape), -1)
    inb = np.ones((host.lanes, grid.shape[1]), bool)
    cols = []
    taint = idx.taint.copy()
    for d, (o, n) in enumerate(zip(offs, arr.shape, strict=True)):
        step = idx.data.astype(np.int64)[:, grid[d]] if d == axis else grid[d][None, :]
        c = o.data.astype(np.int64)[:, None] + step
        inb &= (c >= 0) & (c < n)
        cols.append(c)
        taint |= o.taint
    safe = tuple(np.where(inb, c, 0) for c in cols)
    flat = np.ravel_multi_index(safe, arr.shape) if all(arr.shape) else np.zeros(inb.shape, np.int64)
    if arr.lane_base is not None:
        flat = flat + arr.lane_base[:, None]
    return Region(np.asarray(flat, np.int64), inb & m[:, None], taint)


def tile_load_indexed(host: Host, a: Args, m: np.ndarray) -> Value:
    arr = _array(host, a.get(0, "a"), m, "wp.tile_load_indexed")
    shape = _shape(host, a.get(2, "shape"), m)
    r = _indexed_region(host, arr, a, shape, m, "wp.tile_load_indexed")
    return _gather(host, arr, r, shape)


def tile_store_indexed(host: Host, a: Args, m: np.ndarray) -> None:
    """Two elements of one block stored to one element: which lands is unspecified (unstable)."""
    arr = _array(host, a.get(0, "a"), m, "wp.tile_store_indexed")
    t = _tile(host, a.get(2, "t"), m)
    if t.t.scalar != arr.t.dtype:
        raise host.unsupported("wp.tile_store_indexed of a different type", f"{t.t} into {arr.t}")
    r = _indexed_region(host, arr, a, t.t.shape, m, "wp.tile_store_indexed")
    _scatter(host, arr, r, t, m)


def _gather(host: Host, arr: ArrayRef, r: Region, shape: tuple[int, ...]) -> Value:
    n = arr.elements
    for j in range(r.inb.shape[1]):
        lanes = np.nonzero(r.inb[:, j])[0]
        record_load(arr, r.flat[lanes, j], lanes, host.lineno)
    data = np.where(r.inb, arr.data.reshape(n)[r.flat], 0) if n else np.zeros(r.inb.shape)
    err = np.where(r.inb, arr.err.reshape(n)[r.flat], 0.0) if n else np.zeros(r.inb.shape)
    uns = (arr.unstable.reshape(n)[r.flat] & r.inb).any(axis=1) if n else np.zeros(host.lanes, bool)
    assert isinstance(arr.t.dtype, Scalar)
    t = tile_type(arr.t.dtype, shape)
    return Value(
        t, data.astype(t.np).reshape(host.lanes, *shape), err.reshape(host.lanes, *shape), uns | r.taint
    )


def _scatter(host: Host, arr: ArrayRef, r: Region, t: Value, m: np.ndarray) -> None:
    n = arr.elements
    vals = t.data.reshape(host.lanes, -1)
    errs = t.err.reshape(host.lanes, -1)
    data, err, uns = arr.data.reshape(n), arr.err.reshape(n), arr.unstable.reshape(n)
    taint = t.taint | r.taint | _ctl(host, m)
    for lane in np.nonzero(r.inb.any(axis=1))[0]:
        f = r.flat[lane][r.inb[lane]]
        if len(np.unique(f)) != len(f):
            taint = taint.copy()
            taint[lane] = True
    for j in range(r.inb.shape[1]):
        lanes = np.nonzero(r.inb[:, j])[0]
        f = r.flat[lanes, j]
        record_store(arr, f, lanes, vals[lanes, j], data[f], host.lineno)
        data[f] = vals[lanes, j]
        err[f] = errs[lanes, j]
        uns[f] = taint[lanes]


def tile_atomic_add_indexed(host: Host, a: Args, m: np.ndarray) -> Value:
    """As tile_atomic_add, through indices; the returned previous values are unstable where a
    destination is shared (within the block or with another block)."""
    arr = _array(host, a.get(0, "a"), m, "wp.tile_atomic_add_indexed")
    t = _tile(host, a.get(2, "t"), m)
    r = _indexed_region(host, arr, a, t.t.shape, m, "wp.tile_atomic_add_indexed")
    return _atomic_add_region(host, arr, t, r, m, "wp.tile_atomic_add_indexed")


# ------------------------------------------------------------------ construction


def tile_fill(host: Host, name: str, a: Args, m: np.ndarray) -> Value:
    shape = _shape(host, a.get(0, "shape"), m)
    if name == "tile_full":
        v = host.eval(a.get(1, "value") or ast.Constant(0), m)
        if not isinstance(v, Value) or not isinstance(v.t, Scalar):
            raise host.unsupported("wp.tile_full value that is not a scalar")
        dt = _dtype(host, a.kw.get("dtype"), v.t)
        v = _retype(v, dt, host.ctx(m), convert=True)
        e = _size(shape)
        return unflatten(spread(v, e), host.lanes, shape)
    dt = _dtype(host, a.get(1, "dtype"), FLOAT32)
    fill = 0 if name == "tile_zeros" else 1
    return Value(
        tile_type(dt, shape),
        np.full((host.lanes, *shape), fill, dt.np),
        np.zeros((host.lanes, *shape)),
        np.zeros(host.lanes, bool),
    )


def tile_from_thread(host: Host, a: Args, m: np.ndarray) -> Value:
    """A tile of lane 0's value. Scalar code is block-uniform here, so every lane of a block holds
    that value; only lane 0 is modelled (on CPU `wp.block_dim()` is 1: any other is out of range)."""
    shape = _shape(host, a.get(0, "shape"), m)
    v = host.eval(a.get(1, "value") or ast.Constant(0), m)
    if not isinstance(v, Value) or not isinstance(v.t, Scalar):
        raise host.unsupported("wp.tile_from_thread value that is not a scalar")
    ti = a.get(2, "thread_idx")
    if not (isinstance(ti, ast.Constant) and ti.value == 0 and type(ti.value) is int):
        raise host.unsupported(
            "wp.tile_from_thread from a thread other than a literal 0", ast.unparse(ti) if ti else "missing"
        )
    return unflatten(spread(v, _size(shape)), host.lanes, shape)


def tile_arange(host: Host, a: Args, m: np.ndarray) -> Value:
    """start + i*step in the element type (tile.h); the bounds must be compile-time constants."""
    nums = []
    for node in a.pos:
        v = host.eval(node, m)
        if not isinstance(v, Value) or v.literal is None or isinstance(v.literal, bool):
            raise host.unsupported("wp.tile_arange bound that is not a literal", ast.unparse(node))
        nums.append(v.literal)
    if not 1 <= len(nums) <= 3:
        raise host.unsupported("wp.tile_arange with other than 1 to 3 bounds")
    start, stop, step = (
        (0, nums[0], 1) if len(nums) == 1 else (nums[0], nums[1], nums[2] if len(nums) == 3 else 1)
    )
    dt = _dtype(host, a.kw.get("dtype"), FLOAT32)
    if dt.is_int and not all(isinstance(x, int) for x in (start, stop, step)):
        raise host.unsupported("wp.tile_arange with fractional bounds and an integer dtype")
    s0, s1, st = (np.asarray(x, dtype=dt.np) for x in (start, stop, step))
    n = int(np.ceil((float(s1) - float(s0)) / float(st))) if float(st) else 0
    if n <= 0:
        raise host.unsupported("wp.tile_arange spanning no elements", str(nums))
    with np.errstate(all="ignore"):
        if dt.is_float:
            prod = (np.arange(n).astype(dt.np) * st).astype(dt.np)
            vals = (s0 + prod).astype(dt.np)
            exact = np.float64(s0) + np.arange(n) * np.float64(st)
            err = np.abs(vals.astype(np.float64) - exact)
        else:
            vals = wrap_int(np.arange(n).astype(object) * int(st) + int(s0), dt)
            err = np.zeros(n)
    return Value(
        tile_type(dt, (n,)),
        np.broadcast_to(vals, (host.lanes, n)).copy(),
        np.broadcast_to(err, (host.lanes, n)).copy(),
        np.zeros(host.lanes, bool),
    )


# ------------------------------------------------------------------ reductions and scans


def _gamma(n: int, u: float) -> float:
    return n * u / max(1e-300, 1 - n * u)


def _sum_axis(t: Value, axis: int | None) -> Value:
    """Float: float64 sum rounded once, error of any order; int: exact, wrapped."""
    assert isinstance(t.t, TileT)
    s = t.t.scalar
    lanes = t.lanes
    x = t.data.reshape(lanes, -1) if axis is None else np.moveaxis(t.data, axis + 1, -1)
    ex = t.err.reshape(lanes, -1) if axis is None else np.moveaxis(t.err, axis + 1, -1)
    out_shape = (1,) if axis is None else tuple(x.shape[1:-1]) or (1,)
    k = x.shape[-1]
    if s.is_float:
        with np.errstate(all="ignore"):
            x64 = x.astype(np.float64)
            r64 = x64.sum(axis=-1)
            r = r64.astype(s.np)
            err = ex.sum(axis=-1) + _gamma(max(k - 1, 0), s.u) * np.abs(x64).sum(axis=-1) * 1.01
            err = err + s.u * np.abs(r.astype(np.float64)) + float(np.finfo(s.np).smallest_subnormal) * k
            err = np.where(np.isfinite(r) | np.isnan(r64), err, np.inf)
        taint = t.taint | ~np.isfinite(err.reshape(lanes, -1)).all(axis=1)
        return Value(
            tile_type(s, out_shape), r.reshape(lanes, *out_shape), err.reshape(lanes, *out_shape), taint
        )
    r = wrap_int(x.astype(object).sum(axis=-1), s)
    return Value(
        tile_type(s, out_shape), r.reshape(lanes, *out_shape), np.zeros((lanes, *out_shape)), t.taint.copy()
    )


def _extreme(t: Value, kind: str, arg: bool) -> Value:
    """fmax/fmin of every element (NaN missing); arg: row-major index, unstable on near-ties."""
    assert isinstance(t.t, TileT)
    s = t.t.scalar
    lanes = t.lanes
    x = t.data.reshape(lanes, -1)
    e = t.err.reshape(lanes, -1)
    sign = 1.0 if kind == "max" else -1.0
    with np.errstate(all="ignore"):
        key = (
            sign * x.astype(np.float64)
            if s.is_float
            else (x.astype(np.int64) if kind == "max" else -x.astype(np.int64))
        )
        if s.is_float:
            key = np.where(np.isnan(key), -np.inf, key)
        idx = np.argmax(key, axis=1) if x.shape[1] else np.zeros(lanes, np.int64)
        rows = np.arange(lanes)
        best = x[rows, idx]
        best_err = e[rows, idx]
    if arg:
        if s.is_float:
            kb = key[rows, idx]
            near = (key + e >= (kb - best_err)[:, None]) | np.isnan(x)
        else:
            near = key == key[rows, idx][:, None]
        taint = t.taint | (near.sum(axis=1) > 1)
        return Value(
            tile_type(INT32, (1,)), idx.astype(np.int32).reshape(lanes, 1), np.zeros((lanes, 1)), taint
        )
    err = e.max(axis=1) if x.shape[1] else np.zeros(lanes)
    return Value(tile_type(s, (1,)), best.reshape(lanes, 1), err.reshape(lanes, 1), t.taint.copy())


def tile_reduce(host: Host, op: str, t: Value, axis: int | None, m: np.ndarray) -> Value:
    s = t.t.scalar
    if op == "add":
        return _sum_axis(t, axis)
    if op in ("max", "min") and axis is None:
        return _extreme(t, op, False)
    if op in ("mul", "bit_and", "bit_or", "bit_xor") and s.is_int and axis is None:
        x = t.data.reshape(t.lanes, -1)
        if op == "mul":
            r = wrap_int(np.prod(x.astype(object), axis=1), s)
        else:
            uf = {"bit_and": np.bitwise_and, "bit_or": np.bitwise_or, "bit_xor": np.bitwise_xor}[op]
            r = uf.reduce(x, axis=1)
        return Value(
            tile_type(s, (1,)), np.asarray(r, s.np).reshape(t.lanes, 1), np.zeros((t.lanes, 1)), t.taint
        )
    raise host.unsupported(
        "wp.tile_reduce operator", f"wp.{op} on {t.t}" + (f", axis={axis}" if axis is not None else "")
    )


def tile_scan(t: Value, kind: str) -> Value:
    """Prefix over the flattened row-major tile: sum (inclusive/exclusive), max, min."""
    assert isinstance(t.t, TileT)
    s = t.t.scalar
    lanes, shape = t.lanes, t.t.shape
    x = t.data.reshape(lanes, -1)
    e = t.err.reshape(lanes, -1)
    if kind in ("max", "min"):
        uf = np.fmax if kind == "max" else np.fmin
        r = uf.accumulate(x, axis=1)
        err = np.maximum.accumulate(e, axis=1)
        return Value(t.t, r.reshape(lanes, *shape), err.reshape(lanes, *shape), t.taint.copy())
    exclusive = kind == "exclusive"
    if s.is_float:
        with np.errstate(all="ignore"):
            x64 = x.astype(np.float64)
            c = np.cumsum(x64, axis=1)
            ca = np.cumsum(np.abs(x64), axis=1)
            ce = np.cumsum(e, axis=1)
            k = np.arange(x.shape[1])
            if exclusive:
                c = np.concatenate([np.zeros((lanes, 1)), c[:, :-1]], axis=1)
                ca = np.concatenate([np.zeros((lanes, 1)), ca[:, :-1]], axis=1)
                ce = np.concatenate([np.zeros((lanes, 1)), ce[:, :-1]], axis=1)
                k = np.maximum(k - 1, 0)
            r = c.astype(s.np)
            err = (
                ce
                + np.array([_gamma(int(j), s.u) for j in k]) * ca * 1.01
                + s.u * np.abs(r.astype(np.float64))
            )
            err = np.where(np.isfinite(r), err, np.inf)
        taint = t.taint | ~np.isfinite(err).all(axis=1)
        return Value(t.t, r.reshape(lanes, *shape), err.reshape(lanes, *shape), taint)
    c = np.cumsum(x.astype(object), axis=1)
    if exclusive:
        c = np.concatenate([np.zeros((lanes, 1), dtype=object), c[:, :-1]], axis=1)
    r = wrap_int(np.asarray(c, dtype=object), s)
    return Value(t.t, r.reshape(lanes, *shape), np.zeros((lanes, *shape)), t.taint.copy())


# ------------------------------------------------------------------ linear algebra and shapes


def matmul(a: Value, b: Value, alpha: float, ctx: OpCtx) -> Value:
    """alpha * a @ b in a's dtype: float64 product rounded once, with the K-term summation bound."""
    ta, tb = a.t, b.t
    assert isinstance(ta, TileT) and isinstance(tb, TileT)
    if len(ta.shape) != 2 or len(tb.shape) != 2 or ta.shape[1] != tb.shape[0] or ta.scalar != tb.scalar:
        raise ctx.unsupported("wp.tile_matmul", f"{ta} @ {tb}")
    s = ta.scalar
    if not s.is_float or s.name == "float16":
        raise ctx.unsupported("wp.tile_matmul", f"on {s}")
    k = ta.shape[1]
    with np.errstate(all="ignore"):
        x, y = a.data.astype(np.float64), b.data.astype(np.float64)
        r64 = alpha * (x @ y)
        r = r64.astype(s.np)
        prop = abs(alpha) * (a.err @ np.abs(y) + np.abs(x) @ b.err + a.err @ b.err)
        rnd = abs(alpha) * _gamma(k + 1, s.u) * (np.abs(x) @ np.abs(y)) * 1.01 + s.u * np.abs(
            r.astype(np.float64)
        )
        err = np.where(np.isfinite(r), prop + rnd, np.inf)
    taint = a.taint | b.taint | ~np.isfinite(err).reshape(a.lanes, -1).all(axis=1)
    return Value(tile_type(s, (ta.shape[0], tb.shape[1])), r, err, taint)


def _reshaped(t: Value, data: np.ndarray, err: np.ndarray) -> Value:
    assert isinstance(t.t, TileT)
    return Value(
        tile_type(t.t.scalar, tuple(data.shape[1:])),
        np.ascontiguousarray(data),
        np.ascontiguousarray(err),
        t.taint.copy(),
    )


def tile_view(host: Host, t: Value, a: Args, m: np.ndarray) -> Value:
    """Offset + shape view (or integer offsets dropping leading axes); a copy, since tiles are
    not written through views here (tile_assign is not modelled)."""
    assert isinstance(t.t, TileT)
    off_node = a.get(1, "offset")
    elts = off_node.elts if isinstance(off_node, ast.Tuple) else [off_node] if off_node is not None else []
    offs = [host.eval(e, m) for e in elts]
    if not all(isinstance(o, Value) and isinstance(o.t, Scalar) and o.t.is_int for o in offs):
        raise host.unsupported("wp.tile_view offset that is not an integer (slices are not modelled)")
    shape_node = a.get(2, "shape")
    src = t.t.shape
    if shape_node is not None:
        shape = _shape(host, shape_node, m)
        if len(shape) != len(src) or len(offs) != len(src):
            raise host.unsupported("wp.tile_view shape/offset of another rank than the tile")
    else:
        if len(offs) > len(src):
            raise host.unsupported("wp.tile_view with more offsets than axes")
        shape = (1,) * len(offs) + src[len(offs) :]
        offs = offs + [const_value(INT32, 0, host.lanes)] * (len(src) - len(offs))
    lanes = host.lanes
    grid = np.indices(shape).reshape(len(shape), -1)
    cols = []
    for d, o in enumerate(offs):
        c = o.data.astype(np.int64)[:, None] + grid[d][None, :]
        if ((c >= src[d]) & m[:, None]).any():
            raise host.ctx(m).ub(f"wp.tile_view past axis {d} of a tile of shape {src}")
        cols.append(np.clip(c, 0, src[d] - 1))
    flat = np.ravel_multi_index(tuple(cols), src)
    rows = np.arange(lanes)[:, None]
    data = t.data.reshape(lanes, -1)[rows, flat]
    err = t.err.reshape(lanes, -1)[rows, flat]
    out_shape = shape if shape_node is not None else src[len(elts) :] or (1,)
    v = _reshaped(t, data.reshape(lanes, *out_shape), err.reshape(lanes, *out_shape))
    for o in offs:
        v.taint |= o.taint
    return v


def extract(t: Value, idx: list[Value], ctx: OpCtx) -> Value:
    """`t[i, j]` / wp.tile_extract(t, i, j): one element, out-of-range indices are UB."""
    assert isinstance(t.t, TileT)
    if len(idx) != len(t.t.shape):
        raise ctx.unsupported("tile indexed with another number of indices than its rank", str(t.t))
    cols = []
    taint = t.taint.copy()
    for d, (iv, n) in enumerate(zip(idx, t.t.shape, strict=True)):
        if not isinstance(iv.t, Scalar) or not iv.t.is_int:
            raise ctx.unsupported("tile index that is not an integer", str(iv.t))
        i = iv.data.astype(np.int64)
        if (((i < 0) | (i >= n)) & ctx.mask).any():
            raise ctx.ub(
                f"tile index {int(i[ctx.mask & ((i < 0) | (i >= n))][0])} out of range for axis {d} of {t.t}"
            )
        cols.append(np.clip(i, 0, n - 1))
        taint |= iv.taint
    flat = np.ravel_multi_index(tuple(cols), t.t.shape)
    rows = np.arange(t.lanes)
    s = t.t.scalar
    return Value(
        s, t.data.reshape(t.lanes, -1)[rows, flat].astype(s.np), t.err.reshape(t.lanes, -1)[rows, flat], taint
    )


# ------------------------------------------------------------------ dispatch


def _op_name(host: Host, node: ast.expr | None) -> str:
    name = wp_attr(node) if isinstance(node, ast.Attribute) else None
    if name is None:
        raise host.unsupported(
            "tile operator that is not a wp builtin (user functions are not modelled)",
            ast.unparse(node) if node else "",
        )
    return name


def tile_map(host: Host, a: Args, m: np.ndarray) -> Value:
    op = _op_name(host, a.get(0, "op"))
    args = [host.eval(n, m) for n in a.pos[1:]]
    if not args or not is_tile(args[0]) or not all(isinstance(x, Value) for x in args):
        raise host.unsupported("wp.tile_map whose first operand is not a tile")
    ops = {"add": "Add", "sub": "Sub", "mul": "Mult", "div": "Div"}
    if op in ops:
        if len(args) != 2:
            raise host.unsupported(f"wp.tile_map(wp.{op}) with other than two operands")
        return binop(ops[op], args[0], args[1], host.ctx(m))
    if op == "neg" and len(args) == 1:
        return unary_minus(args[0], host.ctx(m))
    b = host.registry.get(op)
    if b is None or b.static:
        raise host.unsupported("wp.tile_map operator", f"wp.{op}")
    return elementwise(lambda xs, c: b.fn(list(xs), c), args, host.ctx(m))


def call(host: Host, name: str, node: ast.Call, m: np.ndarray) -> Any:
    """Evaluate `wp.<name>(...)` for a tile builtin; the caller checked `name in TILE_CALLS`."""
    a = Args(list(node.args), {str(k.arg): k.value for k in node.keywords})
    ctx = host.ctx(m)
    if name == "tile_load":
        return tile_load(host, a, m)
    if name == "tile_store":
        tile_store(host, a, m)
        return None
    if name == "tile_atomic_add":
        return tile_atomic_add(host, a, m)
    if name == "tile_load_indexed":
        return tile_load_indexed(host, a, m)
    if name == "tile_store_indexed":
        tile_store_indexed(host, a, m)
        return None
    if name == "tile_atomic_add_indexed":
        return tile_atomic_add_indexed(host, a, m)
    if name in ("tile_zeros", "tile_ones", "tile_full"):
        return tile_fill(host, name, a, m)
    if name == "tile_arange":
        return tile_arange(host, a, m)
    if name == "tile_from_thread":
        return tile_from_thread(host, a, m)
    if name == "tile_map":
        return tile_map(host, a, m)
    if name in ("untile", "tile_max", "tile_min", "tile_reduce", "tile_extract"):
        r = thread_tile_use(host, name, a, m)
        if r is not None:
            return r
    if name == "tile_empty":
        return tile_empty(host, a, m)
    if name in ("tile_randf", "tile_randi"):
        return tile_random(host, name, a, m)
    if name in ("tile_scatter_add", "tile_scatter_masked"):
        tile_scatter(host, name, a, m)
        return None
    if name in STACK_CALLS:
        return tile_stack(host, name, a, m)
    if name in ("tile", "untile"):
        raise host.unsupported(
            f"call wp.{name}", "per-thread tiles depend on the device's block width (1 on CPU)"
        )
    if name == "tile_matmul":
        x, y = _tile(host, a.get(0, "a"), m), _tile(host, a.get(1, "b"), m)
        out_node = a.get(2, "out")
        alpha_node = a.kw.get("alpha")
        alpha = 1.0 if alpha_node is None else float(_literal(host, alpha_node, m))
        if out_node is None:
            return matmul(x, y, alpha, ctx)
        if not isinstance(out_node, ast.Name):
            raise host.unsupported("wp.tile_matmul into something other than a named tile")
        out = _tile(host, out_node, m)
        beta_node = a.kw.get("beta")
        beta = 1.0 if beta_node is None else float(_literal(host, beta_node, m))
        prod = matmul(x, y, alpha, ctx)
        if prod.t != out.t:
            raise host.unsupported("wp.tile_matmul into a tile of another type", f"{prod.t} into {out.t}")
        scaled = out if beta == 1.0 else binop("Mult", out, const_value(out.t.scalar, beta, host.lanes), ctx)
        host.bind(out_node.id, binop("Add", prod, scaled, ctx), m)
        return None
    if name in ("tile_axpy", "tile_assign", "tile_sort"):
        return in_place(host, name, a, m)
    if name in ELEMENT_UPDATES:
        return element_update(host, name, a, m)
    if name in LINALG_CALLS:
        return linalg(host, name, a, m)
    if name == "tile_diag_add":
        x, d = _tile(host, a.get(0, "a"), m), _tile(host, a.get(1, "d"), m)
        n = x.t.shape
        if len(n) != 2 or n[0] != n[1] or d.t.shape != (n[0],) or d.t.scalar != x.t.scalar:
            raise host.unsupported("wp.tile_diag_add", f"{x.t} and {d.t}")
        eye = np.eye(n[0], dtype=bool)
        diag = Value(x.t, np.zeros_like(x.data), np.zeros_like(x.err), d.taint.copy())
        diag.data[:, eye] = d.data
        diag.err[:, eye] = d.err
        summed = binop("Add", x, diag, ctx)
        keep = ~eye  # off the diagonal a is returned as is (0 + x would turn -0.0 into 0.0)
        summed.data[:, keep] = x.data[:, keep]
        summed.err[:, keep] = x.err[:, keep]
        return summed
    if name == "tile_dot":
        x, y = _tile(host, a.get(0, "a"), m), _tile(host, a.get(1, "b"), m)
        if x.t != y.t:
            raise host.unsupported("wp.tile_dot of tiles of different types", f"{x.t} and {y.t}")
        return _sum_axis(binop("Mult", x, y, ctx), None)
    if name == "tile_reduce":
        op = _op_name(host, a.get(0, "op"))
        t = _tile(host, a.get(1, "a"), m)
        axis_node = a.get(2, "axis")
        axis = None if axis_node is None else _const_int(host, axis_node, m, "reduction axis")
        return tile_reduce(host, op, t, axis, m)
    t = _tile(host, a.get(0, "a" if name not in ("tile_view", "tile_astype", "tile_transpose") else "t"), m)
    if name in ("tile_sum", "tile_max", "tile_min"):
        axis_node = a.get(1, "axis")
        axis = None if axis_node is None else _const_int(host, axis_node, m, "reduction axis")
        return tile_reduce(host, {"tile_sum": "add"}.get(name, name[5:]), t, axis, m)
    if name in ("tile_argmax", "tile_argmin"):
        return _extreme(t, name[8:], True)
    if name.startswith("tile_scan_"):
        if t.t.scalar.name not in ("float32", "int32", "uint32"):
            raise host.unsupported(
                f"call wp.{name}", f"on {t.t} (Warp 1.19 scans float32/int32/uint32 tiles)"
            )
        kind = {
            "inclusive": "inclusive",
            "exclusive": "exclusive",
            "max_inclusive": "max",
            "min_inclusive": "min",
        }
        return tile_scan(t, kind[name[10:]])
    if name == "tile_transpose":
        if len(t.t.shape) != 2:
            raise host.unsupported("wp.tile_transpose of a tile that is not 2D", str(t.t))
        return _reshaped(t, np.swapaxes(t.data, 1, 2), np.swapaxes(t.err, 1, 2))
    if name == "tile_broadcast":
        shape = _shape(host, a.get(1, "shape"), m)
        try:
            pad = (1,) * (len(shape) - len(t.t.shape))  # align from the right, past the lane axis
            data = np.broadcast_to(t.data.reshape(t.lanes, *pad, *t.t.shape), (t.lanes, *shape))
            err = np.broadcast_to(t.err.reshape(t.lanes, *pad, *t.t.shape), (t.lanes, *shape))
        except ValueError as exc:
            raise host.unsupported("wp.tile_broadcast to an incompatible shape", f"{t.t} -> {shape}") from exc
        return _reshaped(t, data, err)
    if name == "tile_squeeze":
        axis_node = a.get(1, "axis")
        src = t.t.shape
        if axis_node is None:
            axes = [d for d, n in enumerate(src) if n == 1]
        else:
            elts = axis_node.elts if isinstance(axis_node, ast.Tuple) else [axis_node]
            axes = [_const_int(host, e, m, "squeeze axis") % len(src) for e in elts]
            if any(src[d] != 1 for d in axes):
                raise host.unsupported("wp.tile_squeeze of an axis longer than one", f"{t.t}, axis {axes}")
        shape = tuple(n for d, n in enumerate(src) if d not in axes) or (1,)
        return _reshaped(t, t.data.reshape(t.lanes, *shape), t.err.reshape(t.lanes, *shape))
    if name == "tile_reshape":
        shape = _shape(host, a.get(1, "shape"), m, tuple_only=True)
        if _size(shape) != _size(t.t.shape):
            raise host.unsupported("wp.tile_reshape to another size", f"{t.t} -> {shape}")
        return _reshaped(t, t.data.reshape(t.lanes, *shape), t.err.reshape(t.lanes, *shape))
    if name == "tile_view":
        return tile_view(host, t, a, m)
    if name == "tile_astype":
        dt = _dtype(host, a.get(1, "dtype"), FLOAT32)
        return elementwise(lambda xs, c: cast(xs[0], dt, c), [t], ctx)
    if name == "tile_extract":
        idx = [host.eval(n, m) for n in a.pos[1:]]
        return extract(t, idx, ctx)
    raise host.unsupported(f"call wp.{name}")


# ------------------------------------------------------------------ factorizations and solves
# Both are computed in float64 from the elements' lower (or upper) triangle, with first-order
# a-priori bounds (Higham, ch. 8 and 10): a triangular solve is backward stable with
# |dT| <= gamma_n |T|, a Cholesky factor with |dA| <= gamma_(n+1) |L||L^T|; the forward error
# adds |T^-1| (|dT||x| + err(y) + err(T)|x|), resp. |L| tril(|L^-1| |dA| |L^-T|). Twice that (the
# float64 reference rounds too, and the second-order terms) stays far below any real defect for
# the well-conditioned matrices the grammar writes; a singular or indefinite matrix makes the
# lane unstable, as Warp leaves its result unspecified.

LINALG_CALLS = frozenset(
    {
        "tile_cholesky",
        "tile_cholesky_inplace",
        "tile_cholesky_solve",
        "tile_cholesky_solve_inplace",
        "tile_lower_solve",
        "tile_lower_solve_inplace",
        "tile_upper_solve",
        "tile_upper_solve_inplace",
    }
)


def _square(host: Host, t: Value, name: str) -> tuple[int, Scalar]:
    assert isinstance(t.t, TileT)
    sh = t.t.shape
    if len(sh) != 2 or sh[0] != sh[1] or t.t.scalar.name not in ("float32", "float64"):
        raise host.unsupported(f"wp.{name}", f"of {t.t} (a square float32/float64 tile)")
    return sh[0], t.t.scalar


def _bad_lanes(x: np.ndarray, err: np.ndarray) -> np.ndarray:
    return ~(np.isfinite(x) & np.isfinite(err)).reshape(x.shape[0], -1).all(axis=1)


def _tri_solve(
    t: np.ndarray, t_err: np.ndarray, y: np.ndarray, y_err: np.ndarray, lower: bool, s: Scalar
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x = T^-1 y over lanes (T: (L, n, n) float64, y: (L, n, k)) and its bound; bad: singular lanes."""
    n = t.shape[-1]
    tri = np.tril(t) if lower else np.triu(t)
    terr = np.tril(t_err) if lower else np.triu(t_err)
    with np.errstate(all="ignore"):
        diag_ok = (np.abs(np.diagonal(tri, axis1=1, axis2=2)) > 0).all(axis=1) & np.isfinite(tri).reshape(
            tri.shape[0], -1
        ).all(axis=1)
        safe = np.where(diag_ok[:, None, None], tri, np.eye(n))
        inv = np.linalg.inv(safe)
        x = inv @ y
        ax = np.abs(x)
        err = np.abs(inv) @ (_gamma(n, s.u) * (np.abs(safe) @ ax) + terr @ ax + y_err)
        err = 2.02 * err + s.u * ax
    return x, err, ~diag_ok | _bad_lanes(x, err)


def _cholesky(a: np.ndarray, a_err: np.ndarray, s: Scalar) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The lower factor of the symmetric matrix a's lower triangle, its bound, and the lanes where
    it is not positive definite (within its error)."""
    lanes, n = a.shape[0], a.shape[-1]
    low = np.tril(a)
    sym = low + np.swapaxes(np.tril(a, -1), 1, 2)
    lerr = np.tril(a_err)
    serr = lerr + np.swapaxes(np.tril(a_err, -1), 1, 2)
    out = np.zeros_like(sym)
    bad = np.zeros(lanes, bool)
    with np.errstate(all="ignore"):
        for i in range(lanes):
            try:
                out[i] = np.linalg.cholesky(sym[i])
            except np.linalg.LinAlgError:
                bad[i] = True
        safe = np.where(bad[:, None, None], np.eye(n), out)
        absl = np.abs(safe)
        d_a = _gamma(n + 1, s.u) * (absl @ np.swapaxes(absl, 1, 2)) + serr
        inv = np.abs(np.linalg.inv(safe))
        x = inv @ d_a @ np.swapaxes(inv, 1, 2)
        err = 2.02 * (absl @ np.tril(x)) + s.u * absl
        # a pivot within its error of zero: the factorization may fail or blow up
        piv = np.diagonal(safe, axis1=1, axis2=2) ** 2
        bad |= (np.diagonal(d_a, axis1=1, axis2=2) >= 0.5 * piv).any(axis=1)
    return out, np.tril(err), bad | _bad_lanes(out, err)


def _rhs(host: Host, y: Value, n: int, s: Scalar, name: str) -> tuple[np.ndarray, np.ndarray]:
    assert isinstance(y.t, TileT)
    sh = y.t.shape
    if y.t.scalar != s or sh[0] != n or len(sh) > 2:
        raise host.unsupported(f"wp.{name} right-hand side", f"{y.t} for a {n}x{n} {s} matrix")
    d, e = y.data.astype(np.float64), y.err
    return (d[..., None], e[..., None]) if len(sh) == 1 else (d, e)


def _as_tile(like: Value, x: np.ndarray, err: np.ndarray, bad: np.ndarray, taint: np.ndarray) -> Value:
    assert isinstance(like.t, TileT)
    s = like.t.scalar
    shape = like.t.shape
    with np.errstate(all="ignore"):
        r = x.reshape(x.shape[0], *shape).astype(s.np)
    e = np.where(bad.reshape(-1, *([1] * len(shape))), np.inf, err.reshape(err.shape[0], *shape))
    return Value(like.t, r, e, taint | bad)


def linalg(host: Host, name: str, a: Args, m: np.ndarray) -> Value | None:
    """tile_cholesky(A) (lower factor; the strict upper triangle is zero), tile_cholesky_solve(L, y)
    (A x = y from A's factor), tile_lower_solve(L, y) / tile_upper_solve(U, z) (reading L's lower /
    U's upper triangle), and their `_inplace` forms (the factor overwrites A, the solution y).
    fill_mode is not modelled (the lower default only)."""
    if "fill_mode" in a.kw:
        raise host.unsupported(f"wp.{name} with fill_mode", "only the lower default is modelled")
    inplace = name.endswith("_inplace")
    base = name.removesuffix("_inplace")
    if base == "tile_cholesky":
        node = a.get(0, "A")
        mat = _tile(host, node, m)
        n, s = _square(host, mat, name)
        fac, err, bad = _cholesky(mat.data.astype(np.float64), mat.err, s)
        out = _as_tile(mat, fac, err, bad, mat.taint.copy())
        if inplace:
            tname, _ = _named_tile(host, node, m, f"wp.{name}")
            host.bind(tname, out, m)
            return None
        return out
    mat = _tile(host, a.get(0, "L" if base != "tile_upper_solve" else "U"), m)
    ynode = a.get(1, "y" if base != "tile_upper_solve" else "z")
    y = _tile(host, ynode, m)
    n, s = _square(host, mat, name)
    yd, ye = _rhs(host, y, n, s, name)
    md, me = mat.data.astype(np.float64), mat.err
    if base == "tile_cholesky_solve":
        z, ze, bad = _tri_solve(md, me, yd, ye, True, s)
        x, xe, bad2 = _tri_solve(np.swapaxes(md, 1, 2), np.swapaxes(me, 1, 2), z, ze, False, s)
        bad = bad | bad2
    else:
        x, xe, bad = _tri_solve(md, me, yd, ye, base == "tile_lower_solve", s)
    out = _as_tile(y, x, xe, bad, mat.taint | y.taint)
    if inplace:
        tname, _ = _named_tile(host, ynode, m, f"wp.{name}")
        host.bind(tname, out, m)
        return None
    return out


def _named_tile(host: Host, node: ast.expr | None, m: np.ndarray, what: str) -> tuple[str, Value]:
    if not isinstance(node, ast.Name):
        raise host.unsupported(f"{what} into something other than a named tile")
    return node.id, _tile(host, node, m)


def in_place(host: Host, name: str, a: Args, m: np.ndarray) -> None:
    """tile_axpy(alpha, src, dest) (dest += alpha * src), tile_assign(dst, src, offset) (no type
    conversion modelled), tile_sort(keys, values) (ascending; ties or near-ties unstable)."""
    ctx = host.ctx(m)
    if name == "tile_axpy":
        alpha = host.eval(a.get(0, "alpha") or ast.Constant(1.0), m)
        src = _tile(host, a.get(1, "src"), m)
        dname, dest = _named_tile(host, a.get(2, "dest"), m, "wp.tile_axpy")
        if src.t != dest.t or not isinstance(alpha, Value) or alpha.t != src.t.scalar:
            raise host.unsupported("wp.tile_axpy", f"alpha {getattr(alpha, 't', '?')}, {src.t} into {dest.t}")
        host.bind(dname, binop("Add", dest, binop("Mult", src, alpha, ctx), ctx), m)
        return
    if name == "tile_assign":
        dname, dst = _named_tile(host, a.get(0, "dst"), m, "wp.tile_assign")
        src = _tile(host, a.get(1, "src"), m)
        if src.t.scalar != dst.t.scalar or len(src.t.shape) != len(dst.t.shape):
            raise host.unsupported("wp.tile_assign", f"{src.t} into {dst.t}")
        offs = _ints(host, a.get(2, "offset"), m, len(dst.t.shape))
        if any(o.taint.any() or (o.lanes and not (o.data == o.data[0]).all()) for o in offs):
            raise host.unsupported("wp.tile_assign offset that differs between blocks")
        o = [int(v.data[0]) if v.lanes else 0 for v in offs]
        if any(x < 0 or x + n > d for x, n, d in zip(o, src.t.shape, dst.t.shape, strict=True)):
            raise host.ctx(m).ub(f"wp.tile_assign of {src.t} at {tuple(o)} past {dst.t}")
        sl = (slice(None), *(slice(x, x + n) for x, n in zip(o, src.t.shape, strict=True)))
        new = Value(dst.t, dst.data.copy(), dst.err.copy(), dst.taint | src.taint)
        new.data[sl] = src.data
        new.err[sl] = src.err
        host.bind(dname, new, m)
        return
    kname, keys = _named_tile(host, a.get(0, "keys"), m, "wp.tile_sort")
    vname, vals = _named_tile(host, a.get(1, "values"), m, "wp.tile_sort")
    if keys.t.shape != vals.t.shape:
        raise host.unsupported("wp.tile_sort of tiles of different shapes", f"{keys.t} and {vals.t}")
    lanes = keys.lanes
    k = keys.data.reshape(lanes, -1)
    order = np.argsort(k, axis=1, kind="stable")
    rows = np.arange(lanes)[:, None]
    ks, ke = k[rows, order], keys.err.reshape(lanes, -1)[rows, order]
    with np.errstate(all="ignore"):
        gap = np.diff(ks.astype(np.float64), axis=1)
        near = (gap <= ke[:, 1:] + ke[:, :-1]).any(axis=1) if ks.shape[1] > 1 else np.zeros(lanes, bool)
    taint = near | keys.taint | vals.taint
    sh = keys.t.shape
    # sorted keys are determined even where keys tie (sorting is 1-Lipschitz); the values are not
    host.bind(kname, Value(keys.t, ks.reshape(lanes, *sh), ke.reshape(lanes, *sh), keys.taint.copy()), m)
    vs = vals.data.reshape(lanes, -1)[rows, order].reshape(lanes, *sh)
    ve = vals.err.reshape(lanes, -1)[rows, order].reshape(lanes, *sh)
    host.bind(vname, Value(vals.t, vs, ve, taint), m)


ELEMENT_UPDATES = {
    "tile_add_inplace": "Add",
    "tile_sub_inplace": "Sub",
    "tile_bit_and_inplace": "BitAnd",
    "tile_bit_or_inplace": "BitOr",
    "tile_bit_xor_inplace": "BitXor",
}


def element_update(host: Host, name: str, a: Args, m: np.ndarray) -> None:
    """`wp.tile_add_inplace(t, i, [j, ...], value)` and its sub/bit_and/bit_or/bit_xor kin (what
    `t[i] += value` lowers to): one element of the named tile updated with the scalar rule."""
    tname, t = _named_tile(host, a.pos[0] if a.pos else None, m, f"wp.{name}")
    if len(a.pos) != len(t.t.shape) + 2:
        raise host.unsupported(f"wp.{name} with another number of indices than the tile's rank", str(t.t))
    idx = [host.eval(n, m) for n in a.pos[1:-1]]
    value = host.eval(a.pos[-1], m)
    ctx = host.ctx(m)
    op = ELEMENT_UPDATES[name]
    s = t.t.scalar
    if not isinstance(value, Value) or value.t != s:
        raise host.unsupported(
            f"wp.{name} with a value of another type", f"{getattr(value, 't', '?')} into {t.t}"
        )
    if op.startswith("Bit") and not s.is_int:
        raise host.unsupported(f"wp.{name}", f"on {t.t}")
    old = extract(t, idx, ctx)
    new = int_binop(op, old, value, ctx) if s.is_int else float_binop(op, old, value, ctx)
    flat = np.ravel_multi_index(
        tuple(np.clip(v.data.astype(np.int64), 0, n - 1) for v, n in zip(idx, t.t.shape, strict=True)),
        t.t.shape,
    )
    rows = np.arange(t.lanes)
    data, err = t.data.reshape(t.lanes, -1).copy(), t.err.reshape(t.lanes, -1).copy()
    data[rows, flat] = new.data
    err[rows, flat] = new.err
    shape = t.t.shape
    host.bind(
        tname, Value(t.t, data.reshape(t.lanes, *shape), err.reshape(t.lanes, *shape), t.taint | new.taint), m
    )


def _literal(host: Host, node: ast.expr, m: np.ndarray) -> float:
    v = host.eval(node, m)
    if not isinstance(v, Value) or v.literal is None:
        raise host.unsupported("tile scale factor that is not a literal", ast.unparse(node))
    return float(v.literal)


# ------------------------------------------------------------------ per-thread forms, random tiles, stacks
# Scalar code is block-uniform here, so every thread of a block calls these with the same
# arguments; what a call then does may still depend on the number of threads W taking part
# (1 on CPU, block_dim on CUDA). Each model below is exact where the result is the same for every
# W >= 1 and marks the lane unstable (taint) where it is not.


def _thread_tile_arg(host: Host, node: ast.expr | None, m: np.ndarray) -> Value | None:
    """`wp.tile(x)` of a scalar as an argument: x (the tile holds W copies of it), else None."""
    if not (isinstance(node, ast.Call) and wp_attr(node.func) == "tile"):
        return None
    a = Args(list(node.args), {str(k.arg): k.value for k in node.keywords})
    if _flag(host, a.get(1, "preserve_type"), False):
        raise host.unsupported("wp.tile with preserve_type=True")
    x = host.eval(a.get(0, "x") or ast.Constant(0), m)
    if not isinstance(x, Value) or not isinstance(x.t, Scalar) or x.t.is_bool:
        raise host.unsupported("wp.tile of something other than a numeric scalar")
    return x


def thread_tile_use(host: Host, name: str, a: Args, m: np.ndarray) -> Value | None:
    """The uses of `wp.tile(x)` whose result does not depend on W: `untile(tile(x))` is x,
    `tile_max/tile_min(tile(x))` and `tile_reduce(wp.max|wp.min, tile(x))` are (1,) tiles of x,
    `tile_extract(tile(x), 0)` is x; None where `name`'s tile argument is no `wp.tile(...)`."""
    node = a.get(1, "a") if name == "tile_reduce" else a.get(0, "a")
    x = _thread_tile_arg(host, node, m)
    if x is None:
        return None
    assert isinstance(x.t, Scalar)
    if name == "untile":
        return x
    if name == "tile_extract":
        if len(a.pos) != 2:
            raise host.unsupported("wp.tile_extract of wp.tile(x) with other than one index")
        i = _const_int(host, a.pos[1], m, "wp.tile_extract index")
        if i != 0:  # past the single element a CPU block's tile holds
            raise host.ctx(m).ub(f"wp.tile_extract(wp.tile(x), {i}): a CPU block's tile has one element")
        return x
    if name == "tile_reduce" and _op_name(host, a.get(0, "op")) not in ("max", "min"):
        raise host.unsupported("wp.tile_reduce of wp.tile(x)", "its result depends on the block width")
    if name in ("tile_max", "tile_min", "tile_reduce"):
        if a.get(1 if name != "tile_reduce" else 2, "axis") is not None:
            raise host.unsupported(f"wp.{name} of wp.tile(x) with an axis")
        return unflatten(x, host.lanes, (1,))
    raise host.unsupported(f"wp.{name} of wp.tile(x)", "its result depends on the block width (1 on CPU)")


def tile_empty(host: Host, a: Args, m: np.ndarray) -> Value:
    """Uninitialized: every element carries an infinite bound (unstable if read before written)."""
    shape = _shape(host, a.get(0, "shape"), m)
    dt = _dtype(host, a.get(1, "dtype"), FLOAT32)
    return Value(
        tile_type(dt, shape),
        np.zeros((host.lanes, *shape), dt.np),
        np.full((host.lanes, *shape), np.inf),
        np.zeros(host.lanes, bool),
    )


def tile_random(host: Host, name: str, a: Args, m: np.ndarray) -> Value:
    """tile_randf / tile_randi(shape, rng[, min, max]) (tile.h): thread t draws its elements from
    `rand_pcg(t + rng)` in register order, element e on thread e % W, so only element 0 (thread 0's
    first draw) is the same for every W. It is exact; a float tile's other elements are bounded by
    [min, max] (their value depends on the device and block_dim), an int tile of more than one
    element is unstable. `rng` is not advanced."""
    from oracle.random import UINT32, Stream, draw_range  # noqa: PLC0415

    shape = _shape(host, a.get(0, "shape"), m)
    rng = host.eval(a.get(1, "rng") or ast.Constant(0), m)
    if not isinstance(rng, Value) or rng.t != UINT32:
        raise host.unsupported(f"wp.{name} rng that is not a uint32 state")
    lo_node, hi_node = a.get(2, "min"), a.get(3, "max")
    ctx = host.ctx(m)
    s = FLOAT32 if name == "tile_randf" else INT32
    seed = Value(UINT32, _thread0_state(rng.data), np.zeros(host.lanes), rng.taint.copy())
    bounds: list[Value] = []
    if (lo_node is None) != (hi_node is None):
        raise host.unsupported(f"wp.{name} with only one of min/max")
    if lo_node is not None and hi_node is not None:
        bounds = [host.eval(lo_node, m), host.eval(hi_node, m)]
        if not all(isinstance(b, Value) for b in bounds):
            raise host.unsupported(f"wp.{name} bounds that are not scalars")
        bounds = [_retype(b, s, ctx, convert=True) for b in bounds]
    if s == FLOAT32:
        st = Stream(seed, ctx)
        first = st.randf_range(bounds[0], bounds[1]) if bounds else st.randf()
    else:
        first = draw_range("randi", INT32)([seed, *bounds], ctx).result
    e = _size(shape)
    out = unflatten(spread(first, e), host.lanes, shape)
    if e > 1:
        rest = np.ones(e, bool)
        rest[0] = False
        if s == FLOAT32:
            lo = bounds[0].data.astype(np.float64) if bounds else np.zeros(host.lanes)
            hi = bounds[1].data.astype(np.float64) if bounds else np.ones(host.lanes)
            mid = ((lo + hi) / 2).astype(np.float32)
            half = np.abs(hi - lo) / 2 + 4 * FLOAT32.u * np.maximum(np.abs(lo), np.abs(hi))
            err = half + np.abs(mid.astype(np.float64) - (lo + hi) / 2)
            if bounds:
                err = err + bounds[0].err + bounds[1].err
            flat_d = out.data.reshape(host.lanes, e)
            flat_e = out.err.reshape(host.lanes, e)
            flat_d[:, rest] = mid[:, None]
            flat_e[:, rest] = err[:, None]
        else:
            out.taint = out.taint | True
    return out


def _thread0_state(state: np.ndarray) -> np.ndarray:
    """The state thread 0 draws from: `rand_pcg(0 + rng)`, before its first draw advances it."""
    from oracle.random import pcg  # noqa: PLC0415

    return pcg(state.astype(np.uint32))


def _bool_arg(host: Host, node: ast.expr | None, m: np.ndarray, what: str) -> Value:
    v = host.eval(node, m) if node is not None else None
    if not isinstance(v, Value) or not isinstance(v.t, Scalar) or not v.t.is_bool:
        raise host.unsupported(f"{what} that is not a bool", ast.unparse(node) if node else "missing")
    return v


def tile_scatter(host: Host, name: str, a: Args, m: np.ndarray) -> None:
    """tile_scatter_add / tile_scatter_masked(t, i, [j, k,] value, has_value): each of the W
    threads with has_value adds (writes) value at the index of the named tile. With block-uniform
    arguments an add happens W times: exact where value is zero (repeating changes nothing),
    unstable otherwise; W >= 2 threads writing one index is undefined (the docs), so a masked write
    with has_value is refused as undefined behaviour (a CPU block alone would define it)."""
    tname, t = _named_tile(host, a.pos[0] if a.pos else a.kw.get("a"), m, f"wp.{name}")
    nd = len(t.t.shape)
    pos = a.pos[1:]
    if len(pos) < nd + 1:
        raise host.unsupported(f"wp.{name} with keyword index/value arguments")
    idx = [host.eval(n, m) for n in pos[:nd]]
    value = host.eval(pos[nd], m)
    hv_node = pos[nd + 1] if len(pos) > nd + 1 else a.kw.get("has_value")
    has = _bool_arg(host, hv_node, m, f"wp.{name} has_value")
    if "atomic" in a.kw or len(pos) > nd + 2:
        atomic_node = a.kw.get("atomic", pos[nd + 2] if len(pos) > nd + 2 else None)
        if not _flag(host, atomic_node, True):
            raise host.unsupported(f"wp.{name} with atomic=False")
    ctx = host.ctx(m)
    if not isinstance(value, Value) or value.t != t.t.scalar:
        raise host.unsupported(
            f"wp.{name} with a value of another type", f"{getattr(value, 't', '?')} into {t.t}"
        )
    act = m & has.data.astype(bool)
    sub = host.ctx(act)
    if act.any():
        extract(t, idx, sub)  # out-of-range indices where the call acts: undefined behaviour
        if name == "tile_scatter_masked":
            raise ctx.ub(f"wp.{name} with has_value: every thread of a block writes one index")
    old = extract(t, [Value(i.t, np.where(act, i.data, 0), i.err, i.taint) for i in idx], host.ctx(m & False))
    new = _scalar_binop("Add", old, value, ctx) if t.t.scalar.is_float else int_binop("Add", old, value, ctx)
    nonzero = act & (value.data != 0)
    flat = np.ravel_multi_index(
        tuple(np.clip(v.data.astype(np.int64), 0, n - 1) for v, n in zip(idx, t.t.shape, strict=True)),
        t.t.shape,
    )
    rows = np.nonzero(act)[0]
    data, err = t.data.reshape(t.lanes, -1).copy(), t.err.reshape(t.lanes, -1).copy()
    data[rows, flat[rows]] = new.data[rows]
    err[rows, flat[rows]] = new.err[rows]
    taint = t.taint | nonzero | ((has.taint | value.taint | new.taint) & m)
    for i in idx:
        taint = taint | (i.taint & act)
    shape = t.t.shape
    host.bind(tname, Value(t.t, data.reshape(t.lanes, *shape), err.reshape(t.lanes, *shape), taint), m)


@dataclass(frozen=True)
class StackT(Composite):
    """A tile stack: data (lanes, 2) holds the element count's bounds [lo, hi] over every block
    width W >= 1 (a push adds between 1 and W values, a pop removes between 1 and W)."""

    capacity: int = 1


def _named_stack(host: Host, node: ast.expr | None, m: np.ndarray, what: str) -> tuple[str, Value]:
    if not isinstance(node, ast.Name):
        raise host.unsupported(f"{what} of something other than a named tile stack")
    v = host.eval(node, m)
    if not isinstance(v, Value) or not isinstance(v.t, StackT):
        raise host.unsupported(f"{what} of something other than a tile stack", node.id)
    return node.id, v


def tile_stack(host: Host, name: str, a: Args, m: np.ndarray) -> Any:
    """tile_stack(capacity, dtype) and its push / pop / count / clear. Counts are exact where
    every W gives the same one (a capacity of one, or a push that fills the stack, an empty
    stack's pop); which thread gets which slot, and a popped value, are not modelled (unstable)."""
    lanes = host.lanes
    if name == "tile_stack":
        cap = _const_int(host, a.get(0, "capacity") or ast.Constant(0), m, "wp.tile_stack capacity")
        if cap <= 0:
            raise host.unsupported("wp.tile_stack capacity", str(cap))
        dt = _dtype(host, a.get(1, "dtype"), FLOAT32)
        t = StackT("tile_stack", (2,), dt, f"tile_stack({dt}, {cap})", cap)
        return Value(t, np.zeros((lanes, 2), np.int64), np.zeros((lanes, 2)), np.zeros(lanes, bool))
    sname, s = _named_stack(host, a.get(0, "s"), m, f"wp.{name}")
    assert isinstance(s.t, StackT)
    cap = s.t.capacity
    lo, hi = s.data[:, 0], s.data[:, 1]
    if name == "tile_stack_count":
        uncertain = lo != hi
        return Value(INT32, lo.astype(np.int32), np.zeros(lanes), s.taint | uncertain)
    if name == "tile_stack_clear":
        host.bind(sname, Value(s.t, np.zeros((lanes, 2), np.int64), np.zeros((lanes, 2)), s.taint.copy()), m)
        return None
    if name == "tile_stack_push":
        value = host.eval(a.get(1, "value") or ast.Constant(0), m)
        if not isinstance(value, Value) or value.t != s.t.scalar:
            raise host.unsupported("wp.tile_stack_push of a value of another type", f"into {s.t}")
        has = _bool_arg(host, a.get(2, "has_value"), m, "wp.tile_stack_push has_value")
        h = has.data.astype(bool)
        nlo = np.where(h, np.minimum(cap, lo + 1), lo)
        nhi = np.where(h, cap, hi)
        taint = s.taint | (has.taint & m)
        host.bind(sname, Value(s.t, np.stack([nlo, nhi], axis=1), np.zeros((lanes, 2)), taint), m)
        # the slot: -1 without has_value or on a full stack, else which one a thread gets varies
        full = lo >= cap
        slot = np.where(h & ~full, lo, -1).astype(np.int32)
        return Value(INT32, slot, np.zeros(lanes), taint | (h & ~full))
    if name == "tile_stack_pop":
        nlo = np.zeros(lanes, np.int64)
        nhi = np.maximum(hi - 1, 0)
        empty = hi == 0
        host.bind(sname, Value(s.t, np.stack([nlo, nhi], axis=1), np.zeros((lanes, 2)), s.taint.copy()), m)
        sc = s.t.scalar
        val = Value(sc, np.zeros(lanes, sc.np), np.zeros(lanes), np.ones(lanes, bool))
        got = Value(INT32, np.where(empty, -1, lo).astype(np.int32), np.zeros(lanes), s.taint | ~empty)
        return (val, got)
    raise host.unsupported(f"call wp.{name}")


STACK_CALLS = frozenset(
    {"tile_stack", "tile_stack_push", "tile_stack_pop", "tile_stack_count", "tile_stack_clear"}
)
TUPLE_CALLS = frozenset({"tile_stack_pop"})


def subscript_elts(node: ast.Subscript) -> list[ast.expr]:
    return list(node.slice.elts) if isinstance(node.slice, ast.Tuple) else [node.slice]


def slice_indexed(host: Host, t: Value, node: ast.Subscript, m: np.ndarray) -> Value:
    """`t[indices, :]` (tile_slice_indexed): a gather along the one axis holding a 1-D int tile;
    negative indices count from the end, others past either end are undefined behaviour."""
    assert isinstance(t.t, TileT)
    elts = subscript_elts(node)
    full = [isinstance(e, ast.Slice) and e.lower is None and e.upper is None and e.step is None for e in elts]
    if len(elts) > len(t.t.shape) or sum(not f for f in full) != 1:
        raise host.unsupported(
            "tile subscript other than one index tile and full `:` slices", ast.unparse(node)
        )
    axis = full.index(False)
    idx = _tile(host, elts[axis], m)
    if not idx.t.scalar.is_int or len(idx.t.shape) != 1:
        raise host.unsupported("tile subscript by a tile that is not a 1-D integer tile", str(idx.t))
    n = t.t.shape[axis]
    i = idx.data.astype(np.int64)
    bad = ((i < -n) | (i >= n)) & m[:, None]
    if bad.any():
        raise host.ctx(m).ub(f"tile_slice_indexed index {int(i[bad][0])} past axis {axis} of {t.t}")
    i = np.where(i < 0, i + n, i)
    i = np.clip(i, 0, n - 1)
    rows = np.arange(t.lanes)[:, None]
    data = np.moveaxis(np.moveaxis(t.data, axis + 1, 1)[rows, i], 1, axis + 1)
    err = np.moveaxis(np.moveaxis(t.err, axis + 1, 1)[rows, i], 1, axis + 1)
    v = _reshaped(t, data, err)
    v.taint |= idx.taint
    return v


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
        "tile_empty",
        "tile_randf",
        "tile_randi",
        "tile_scatter_add",
        "tile_scatter_masked",
        *STACK_CALLS,
        *LINALG_CALLS,
    }
)
# names the dispatcher models only in some uses (per-thread tiles whose value is the same for
# every block width); other uses are refused as unsupported
PARTIAL_CALLS = frozenset({"tile", "untile", "tile_slice_indexed"})
