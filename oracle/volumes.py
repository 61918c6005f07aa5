"""Volume builtins (Warp's volume.h, 1.19.0) on a dense NanoVDB grid, answered from its NumPy block.

A volume parameter's arrays (oracle.geometry's `VOLUME_KEYS`): `voxels` a dense block of whole
8^3 tiles from index 0 (every voxel inside is active) whose dtype says the grid's type: float32
(nx, ny, nz) a float grid, int32 (nx, ny, nz) an int32 grid, float32 (nx, ny, nz, 3) a vec3f grid;
`bg` the background (a vec3 for a vec3 grid), `voxel_size`, `min_world`. Outside the block every
read is the background. A read of a grid of another type (volume_sample_f of a vec3 volume) is
Warp's `is_valid` fallback (0); it is not modelled: such a call is refused as unsupported.

Volume stores (`volume_store_*`) are not modelled: every lane of a launch shares the grid, so a
store is a cross-thread write whose readers the oracle would have to race-check.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from oracle.builtin_table import Builtin, BuiltinFn
from oracle.geometry import (
    F32_EPS,
    VEC3F,
    GeometryKind,
    GeometryRef,
    geo_finite,
    geo_is,
    geo_lane_err,
    geo_need,
    geo_val,
    geo_value_of,
)
from oracle.numeric import OpCtx
from oracle.types import FLOAT32, INT32, Composite, Scalar
from oracle.values import Keyword, RefWrites, TypeArg, Value

GRID_TYPES: dict[str, Scalar | Composite] = {"f": FLOAT32, "i": INT32, "v": VEC3F}


def volume_type(v: GeometryRef) -> str:
    """'f', 'i' or 'v': the grid's value type (by the voxels' dtype and shape)."""
    vox = np.asarray(v.arrays["voxels"])
    if vox.ndim == 4:
        return "v"
    return "i" if vox.dtype.kind in "iu" else "f"


def _volume(v: GeometryRef) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    vox = np.asarray(v.arrays["voxels"], dtype=np.float64)
    bg = np.asarray(v.arrays["bg"], dtype=np.float64)
    size = float(np.asarray(v.arrays["voxel_size"], dtype=np.float32).reshape(()))
    return vox, bg, size, np.asarray(v.arrays["min_world"], dtype=np.float32).reshape(3)


def _voxel(vox: np.ndarray, bg: np.ndarray, ijk: np.ndarray) -> np.ndarray:
    """Values at integer coordinates ((L, 3)) -> (L,) or (L, 3); the background outside the block."""
    dims = np.array(vox.shape[:3])
    inside = np.all((ijk >= 0) & (ijk < dims), axis=-1)
    c = np.clip(ijk, 0, dims - 1)
    got = vox[c[..., 0], c[..., 1], c[..., 2]]
    if got.ndim > inside.ndim:
        inside = inside[..., None]
    return np.where(inside, got, bg)


def _check_type(name: str, vol: GeometryRef, want: str, ctx: OpCtx) -> None:
    have = volume_type(vol)
    if have != want:
        raise ctx.unsupported(
            f"wp.{name} of a {GRID_TYPES[have]} volume", f"a {GRID_TYPES[want]} read (Warp's fallback 0)"
        )


def _sample(
    vol: GeometryRef, uvw: Value, mode: np.ndarray, grad: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """volume.h's volume_sample(_grad): value, its error, undecided lanes, and (for a float grid)
    the gradient (LINEAR: the trilinear weights' derivatives; CLOSEST: 0) and its error."""
    vox, bg, _, _ = _volume(vol)
    u = uvw.data.astype(np.float64)
    uerr = geo_lane_err(uvw)[:, None]
    mag = max(float(np.abs(vox).max(initial=0.0)), float(np.abs(bg).max(initial=0.0)))
    comp = vox.shape[3:]
    with np.errstate(all="ignore"):
        base = np.floor(u)
        frac = u - base
        # CLOSEST: vec3_round_to_coord (roundf: halves away from zero), decided within rounding at a half
        near = np.abs(frac - 0.5) <= uerr + 1e-6
        rounded = np.where(u >= 0, np.floor(u + 0.5), np.ceil(u - 0.5))
        closest = _voxel(vox, bg, np.nan_to_num(rounded).astype(np.int64))
        lin = np.zeros((uvw.lanes, *comp))
        g = np.zeros((uvw.lanes, 3))
        for dx in (0, 1):
            for dy in (0, 1):
                for dz in (0, 1):
                    wx = frac[:, 0] if dx else 1 - frac[:, 0]
                    wy = frac[:, 1] if dy else 1 - frac[:, 1]
                    wz = frac[:, 2] if dz else 1 - frac[:, 2]
                    val = _voxel(vox, bg, np.nan_to_num(base + np.array([dx, dy, dz])).astype(np.int64))
                    w = wx * wy * wz
                    lin += (w[:, None] * val) if comp else w * val
                    if grad and not comp:
                        sx, sy, sz = 2 * dx - 1, 2 * dy - 1, 2 * dz - 1
                        g += val[:, None] * np.stack([sx * wy * wz, sy * wx * wz, sz * wx * wy], axis=1)
        # a lane whose coordinate may cross an integer changes cells: continuous for LINEAR,
        # which is why only its slope (bounded by 2 mag per unit) enters the bound
        err_lin = 16 * F32_EPS * mag + 6 * mag * uerr[:, 0]
        # the gradient jumps where a coordinate crosses an integer: undecided there
        on_edge = (np.minimum(frac, 1 - frac) <= uerr + 1e-6).any(axis=1)
    linear = mode == 1
    pick = linear[:, None] if comp else linear
    out = np.where(pick, lin, closest)
    err = np.where(linear, err_lin, 0.0)
    undecided = (~linear & near.any(axis=1)) | ~geo_finite(uvw)
    gout = np.where(linear[:, None], g, 0.0)
    gerr = np.where(linear, 16 * F32_EPS * mag + 12 * mag * uerr[:, 0], 0.0)
    if grad:
        undecided |= linear & on_edge
    return out, err, undecided, gout, gerr


def _mode(name: str, mode: Value, ctx: OpCtx, linear_ok: bool = True) -> np.ndarray:
    m = mode.data.astype(np.int64)
    allowed = (0, 1) if linear_ok else (0,)
    if (ctx.mask & ~np.isin(m, allowed)).any():
        modes = "only 0 (CLOSEST) and 1 (LINEAR)" if linear_ok else "only 0 (CLOSEST) on an int grid"
        raise ctx.unsupported(f"wp.{name} sampling mode", modes)
    return m


def _grid_kind(name: str, want: str | None, args: list[Any], ctx: OpCtx) -> tuple[list[Any], str]:
    """The grid kind a read asks for: `want` for the typed forms (volume_sample_f, ...), else the
    generic form's trailing dtype argument (positional or `dtype=`), which is taken off `args`."""
    if want is not None:
        return args, want
    dt = args.pop() if args else None
    if isinstance(dt, Keyword) and dt.name == "dtype":
        dt = dt.value
    t = dt.t if isinstance(dt, TypeArg) else None
    kind = next((k for k, v in GRID_TYPES.items() if v == t), None)
    geo_need(kind is not None, name, args, ctx)
    assert kind is not None
    return args, kind


def _volume_sample(name: str, want: str | None) -> BuiltinFn:
    """volume_sample_f / _v (id, uvw, mode), volume_sample_i (id, uvw: CLOSEST) and the generic
    volume_sample(id, uvw, mode, dtype) (`want` None: the dtype argument says the type)."""

    def fn(args: list[Any], ctx: OpCtx) -> Value:
        args, kind = _grid_kind(name, want, list(args), ctx)
        n = 2 if name == "volume_sample_i" else 3
        ok = len(args) == n and geo_value_of(args[0], GeometryKind.VOLUME) and geo_is(args[1], VEC3F)
        geo_need(ok and (n == 2 or geo_is(args[2], INT32)), name, args, ctx)
        vol, uvw = args[0], args[1]
        _check_type(name, vol, kind, ctx)
        ctx.count(8)
        if n == 2:
            m, mtaint = np.zeros(uvw.lanes, np.int64), np.zeros(uvw.lanes, bool)
        else:
            m, mtaint = _mode(name, args[2], ctx, kind != "i"), args[2].taint
        out, err, undecided, _, _ = _sample(vol, uvw, m)
        t = GRID_TYPES[kind]
        e = err[:, None] if kind == "v" else err
        return geo_val(t, out, e if kind != "i" else None, uvw.taint | mtaint | undecided)

    return fn


def _volume_sample_grad_f(args: list[Any], ctx: OpCtx) -> RefWrites:
    name = "volume_sample_grad_f"
    ok = (
        len(args) == 4
        and geo_value_of(args[0], GeometryKind.VOLUME)
        and geo_is(args[1], VEC3F)
        and geo_is(args[2], INT32)
    )
    geo_need(ok and geo_is(args[3], VEC3F), name, args, ctx)
    vol, uvw, mode, g = args
    _check_type(name, vol, "f", ctx)
    ctx.count(32)
    m = _mode(name, mode, ctx)
    out, err, undecided, grad, gerr = _sample(vol, uvw, m, grad=True)
    taint = uvw.taint | mode.taint | undecided
    new_g = geo_val(VEC3F, grad, gerr[:, None], taint)
    return RefWrites(geo_val(FLOAT32, out, err, taint), ((3, new_g),))


def _volume_lookup(name: str, want: str | None) -> BuiltinFn:
    def fn(args: list[Any], ctx: OpCtx) -> Value:
        args, kind = _grid_kind(name, want, list(args), ctx)
        ok = (
            len(args) == 4
            and geo_value_of(args[0], GeometryKind.VOLUME)
            and all(geo_is(a, INT32) for a in args[1:])
        )
        geo_need(ok, name, args, ctx)
        vol, i, j, k = args
        _check_type(name, vol, kind, ctx)
        vox, bg, _, _ = _volume(vol)
        ctx.count()
        ijk = np.stack([x.data.astype(np.int64) for x in (i, j, k)], axis=1)
        return geo_val(GRID_TYPES[kind], _voxel(vox, bg, ijk), None, i.taint | j.taint | k.taint)

    return fn


def _volume_transform(name: str, to_world: bool, direction: bool = False) -> BuiltinFn:
    """index <-> world: uvw * voxel_size + min_world and its inverse; the `_dir` forms leave out
    the translation (NanoVDB's index_to_world_dirf / world_to_index_dirf)."""

    def fn(args: list[Any], ctx: OpCtx) -> Value:
        ok = len(args) == 2 and geo_value_of(args[0], GeometryKind.VOLUME) and geo_is(args[1], VEC3F)
        geo_need(ok, name, args, ctx)
        vol, x = args
        _, _, size, origin = _volume(vol)
        ctx.count(3)
        xf = x.data.astype(np.float64)
        o = np.zeros(3) if direction else origin.astype(np.float64)
        with np.errstate(all="ignore"):
            out = xf * size + o if to_world else (xf - o) / size
            scale = np.abs(xf) * (size if to_world else 1 / size) + np.abs(o) * (1 if to_world else 1 / size)
            err = 4 * F32_EPS * scale + x.err * (size if to_world else 1 / size)
        return geo_val(VEC3F, out, err, x.taint)

    return fn


def volume_builtins() -> list[Builtin]:
    return [
        Builtin("volume_sample_f", _volume_sample("volume_sample_f", "f"),
                "volume.h: nearest voxel (roundf) / trilinear of 8, background outside"),
        Builtin("volume_sample_v", _volume_sample("volume_sample_v", "v"), "volume.h: ditto on a vec3 grid"),
        Builtin("volume_sample_i", _volume_sample("volume_sample_i", "i"), "volume.h: nearest voxel of an int grid"),
        Builtin("volume_sample", _volume_sample("volume_sample", None),
                "volume.h: volume_sample<dtype>", static=True),
        Builtin("volume_sample_grad_f", _volume_sample_grad_f,
                "volume.h: trilinear value and the weights' derivatives (CLOSEST: grad 0)"),
        Builtin("volume_lookup_f", _volume_lookup("volume_lookup_f", "f"), "volume.h: the voxel, background outside"),
        Builtin("volume_lookup_v", _volume_lookup("volume_lookup_v", "v"), "volume.h: ditto, vec3 grid"),
        Builtin("volume_lookup_i", _volume_lookup("volume_lookup_i", "i"), "volume.h: ditto, int grid"),
        Builtin("volume_lookup", _volume_lookup("volume_lookup", None), "volume.h: volume_lookup<dtype>",
                static=True),
        Builtin("volume_index_to_world", _volume_transform("volume_index_to_world", True),
                "volume.h: voxel_size * ijk + min_world"),
        Builtin("volume_world_to_index", _volume_transform("volume_world_to_index", False),
                "volume.h: (xyz - min_world) / voxel_size"),
        Builtin("volume_index_to_world_dir", _volume_transform("volume_index_to_world_dir", True, True),
                "volume.h: voxel_size * uvw"),
        Builtin("volume_world_to_index_dir", _volume_transform("volume_world_to_index_dir", False, True),
                "volume.h: xyz / voxel_size"),
    ]  # fmt: skip
