"""Layout of the opt-in `geometry` family: kernels that query a `wp.Mesh`, `wp.HashGrid`,
`wp.Bvh` or `wp.Volume` passed as a `wp.uint64` id, as Warp users write them.

Each kernel holds one to three query blocks over one or two objects (grammar.geometry_ops
builds them from the case seed): closest point (`mesh_query_point_no_sign`, or
`mesh_query_point` with its sign on a closed mesh) consumed through `mesh_eval_position`,
`mesh_eval_face_normal` and `mesh_eval_velocity`; `mesh_query_ray` (t, the hit point, the
normal, the sign); `hash_grid_query` + `hash_grid_query_next` loops counting and summing the
neighbours within the radius; `hash_grid_point_id` (as a permutation);
`bvh_query_aabb` / `bvh_query_ray` + `bvh_query_next` counting and summing box indices;
`volume_sample_f` (closest and trilinear), `volume_lookup_f`, `volume_index_to_world` and
`volume_world_to_index` on a dense float32 `wp.Volume` (built on the CPU too). Every
result is consumed order-independently (distances, counts, sums), so traversal order never shows.
The body is kept as text (`Gen.text_body`); query points come from vec3f input arrays without
edge values (0 and +-1 would sit exactly on grid vertices).
"""

from __future__ import annotations

from dataclasses import replace

import libcst as cst

from grammar.case import ParamSpec
from grammar.dtypes import Interval
from grammar.family_base import dim1
from grammar.gen import Gen, Param
from grammar.geometry_ops import CLOSED_SHAPES, MESH_SHAPES, derived_recipe, recipe
from grammar.scope import ArrayParam
from oracle.geometry import GeometryKind

GEOMETRY_CALLS = frozenset(
    {
        "mesh_query_point",
        "mesh_query_point_no_sign",
        "mesh_query_ray",
        "mesh_eval_position",
        "mesh_eval_velocity",
        "mesh_eval_face_normal",
        "hash_grid_query",
        "hash_grid_query_next",
        "hash_grid_point_id",
        "bvh_query_aabb",
        "bvh_query_ray",
        "bvh_query_next",
        "volume_sample_f",
        "volume_lookup_f",
        "volume_index_to_world",
        "volume_world_to_index",
    }
)
SPAN = 2.5  # query points lie in [-SPAN, SPAN]^3, around objects of size ~2


def _uint64_param(gen: Gen, kind: GeometryKind, r: tuple[tuple[str, str | int | float], ...]) -> str:
    nm = gen.fresh({"mesh": "mesh", "hash_grid": "grid", "bvh": "bvh", "volume": "vol"}[kind.value])
    spec = ParamSpec(nm, kind.value, "uint64", recipe=r, edge=False)
    gen.params.append(Param(spec, cst.Attribute(value=cst.Name("wp"), attr=cst.Name("uint64"))))
    return nm


def _no_edges(gen: Gen, a: ArrayParam, r: tuple[tuple[str, str | int | float], ...] = ()) -> str:
    """The last parameter added (array `a`) without edge values (or derived from a geometry)."""
    p = gen.params[-1]
    assert p.spec.name == a.name
    p.spec = replace(p.spec, edge=False, recipe=r)
    return a.name


def _points(gen: Gen) -> str:
    a = gen.add_array("vec3f", "in", Interval(-SPAN, SPAN))
    return _no_edges(gen, a)


def _out(gen: Gen, dtype: str) -> str:
    return gen.add_array(dtype, "out", None).name


def _lit(x: float) -> str:
    return repr(float(x))


def _point_expr(gen: Gen, pts: str) -> str:
    r = gen.rng.integer(0, 3)
    if r == 0:
        s = gen.rng.pick((0.5, 0.75, 1.25))
        return f"{pts}[i] * {_lit(s)}"
    if r == 1:
        o = [gen.rng.pick((-0.25, 0.125, 0.375, -0.625)) for _ in range(3)]
        return f"{pts}[i] + wp.vec3({_lit(o[0])}, {_lit(o[1])}, {_lit(o[2])})"
    return f"{pts}[i]"


def _mesh_point_block(gen: Gen, k: int, mesh: str, closed: bool, pts: str) -> list[str]:
    signed = closed and gen.rng.chance(0.5)
    fn = "mesh_query_point" if signed else "mesh_query_point_no_sign"
    maxd = gen.rng.pick((0.5, 1.0, 3.0, 1.0e6))
    normal = gen.rng.chance(0.4)
    # the face (so its normal) is undecided where two faces are equally close: outside a convex
    # mesh that is every point nearest an edge or a vertex, so normals are queried near the centre
    point = f"{pts}[i] * 0.125" if normal else _point_expr(gen, pts)
    lines = [
        f"p{k} = {point}",
        f"q{k} = wp.{fn}({mesh}, p{k}, {_lit(maxd)})",
        f"d{k} = float(-1.0)",
        f"c{k} = wp.vec3(0.0, 0.0, 0.0)",
    ]
    inner = [
        f"    c{k} = wp.mesh_eval_position({mesh}, q{k}.face, q{k}.u, q{k}.v)",
        f"    d{k} = wp.length(c{k} - p{k})",
    ]
    stores = [f"{_out(gen, 'float32')}[i] = d{k}"]
    if gen.rng.chance(0.5):
        stores.append(f"{_out(gen, 'vec3f')}[i] = c{k}")
    if normal:
        lines.append(f"n{k} = wp.vec3(0.0, 0.0, 0.0)")
        inner.append(f"    n{k} = wp.mesh_eval_face_normal({mesh}, q{k}.face)")
        stores.append(f"{_out(gen, 'vec3f')}[i] = n{k}")
    if gen.rng.chance(0.3):
        lines.append(f"w{k} = wp.vec3(0.0, 0.0, 0.0)")
        inner.append(f"    w{k} = wp.mesh_eval_velocity({mesh}, q{k}.face, q{k}.u, q{k}.v)")
        stores.append(f"{_out(gen, 'vec3f')}[i] = w{k}")
    if signed:
        lines.append(f"s{k} = float(0.0)")
        inner.append(f"    s{k} = q{k}.sign")
        stores.append(f"{_out(gen, 'float32')}[i] = s{k}")
    return [*lines, f"if q{k}.result:", *inner, *stores]


def _mesh_ray_block(gen: Gen, k: int, mesh: str, pts: str) -> list[str]:
    dirs = _points(gen)
    maxt = gen.rng.pick((2.0, 5.0, 1.0e6))
    lines = [
        f"p{k} = {_point_expr(gen, pts)}",
        f"r{k} = wp.mesh_query_ray({mesh}, p{k}, {dirs}[i], {_lit(maxt)})",
        f"t{k} = float(-1.0)",
        f"h{k} = wp.vec3(0.0, 0.0, 0.0)",
    ]
    inner = [f"    t{k} = r{k}.t", f"    h{k} = wp.mesh_eval_position({mesh}, r{k}.face, r{k}.u, r{k}.v)"]
    stores = [f"{_out(gen, 'float32')}[i] = t{k}"]
    if gen.rng.chance(0.5):
        stores.append(f"{_out(gen, 'vec3f')}[i] = h{k}")
    if gen.rng.chance(0.4):
        lines.append(f"g{k} = wp.vec3(0.0, 0.0, 0.0)")
        inner.append(f"    g{k} = wp.normalize(r{k}.normal)")
        stores.append(f"{_out(gen, 'vec3f')}[i] = g{k}")
    if gen.rng.chance(0.4):
        lines.append(f"s{k} = float(0.0)")
        inner.append(f"    s{k} = r{k}.sign")
        stores.append(f"{_out(gen, 'float32')}[i] = s{k}")
    return [*lines, f"if r{k}.result:", *inner, *stores]


def _grid_block(gen: Gen, k: int, grid: str, gpts: str, pts: str, cell: float) -> list[str]:
    """Neighbours within the radius, counted and summed. The raw candidates (every point of the
    cells visited) are not consumed: which cells a query visits changed in 1.13 (floor instead of
    truncation toward zero); the neighbours within the radius are the same on every release."""
    rad = gen.rng.pick((0.5 * cell, cell, 1.5 * cell))
    lines = [
        f"p{k} = {_point_expr(gen, pts)}",
        f"hq{k} = wp.hash_grid_query({grid}, p{k}, {_lit(rad)})",
        f"ix{k} = int(0)",
        f"cnt{k} = int(0)",
        f"acc{k} = float(0.0)",
        f"while wp.hash_grid_query_next(hq{k}, ix{k}):",
        f"    dd{k} = wp.length({gpts}[ix{k}] - p{k})",
        f"    if dd{k} <= {_lit(rad)}:",
        f"        cnt{k} += 1",
        f"        acc{k} += dd{k}",
        f"{_out(gen, 'int32')}[i] = cnt{k}",
    ]
    if gen.rng.chance(0.6):
        lines.append(f"{_out(gen, 'float32')}[i] = acc{k}")
    return lines


def _point_id_block(gen: Gen, k: int, grid: str, gpts: str) -> list[str]:
    """`j = hash_grid_point_id(grid, i)` is a permutation of the points (cell order, which also
    changed in 1.13): a value of point j stored at j is the same whatever the order."""
    return [
        f"j{k} = wp.hash_grid_point_id({grid}, i)",
        f"{_out(gen, 'float32')}[j{k}] = wp.length({gpts}[j{k}])",
    ]


def _bvh_block(gen: Gen, k: int, bvh: str, pts: str) -> list[str]:
    lines = [f"p{k} = {_point_expr(gen, pts)}"]
    if gen.rng.chance(0.5):
        h = _lit(gen.rng.pick((0.125, 0.375, 0.75)))
        lines.append(
            f"bq{k} = wp.bvh_query_aabb({bvh}, p{k} - wp.vec3({h}, {h}, {h}), p{k} + wp.vec3({h}, {h}, {h}))"
        )
    else:
        lines.append(f"bq{k} = wp.bvh_query_ray({bvh}, p{k}, {_points(gen)}[i])")
    lines += [
        f"bi{k} = int(0)",
        f"bc{k} = int(0)",
        f"bs{k} = int(0)",
        f"while wp.bvh_query_next(bq{k}, bi{k}):",
        f"    bc{k} += 1",
        f"    bs{k} += bi{k}",
        f"{_out(gen, 'int32')}[i] = bc{k}",
    ]
    if gen.rng.chance(0.5):
        lines.append(f"{_out(gen, 'int32')}[i] = bs{k}")
    return lines


def _volume_block(gen: Gen, k: int, vol: str, pts: str) -> list[str]:
    """Samples in index space around the grid (background outside it), lookups at integer
    voxels on both sides of its bounds, and the index <-> world maps."""
    scale = _lit(gen.rng.pick((1.5, 2.5, 3.5)))
    c = _lit(gen.rng.pick((4.0, 6.0)))
    mode = gen.rng.integer(0, 1)  # 0: CLOSEST, 1: LINEAR (wp.Volume.CLOSEST / LINEAR)
    lines = [
        f"u{k} = {pts}[i] * {scale} + wp.vec3({c}, {c}, {c})",
        f"{_out(gen, 'float32')}[i] = wp.volume_sample_f({vol}, u{k}, {mode})",
    ]
    if gen.rng.chance(0.5):
        lines.append(
            f"{_out(gen, 'float32')}[i] = wp.volume_lookup_f({vol}, i % 12 - 2, (i * 7) % 20 - 2, (i * 3) % 12 - 2)"
        )
    if gen.rng.chance(0.4):
        lines.append(f"{_out(gen, 'vec3f')}[i] = wp.volume_index_to_world({vol}, u{k})")
    if gen.rng.chance(0.4):
        lines.append(f"{_out(gen, 'vec3f')}[i] = wp.volume_world_to_index({vol}, {pts}[i])")
    return lines


def geometry_body(gen: Gen) -> list[cst.BaseStatement]:
    dim1(gen)
    gen.dim = (gen.rng.pick((16, 32, 64)),)  # brute force: lanes x triangles / points / boxes
    gen.dtypes = ["float32", "int32"]
    kinds = [gen.rng.pick(("mesh", "mesh", "hash_grid", "bvh", "volume"))]
    if gen.rng.chance(0.3):
        kinds.append(gen.rng.pick(("mesh", "hash_grid", "bvh", "volume")))
    pts = _points(gen)
    lines: list[str] = []
    k = 0
    for kind in kinds:
        if kind == "mesh":
            shape = gen.rng.pick(MESH_SHAPES)
            r = recipe(shape=shape, n=gen.rng.integer(2, 4), refit=int(gen.rng.chance(0.4)))
            mesh = _uint64_param(gen, GeometryKind.MESH, r)
            for _ in range(gen.rng.integer(1, 2)):
                k += 1
                if gen.rng.chance(0.6):
                    lines += _mesh_point_block(gen, k, mesh, shape in CLOSED_SHAPES, pts)
                else:
                    lines += _mesh_ray_block(gen, k, mesh, pts)
        elif kind == "hash_grid":
            cell = gen.rng.pick((0.375, 0.5, 0.75, 1.0))
            grid = _uint64_param(gen, GeometryKind.HASH_GRID, recipe(n=gen.dim[0], cell=cell, half=2.0))
            gpts = _no_edges(
                gen, gen.add_array("vec3f", "in", Interval(-SPAN, SPAN)), derived_recipe(grid, "grid_points")
            )
            k += 1
            lines += _grid_block(gen, k, grid, gpts, pts, cell)
            if gen.rng.chance(0.4):
                k += 1
                lines += _point_id_block(gen, k, grid, gpts)
        elif kind == "volume":
            dims = {a: gen.rng.pick((8, 16)) for a in ("nx", "ny", "nz")}
            vol = _uint64_param(gen, GeometryKind.VOLUME, recipe(size=gen.rng.pick((0.25, 0.5, 1.0)), **dims))
            k += 1
            lines += _volume_block(gen, k, vol, pts)
        else:
            bvh = _uint64_param(gen, GeometryKind.BVH, recipe(n=gen.rng.integer(4, 40)))
            k += 1
            lines += _bvh_block(gen, k, bvh, pts)
    return gen.text_body("".join(line + "\n" for line in lines))
