"""Geometry objects as kernel inputs: the recipes a case records and the NumPy arrays they build.

A geometry parameter (ParamSpec kind "mesh", "hash_grid" or "bvh", dtype uint64) carries a
recipe (shape, sizes, refit) chosen by the generator; `geometry_value` turns it and the case's
input stream into the arrays the launch builds the Warp object from and the oracle reads
(oracle.geometry's keys). Nothing here imports Warp. An input array may be derived from a
geometry parameter (`derived_recipe`: the grid's points, so a kernel reads `points[index]` of
the neighbours its query returns).

Meshes are small and well shaped on purpose: every triangle's smallest altitude is at least
`MIN_ALTITUDE` of the mesh's size (no slivers, which Warp skips), closed meshes are wound
outward (mesh_query_point's sign votes assume it), and a refit mesh moves its points by at most
`MOVE` of its size after the build.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from oracle.geometry import GeometryKind

GEOMETRY_KINDS = frozenset(k.value for k in GeometryKind)
MESH_SHAPES = ("box", "sphere", "tetra", "grid")  # grid: an open height field; the rest closed
CLOSED_SHAPES = frozenset({"box", "sphere", "tetra"})
MIN_ALTITUDE = 0.05
MOVE = 0.04
Recipe = tuple[tuple[str, str | int | float], ...]


def recipe(**kw: str | int | float) -> Recipe:
    """A recipe in its stored (sorted) order, so a case round-trips through JSON unchanged."""
    return tuple(sorted(kw.items()))


def derived_recipe(source: str, key: str) -> Recipe:
    """The recipe of an input array holding array `key` of geometry parameter `source`."""
    return recipe(of=source, key=key)


# ---------------------------------------------------------------- meshes

_BOX = np.array(
    [[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 1], [1, 0, 1], [1, 1, 1], [0, 1, 1]], float
)
_BOX_TRIS = np.array(
    [
        0,
        3,
        2,
        0,
        2,
        1,
        4,
        5,
        6,
        4,
        6,
        7,
        0,
        1,
        5,
        0,
        5,
        4,
        2,
        3,
        7,
        2,
        7,
        6,
        0,
        4,
        7,
        0,
        7,
        3,
        1,
        2,
        6,
        1,
        6,
        5,
    ]
).reshape(-1, 3)


def _icosahedron() -> tuple[np.ndarray, np.ndarray]:
    g = (1 + 5**0.5) / 2
    v = np.array(
        [[-1, g, 0], [1, g, 0], [-1, -g, 0], [1, -g, 0], [0, -1, g], [0, 1, g],
         [0, -1, -g], [0, 1, -g], [g, 0, -1], [g, 0, 1], [-g, 0, -1], [-g, 0, 1]], float
    )  # fmt: skip
    f = np.array(
        [[0, 11, 5], [0, 5, 1], [0, 1, 7], [0, 7, 10], [0, 10, 11], [1, 5, 9], [5, 11, 4], [11, 10, 2],
         [10, 7, 6], [7, 1, 8], [3, 9, 4], [3, 4, 2], [3, 2, 6], [3, 6, 8], [3, 8, 9], [4, 9, 5],
         [2, 4, 11], [6, 2, 10], [8, 6, 7], [9, 8, 1]]
    )  # fmt: skip
    return v / np.linalg.norm(v, axis=1, keepdims=True), f


def _outward(pts: np.ndarray, tris: np.ndarray) -> np.ndarray:
    """Wind every face of a star-shaped closed mesh away from its centre."""
    c = pts.mean(axis=0)
    a, b, d = pts[tris[:, 0]], pts[tris[:, 1]], pts[tris[:, 2]]
    n = np.cross(b - a, d - a)
    flip = np.sum(n * ((a + b + d) / 3 - c), axis=1) < 0
    out = tris.copy()
    out[flip] = out[flip][:, [0, 2, 1]]
    return out


def well_shaped(pts: np.ndarray, tris: np.ndarray) -> bool:
    """Every triangle's smallest altitude is at least MIN_ALTITUDE of the mesh's extent."""
    a, b, c = pts[tris[:, 0]], pts[tris[:, 1]], pts[tris[:, 2]]
    area2 = np.linalg.norm(np.cross(b - a, c - a), axis=1)
    longest = np.max([np.linalg.norm(b - a, axis=1), np.linalg.norm(c - b, axis=1),
                      np.linalg.norm(a - c, axis=1)], axis=0)  # fmt: skip
    size = float(np.ptp(pts, axis=0).max())
    return bool(np.all(area2 / longest >= MIN_ALTITUDE * size))


def _mesh_shape(rng: np.random.Generator, shape: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    centre = rng.uniform(-0.3, 0.3, 3)
    if shape == "box":
        half = rng.uniform(0.5, 1.5, 3)
        pts = centre + (2 * _BOX - 1) * half + rng.uniform(-0.08, 0.08, (8, 3)) * half
        return pts, _outward(pts, _BOX_TRIS)
    if shape == "sphere":
        v, f = _icosahedron()
        r = rng.uniform(0.7, 1.8) * (1 + rng.uniform(-0.1, 0.1, (len(v), 1)))
        pts = centre + v * r
        return pts, _outward(pts, f)
    if shape == "tetra":
        base = np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]], float)
        pts = centre + base * rng.uniform(0.6, 1.4) + rng.uniform(-0.25, 0.25, (4, 3))
        return pts, _outward(pts, np.array([[0, 1, 2], [0, 1, 3], [0, 2, 3], [1, 2, 3]]))
    if shape == "grid":
        side = float(rng.uniform(0.8, 2.0))
        xs = np.linspace(-side, side, n + 1)
        gx, gy = np.meshgrid(xs, xs, indexing="ij")
        z = rng.uniform(-0.3, 0.3, gx.shape)
        pts = centre + np.stack([gx.ravel(), gy.ravel(), z.ravel()], axis=1)
        tris = []
        for x in range(n):
            for y in range(n):
                k = x * (n + 1) + y
                tris += [[k, k + n + 1, k + 1], [k + 1, k + n + 1, k + n + 2]]
        return pts, np.array(tris)
    raise ValueError(f"unknown mesh shape {shape!r}; known: {', '.join(MESH_SHAPES)}")


def mesh_arrays(rng: np.random.Generator, r: Mapping[str, Any]) -> dict[str, np.ndarray]:
    shape, n = str(r.get("shape", "box")), int(r.get("n", 2))
    for _ in range(64):  # jitter rarely makes a sliver; draw again (deterministically) if it does
        pts, tris = _mesh_shape(rng, shape, n)
        if well_shaped(pts, tris):
            break
    else:
        raise ValueError(f"mesh recipe {dict(r)}: no well-shaped mesh in 64 draws")
    out = {
        "points": pts.astype(np.float32),
        "indices": tris.reshape(-1).astype(np.int32),
        "velocities": rng.uniform(-1.0, 1.0, pts.shape).astype(np.float32),
    }
    if int(r.get("winding", 0)):  # built with support_winding_number=True
        out["winding"] = np.asarray(np.int32(1))
    if int(r.get("refit", 0)):
        size = float(np.ptp(pts, axis=0).max())
        moved = pts + rng.uniform(-MOVE, MOVE, pts.shape) * size
        if well_shaped(moved, tris):
            out["rest"] = out["points"]
            out["points"] = moved.astype(np.float32)
    return out


# ---------------------------------------------------------------- hash grids and boxes


def grid_arrays(rng: np.random.Generator, r: Mapping[str, Any]) -> dict[str, np.ndarray]:
    n = int(r.get("n", 32))
    half = float(r.get("half", 2.0))
    return {
        "grid_points": rng.uniform(-half, half, (n, 3)).astype(np.float32),
        "cell_width": np.asarray(np.float32(r.get("cell", 0.5))),
        "grid_dims": rng.integers(2, 9, 3).astype(np.int32),
    }


def bvh_arrays(rng: np.random.Generator, r: Mapping[str, Any]) -> dict[str, np.ndarray]:
    n = int(r.get("n", 16))
    lo = rng.uniform(-2.0, 2.0, (n, 3))
    hi = lo + rng.uniform(0.05, 1.0, (n, 3))
    return {"lowers": lo.astype(np.float32), "uppers": hi.astype(np.float32)}


VOLUME_TYPES = ("float", "vec3", "int")


def volume_arrays(rng: np.random.Generator, r: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """A dense volume of whole 8^3 tiles (`wp.Volume.load_from_numpy` pads to them): float32
    (recipe `type` "float", the default), vec3f ("vec3": voxels (nx, ny, nz, 3), a vec3
    background) or int32 ("int": values in [-100, 100])."""
    shape = tuple(int(r.get(k, 8)) for k in ("nx", "ny", "nz"))
    kind = str(r.get("type", "float"))
    if kind == "float":
        vox, bg = (
            rng.uniform(-1.0, 1.0, shape).astype(np.float32),
            np.asarray(np.float32(rng.uniform(-2.0, 2.0))),
        )
    elif kind == "vec3":
        vox, bg = (
            rng.uniform(-1.0, 1.0, (*shape, 3)).astype(np.float32),
            rng.uniform(-2.0, 2.0, 3).astype(np.float32),
        )
    elif kind == "int":
        vox, bg = (
            rng.integers(-100, 101, shape).astype(np.int32),
            np.asarray(np.int32(rng.integers(-200, 201))),
        )
    else:
        raise ValueError(f"unknown volume type {kind!r}; known: {', '.join(VOLUME_TYPES)}")
    return {
        "voxels": vox,
        "bg": bg,
        "voxel_size": np.asarray(np.float32(r.get("size", 0.25))),
        "min_world": rng.uniform(-1.0, 1.0, 3).astype(np.float32),
    }


def geometry_value(kind: str, r: Mapping[str, Any], rng: np.random.Generator) -> dict[str, np.ndarray]:
    """The arrays of one geometry parameter (oracle.geometry's keys for `kind`)."""
    if kind == GeometryKind.MESH:
        return mesh_arrays(rng, r)
    if kind == GeometryKind.HASH_GRID:
        return grid_arrays(rng, r)
    if kind == GeometryKind.BVH:
        return bvh_arrays(rng, r)
    if kind == GeometryKind.VOLUME:
        return volume_arrays(rng, r)
    raise ValueError(f"unknown geometry kind {kind!r}; known: {', '.join(sorted(GEOMETRY_KINDS))}")
