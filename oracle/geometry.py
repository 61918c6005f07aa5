"""Geometry queries (Warp's mesh.h, hashgrid.h, bvh.h, 1.19.0) answered by brute force.

A kernel receives a `wp.Mesh`, `wp.HashGrid` or `wp.Bvh` as a `wp.uint64` id. In the oracle
representation the id parameter's value is a dict of the NumPy arrays the object is built from
(`MESH_KEYS`, `GRID_KEYS`, `BVH_KEYS`); the interpreter binds it as a `GeometryRef`, and the
builtins here test every query against every triangle, point or box at once, over all lanes. No
BVH is built, so no traversal order is modelled: query structs whose fields depend on which of
two equally good answers a traversal meets first (two faces at the same distance, a ray through
a shared edge) taint those fields, and iterators (`hash_grid_query_next`, `bvh_query_next`)
visit their exact candidate set in ascending index order, which order-independent consumers
(counts, sums, minima) cannot tell from Warp's order.

Error bounds: Warp computes in float32, the oracle in float64; a position or distance is off by
at most `REL` times the scene's scale (largest coordinate) plus the query point's own error.
Decisions taken within that margin (a point at `max_dist`, a ray within it of an edge, a point
on the search radius, a box touching the query box) taint the lane.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from oracle.builtin_table import Builtin, BuiltinFn
from oracle.numeric import OpCtx
from oracle.types import BOOL, FLOAT32, INT32, Composite, Scalar, StructT, make_vec
from oracle.values import RefWrites, StructVal, Value

VEC3F = make_vec(3, FLOAT32)
UINT64 = Scalar("uint64")
F32_EPS = 2.0**-23
# relative bound on a float32 geometric result vs the float64 brute force (a few dozen
# roundings, each within one ulp of the scene's scale)
REL = 64 * F32_EPS
MESH_KEYS = frozenset({"points", "indices", "velocities"})  # + optional "rest" (built, then refit)
# and optional "winding" (built with support_winding_number=True)
MESH_OPTIONAL = frozenset({"rest", "winding"})
GRID_KEYS = frozenset({"grid_points", "cell_width", "grid_dims"})
BVH_KEYS = frozenset({"lowers", "uppers"})
# a dense NanoVDB grid: float32, int32 or (voxels (nx, ny, nz, 3)) vec3f (oracle.volumes)
VOLUME_KEYS = frozenset({"voxels", "bg", "voxel_size", "min_world"})
SLIVER = 1.0e-6  # mesh.h: faces with |n| / sum of squared edges below this are skipped
GRAZING = 0.02  # |cos| between a ray and a face normal below which the hit is not judged


class GeometryKind(enum.StrEnum):
    MESH = "mesh"
    HASH_GRID = "hash_grid"
    BVH = "bvh"
    VOLUME = "volume"


def geometry_kind(value: Mapping[str, Any]) -> GeometryKind | None:
    """Which object a dict of arrays describes (by its keys), or None."""
    keys = set(value)
    if MESH_KEYS <= keys <= MESH_KEYS | MESH_OPTIONAL:
        return GeometryKind.MESH
    if keys == GRID_KEYS:
        return GeometryKind.HASH_GRID
    if keys == BVH_KEYS:
        return GeometryKind.BVH
    if keys == VOLUME_KEYS:
        return GeometryKind.VOLUME
    return None


@dataclass(frozen=True)
class GeometryRef:
    """A geometry id parameter: the arrays its object is built from (float64 copies)."""

    name: str
    kind: GeometryKind
    arrays: Mapping[str, np.ndarray]

    @property
    def t(self) -> Scalar:  # what error messages print for an argument
        return UINT64

    # per evaluation: (face, u, v, lanes) of closest-point answers tied only between faces that
    # meet at the closest point (`note_equivalent`); a list, so the frozen record can grow it
    equivalent: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)

    def f64(self, key: str) -> np.ndarray:
        return np.asarray(self.arrays[key], dtype=np.float64)

    def note_equivalent(self, face: np.ndarray, u: np.ndarray, v: np.ndarray, lanes: np.ndarray) -> None:
        if lanes.any():
            f32 = np.float32
            self.equivalent.append((face.astype(np.int32), u.astype(f32), v.astype(f32), lanes.copy()))

    def position_decided(self, face: Value, u: Value, v: Value, ctx: OpCtx) -> np.ndarray:
        """Lanes whose (face, u, v) is, bit for bit, a noted tied answer, reached without an
        uncertain branch: the point it evaluates to is decided although the face is not."""
        out = np.zeros(face.lanes, bool)
        for f, uu, vv, lanes in self.equivalent:
            out |= lanes & (face.data == f) & (u.data == uu) & (v.data == vv)
        return out & ~(ctx.ctl_taint if ctx.ctl_taint is not None else False)


def bind_geometry(pname: str, values: list[Any]) -> GeometryRef:
    """The parameter `pname` bound to its object; every launch of `evaluate_many` must pass the
    same object (the gradient check never perturbs geometry)."""
    first = values[0]
    kind = geometry_kind(first)
    if kind is None:
        raise ValueError(
            f"argument {pname!r}: a wp.uint64 geometry id needs the arrays of a mesh {sorted(MESH_KEYS)}, "
            f"hash grid {sorted(GRID_KEYS)} or BVH {sorted(BVH_KEYS)}; got keys {sorted(first)}"
        )
    for v in values[1:]:
        if set(v) != set(first) or any(not np.array_equal(v[k], first[k]) for k in first):
            raise ValueError(f"argument {pname!r}: the launches pass different {kind} objects")
    arrays = {k: np.array(v, copy=True) for k, v in first.items()}
    if kind is GeometryKind.MESH:
        pts, ind = arrays["points"], arrays["indices"]
        if pts.ndim != 2 or pts.shape[1] != 3 or ind.ndim != 1 or ind.size % 3 or ind.size == 0:
            raise ValueError(f"argument {pname!r}: mesh points {pts.shape} / indices {ind.shape}")
        if ind.min() < 0 or ind.max() >= len(pts):
            raise ValueError(f"argument {pname!r}: mesh index out of range of {len(pts)} points")
    return GeometryRef(pname, kind, arrays)


# ---------------------------------------------------------------- helpers


def geo_need(ok: bool, name: str, args: list[Any], ctx: OpCtx) -> None:
    if not ok:
        sig = ", ".join(str(getattr(a, "t", type(a).__name__)) for a in args)
        raise ctx.unsupported(f"call wp.{name}", f"argument types ({sig})")


def geo_value_of(v: Any, kind: GeometryKind) -> bool:
    return isinstance(v, GeometryRef) and v.kind is kind


def geo_is(v: Any, t: Scalar | Composite) -> bool:
    return isinstance(v, Value) and v.t == t


def geo_val(t: Scalar | Composite, data: np.ndarray, err: np.ndarray | None, taint: np.ndarray) -> Value:
    data = np.asarray(data)
    with np.errstate(all="ignore"):
        d = data.astype(t.np)
    e = np.zeros(d.shape) if err is None else np.broadcast_to(err, d.shape).astype(np.float64)
    if t.is_float:  # the final rounding to float32
        e = e + np.abs(d.astype(np.float64) - data.astype(np.float64))
    return Value(t, d, e, taint.copy())


def geo_lane_err(v: Value) -> np.ndarray:
    return v.lane_err() if v.t.is_float else np.zeros(v.lanes)


def geo_struct(name: str, fields: dict[str, Value]) -> StructVal:
    return StructVal(StructT(name, tuple((k, f.t) for k, f in fields.items())), dict(fields))


def geo_tri(mesh: GeometryRef, key: str = "points") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    pts = mesh.f64(key)
    ind = np.asarray(mesh.arrays["indices"]).reshape(-1, 3)
    return pts[ind[:, 0]], pts[ind[:, 1]], pts[ind[:, 2]]


def geo_scale(mesh: GeometryRef, *vals: Value) -> np.ndarray:
    """Per lane: the scene's scale (largest coordinate of the mesh and of the query values)."""
    s = float(np.abs(mesh.f64("points")).max(initial=0.0))
    out = np.full(vals[0].lanes, s)
    for v in vals:
        with np.errstate(all="ignore"):
            out = np.maximum(out, np.abs(v.data.astype(np.float64)).reshape(v.lanes, -1).max(axis=1))
    return out


def geo_finite(*vals: Value) -> np.ndarray:
    ok = np.ones(vals[0].lanes, bool)
    for v in vals:
        ok &= np.isfinite(v.data.astype(np.float64)).reshape(v.lanes, -1).all(axis=1)
    return ok


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=-1)


# ---------------------------------------------------------------- closest point


def closest_on_triangles(
    p: np.ndarray, a: np.ndarray, b: np.ndarray, c: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Closest point of every triangle (a, b, c: (T, 3)) to every point p ((L, 3)), by the
    region tests of Ericson's Real-Time Collision Detection 5.1.5 (mesh.h's
    closest_point_to_triangle): barycentric weights of a and b ((L, T) each) and the distance."""
    P = p[:, None, :]
    ab, ac = (b - a)[None], (c - a)[None]
    ap, bp, cp = P - a[None], P - b[None], P - c[None]
    d1, d2 = _dot(ab, ap), _dot(ac, ap)
    d3, d4 = _dot(ab, bp), _dot(ac, bp)
    d5, d6 = _dot(ab, cp), _dot(ac, cp)
    vc = d1 * d4 - d3 * d2
    vb = d5 * d2 - d1 * d6
    va = d3 * d6 - d5 * d4
    shape = d1.shape
    wa, wb = np.zeros(shape), np.zeros(shape)
    done = np.zeros(shape, bool)

    def put(cond: np.ndarray, ua: np.ndarray | float, ub: np.ndarray | float) -> None:
        nonlocal done
        sel = cond & ~done
        wa[sel] = np.broadcast_to(ua, shape)[sel]
        wb[sel] = np.broadcast_to(ub, shape)[sel]
        done |= sel

    with np.errstate(all="ignore"):
        put((d1 <= 0) & (d2 <= 0), 1.0, 0.0)
        put((d3 >= 0) & (d4 <= d3), 0.0, 1.0)
        v_ab = d1 / (d1 - d3)
        put((vc <= 0) & (d1 >= 0) & (d3 <= 0), 1.0 - v_ab, v_ab)
        put((d6 >= 0) & (d5 <= d6), 0.0, 0.0)
        w_ac = d2 / (d2 - d6)
        put((vb <= 0) & (d2 >= 0) & (d6 <= 0), 1.0 - w_ac, 0.0)
        w_bc = (d4 - d3) / ((d4 - d3) + (d5 - d6))
        put((va <= 0) & ((d4 - d3) >= 0) & ((d5 - d6) >= 0), 0.0, 1.0 - w_bc)
        denom = 1.0 / (va + vb + vc)
        v, w = vb * denom, vc * denom
        put(np.ones(shape, bool), 1.0 - v - w, v)
    wc = 1.0 - wa - wb
    q = wa[..., None] * a[None] + wb[..., None] * b[None] + wc[..., None] * c[None]
    return wa, wb, np.sqrt(_dot(q - P, q - P))


def _altitudes(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Smallest altitude of each triangle (how much a barycentric moves per unit of position)."""
    n = np.linalg.norm(np.cross(b - a, c - a), axis=-1)
    longest = np.maximum.reduce([np.linalg.norm(b - a, axis=-1), np.linalg.norm(c - b, axis=-1),
                                 np.linalg.norm(a - c, axis=-1)])  # fmt: skip
    return n / np.maximum(longest, 1e-300)


def geo_slivers(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Faces mesh.h skips (sliver test) and faces too close to its threshold to tell."""
    e0, e1, e2 = b - a, c - a, c - b
    ratio = np.linalg.norm(np.cross(e0, e1), axis=-1) / (_dot(e0, e0) + _dot(e1, e1) + _dot(e2, e2))
    return ratio < SLIVER, np.abs(ratio - SLIVER) <= 1e-3 * SLIVER


@dataclass(frozen=True)
class PointQuery:
    """The brute-force answer of a closest-point query, per lane."""

    result: np.ndarray
    face: np.ndarray
    u: np.ndarray
    v: np.ndarray
    dist: np.ndarray
    tol: np.ndarray  # bound on the distance / position error
    uv_tol: np.ndarray
    result_tie: np.ndarray  # the distance is within tol of max_dist
    face_tie: np.ndarray  # another face is within tol of the minimum
    same_point: np.ndarray  # every face within tol of the minimum gives the same closest point


Closest = Callable[
    [np.ndarray, np.ndarray, np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]
]


def point_query(
    mesh: GeometryRef, p: Value, max_dist: Value, closest: Closest = closest_on_triangles
) -> PointQuery:
    a, b, c = geo_tri(mesh)
    pf = p.data.astype(np.float64)
    md = max_dist.data.astype(np.float64)
    skip, near_sliver = geo_slivers(a, b, c)
    with np.errstate(all="ignore"):
        wa, wb, d = closest(np.nan_to_num(pf), a, b, c)
    d = np.where(skip[None], np.inf, d)
    lanes = p.lanes
    tol = REL * geo_scale(mesh, p) + geo_lane_err(p)
    face = np.argmin(d, axis=1) if d.shape[1] else np.zeros(lanes, int)
    rows = np.arange(lanes)
    dmin = d[rows, face]
    with np.errstate(all="ignore"):
        result = dmin < md  # mesh.h: strictly closer than max_dist
        result_tie = np.abs(dmin - md) <= tol + geo_lane_err(max_dist) + REL * np.abs(md)
        result_tie |= near_sliver.any() | ~geo_finite(p, max_dist) | (md < 0)
        dd = d.copy()
        dd[rows, face] = np.inf
        face_tie = (dd.min(axis=1, initial=np.inf) - dmin) <= 2 * tol
        alt = _altitudes(a, b, c)[face]
        uv_tol = 2 * tol / np.maximum(alt, 1e-30)
        # tied faces that meet at the closest point (a shared vertex or edge) all give that point
        tied = (d - dmin[:, None]) <= 2 * tol[:, None]
        wc = 1.0 - wa - wb
        pos = wa[..., None] * a[None] + wb[..., None] * b[None] + wc[..., None] * c[None]
        gap = np.linalg.norm(pos - pos[rows, face][:, None, :], axis=-1)
        same_point = ~(tied & (gap > 4 * tol[:, None])).any(axis=1)
    return PointQuery(
        result, face.astype(np.int32), wa[rows, face], wb[rows, face], dmin, tol, uv_tol, result_tie, face_tie,
        same_point,
    )  # fmt: skip


# ---------------------------------------------------------------- rays


@dataclass(frozen=True)
class RayHits:
    """Ray against every triangle: per (lane, face) hit, t, weights of a and b, and whether the
    hit is decided within rounding; plus the per-lane t error bound."""

    hit: np.ndarray
    t: np.ndarray  # inf where no hit
    t_raw: np.ndarray  # the plane crossing's t, hit or not
    wa: np.ndarray
    wb: np.ndarray
    near: np.ndarray
    t_tol: np.ndarray  # (L, T)
    facing: np.ndarray  # dot(dir, n) per (lane, face), n = cross(b - a, c - a)


def ray_hits(
    a: np.ndarray, b: np.ndarray, c: np.ndarray, start: np.ndarray, d: np.ndarray, tol: np.ndarray
) -> RayHits:
    """Moller-Trumbore of every ray (start, d: (L, 3); t in units of |d|) against every
    triangle; `tol` (L,) bounds the position error. Edges count as hits (Warp's watertight test
    accepts a zero edge function), so an edge hit is always marked near."""
    S, D = start[:, None, :], d[:, None, :]
    e1, e2 = (b - a)[None], (c - a)[None]
    n = np.cross(b - a, c - a)[None]
    with np.errstate(all="ignore"):
        pvec = np.cross(D, e2)
        det = _dot(e1, pvec)
        inv = 1.0 / det
        tvec = S - a[None]
        wb = _dot(tvec, pvec) * inv
        qvec = np.cross(tvec, e1)
        wc = _dot(D, qvec) * inv
        t = _dot(e2, qvec) * inv
        wa = 1.0 - wb - wc
        dn = np.linalg.norm(D, axis=-1)
        nn = np.linalg.norm(n, axis=-1)
        facing = _dot(D, n)
        cos = np.abs(facing) / np.maximum(dn * nn, 1e-300)
        alt = _altitudes(a, b, c)[None]
        btol = 2 * tol[:, None] / np.maximum(alt, 1e-30)
        t_tol = 2 * tol[:, None] / np.maximum(dn * cos, 1e-30)
        hit = (det != 0) & (wa >= 0) & (wb >= 0) & (wc >= 0) & (t >= 0)
        mb = np.minimum(np.minimum(wa, wb), wc)
        btol = btol / np.maximum(cos, GRAZING)  # the plane crossing moves further on a grazing ray
        inside = mb >= -btol
        near = inside & ((mb <= btol) | (cos < GRAZING) | (np.abs(t) <= t_tol))
        t_raw = np.where(np.isfinite(t), t, np.inf)
    return RayHits(hit, np.where(hit, t, np.inf), t_raw, wa, wb, near, t_tol, facing)


@dataclass(frozen=True)
class RayQuery:
    result: np.ndarray
    face: np.ndarray
    t: np.ndarray
    u: np.ndarray
    v: np.ndarray
    sign: np.ndarray
    normal: np.ndarray
    t_tol: np.ndarray
    uv_tol: np.ndarray
    decided_tie: np.ndarray  # whether a face is hit at all, or t vs max_t, is within rounding
    face_tie: np.ndarray


def ray_query(mesh: GeometryRef, start: Value, d: Value, max_t: Value) -> RayQuery:
    a, b, c = geo_tri(mesh)
    lanes = start.lanes
    tol = REL * geo_scale(mesh, start) + geo_lane_err(start) + geo_lane_err(d) * geo_scale(mesh, start)
    s64, d64 = np.nan_to_num(start.data.astype(np.float64)), np.nan_to_num(d.data.astype(np.float64))
    rh = ray_hits(a, b, c, s64, d64, tol)
    mt = max_t.data.astype(np.float64)
    rows = np.arange(lanes)
    with np.errstate(all="ignore"):
        t = np.where(rh.hit & (rh.t < mt[:, None]), rh.t, np.inf)
        face = np.argmin(t, axis=1)
        tmin = t[rows, face]
        result = np.isfinite(tmin)
        t_tol = rh.t_tol[rows, face]
        # a near hit anywhere before the answer (or, with none, anywhere before max_t) may change it
        bound = np.where(result, tmin + 2 * t_tol, mt)
        undecided = (rh.near & (rh.t_raw >= -rh.t_tol) & (rh.t_raw <= bound[:, None])).any(axis=1)
        undecided |= result & (np.abs(tmin - mt) <= t_tol + geo_lane_err(max_t) + REL * np.abs(mt))
        undecided |= ~geo_finite(start, d, max_t) | ~(np.abs(d64).max(axis=1) > 0)
        tt = t.copy()
        tt[rows, face] = np.inf
        face_tie = result & ((tt.min(axis=1, initial=np.inf) - tmin) <= 2 * t_tol)
        normal = np.cross(b - a, c - a)[face]
        # intersect_ray_tri_woop's sign is its determinant U + V + W: -dot(n, dir) / |dir[kz]|
        # with kz the ray's largest axis (the shear's scale), so it is not just +-1
        sign = -rh.facing[rows, face] / np.abs(d64).max(axis=1)
        uv_tol = 2 * tol / np.maximum(_altitudes(a, b, c)[face], 1e-30)
    return RayQuery(
        result, face.astype(np.int32), np.where(result, tmin, 0.0), rh.wa[rows, face], rh.wb[rows, face],
        sign, normal, t_tol, uv_tol, undecided, face_tie,
    )  # fmt: skip


def inside_votes(mesh: GeometryRef, p: Value) -> tuple[np.ndarray, np.ndarray]:
    """mesh.h's mesh_query_inside_ray_tracing: rays along +x, +y, +z; a ray whose closest hit
    (t >= 0) is on a face's back side votes inside; two votes or more mean inside (-1). Returns
    the sign per lane and whether any vote is decided within rounding."""
    a, b, c = geo_tri(mesh)
    lanes = p.lanes
    tol = REL * geo_scale(mesh, p) + geo_lane_err(p)
    pf = np.nan_to_num(p.data.astype(np.float64))
    votes = np.zeros(lanes, int)
    unsure = ~geo_finite(p)
    rows = np.arange(lanes)
    for axis in range(3):
        d = np.zeros((lanes, 3))
        d[:, axis] = 1.0
        rh = ray_hits(a, b, c, pf, d, tol)
        with np.errstate(all="ignore"):
            face = np.argmin(rh.t, axis=1)
            tmin = rh.t[rows, face]
            hit = np.isfinite(tmin)
            votes += (hit & (rh.facing[rows, face] > 0)).astype(int)
            t_tol = rh.t_tol[rows, face]
            cut = np.where(hit, tmin + 2 * t_tol, np.inf)
            unsure |= (rh.near & (rh.t_raw >= -rh.t_tol) & (rh.t_raw <= cut[:, None])).any(axis=1)
            tt = rh.t.copy()
            tt[rows, face] = np.inf
            other = np.argmin(tt, axis=1)
            close = hit & ((tt[rows, other] - tmin) <= 2 * t_tol)
            unsure |= close & ((rh.facing[rows, other] > 0) != (rh.facing[rows, face] > 0))
    return np.where(votes >= 2, -1.0, 1.0), unsure


# ---------------------------------------------------------------- mesh builtins


POINT_T = "mesh_query_point_t"
RAY_T = "mesh_query_ray_t"


def point_query_builtin(name: str, signed: bool, closest: Closest = closest_on_triangles) -> BuiltinFn:
    """`wp.mesh_query_point[_no_sign](id, p, max_dist)`; `closest` answers one point against
    every triangle (a test plants a wrong one)."""

    def fn(args: list[Any], ctx: OpCtx) -> StructVal:
        ok = len(args) == 3 and geo_value_of(args[0], GeometryKind.MESH) and geo_is(args[1], VEC3F)
        geo_need(ok and geo_is(args[2], FLOAT32), name, args, ctx)
        mesh, p, md = args
        ctx.count(len(mesh.arrays["indices"]))
        q = point_query(mesh, p, md, closest)
        base = p.taint | md.taint
        res_taint = base | q.result_tie
        face_taint = res_taint | (q.result & q.face_tie)
        res = q.result
        # a tie between faces meeting at the closest point leaves face, u and v undecided but not
        # the point: mesh_eval_position / _velocity of exactly this answer are judged
        mesh.note_equivalent(q.face, q.u, q.v, res & q.face_tie & q.same_point & ~res_taint)
        fields = {
            "result": geo_val(BOOL, res, None, res_taint),
            "sign": geo_val(FLOAT32, np.zeros(p.lanes), None, res_taint),
            "face": geo_val(INT32, np.where(res, q.face, 0), None, face_taint),
            "u": geo_val(FLOAT32, np.where(res, q.u, 0.0), np.where(res, q.uv_tol, 0.0), face_taint),
            "v": geo_val(FLOAT32, np.where(res, q.v, 0.0), np.where(res, q.uv_tol, 0.0), face_taint),
        }
        if signed:
            sign, unsure = inside_votes(mesh, p)
            near = q.dist <= 4 * q.tol  # on the surface: inside and outside within rounding
            fields["sign"] = geo_val(
                FLOAT32, np.where(res, sign, 0.0), None, res_taint | (res & (unsure | near))
            )
        return geo_struct(POINT_T, fields)

    return fn


def _mesh_query_ray(args: list[Any], ctx: OpCtx) -> StructVal:
    ok = (
        len(args) == 4
        and geo_value_of(args[0], GeometryKind.MESH)
        and geo_is(args[1], VEC3F)
        and geo_is(args[2], VEC3F)
    )
    geo_need(ok and geo_is(args[3], FLOAT32), "mesh_query_ray", args, ctx)
    mesh, s, d, mt = args
    ctx.count(len(mesh.arrays["indices"]))
    q = ray_query(mesh, s, d, mt)
    res = q.result
    res_taint = s.taint | d.taint | mt.taint | q.decided_tie
    face_taint = res_taint | q.face_tie
    scale = geo_scale(mesh, s)
    n_tol = 4 * REL * scale * scale * (1 + geo_lane_err(d))  # |n| |dir| / max|dir| <= sqrt(3) |n|
    fields = {
        "sign": geo_val(FLOAT32, np.where(res, q.sign, 0.0), np.where(res, n_tol, 0.0), face_taint),
        "face": geo_val(INT32, np.where(res, q.face, 0), None, face_taint),
        "t": geo_val(FLOAT32, q.t, np.where(res, q.t_tol, 0.0), res_taint),
        "u": geo_val(FLOAT32, np.where(res, q.u, 0.0), np.where(res, q.uv_tol, 0.0), face_taint),
        "v": geo_val(FLOAT32, np.where(res, q.v, 0.0), np.where(res, q.uv_tol, 0.0), face_taint),
        "normal": geo_val(
            VEC3F, np.where(res[:, None], q.normal, 0.0), np.where(res, n_tol, 0.0)[:, None], face_taint
        ),
        "result": geo_val(BOOL, res, None, res_taint),
    }
    return geo_struct(RAY_T, fields)


def _face_arg(name: str, mesh: GeometryRef, face: Value, ctx: OpCtx) -> np.ndarray:
    """The face index per lane; an active lane outside [0, faces) reads outside the mesh (UB:
    mesh.h only asserts in debug builds)."""
    n = len(mesh.arrays["indices"]) // 3
    f = face.data.astype(np.int64)
    bad = ctx.mask & ((f < 0) | (f >= n))
    if bad.any():
        lane = int(np.argmax(bad))
        raise ctx.ub(f"wp.{name}: face {int(f[lane])} outside the mesh's {n} faces (thread {lane})")
    return np.clip(f, 0, max(n - 1, 0))


def _mesh_eval(name: str, key: str) -> Any:
    def fn(args: list[Any], ctx: OpCtx) -> Value:
        ok = len(args) == 4 and geo_value_of(args[0], GeometryKind.MESH) and geo_is(args[1], INT32)
        geo_need(ok and geo_is(args[2], FLOAT32) and geo_is(args[3], FLOAT32), name, args, ctx)
        mesh, face, u, v = args
        ctx.count(9)
        f = _face_arg(name, mesh, face, ctx)
        a, b, c = (x[f] for x in geo_tri(mesh, key))
        uu, vv = u.data.astype(np.float64)[:, None], v.data.astype(np.float64)[:, None]
        with np.errstate(all="ignore"):
            out = a * uu + b * vv + c * (1.0 - uu - vv)
            mag = np.maximum.reduce([np.abs(a), np.abs(b), np.abs(c)])
            err = mag * (u.err[:, None] + v.err[:, None]) * 2 + 8 * F32_EPS * mag * (
                1 + np.abs(uu) + np.abs(vv)
            )
        taint = face.taint | u.taint | v.taint
        return geo_val(VEC3F, out, err, taint & ~mesh.position_decided(face, u, v, ctx))

    return fn


def _mesh_eval_face_normal(args: list[Any], ctx: OpCtx) -> Value:
    ok = len(args) == 2 and geo_value_of(args[0], GeometryKind.MESH) and geo_is(args[1], INT32)
    geo_need(ok, "mesh_eval_face_normal", args, ctx)
    mesh, face = args
    ctx.count(12)
    f = _face_arg("mesh_eval_face_normal", mesh, face, ctx)
    a, b, c = (x[f] for x in geo_tri(mesh))
    n = np.cross(b - a, c - a)
    ln = np.linalg.norm(n, axis=-1, keepdims=True)
    with np.errstate(all="ignore"):
        out = n / ln
        s = np.maximum.reduce([np.abs(a), np.abs(b), np.abs(c)]).max(axis=-1, keepdims=True)
        err = 16 * F32_EPS * s * s / ln + 4 * F32_EPS
    return geo_val(VEC3F, out, err, face.taint)


# ---------------------------------------------------------------- iterators (hash grid, bvh)


QUERY_FIELD = "_candidates"  # bool (lanes, items): not yet visited candidates
GRID_QUERY_T = "hash_grid_query_t"
BVH_QUERY_T = "bvh_query_t"


def geo_iterator(name: str, cand: np.ndarray, taint: np.ndarray, geo: GeometryRef) -> StructVal:
    c = Value(BOOL, cand.astype(bool), np.zeros(cand.shape), taint.copy())
    return StructVal(StructT(name, ((QUERY_FIELD, BOOL),)), {QUERY_FIELD: c, "_geometry": geo})  # type: ignore[dict-item]


def _cell(x: np.ndarray) -> np.ndarray:
    """hashgrid.h's hash_grid_cell_coord: floor, clamped to int range (float32 input)."""
    f = np.floor(x.astype(np.float64))
    return np.clip(np.nan_to_num(f, nan=0.0), -(2.0**31), 2.0**31 - 2).astype(np.int64)


def _grid_parts(g: GeometryRef) -> tuple[np.ndarray, np.float32, np.ndarray]:
    pts = np.asarray(g.arrays["grid_points"], dtype=np.float32).reshape(-1, 3)
    width = np.float32(np.asarray(g.arrays["cell_width"]).reshape(()))
    dims = np.asarray(g.arrays["grid_dims"], dtype=np.int64).reshape(3)
    return pts, np.float32(np.float32(1.0) / width), dims


def grid_point_cells(g: GeometryRef) -> np.ndarray:
    """Each point's hashed cell coordinates ((N, 3), each in [0, dim))."""
    pts, inv, dims = _grid_parts(g)
    with np.errstate(all="ignore"):
        return _cell(pts * inv) % dims


def _hash_grid_query(args: list[Any], ctx: OpCtx) -> StructVal:
    ok = len(args) == 3 and geo_value_of(args[0], GeometryKind.HASH_GRID) and geo_is(args[1], VEC3F)
    geo_need(ok and geo_is(args[2], FLOAT32), "hash_grid_query", args, ctx)
    g, p, r = args
    pts, inv, dims = _grid_parts(g)
    ctx.count(len(pts))
    pos = p.data.astype(np.float32)
    rad = r.data.astype(np.float32)[:, None]
    with np.errstate(all="ignore"):
        lo_f = (pos - rad) * inv  # float32 arithmetic, as hashgrid.h
        hi_f = (pos + rad) * inv
        start = _cell(lo_f)
        end = _cell(hi_f)
    span = np.where(end - start >= dims[None], dims[None] - 1, end - start)  # hash_grid_query_end
    cells = grid_point_cells(g)  # (N, 3)
    rel = (cells[None, :, :] - start[:, None, :]) % dims[None, None, :]
    cand = (rel <= span[:, None, :]).all(axis=2)
    # a query position with an error bound may sit on the other side of a cell boundary
    err = (geo_lane_err(p) + geo_lane_err(r))[:, None] * float(inv) * 2 + 1e-7
    frac = np.minimum(np.abs(lo_f - np.round(lo_f)), np.abs(hi_f - np.round(hi_f)))
    unsure = ((geo_lane_err(p) + geo_lane_err(r)) > 0) & (frac <= err).any(axis=1)
    unsure |= ~geo_finite(p, r) | (rad[:, 0] < 0)
    return geo_iterator(GRID_QUERY_T, cand, p.taint | r.taint | unsure, g)


def _hash_grid_point_id(args: list[Any], ctx: OpCtx) -> Value:
    ok = len(args) == 2 and geo_value_of(args[0], GeometryKind.HASH_GRID) and geo_is(args[1], INT32)
    geo_need(ok, "hash_grid_point_id", args, ctx)
    g, idx = args
    cells = grid_point_cells(g)
    _, _, dims = _grid_parts(g)
    flat = cells[:, 2] * (dims[0] * dims[1]) + cells[:, 1] * dims[0] + cells[:, 0]
    order = np.argsort(flat, kind="stable").astype(np.int32)  # the radix sort of point ids by cell
    i = idx.data.astype(np.int64)
    bad = ctx.mask & ((i < 0) | (i >= len(order)))
    if bad.any():
        lane = int(np.argmax(bad))
        raise ctx.ub(f"wp.hash_grid_point_id: index {int(i[lane])} outside the grid's {len(order)} points")
    ctx.count()
    return geo_val(INT32, order[np.clip(i, 0, max(len(order) - 1, 0))], None, idx.taint)


def geo_boxes(b: GeometryRef) -> tuple[np.ndarray, np.ndarray]:
    lo = np.asarray(b.arrays["lowers"], dtype=np.float32).reshape(-1, 3)
    hi = np.asarray(b.arrays["uppers"], dtype=np.float32).reshape(-1, 3)
    return lo, hi


def _bvh_query_aabb(args: list[Any], ctx: OpCtx) -> StructVal:
    ok = len(args) == 3 and geo_value_of(args[0], GeometryKind.BVH) and geo_is(args[1], VEC3F)
    geo_need(ok and geo_is(args[2], VEC3F), "bvh_query_aabb", args, ctx)
    b, ql, qu = args
    lo, hi = geo_boxes(b)
    ctx.count(len(lo))
    a_lo, a_hi = ql.data.astype(np.float32)[:, None, :], qu.data.astype(np.float32)[:, None, :]
    # intersect.h's intersect_aabb_aabb: disjoint when a_lower > b_upper or a_upper < b_lower
    with np.errstate(all="ignore"):
        cand = ~((a_lo > hi[None]) | (a_hi < lo[None])).any(axis=2)
        gap = np.minimum(np.abs(a_lo - hi[None]), np.abs(a_hi - lo[None])).astype(np.float64)
    err = (geo_lane_err(ql) + geo_lane_err(qu))[:, None, None]
    touch = (gap <= err).any(axis=2)  # a box touching the query box: decided within rounding
    unsure = touch.any(axis=1) | ~geo_finite(ql, qu)
    return geo_iterator(BVH_QUERY_T, cand, ql.taint | qu.taint | unsure, b)


def _bvh_query_ray(args: list[Any], ctx: OpCtx) -> StructVal:
    ok = len(args) == 3 and geo_value_of(args[0], GeometryKind.BVH) and geo_is(args[1], VEC3F)
    geo_need(ok and geo_is(args[2], VEC3F), "bvh_query_ray", args, ctx)
    b, s, d = args
    lo, hi = geo_boxes(b)
    ctx.count(len(lo))
    pos = s.data.astype(np.float32)[:, None, :]
    with np.errstate(all="ignore"):
        rcp = (np.float32(1.0) / d.data.astype(np.float32))[:, None, :]
        # intersect.h's intersect_ray_aabb slab test, in float32 as Warp computes it
        l1 = (lo[None] - pos) * rcp
        l2 = (hi[None] - pos) * rcp
        lmin = np.minimum(l1, l2).max(axis=2)
        lmax = np.maximum(l1, l2).min(axis=2)
        cand = (lmax >= 0) & (lmax >= lmin)
        scale = np.maximum(np.abs(pos).max(axis=2), np.maximum(np.abs(lo), np.abs(hi)).max(axis=1)[None])
        margin = np.minimum(np.abs(lmax), np.abs(lmax - lmin)).astype(np.float64)
        tol = (REL * scale + geo_lane_err(s)[:, None]) * np.abs(rcp).max(axis=2) + geo_lane_err(d)[
            :, None
        ] * 1e3
    unsure = (margin <= tol).any(axis=1) | ~geo_finite(s, d)
    unsure |= (np.abs(d.data.astype(np.float64)) < 1e-3).any(axis=1)  # 0 * inf in the slab test
    return geo_iterator(BVH_QUERY_T, cand, s.taint | d.taint | unsure, b)


def geo_query_next(name: str, kind: str) -> Any:
    def fn(args: list[Any], ctx: OpCtx) -> RefWrites:
        q = args[0] if args else None
        ok = len(args) == 2 and isinstance(q, StructVal) and q.t.name == kind and geo_is(args[1], INT32)
        geo_need(ok, name, args, ctx)
        assert isinstance(q, StructVal)
        cand = q.fields[QUERY_FIELD]
        assert isinstance(cand, Value)
        idx = args[1]
        ctx.count()
        has = cand.data.any(axis=1) & ctx.mask
        first = np.argmax(cand.data, axis=1)
        left = cand.data.copy()
        rows = np.nonzero(has)[0]
        left[rows, first[rows]] = False
        new_q = StructVal(q.t, {**q.fields, QUERY_FIELD: Value(BOOL, left, cand.err, cand.taint.copy())})
        new_idx = Value(
            INT32, np.where(has, first, idx.data).astype(np.int32), idx.err, idx.taint | cand.taint
        )
        return RefWrites(geo_val(BOOL, has, None, cand.taint), ((0, new_q), (1, new_idx)))

    return fn


def geometry_builtins() -> list[Builtin]:
    """The base queries; oracle.geometry_queries and oracle.volumes add the rest (oracle.builtins
    assembles all three, so those modules build on this one without a cycle)."""
    return [
        Builtin("mesh_query_point_no_sign", point_query_builtin("mesh_query_point_no_sign", False),
                "mesh.h: brute-force closest point over every face (Ericson's regions)"),
        Builtin("mesh_query_point", point_query_builtin("mesh_query_point", True),
                "mesh.h: closest point; sign by the +x/+y/+z ray votes of mesh_query_inside_ray_tracing"),
        Builtin("mesh_query_ray", _mesh_query_ray, "mesh.h: nearest hit with 0 <= t < max_t (Moller-Trumbore)"),
        Builtin("mesh_eval_position", _mesh_eval("mesh_eval_position", "points"), "mesh.h: p u + q v + r (1-u-v)"),
        Builtin("mesh_eval_velocity", _mesh_eval("mesh_eval_velocity", "velocities"), "mesh.h: velocities, ditto"),
        Builtin("mesh_eval_face_normal", _mesh_eval_face_normal, "mesh.h: normalize(cross(q - p, r - p))"),
        Builtin("hash_grid_query", _hash_grid_query, "hashgrid.h: points in the hashed cells of [p-r, p+r]"),
        Builtin("hash_grid_query_next", geo_query_next("hash_grid_query_next", GRID_QUERY_T),
                "hashgrid.h: the next candidate (oracle order: ascending point index)"),
        Builtin("hash_grid_point_id", _hash_grid_point_id, "hashgrid.h: point ids stably sorted by cell"),
        Builtin("bvh_query_aabb", _bvh_query_aabb, "bvh.h: boxes overlapping (intersect_aabb_aabb)"),
        Builtin("bvh_query_ray", _bvh_query_ray, "bvh.h: boxes the ray's slab test hits (float32)"),
        Builtin("bvh_query_next", geo_query_next("bvh_query_next", BVH_QUERY_T),
                "bvh.h: the next candidate (oracle order: ascending box index)"),
    ]  # fmt: skip


def is_geometry_value(v: object) -> bool:
    """A parameter value (oracle representation) that describes a geometry object."""
    return isinstance(v, dict) and geometry_kind(v) is not None
