"""More mesh and BVH queries (Warp's mesh.h, bvh.h, intersect.h, 1.19.0) answered by brute force.

Sign queries: `mesh_query_point_sign_normal` (the angle-weighted normal of the closest features),
`mesh_query_point_sign_winding_number` (the winding number above a threshold; a mesh built
without `support_winding_number` falls back to mesh_query_point's three-ray vote) and
`mesh_query_point_sign_parity` (parity of the crossings along (1, 1, 1) plus rand.h's
perturbation) are answered on closed, outward-wound meshes only (every edge shared by two faces
in opposite directions; anything else is refused): the sign is the exact float64 winding number's
inside test, undecided near the surface, where two faces are within the sign_normal epsilon band
of the closest distance, or where a parity ray passes within rounding of an edge.

`mesh_query_furthest_point_no_sign`: the furthest vertex (intersect.h's furthest_point_to_triangle
picks a corner); every face meeting there is an equally good face, so face/u/v are undecided but
the point (mesh_eval_position of any of them) is judged. `mesh_query_aabb` / `mesh_query_sphere`
+ `mesh_query_aabb_next`: faces whose own bounding box overlaps the box (the sphere: whose box is
within the radius and whose closest point is, `<=`). `mesh_query_ray_anyhit` and
`mesh_query_ray_count_intersections`: the hits of the brute-force ray test (t >= 0).
`bvh_query_sphere` (squared distance to the box `<=` r^2) and `bvh_query_capsule` (the robust
slab test against the box grown by r; `bvh_query_next(q, i, max_dist)` keeps entry t <= max_dist).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from oracle.builtin_table import Builtin, BuiltinFn
from oracle.geometry import (
    BVH_QUERY_T,
    F32_EPS,
    POINT_T,
    QUERY_FIELD,
    REL,
    VEC3F,
    GeometryKind,
    GeometryRef,
    closest_on_triangles,
    geo_boxes,
    geo_finite,
    geo_is,
    geo_iterator,
    geo_lane_err,
    geo_need,
    geo_query_next,
    geo_scale,
    geo_slivers,
    geo_struct,
    geo_tri,
    geo_val,
    geo_value_of,
    inside_votes,
    point_query,
    ray_hits,
)
from oracle.numeric import OpCtx
from oracle.types import BOOL, FLOAT32, INT32, StructT
from oracle.values import RefWrites, StructVal, Value

MESH_AABB_T = "mesh_query_aabb_t"
T_FIELD = "_t"  # a capsule query's entry t per candidate, for bvh_query_next's max_dist


# ---------------------------------------------------------------- accessors


def _mesh_get(name: str, key: str | None) -> BuiltinFn:
    """mesh_get_point / _velocity(id, i) = points / velocities[indices[i]]; mesh_get_index(id, i)
    = indices[i], i a face-vertex index in [0, 3 faces) (mesh.h only checks it in debug builds)."""

    def fn(args: list[Any], ctx: OpCtx) -> Value:
        ok = len(args) == 2 and geo_value_of(args[0], GeometryKind.MESH) and geo_is(args[1], INT32)
        geo_need(ok, name, args, ctx)
        mesh, idx = args
        ind = np.asarray(mesh.arrays["indices"]).reshape(-1).astype(np.int64)
        i = idx.data.astype(np.int64)
        bad = ctx.mask & ((i < 0) | (i >= len(ind)))
        if bad.any():
            lane = int(np.argmax(bad))
            raise ctx.ub(f"wp.{name}: index {int(i[lane])} outside the mesh's {len(ind)} face vertices")
        ctx.count()
        ii = np.clip(i, 0, len(ind) - 1)
        if key is None:
            return geo_val(INT32, ind[ii], None, idx.taint)
        return geo_val(VEC3F, mesh.f64(key)[ind[ii]], None, idx.taint)

    return fn


# ---------------------------------------------------------------- signs


def closed_mesh(mesh: GeometryRef) -> bool:
    """Every directed edge once, and its reverse once: a closed, consistently wound surface."""
    t = np.asarray(mesh.arrays["indices"]).reshape(-1, 3).astype(np.int64)
    e = np.concatenate([t[:, [0, 1]], t[:, [1, 2]], t[:, [2, 0]]])
    key = {(int(a), int(b)) for a, b in e}
    return len(key) == len(e) and all((b, a) in key for a, b in key)


def winding_numbers(mesh: GeometryRef, p: np.ndarray) -> np.ndarray:
    """Exact winding number of every point ((L, 3)): the faces' solid angles (Van Oosterom and
    Strackee) over 4 pi; 1 inside an outward-wound closed mesh, 0 outside."""
    a, b, c = geo_tri(mesh)
    A, B, C = a[None] - p[:, None], b[None] - p[:, None], c[None] - p[:, None]
    la, lb, lc = (np.linalg.norm(x, axis=-1) for x in (A, B, C))
    with np.errstate(all="ignore"):
        num = np.sum(A * np.cross(B, C), axis=-1)
        den = la * lb * lc + np.sum(A * B, -1) * lc + np.sum(A * C, -1) * lb + np.sum(B * C, -1) * la
        return np.nan_to_num(2 * np.arctan2(num, den)).sum(axis=1) / (4 * np.pi)


def _pcg(state: int) -> int:
    b = (state * 747796405 + 2891336453) & 0xFFFFFFFF
    c = (((b >> ((b >> 28) + 4)) ^ b) * 277803737) & 0xFFFFFFFF
    return (c >> 22) ^ c


def parity_dirs(n_sample: int, scale: float) -> list[list[np.ndarray]]:
    """mesh_query_inside_parity's ray directions, (1, 1, 1) + randf(-s, s) per component from
    rand_init(42); per sample both orders the vec3 constructor may evaluate its arguments in."""
    f32 = np.float32
    s = f32(scale)
    state = _pcg(42)
    out = []
    for _ in range(max(n_sample, 0)):
        while True:
            r = []
            for _ in range(3):
                state = _pcg(state)
                u = f32(state >> 8) * f32(1.0 / 16777216.0)
                r.append(f32((s - (-s)) * u + (-s)))
            d = [
                np.array([1 + r[0], 1 + r[1], 1 + r[2]], np.float64),
                np.array([1 + r[2], 1 + r[1], 1 + r[0]]),
            ]
            if float(np.dot(d[0], d[0])) >= 1e-8:
                break
        out.append(d)
    return out


def _avg_edge(mesh: GeometryRef) -> float:
    a, b, c = geo_tri(mesh)
    s = np.linalg.norm(b - a, axis=1) + np.linalg.norm(c - b, axis=1) + np.linalg.norm(a - c, axis=1)
    return float(s.sum() / (3 * len(a)))


def _sign_query(name: str, how: str) -> BuiltinFn:
    """mesh_query_point_sign_{normal,winding_number,parity}(id, p, max_dist, extras...)."""
    extras = {"normal": 1, "winding": 2, "parity": 2}[how]

    def fn(args: list[Any], ctx: OpCtx) -> StructVal:
        ok = (
            3 <= len(args) <= 3 + extras
            and geo_value_of(args[0], GeometryKind.MESH)
            and geo_is(args[1], VEC3F)
        )
        kinds = {"normal": (FLOAT32,), "winding": (FLOAT32, FLOAT32), "parity": (INT32, FLOAT32)}[how]
        ok = (
            ok
            and geo_is(args[2], FLOAT32)
            and all(geo_is(a, t) for a, t in zip(args[3:], kinds, strict=False))
        )
        geo_need(ok, name, args, ctx)
        mesh, p, md = args[0], args[1], args[2]
        if not closed_mesh(mesh):
            raise ctx.unsupported(f"wp.{name} of an open mesh", "signs are modelled on closed meshes")
        extra = args[3:]
        for e in extra:  # the extras must be the same on every lane
            if (ctx.mask.any() and np.unique(e.data[ctx.mask]).size > 1) or e.taint[ctx.mask].any():
                raise ctx.unsupported(f"wp.{name} with per-thread or uncertain {how} parameters")
        lane0 = int(np.argmax(ctx.mask)) if ctx.mask.any() else 0
        ctx.count(4 * len(mesh.arrays["indices"]))
        q = point_query(mesh, p, md)
        base = p.taint | md.taint
        res_taint = base | q.result_tie
        res = q.result
        pf = np.nan_to_num(p.data.astype(np.float64))
        scale = geo_scale(mesh, p)
        near = q.dist <= 4 * q.tol + 1e-4 * scale  # on the surface: inside and outside within rounding
        inside = winding_numbers(mesh, pf) > 0.5
        sign = np.where(inside, -1.0, 1.0)
        unsure = near | base
        if how == "normal":
            eps = float(extra[0].data[lane0]) if extra else 1.0e-3
            band = 1.01 * eps * _avg_edge(mesh) + 2 * q.tol
            a, b, c = geo_tri(mesh)
            wa, wb, d = closest_on_triangles(pf, a, b, c)
            d = np.where(geo_slivers(a, b, c)[0][None], np.inf, d)
            # faces within the band of the closest distance all add their normal, weighted by
            # the angle of the feature they are closest at: meeting at one point (an edge, a
            # vertex) that is the angle-weighted pseudo-normal, whose sign is the inside test;
            # band faces closest at other points (a thin slab, opposite faces) decide nothing
            in_band = (d - q.dist[:, None]) <= band[:, None]
            with np.errstate(all="ignore"):
                pos = wa[..., None] * a[None] + wb[..., None] * b[None] + (1 - wa - wb)[..., None] * c[None]
                rows = np.arange(p.lanes)
                gap = np.linalg.norm(pos - pos[rows, q.face][:, None, :], axis=-1)
            unsure |= (in_band & (gap > 4 * q.tol[:, None])).any(axis=1)
        elif how == "winding":
            if "winding" not in mesh.arrays:  # no solid angle data: mesh_query_inside_ray_tracing
                sign, votes_unsure = inside_votes(mesh, p)
                unsure |= votes_unsure
            else:
                thr = float(extra[1].data[lane0]) if len(extra) > 1 else 0.5
                if not 0.1 <= thr <= 0.9:
                    raise ctx.unsupported(f"wp.{name} threshold {thr}", "only thresholds in [0.1, 0.9]")
                acc = float(extra[0].data[lane0]) if extra else 2.0
                if acc < 1.0:
                    raise ctx.unsupported(f"wp.{name} accuracy {acc}", "the far-field estimate needs >= 1")
                # the far-field (dipole) estimate is exact near the surface, where the traversal
                # descends to the triangles, and off by a few per cent far from it
                sign = np.where(winding_numbers(mesh, pf) > thr, -1.0, 1.0)
        else:
            n_sample = int(extra[0].data[lane0]) if extra else 1
            ps = float(extra[1].data[lane0]) if len(extra) > 1 else 0.1
            if not (1 <= n_sample <= 5 and 0.0 <= ps <= 0.2):
                raise ctx.unsupported(f"wp.{name} n_sample {n_sample} / perturbation {ps}")
            a, b, c = geo_tri(mesh)
            tol = REL * scale + geo_lane_err(p)
            votes = np.zeros(p.lanes, int)
            for pair in parity_dirs(n_sample, ps):
                odd = []
                for dvec in pair:
                    rh = ray_hits(a, b, c, pf, np.broadcast_to(dvec, pf.shape), tol)
                    odd.append(rh.hit.sum(axis=1) % 2 == 1)
                    unsure |= (rh.near & (rh.t_raw >= -rh.t_tol)).any(axis=1)
                unsure |= odd[0] != odd[1]
                votes += odd[0].astype(int)
            sign = np.where(votes * 2 >= n_sample, -1.0, 1.0)
        face_taint = res_taint | (res & q.face_tie)
        mesh.note_equivalent(q.face, q.u, q.v, res & q.face_tie & q.same_point & ~res_taint)
        fields = {
            "result": geo_val(BOOL, res, None, res_taint),
            "sign": geo_val(FLOAT32, np.where(res, sign, 0.0), None, res_taint | (res & unsure)),
            "face": geo_val(INT32, np.where(res, q.face, 0), None, face_taint),
            "u": geo_val(FLOAT32, np.where(res, q.u, 0.0), np.where(res, q.uv_tol, 0.0), face_taint),
            "v": geo_val(FLOAT32, np.where(res, q.v, 0.0), np.where(res, q.uv_tol, 0.0), face_taint),
        }
        return geo_struct(POINT_T, fields)

    return fn


# ---------------------------------------------------------------- furthest point


def _furthest(args: list[Any], ctx: OpCtx) -> StructVal:
    name = "mesh_query_furthest_point_no_sign"
    ok = (
        len(args) == 3
        and geo_value_of(args[0], GeometryKind.MESH)
        and geo_is(args[1], VEC3F)
        and geo_is(args[2], FLOAT32)
    )
    geo_need(ok, name, args, ctx)
    mesh, p, md = args
    ctx.count(len(mesh.arrays["indices"]))
    ind = np.asarray(mesh.arrays["indices"]).reshape(-1, 3).astype(np.int64)
    a, b, c = geo_tri(mesh)
    keep = ~geo_slivers(a, b, c)[0]
    verts = np.unique(ind[keep].reshape(-1))
    pts = mesh.f64("points")
    pf = np.nan_to_num(p.data.astype(np.float64))
    lanes = p.lanes
    rows = np.arange(lanes)
    tol = REL * geo_scale(mesh, p) + geo_lane_err(p)
    with np.errstate(all="ignore"):
        dv = np.linalg.norm(pts[verts][None] - pf[:, None], axis=-1)  # (L, V)
        k = np.argmax(dv, axis=1)
        dmax = dv[rows, k]
        other = dv.copy()
        other[rows, k] = -np.inf
        vertex_tie = (dmax - other.max(axis=1, initial=-np.inf)) <= 2 * tol
        m = md.data.astype(np.float64)
        result = dmax > m  # mesh.h: strictly further than min_dist (squared, float32)
        result_tie = np.abs(dmax - m) <= tol + geo_lane_err(md) + REL * np.abs(m)
    result_tie |= ~geo_finite(p, md) | vertex_tie
    vbest = verts[k]
    faces = np.zeros(lanes, np.int32)
    u = np.zeros(lanes)
    v = np.zeros(lanes)
    slot_uv = {0: (1.0, 0.0), 1: (0.0, 1.0), 2: (0.0, 0.0)}
    res_taint = p.taint | md.taint | result_tie
    first = np.full(lanes, True)
    for f in np.nonzero(keep)[0]:
        for s in range(3):
            at = vbest == ind[f, s]
            if not at.any():
                continue
            uu, vv = slot_uv[s]
            faces = np.where(at & first, f, faces).astype(np.int32)
            u = np.where(at & first, uu, u)
            v = np.where(at & first, vv, v)
            first &= ~at
            fa = np.full(lanes, f)
            mesh.note_equivalent(fa, np.full(lanes, uu), np.full(lanes, vv), at & result & ~res_taint)
    face_taint = res_taint | result  # several faces meet at a vertex: which one Warp meets first is open
    fields = {
        "result": geo_val(BOOL, result, None, res_taint),
        "sign": geo_val(FLOAT32, np.zeros(lanes), None, res_taint),
        "face": geo_val(INT32, np.where(result, faces, 0), None, face_taint),
        "u": geo_val(FLOAT32, np.where(result, u, 0.0), None, face_taint),
        "v": geo_val(FLOAT32, np.where(result, v, 0.0), None, face_taint),
    }
    return geo_struct(POINT_T, fields)


# ---------------------------------------------------------------- rays


def _ray_common(mesh: GeometryRef, s: Value, d: Value) -> Any:
    a, b, c = geo_tri(mesh)
    tol = REL * geo_scale(mesh, s) + geo_lane_err(s) + geo_lane_err(d) * geo_scale(mesh, s)
    s64, d64 = np.nan_to_num(s.data.astype(np.float64)), np.nan_to_num(d.data.astype(np.float64))
    return ray_hits(a, b, c, s64, d64, tol), d64


def _anyhit(args: list[Any], ctx: OpCtx) -> Value:
    name = "mesh_query_ray_anyhit"
    ok = (
        len(args) == 4
        and geo_value_of(args[0], GeometryKind.MESH)
        and geo_is(args[1], VEC3F)
        and geo_is(args[2], VEC3F)
    )
    geo_need(ok and geo_is(args[3], FLOAT32), name, args, ctx)
    mesh, s, d, mt = args
    ctx.count(len(mesh.arrays["indices"]))
    rh, d64 = _ray_common(mesh, s, d)
    m = mt.data.astype(np.float64)[:, None]
    with np.errstate(all="ignore"):
        mtol = rh.t_tol + geo_lane_err(mt)[:, None] + REL * np.abs(m)
        inrange = rh.hit & (rh.t < m)
        sure = inrange & ~rh.near & (rh.t < m - mtol)
        maybe = (rh.near & (rh.t_raw >= -rh.t_tol) & (rh.t_raw <= m + rh.t_tol)) | (
            rh.hit & (np.abs(rh.t - m) <= mtol)
        )
    res = inrange.any(axis=1)
    unsure = ~sure.any(axis=1) & maybe.any(axis=1)
    unsure |= ~geo_finite(s, d, mt) | ~(np.abs(d64).max(axis=1) > 0)
    return geo_val(BOOL, res, None, s.taint | d.taint | mt.taint | unsure)


def _count_intersections(args: list[Any], ctx: OpCtx) -> Value:
    name = "mesh_query_ray_count_intersections"
    ok = (
        len(args) == 3
        and geo_value_of(args[0], GeometryKind.MESH)
        and geo_is(args[1], VEC3F)
        and geo_is(args[2], VEC3F)
    )
    geo_need(ok, name, args, ctx)
    mesh, s, d = args
    ctx.count(len(mesh.arrays["indices"]))
    rh, d64 = _ray_common(mesh, s, d)
    n = rh.hit.sum(axis=1)
    unsure = (rh.near & (rh.t_raw >= -rh.t_tol)).any(axis=1)
    unsure |= ~geo_finite(s, d) | ~(np.abs(d64).max(axis=1) > 0)
    return geo_val(INT32, n, None, s.taint | d.taint | unsure)


# ---------------------------------------------------------------- box and sphere iterators


def _aabb_candidates(lo: np.ndarray, hi: np.ndarray, ql: Value, qu: Value) -> tuple[np.ndarray, np.ndarray]:
    """intersect_aabb_aabb of every query box against every box (float32); touching within the
    inputs' error bounds is undecided."""
    a_lo, a_hi = ql.data.astype(np.float32)[:, None, :], qu.data.astype(np.float32)[:, None, :]
    with np.errstate(all="ignore"):
        cand = ~((a_lo > hi[None]) | (a_hi < lo[None])).any(axis=2)
        gap = np.minimum(np.abs(a_lo - hi[None]), np.abs(a_hi - lo[None])).astype(np.float64)
    err = (geo_lane_err(ql) + geo_lane_err(qu))[:, None, None]
    unsure = (gap <= err).any(axis=2).any(axis=1) | ~geo_finite(ql, qu)
    return np.asarray(cand), np.asarray(unsure)


def _sphere_candidates(
    lo: np.ndarray, hi: np.ndarray, c: Value, r: Value
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """intersect_sphere_aabb (float32): squared distance to each box <= max(r, 0)^2; plus the
    squared radius and the undecided lanes (a box within rounding of the sphere)."""
    cf = c.data.astype(np.float32)[:, None, :]
    rf = np.maximum(r.data.astype(np.float32), np.float32(0))
    r2 = (rf * rf)[:, None]
    with np.errstate(all="ignore"):
        dd = np.maximum(np.maximum(lo[None] - cf, cf - hi[None]), np.float32(0))
        d2 = (dd * dd).sum(axis=2, dtype=np.float32)
        cand = d2 <= r2
        scale = np.maximum(np.abs(cf).max(axis=2), np.maximum(np.abs(lo), np.abs(hi)).max(axis=1)[None])
        err = (geo_lane_err(c) + geo_lane_err(r))[:, None] + REL * scale
        tol = 2 * err * (np.sqrt(d2.astype(np.float64)) + rf[:, None] + err) + 8 * F32_EPS * r2
        unsure = (np.abs(d2.astype(np.float64) - r2) <= tol).any(axis=1) | ~geo_finite(c, r)
    return cand, r2, unsure


def _face_boxes(mesh: GeometryRef) -> tuple[np.ndarray, np.ndarray]:
    pts = np.asarray(mesh.arrays["points"], dtype=np.float32)
    t = pts[np.asarray(mesh.arrays["indices"]).reshape(-1, 3)]
    return t.min(axis=1), t.max(axis=1)


def _mesh_query_aabb(args: list[Any], ctx: OpCtx) -> StructVal:
    ok = (
        len(args) == 3
        and geo_value_of(args[0], GeometryKind.MESH)
        and geo_is(args[1], VEC3F)
        and geo_is(args[2], VEC3F)
    )
    geo_need(ok, "mesh_query_aabb", args, ctx)
    mesh, ql, qu = args
    lo, hi = _face_boxes(mesh)
    ctx.count(len(lo))
    cand, unsure = _aabb_candidates(lo, hi, ql, qu)
    return geo_iterator(MESH_AABB_T, cand, ql.taint | qu.taint | unsure, mesh)


def _mesh_query_sphere(args: list[Any], ctx: OpCtx) -> StructVal:
    ok = (
        len(args) == 3
        and geo_value_of(args[0], GeometryKind.MESH)
        and geo_is(args[1], VEC3F)
        and geo_is(args[2], FLOAT32)
    )
    geo_need(ok, "mesh_query_sphere", args, ctx)
    mesh, c, r = args
    lo, hi = _face_boxes(mesh)
    ctx.count(2 * len(lo))
    cand, r2, unsure = _sphere_candidates(lo, hi, c, r)
    a, b, cc = geo_tri(mesh)
    with np.errstate(all="ignore"):
        _, _, d = closest_on_triangles(np.nan_to_num(c.data.astype(np.float64)), a, b, cc)
        rad = np.sqrt(r2[:, 0].astype(np.float64))
        tol = REL * geo_scale(mesh, c) + geo_lane_err(c) + geo_lane_err(r)
        cand &= d <= rad[:, None]
        unsure |= (np.abs(d - rad[:, None]) <= 2 * tol[:, None] + 4 * F32_EPS * rad[:, None]).any(axis=1)
    return geo_iterator(MESH_AABB_T, cand, c.taint | r.taint | unsure, mesh)


def _bvh_query_sphere(args: list[Any], ctx: OpCtx) -> StructVal:
    ok = (
        len(args) == 3
        and geo_value_of(args[0], GeometryKind.BVH)
        and geo_is(args[1], VEC3F)
        and geo_is(args[2], FLOAT32)
    )
    geo_need(ok, "bvh_query_sphere", args, ctx)
    b, c, r = args
    lo, hi = geo_boxes(b)
    ctx.count(len(lo))
    cand, _, unsure = _sphere_candidates(lo, hi, c, r)
    return geo_iterator(BVH_QUERY_T, cand, c.taint | r.taint | unsure, b)


def _bvh_query_capsule(args: list[Any], ctx: OpCtx) -> StructVal:
    ok = (
        len(args) == 4
        and geo_value_of(args[0], GeometryKind.BVH)
        and geo_is(args[1], VEC3F)
        and geo_is(args[2], VEC3F)
    )
    geo_need(ok and geo_is(args[3], FLOAT32), "bvh_query_capsule", args, ctx)
    b, s, d, r = args
    lo, hi = geo_boxes(b)
    ctx.count(len(lo))
    f32 = np.float32
    pos = s.data.astype(f32)[:, None, :]
    rf = np.maximum(r.data.astype(f32), f32(0))[:, None, None]
    with np.errstate(all="ignore"):
        rcp = (f32(1.0) / d.data.astype(f32))[:, None, :]
        dirn = f32(1.0) / rcp  # bvh_query_capsule keeps 1 / dir; the test divides again
        blo, bhi = lo[None] - rf, hi[None] + rf
        # intersect_ray_aabb_robust: an axis with dir 0 only checks the origin against the slab
        zero = dirn == 0
        l1 = np.where(zero, -np.inf, (blo - pos) * rcp)
        l2 = np.where(zero, np.inf, (bhi - pos) * rcp)
        outside = (zero & ((pos < blo) | (pos > bhi))).any(axis=2)
        lmin = np.maximum(np.minimum(l1, l2).max(axis=2), f32(-3.4028235e38))
        lmax = np.minimum(np.maximum(l1, l2).min(axis=2), f32(3.4028235e38))
        cand = ~outside & (lmax >= 0) & (lmax >= lmin)
        scale = np.maximum(np.abs(pos).max(axis=2), np.maximum(np.abs(blo), np.abs(bhi)).max(axis=2))
        err = (REL * scale + geo_lane_err(s)[:, None] + geo_lane_err(r)[:, None]) * np.abs(rcp).max(axis=2)
        err = err + geo_lane_err(d)[:, None] * 1e3
        margin = np.minimum(np.abs(lmax), np.abs(lmax - lmin)).astype(np.float64)
        zgap = np.where(zero, np.minimum(np.abs(pos - blo), np.abs(pos - bhi)), np.inf).min(axis=2)
    unsure = (margin <= err).any(axis=1) | (zgap <= REL * scale).any(axis=1) | ~geo_finite(s, d, r)
    unsure |= ((np.abs(d.data.astype(np.float64)) < 1e-3) & (d.data != 0)).any(axis=1)
    it = geo_iterator(BVH_QUERY_T, cand, s.taint | d.taint | r.taint | unsure, b)
    tv = Value(
        FLOAT32,
        np.where(cand, lmin, np.inf).astype(np.float32),
        err,
        (s.taint | d.taint | r.taint | unsure).copy(),
    )
    fields = dict(it.fields)
    fields[T_FIELD] = tv
    return StructVal(StructT(BVH_QUERY_T, ((QUERY_FIELD, BOOL), (T_FIELD, FLOAT32))), fields)


_BVH_NEXT = geo_query_next("bvh_query_next", BVH_QUERY_T)


def _bvh_query_next(args: list[Any], ctx: OpCtx) -> RefWrites:
    """bvh_query_next(query, index[, max_dist]): max_dist only limits capsule (and ray) queries;
    the oracle models it on capsules only (entry t <= max_dist)."""
    if len(args) != 3:
        return _BVH_NEXT(args, ctx)
    q, idx, md = args
    ok = isinstance(q, StructVal) and q.t.name == BVH_QUERY_T and geo_is(idx, INT32) and geo_is(md, FLOAT32)
    geo_need(ok, "bvh_query_next", args, ctx)
    assert isinstance(q, StructVal)
    cand = q.fields[QUERY_FIELD]
    tv = q.fields.get(T_FIELD)
    assert isinstance(cand, Value)
    if tv is None:  # a ray query's max_dist (half-open) is not modelled; box queries ignore it
        raise ctx.unsupported("bvh_query_next with max_dist", "modelled for bvh_query_capsule only")
    assert isinstance(tv, Value)
    m = md.data.astype(np.float64)[:, None]
    t = tv.data.astype(np.float64)
    with np.errstate(all="ignore"):
        keep = ~(t > m)  # closed endpoint: contact exactly at max_dist is kept
        close = cand.data & (np.abs(t - m) <= tv.err + geo_lane_err(md)[:, None] + REL * np.abs(m) + 1e-30)
    taint = cand.taint | md.taint | close.any(axis=1)
    new_cand = Value(BOOL, cand.data & keep, cand.err, taint)
    q2 = StructVal(q.t, {**q.fields, QUERY_FIELD: new_cand})
    return _BVH_NEXT([q2, idx], ctx)


def query_builtins() -> list[Builtin]:
    return [
        Builtin("mesh_get_point", _mesh_get("mesh_get_point", "points"), "mesh.h: points[indices[i]]"),
        Builtin("mesh_get_velocity", _mesh_get("mesh_get_velocity", "velocities"), "mesh.h: velocities[indices[i]]"),
        Builtin("mesh_get_index", _mesh_get("mesh_get_index", None), "mesh.h: indices[i]"),
        Builtin("mesh_query_point_sign_normal", _sign_query("mesh_query_point_sign_normal", "normal"),
                "mesh.h: closest point; sign by the angle-weighted normal (closed meshes)"),
        Builtin("mesh_query_point_sign_winding_number",
                _sign_query("mesh_query_point_sign_winding_number", "winding"),
                "mesh.h: closest point; sign: winding number > threshold (closed meshes)"),
        Builtin("mesh_query_point_sign_parity", _sign_query("mesh_query_point_sign_parity", "parity"),
                "mesh.h: closest point; sign: parity of crossings along perturbed (1,1,1) rays"),
        Builtin("mesh_query_furthest_point_no_sign", _furthest, "mesh.h: the furthest vertex, > min_dist"),
        Builtin("mesh_query_ray_anyhit", _anyhit, "mesh.h: any hit with 0 <= t < max_t"),
        Builtin("mesh_query_ray_count_intersections", _count_intersections, "mesh.h: hits with t >= 0"),
        Builtin("mesh_query_aabb", _mesh_query_aabb, "mesh.h: faces whose bounds overlap the box"),
        Builtin("mesh_query_sphere", _mesh_query_sphere,
                "mesh.h: faces whose bounds and closest point are within the radius"),
        Builtin("mesh_query_aabb_next", geo_query_next("mesh_query_aabb_next", MESH_AABB_T),
                "mesh.h: the next face (oracle order: ascending face index)"),
        Builtin("bvh_query_sphere", _bvh_query_sphere, "bvh.h: boxes within the radius (intersect_sphere_aabb)"),
        Builtin("bvh_query_capsule", _bvh_query_capsule, "bvh.h: robust slab test against boxes grown by r"),
        Builtin("bvh_query_next", _bvh_query_next,
                "bvh.h: the next candidate (oracle order: ascending box index); max_dist on capsules"),
    ]  # fmt: skip
