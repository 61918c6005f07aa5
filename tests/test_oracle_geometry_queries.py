"""The newer geometry builtins (oracle/geometry_queries.py, oracle/volumes.py) against Warp on
CPU: mesh sign variants, the furthest point, face box / sphere iterators, any-hit and crossing
counts, face-vertex accessors, BVH sphere and capsule queries, and vec3 / int32 / float volume
reads (typed and generic forms, the sampled gradient, direction transforms). Each comparison must
be able to fail: swapped builtins (winding sign for its negation, a sphere query with a larger
radius, linear for closest sampling) are caught."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import oracle
from fuzz.engine.judge import TolerancePolicy, compare_array
from fuzz.engine.launch import launch
from grammar.geometry_ops import bvh_arrays, mesh_arrays, volume_arrays
from oracle.builtin_table import Builtin

SOURCE = """import warp as wp


@wp.kernel
def q_mesh(
    mesh: wp.uint64,
    pts: wp.array(dtype=wp.vec3),
    dirs: wp.array(dtype=wp.vec3),
    sign_n: wp.array(dtype=wp.float32),
    sign_w: wp.array(dtype=wp.float32),
    sign_p: wp.array(dtype=wp.float32),
    dist_n: wp.array(dtype=wp.float32),
    far: wp.array(dtype=wp.float32),
    far_pos: wp.array(dtype=wp.vec3),
    box_n: wp.array(dtype=wp.int32),
    box_sum: wp.array(dtype=wp.int32),
    box_min: wp.array(dtype=wp.int32),
    sph_n: wp.array(dtype=wp.int32),
    anyhit: wp.array(dtype=wp.int32),
    crossings: wp.array(dtype=wp.int32),
    vpos: wp.array(dtype=wp.vec3),
    vvel: wp.array(dtype=wp.vec3),
    vidx: wp.array(dtype=wp.int32),
):
    i = wp.tid()
    p = pts[i]
    q = wp.mesh_query_point_sign_normal(mesh, p, 1.0e6)
    s = float(0.0)
    dn = float(-1.0)
    if q.result:
        s = q.sign
        dn = wp.length(wp.mesh_eval_position(mesh, q.face, q.u, q.v) - p)
    sign_n[i] = s
    dist_n[i] = dn
    q2 = wp.mesh_query_point_sign_winding_number(mesh, p, 1.0e6)
    s2 = float(0.0)
    if q2.result:
        s2 = q2.sign
    sign_w[i] = s2
    q3 = wp.mesh_query_point_sign_parity(mesh, p, 1.0e6)
    s3 = float(0.0)
    if q3.result:
        s3 = q3.sign
    sign_p[i] = s3
    f = wp.mesh_query_furthest_point_no_sign(mesh, p, 0.0)
    fd = float(-1.0)
    fp = wp.vec3(0.0, 0.0, 0.0)
    if f.result:
        fp = wp.mesh_eval_position(mesh, f.face, f.u, f.v)
        fd = wp.length(fp - p)
    far[i] = fd
    far_pos[i] = fp
    h = wp.vec3(0.4, 0.4, 0.4)
    bq = wp.mesh_query_aabb(mesh, p - h, p + h)
    fi = int(0)
    bc = int(0)
    bs = int(0)
    bm = int(1000000)
    while wp.mesh_query_aabb_next(bq, fi):
        bc += 1
        bs += fi
        bm = wp.min(bm, fi)
    box_n[i] = bc
    box_sum[i] = bs
    box_min[i] = bm
    sq = wp.mesh_query_sphere(mesh, p, 0.7)
    sc = int(0)
    while wp.mesh_query_aabb_next(sq, fi):
        sc += 1
    sph_n[i] = sc
    anyhit[i] = int(wp.mesh_query_ray_anyhit(mesh, p, dirs[i], 2.0))
    crossings[i] = wp.mesh_query_ray_count_intersections(mesh, p, dirs[i])
    vpos[i] = wp.mesh_get_point(mesh, i % 12)
    vvel[i] = wp.mesh_get_velocity(mesh, (i * 5) % 12)
    vidx[i] = wp.mesh_get_index(mesh, (i * 7) % 12)


@wp.kernel
def q_bvh(
    bvh: wp.uint64,
    pts: wp.array(dtype=wp.vec3),
    dirs: wp.array(dtype=wp.vec3),
    sph: wp.array(dtype=wp.int32),
    sph_sum: wp.array(dtype=wp.int32),
    cap: wp.array(dtype=wp.int32),
    cap_seg: wp.array(dtype=wp.int32),
):
    i = wp.tid()
    p = pts[i]
    sq = wp.bvh_query_sphere(bvh, p, 0.5)
    bi = int(0)
    c = int(0)
    s = int(0)
    while wp.bvh_query_next(sq, bi):
        c += 1
        s += bi
    sph[i] = c
    sph_sum[i] = s
    cq = wp.bvh_query_capsule(bvh, p, dirs[i], 0.25)
    cc = int(0)
    while wp.bvh_query_next(cq, bi):
        cc += 1
    cap[i] = cc
    cq2 = wp.bvh_query_capsule(bvh, p, dirs[i], 0.25)
    cs = int(0)
    while wp.bvh_query_next(cq2, bi, 1.0):
        cs += 1
    cap_seg[i] = cs


@wp.kernel
def q_vol(
    fvol: wp.uint64,
    vvol: wp.uint64,
    ivol: wp.uint64,
    pts: wp.array(dtype=wp.vec3),
    v_lin: wp.array(dtype=wp.vec3),
    v_near: wp.array(dtype=wp.vec3),
    v_look: wp.array(dtype=wp.vec3),
    v_gen: wp.array(dtype=wp.vec3),
    i_near: wp.array(dtype=wp.int32),
    i_look: wp.array(dtype=wp.int32),
    i_gen: wp.array(dtype=wp.int32),
    f_grad_val: wp.array(dtype=wp.float32),
    f_grad: wp.array(dtype=wp.vec3),
    f_gen: wp.array(dtype=wp.float32),
    f_look: wp.array(dtype=wp.float32),
    to_world: wp.array(dtype=wp.vec3),
    to_index: wp.array(dtype=wp.vec3),
):
    i = wp.tid()
    u = pts[i] * 2.5 + wp.vec3(4.0, 4.0, 4.0)
    v_lin[i] = wp.volume_sample_v(vvol, u, 1)
    v_near[i] = wp.volume_sample_v(vvol, u, 0)
    v_look[i] = wp.volume_lookup_v(vvol, i % 12 - 2, (i * 7) % 20 - 2, (i * 3) % 12 - 2)
    v_gen[i] = wp.volume_sample(vvol, u, 1, dtype=wp.vec3)
    i_near[i] = wp.volume_sample_i(ivol, u)
    i_look[i] = wp.volume_lookup_i(ivol, i % 12 - 2, (i * 5) % 12 - 2, (i * 3) % 12 - 2)
    i_gen[i] = wp.volume_lookup(ivol, (i * 3) % 12 - 2, i % 12 - 2, 3, dtype=wp.int32)
    g = wp.vec3(0.0, 0.0, 0.0)
    f_grad_val[i] = wp.volume_sample_grad_f(fvol, u, 1, g)
    f_grad[i] = g
    f_gen[i] = wp.volume_sample(fvol, u, 0, dtype=wp.float32)
    f_look[i] = wp.volume_lookup(fvol, i % 12 - 2, 1, (i * 3) % 12 - 2, dtype=wp.float32)
    to_world[i] = wp.volume_index_to_world_dir(fvol, pts[i])
    to_index[i] = wp.volume_world_to_index_dir(fvol, pts[i])
"""
N = 64
Spec = tuple[tuple[int, ...], Any]
F: Spec = ((), np.float32)
V: Spec = ((3,), np.float32)
I32: Spec = ((), np.int32)
MESH_OUT = {"sign_n": F, "sign_w": F, "sign_p": F, "dist_n": F, "far": F, "far_pos": V, "box_n": I32}
MESH_OUT |= {
    "box_sum": I32,
    "box_min": I32,
    "sph_n": I32,
    "anyhit": I32,
    "crossings": I32,
    "vpos": V,
    "vvel": V,
    "vidx": I32,
}
BVH_OUT = {"sph": I32, "sph_sum": I32, "cap": I32, "cap_seg": I32}
VOL_OUT = {"v_lin": V, "v_near": V, "v_look": V, "v_gen": V, "i_near": I32, "i_look": I32, "i_gen": I32}
VOL_OUT |= {"f_grad_val": F, "f_grad": V, "f_gen": F, "f_look": F, "to_world": V, "to_index": V}


@pytest.fixture(scope="module")
def kernels(tmp_path_factory: pytest.TempPathFactory) -> Any:
    path = Path(tmp_path_factory.mktemp("geoq")) / "geo_query_kernels.py"
    path.write_text(SOURCE)
    spec = importlib.util.spec_from_file_location("geo_query_kernels", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _outputs(table: dict[str, Spec]) -> dict[str, np.ndarray]:
    return {k: np.full((N, *shape), -7, dtype=dt) for k, (shape, dt) in table.items()}


def _points(rng: np.random.Generator, span: float = 2.5) -> np.ndarray:
    return rng.uniform(-span, span, (N, 3)).astype(np.float32)


def _judge(
    kernel: Any, kname: str, args: dict[str, Any], registry: Any = None
) -> dict[str, tuple[bool, int, int]]:
    observed = launch(kernel, args, (N,), "cpu")
    res = oracle.evaluate(SOURCE, kname, args, (N,), registry=registry)
    out = {}
    for name, exp in res.arrays.items():
        if name in ("pts", "dirs"):
            continue
        chk = compare_array(
            name, observed[name], exp, res.error_bound.get(name), res.unstable.get(name), TolerancePolicy(),
            exp.ndim - 1, res.written.get(name),
        )  # fmt: skip
        out[name] = (chk.passed, chk.compared if chk.compared is not None else chk.checked, chk.unstable)
    return out


def _mesh_args(seed: int, shape: str, refit: int, winding: bool) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    mesh = mesh_arrays(rng, {"shape": shape, "n": 3, "refit": refit, "winding": int(winding)})
    if winding:
        assert "winding" in mesh
    return {"mesh": mesh, "pts": _points(rng), "dirs": _points(rng, 1.0), **_outputs(MESH_OUT)}


def _vol_args(seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    f = volume_arrays(rng, {"nx": 8, "ny": 16, "nz": 8, "size": 0.5})
    v = volume_arrays(rng, {"nx": 16, "ny": 8, "nz": 8, "size": 0.25, "type": "vec3"})
    i = volume_arrays(rng, {"nx": 8, "ny": 8, "nz": 8, "size": 1.0, "type": "int"})
    return {"fvol": f, "vvol": v, "ivol": i, "pts": _points(rng), **_outputs(VOL_OUT)}


@pytest.mark.parametrize(
    ("seed", "shape", "refit", "winding"),
    [(1, "box", 0, True), (2, "sphere", 1, False), (3, "tetra", 0, True), (4, "sphere", 0, True)],
)
def test_mesh_queries_match_warp(kernels: Any, seed: int, shape: str, refit: int, winding: bool) -> None:
    checks = _judge(kernels.q_mesh, "q_mesh", _mesh_args(seed, shape, refit, winding))
    assert set(checks) == set(MESH_OUT)
    for name, (passed, compared, _) in checks.items():
        assert passed, (shape, name, checks)
        assert compared >= N // 3, (shape, name, checks)


@pytest.mark.parametrize("seed", [11, 12])
def test_bvh_queries_match_warp(kernels: Any, seed: int) -> None:
    rng = np.random.default_rng(seed)
    args = {
        "bvh": bvh_arrays(rng, {"n": 24}),
        "pts": _points(rng),
        "dirs": _points(rng, 1.0),
        **_outputs(BVH_OUT),
    }
    checks = _judge(kernels.q_bvh, "q_bvh", args)
    assert set(checks) == set(BVH_OUT)
    for name, (passed, compared, _) in checks.items():
        assert passed and compared >= N // 2, (name, checks)


@pytest.mark.parametrize("seed", [21, 22])
def test_volume_reads_match_warp(kernels: Any, seed: int) -> None:
    checks = _judge(kernels.q_vol, "q_vol", _vol_args(seed))
    assert set(checks) == set(VOL_OUT)
    for name, (passed, compared, _) in checks.items():
        assert passed and compared >= N // 2, (name, checks)


def _swapped(name: str, other: str, wrap: Any = None) -> Any:
    reg = oracle.default_registry()
    b = reg.get(other)
    assert b is not None
    fn = b.fn if wrap is None else wrap(b.fn)
    return reg.with_entries([Builtin(name, fn, "deliberately wrong", static=b.static)])


def test_wrong_answers_are_caught(kernels: Any) -> None:
    """Swapped builtins must show up as mismatches: the sign of parity for winding with the
    threshold's far side, a larger sphere, linear for closest vec3 sampling, lookup_f for the grad."""

    def bigger(fn: Any) -> Any:
        def wrapped(args: list[Any], ctx: Any) -> Any:
            r = args[2]
            return fn([args[0], args[1], type(r)(r.t, r.data * np.float32(1.6), r.err, r.taint)], ctx)

        return wrapped

    def flipped(fn: Any) -> Any:
        def wrapped(args: list[Any], ctx: Any) -> Any:
            out = fn(args, ctx)
            s = out.fields["sign"]
            out.fields["sign"] = type(s)(s.t, -s.data, s.err, s.taint)
            return out

        return wrapped

    mesh_args = _mesh_args(1, "box", 0, True)
    reg = _swapped("mesh_query_sphere", "mesh_query_sphere", bigger)
    reg = reg.with_entries([Builtin("mesh_query_point_sign_winding_number",
                                    flipped(reg.get("mesh_query_point_sign_winding_number").fn), "wrong")])  # type: ignore[union-attr]  # fmt: skip
    checks = _judge(kernels.q_mesh, "q_mesh", mesh_args, registry=reg)
    assert not checks["sph_n"][0] and not checks["sign_w"][0], checks
    assert checks["sign_n"][0], checks

    def closest(fn: Any) -> Any:
        def wrapped(args: list[Any], ctx: Any) -> Any:
            m = args[2]
            return fn([args[0], args[1], type(m)(m.t, np.ones_like(m.data), m.err, m.taint)], ctx)

        return wrapped

    reg = _swapped("volume_sample_v", "volume_sample_v", closest)
    checks = _judge(kernels.q_vol, "q_vol", _vol_args(21), registry=reg)
    assert not checks["v_near"][0] and checks["v_lin"][0], checks

    rng = np.random.default_rng(11)
    args = {
        "bvh": bvh_arrays(rng, {"n": 24}),
        "pts": _points(rng),
        "dirs": _points(rng, 1.0),
        **_outputs(BVH_OUT),
    }
    reg = _swapped("bvh_query_sphere", "bvh_query_sphere", bigger)
    checks = _judge(kernels.q_bvh, "q_bvh", args, registry=reg)
    assert not checks["sph"][0] and checks["cap"][0], checks
