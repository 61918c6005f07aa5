"""The geometry oracle (oracle/geometry.py) against Warp on CPU: every query kind over meshes,
hash grids and BVHs built from several seeds, compared element by element with the judge's own
tolerance; a planted wrong brute force (nearest vertex for nearest point) is caught; a point
equidistant from two faces is counted unstable, not a mismatch."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import oracle
from fuzz.engine.judge import TolerancePolicy, compare_array
from fuzz.engine.launch import launch
from grammar.geometry_ops import bvh_arrays, grid_arrays, mesh_arrays, volume_arrays
from tests.support.wrong_oracles import wrong_closest_point

SOURCE = """import warp as wp


@wp.kernel
def geo_mesh(
    mesh: wp.uint64,
    pts: wp.array(dtype=wp.vec3),
    dirs: wp.array(dtype=wp.vec3),
    dist: wp.array(dtype=wp.float32),
    pos: wp.array(dtype=wp.vec3),
    nrm: wp.array(dtype=wp.vec3),
    vel: wp.array(dtype=wp.vec3),
    sign: wp.array(dtype=wp.float32),
    hit_t: wp.array(dtype=wp.float32),
    hit_pos: wp.array(dtype=wp.vec3),
    hit_sign: wp.array(dtype=wp.float32),
):
    i = wp.tid()
    p = pts[i]
    q = wp.mesh_query_point_no_sign(mesh, p, 3.0)
    d = float(-1.0)
    c = wp.vec3(0.0, 0.0, 0.0)
    w = wp.vec3(0.0, 0.0, 0.0)
    if q.result:
        c = wp.mesh_eval_position(mesh, q.face, q.u, q.v)
        d = wp.length(c - p)
        w = wp.mesh_eval_velocity(mesh, q.face, q.u, q.v)
    dist[i] = d
    pos[i] = c
    vel[i] = w
    p2 = p * 0.125
    q2 = wp.mesh_query_point(mesh, p2, 1.0e6)
    n = wp.vec3(0.0, 0.0, 0.0)
    s = float(0.0)
    if q2.result:
        n = wp.mesh_eval_face_normal(mesh, q2.face)
        s = q2.sign
    nrm[i] = n
    sign[i] = s
    r = wp.mesh_query_ray(mesh, p, dirs[i], 1.0e6)
    t = float(-1.0)
    h = wp.vec3(0.0, 0.0, 0.0)
    rs = float(0.0)
    if r.result:
        t = r.t
        h = wp.mesh_eval_position(mesh, r.face, r.u, r.v)
        rs = r.sign
    hit_t[i] = t
    hit_pos[i] = h
    hit_sign[i] = rs


@wp.kernel
def geo_grid_bvh(
    grid: wp.uint64,
    bvh: wp.uint64,
    gpts: wp.array(dtype=wp.vec3),
    pts: wp.array(dtype=wp.vec3),
    dirs: wp.array(dtype=wp.vec3),
    near: wp.array(dtype=wp.int32),
    near_sum: wp.array(dtype=wp.float32),
    raw: wp.array(dtype=wp.int32),
    ids: wp.array(dtype=wp.int32),
    boxes: wp.array(dtype=wp.int32),
    box_sum: wp.array(dtype=wp.int32),
    ray_boxes: wp.array(dtype=wp.int32),
):
    i = wp.tid()
    p = pts[i]
    hq = wp.hash_grid_query(grid, p, 0.6)
    ix = int(0)
    c = int(0)
    rc = int(0)
    acc = float(0.0)
    while wp.hash_grid_query_next(hq, ix):
        rc += 1
        dd = wp.length(gpts[ix] - p)
        if dd <= 0.6:
            c += 1
            acc += dd
    near[i] = c
    near_sum[i] = acc
    raw[i] = rc
    ids[i] = wp.hash_grid_point_id(grid, i)
    bq = wp.bvh_query_aabb(bvh, p - wp.vec3(0.3, 0.3, 0.3), p + wp.vec3(0.3, 0.3, 0.3))
    bi = int(0)
    bc = int(0)
    bs = int(0)
    while wp.bvh_query_next(bq, bi):
        bc += 1
        bs += bi
    boxes[i] = bc
    box_sum[i] = bs
    rq = wp.bvh_query_ray(bvh, p, dirs[i])
    rb = int(0)
    while wp.bvh_query_next(rq, bi):
        rb += 1
    ray_boxes[i] = rb


@wp.kernel
def geo_volume(
    vol: wp.uint64,
    pts: wp.array(dtype=wp.vec3),
    linear: wp.array(dtype=wp.float32),
    closest: wp.array(dtype=wp.float32),
    lookup: wp.array(dtype=wp.float32),
    world: wp.array(dtype=wp.vec3),
    index: wp.array(dtype=wp.vec3),
):
    i = wp.tid()
    u = pts[i] * 2.5 + wp.vec3(4.0, 4.0, 4.0)
    linear[i] = wp.volume_sample_f(vol, u, 1)
    closest[i] = wp.volume_sample_f(vol, u, 0)
    lookup[i] = wp.volume_lookup_f(vol, i % 12 - 2, (i * 7) % 20 - 2, (i * 3) % 12 - 2)
    world[i] = wp.volume_index_to_world(vol, u)
    index[i] = wp.volume_world_to_index(vol, pts[i])
"""
N = 64
MESH_OUT = {
    "dist": ((), np.float32),
    "pos": ((3,), np.float32),
    "nrm": ((3,), np.float32),
    "vel": ((3,), np.float32),
    "sign": ((), np.float32),
    "hit_t": ((), np.float32),
    "hit_pos": ((3,), np.float32),
    "hit_sign": ((), np.float32),
}
GRID_OUT = {k: ((), np.int32) for k in ("near", "raw", "ids", "boxes", "box_sum", "ray_boxes")}
GRID_OUT["near_sum"] = ((), np.float32)


@pytest.fixture(scope="module")
def kernels(tmp_path_factory: pytest.TempPathFactory) -> Any:
    path = Path(tmp_path_factory.mktemp("geo")) / "geo_kernels.py"
    path.write_text(SOURCE)
    spec = importlib.util.spec_from_file_location("geo_kernels", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _outputs(table: dict[str, tuple[tuple[int, ...], Any]]) -> dict[str, np.ndarray]:
    return {k: np.full((N, *shape), -7, dtype=dt) for k, (shape, dt) in table.items()}


def _points(rng: np.random.Generator, span: float = 2.5) -> np.ndarray:
    return rng.uniform(-span, span, (N, 3)).astype(np.float32)


def _mesh_args(seed: int, shape: str, refit: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    mesh = mesh_arrays(rng, {"shape": shape, "n": 3, "refit": refit})
    return {"mesh": mesh, "pts": _points(rng), "dirs": _points(rng, 1.0), **_outputs(MESH_OUT)}


def _grid_args(seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    grid = grid_arrays(rng, {"n": N, "cell": 0.5, "half": 2.0})
    bvh = bvh_arrays(rng, {"n": 24})
    return {
        "grid": grid,
        "bvh": bvh,
        "gpts": grid["grid_points"],
        "pts": _points(rng),
        "dirs": _points(rng, 1.0),
        **_outputs(GRID_OUT),
    }


def _judge(observed: dict[str, np.ndarray], res: oracle.OracleResult) -> dict[str, tuple[bool, int, int]]:
    """Per array: passed, elements compared, elements unstable (the judge's compare_array)."""
    out = {}
    for name, exp in res.arrays.items():
        if name not in observed or name in ("pts", "dirs", "gpts"):
            continue
        elem_ndim = exp.ndim - 1
        chk = compare_array(
            name, observed[name], exp, res.error_bound.get(name), res.unstable.get(name), TolerancePolicy(),
            elem_ndim, res.written.get(name),
        )  # fmt: skip
        out[name] = (chk.passed, chk.compared if chk.compared is not None else chk.checked, chk.unstable)
    return out


def _run(
    kernel: Any, kname: str, args: dict[str, Any], registry: Any = None
) -> dict[str, tuple[bool, int, int]]:
    observed = launch(kernel, args, (N,), "cpu")
    res = oracle.evaluate(SOURCE, kname, args, (N,), registry=registry)
    return _judge(observed, res)


@pytest.mark.parametrize(
    ("seed", "shape", "refit"),
    [(1, "box", 0), (2, "sphere", 1), (3, "tetra", 0), (4, "grid", 1), (5, "sphere", 0)],
)
def test_mesh_queries_match_warp(kernels: Any, seed: int, shape: str, refit: int) -> None:
    checks = _run(kernels.geo_mesh, "geo_mesh", _mesh_args(seed, shape, refit))
    assert set(checks) == set(MESH_OUT)
    for name, (passed, compared, _) in checks.items():
        assert passed, (shape, name, checks)
        # the face normal and a ray's sign hang on which face, so they may tie more often
        assert compared >= (N // 4 if name in ("nrm", "hit_sign") else N // 2), (shape, name, checks)


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_grid_and_bvh_queries_match_warp(kernels: Any, seed: int) -> None:
    checks = _run(kernels.geo_grid_bvh, "geo_grid_bvh", _grid_args(seed))
    assert set(checks) == set(GRID_OUT)
    for name, (passed, compared, _) in checks.items():
        assert passed, (name, checks)
        assert compared >= N // 2, (name, checks)


@pytest.mark.parametrize(("seed", "dims"), [(21, (8, 8, 8)), (22, (16, 8, 16))])
def test_volume_queries_match_warp(kernels: Any, seed: int, dims: tuple[int, int, int]) -> None:
    rng = np.random.default_rng(seed)
    vol = volume_arrays(rng, {"nx": dims[0], "ny": dims[1], "nz": dims[2], "size": 0.5})
    outs = {"linear": ((), np.float32), "closest": ((), np.float32), "lookup": ((), np.float32)}
    outs |= {"world": ((3,), np.float32), "index": ((3,), np.float32)}
    args = {"vol": vol, "pts": _points(rng), **_outputs(outs)}
    checks = _run(kernels.geo_volume, "geo_volume", args)
    assert set(checks) == set(outs)
    for name, (passed, compared, _) in checks.items():
        assert passed and compared >= N // 2, (name, checks)


def test_wrong_closest_point_is_caught(kernels: Any) -> None:
    """A brute force answering the nearest vertex is a mismatch on the distances it produces."""
    failed = set()
    for seed, shape in ((1, "box"), (2, "sphere")):
        checks = _run(
            kernels.geo_mesh, "geo_mesh", _mesh_args(seed, shape, 0), registry=wrong_closest_point()
        )
        failed |= {name for name, (passed, _, _) in checks.items() if not passed}
    assert {"dist", "pos"} <= failed, failed


def test_equidistant_point_is_unstable_not_a_mismatch(kernels: Any) -> None:
    """Inside the unit cube at (0.25, 0.25, 0.5) the faces x = 0 and y = 0 are equally close:
    Warp returns either, so the face normal (and the closest point) are undecided, and the judge
    must count those elements unstable, never mismatched. Elsewhere the answers are compared."""
    pts = np.array(
        [[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 1], [1, 0, 1], [1, 1, 1], [0, 1, 1]], np.float32
    )
    ind = np.array(
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
        ],
        np.int32,
    )
    rng = np.random.default_rng(7)
    args = _mesh_args(7, "box", 0)
    args["mesh"] = {"points": pts, "indices": ind, "velocities": np.zeros_like(pts)}
    inner = rng.uniform(0.3, 0.7, (N, 3)).astype(np.float32)
    inner[0] = (0.25, 0.25, 0.5)
    args["pts"] = inner / np.float32(0.125)  # the kernel queries the normal at p * 0.125
    args["pts"][0] = np.float32(8.0) * inner[0]
    res = oracle.evaluate(SOURCE, "geo_mesh", args, (N,))
    assert res.unstable["nrm"][0].all(), "the tied lane's normal must be unstable"
    assert not res.unstable["nrm"][1:].any(axis=1).all(), "other lanes must still be compared"
    checks = _judge(launch(kernels.geo_mesh, args, (N,), "cpu"), res)
    assert checks["nrm"][0] and checks["nrm"][2] >= 1, checks["nrm"]
    assert checks["sign"][0], checks["sign"]
