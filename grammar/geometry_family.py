"""Layout of the `geometry` family (on by default since generator 1.7.0): kernels that query a `wp.Mesh`, `wp.HashGrid`,
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
        "mesh_query_point_sign_normal",
        "mesh_query_point_sign_winding_number",
        "mesh_query_point_sign_parity",
        "mesh_query_furthest_point_no_sign",
        "mesh_query_aabb",
        "mesh_query_sphere",
        "mesh_query_aabb_next",
        "mesh_query_ray_anyhit",
        "mesh_query_ray_count_intersections",
        "mesh_get_point",
        "mesh_get_velocity",
        "mesh_get_index",
        "bvh_query_sphere",
        "bvh_query_capsule",
        "volume_sample_v",
        "volume_sample_i",
        "volume_sample",
        "volume_sample_grad_f",
        "volume_lookup_v",
        "volume_lookup_i",
        "volume_lookup",
        "volume_index_to_world_dir",
        "volume_world_to_index_dir",
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


def _mesh_sign_block(gen: Gen, k: int, mesh: str, pts: str) -> list[str]:
    """The closest point with one of the other sign tests (closed meshes only): the angle-weighted
    normal, the winding number (solid-angle data when the recipe has `winding`), ray parity."""
    fn = gen.rng.weighted(("normal", "winding_number", "parity"), (2, 1, 1))
    extra = ""
    if fn == "normal" and gen.rng.chance(0.3):
        extra = f", {_lit(gen.rng.pick((1.0e-3, 1.0e-2)))}"
    elif fn == "winding_number" and gen.rng.chance(0.3):
        extra = f", {_lit(gen.rng.pick((2.0, 3.0)))}, {_lit(gen.rng.pick((0.5, 0.25)))}"
    elif fn == "parity" and gen.rng.chance(0.3):
        extra = f", {gen.rng.pick((1, 3))}, {_lit(gen.rng.pick((0.1, 0.05)))}"
    maxd = gen.rng.pick((1.0, 3.0, 1.0e6))
    lines = [
        f"p{k} = {_point_expr(gen, pts)}",
        f"q{k} = wp.mesh_query_point_sign_{fn}({mesh}, p{k}, {_lit(maxd)}{extra})",
        f"s{k} = float(0.0)",
        f"d{k} = float(-1.0)",
        f"if q{k}.result:",
        f"    s{k} = q{k}.sign",
        f"    d{k} = wp.length(wp.mesh_eval_position({mesh}, q{k}.face, q{k}.u, q{k}.v) - p{k})",
        f"{_out(gen, 'float32')}[i] = s{k}",
    ]
    if gen.rng.chance(0.5):
        lines.append(f"{_out(gen, 'float32')}[i] = d{k}")
    return lines


def _mesh_furthest_block(gen: Gen, k: int, mesh: str, pts: str) -> list[str]:
    mind = gen.rng.pick((0.0, 1.0, 3.0))
    lines = [
        f"p{k} = {_point_expr(gen, pts)}",
        f"q{k} = wp.mesh_query_furthest_point_no_sign({mesh}, p{k}, {_lit(mind)})",
        f"c{k} = wp.vec3(0.0, 0.0, 0.0)",
        f"if q{k}.result:",
        f"    c{k} = wp.mesh_eval_position({mesh}, q{k}.face, q{k}.u, q{k}.v)",
        f"{_out(gen, 'float32')}[i] = wp.length(c{k} - p{k})",
    ]
    if gen.rng.chance(0.5):
        lines.append(f"{_out(gen, 'vec3f')}[i] = c{k}")
    return lines


def _mesh_faces_block(gen: Gen, k: int, mesh: str, pts: str) -> list[str]:
    """Faces whose bounds overlap a box (or within a sphere), consumed order-independently:
    their count, the sum and the minimum of their indices."""
    lines = [f"p{k} = {_point_expr(gen, pts)}"]
    if gen.rng.chance(0.6):
        h = _lit(gen.rng.pick((0.125, 0.375, 0.75)))
        lines.append(
            f"mq{k} = wp.mesh_query_aabb({mesh}, p{k} - wp.vec3({h}, {h}, {h}), p{k} + wp.vec3({h}, {h}, {h}))"
        )
    else:
        lines.append(f"mq{k} = wp.mesh_query_sphere({mesh}, p{k}, {_lit(gen.rng.pick((0.25, 0.5, 1.0)))})")
    lines += [
        f"mf{k} = int(0)",
        f"mc{k} = int(0)",
        f"ms{k} = int(0)",
        f"mm{k} = int(1000000)",
        f"while wp.mesh_query_aabb_next(mq{k}, mf{k}):",
        f"    mc{k} += 1",
        f"    ms{k} += mf{k}",
        f"    mm{k} = wp.min(mm{k}, mf{k})",
        f"{_out(gen, 'int32')}[i] = mc{k}",
    ]
    if gen.rng.chance(0.5):
        lines.append(f"{_out(gen, 'int32')}[i] = ms{k}")
    if gen.rng.chance(0.4):
        lines.append(f"{_out(gen, 'int32')}[i] = mm{k}")
    return lines


def _mesh_misc_block(gen: Gen, k: int, mesh: str, pts: str, n_faces: int) -> list[str]:
    """Any-hit and crossing counts of a ray, and face-vertex accessors (index i mod 3 faces)."""
    lines = []
    if gen.rng.chance(0.75):
        dirs = _points(gen)
        lines.append(f"p{k} = {_point_expr(gen, pts)}")
        if gen.rng.chance(0.6):
            maxt = _lit(gen.rng.pick((1.0, 2.0, 1.0e6)))
            lines.append(
                f"{_out(gen, 'int32')}[i] = int(wp.mesh_query_ray_anyhit({mesh}, p{k}, {dirs}[i], {maxt}))"
            )
        else:
            lines.append(
                f"{_out(gen, 'int32')}[i] = wp.mesh_query_ray_count_intersections({mesh}, p{k}, {dirs}[i])"
            )
    nv = 3 * n_faces
    acc = gen.rng.pick(("point", "velocity", "index"))
    mul = gen.rng.pick((1, 5, 7))
    dt = "int32" if acc == "index" else "vec3f"
    lines.append(f"{_out(gen, dt)}[i] = wp.mesh_get_{acc}({mesh}, (i * {mul}) % {nv})")
    if acc != "index" and gen.rng.chance(0.5):
        lines.append(f"{_out(gen, 'int32')}[i] = wp.mesh_get_index({mesh}, (i * 11 + 1) % {nv})")
    return lines


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
    md = ""  # bvh_query_next's max_dist: on capsule queries only
    if gen.rng.chance(0.5):
        h = _lit(gen.rng.pick((0.125, 0.375, 0.75)))
        lines.append(
            f"bq{k} = wp.bvh_query_aabb({bvh}, p{k} - wp.vec3({h}, {h}, {h}), p{k} + wp.vec3({h}, {h}, {h}))"
        )
    elif gen.rng.chance(0.4):
        lines.append(f"bq{k} = wp.bvh_query_ray({bvh}, p{k}, {_points(gen)}[i])")
    elif gen.rng.chance(0.5):
        lines.append(f"bq{k} = wp.bvh_query_sphere({bvh}, p{k}, {_lit(gen.rng.pick((0.25, 0.5, 1.0)))})")
    else:
        r = _lit(gen.rng.pick((0.0, 0.125, 0.375)))
        lines.append(f"bq{k} = wp.bvh_query_capsule({bvh}, p{k}, {_points(gen)}[i], {r})")
        if gen.rng.chance(0.5):
            md = f", {_lit(gen.rng.pick((0.5, 1.0)))}"
    lines += [
        f"bi{k} = int(0)",
        f"bc{k} = int(0)",
        f"bs{k} = int(0)",
        f"while wp.bvh_query_next(bq{k}, bi{k}{md}):",
        f"    bc{k} += 1",
        f"    bs{k} += bi{k}",
        f"{_out(gen, 'int32')}[i] = bc{k}",
    ]
    if gen.rng.chance(0.5):
        lines.append(f"{_out(gen, 'int32')}[i] = bs{k}")
    return lines


def _typed_volume_block(gen: Gen, k: int, vol: str, pts: str, vtype: str) -> list[str]:
    """A vec3f or int32 volume: typed and generic (dtype=) samples and lookups."""
    scale = _lit(gen.rng.pick((1.5, 2.5, 3.5)))
    c = _lit(gen.rng.pick((4.0, 6.0)))
    lines = [f"u{k} = {pts}[i] * {scale} + wp.vec3({c}, {c}, {c})"]
    ijk = "i % 12 - 2, (i * 7) % 20 - 2, (i * 3) % 12 - 2"
    if vtype == "vec3":
        mode = gen.rng.integer(0, 1)
        if gen.rng.chance(0.5):
            lines.append(f"{_out(gen, 'vec3f')}[i] = wp.volume_sample_v({vol}, u{k}, {mode})")
        else:
            lines.append(f"{_out(gen, 'vec3f')}[i] = wp.volume_sample({vol}, u{k}, {mode}, dtype=wp.vec3)")
        if gen.rng.chance(0.5):
            fn = gen.rng.pick(("volume_lookup_v({vol}, {ijk})", "volume_lookup({vol}, {ijk}, dtype=wp.vec3)"))
            lines.append(f"{_out(gen, 'vec3f')}[i] = wp.{fn.format(vol=vol, ijk=ijk)}")
    else:
        if gen.rng.chance(0.5):
            lines.append(f"{_out(gen, 'int32')}[i] = wp.volume_sample_i({vol}, u{k})")
        else:
            lines.append(f"{_out(gen, 'int32')}[i] = wp.volume_sample({vol}, u{k}, 0, dtype=wp.int32)")
        if gen.rng.chance(0.5):
            fn = gen.rng.pick(
                ("volume_lookup_i({vol}, {ijk})", "volume_lookup({vol}, {ijk}, dtype=wp.int32)")
            )
            lines.append(f"{_out(gen, 'int32')}[i] = wp.{fn.format(vol=vol, ijk=ijk)}")
    if gen.rng.chance(0.3):
        fn = gen.rng.pick(("volume_index_to_world_dir", "volume_world_to_index_dir"))
        lines.append(f"{_out(gen, 'vec3f')}[i] = wp.{fn}({vol}, {pts}[i])")
    return lines


def _volume_block(gen: Gen, k: int, vol: str, pts: str) -> list[str]:
    """Samples in index space around the grid (background outside it), lookups at integer
    voxels on both sides of its bounds, and the index <-> world maps."""
    scale = _lit(gen.rng.pick((1.5, 2.5, 3.5)))
    c = _lit(gen.rng.pick((4.0, 6.0)))
    mode = gen.rng.integer(0, 1)  # 0: CLOSEST, 1: LINEAR (wp.Volume.CLOSEST / LINEAR)
    lines = [f"u{k} = {pts}[i] * {scale} + wp.vec3({c}, {c}, {c})"]
    r = gen.rng.integer(0, 3)
    if r == 0:
        lines += [
            f"g{k} = wp.vec3(0.0, 0.0, 0.0)",
            f"{_out(gen, 'float32')}[i] = wp.volume_sample_grad_f({vol}, u{k}, {mode}, g{k})",
            f"{_out(gen, 'vec3f')}[i] = g{k}",
        ]
    elif r == 1:
        lines.append(f"{_out(gen, 'float32')}[i] = wp.volume_sample({vol}, u{k}, {mode}, dtype=wp.float32)")
    else:
        lines.append(f"{_out(gen, 'float32')}[i] = wp.volume_sample_f({vol}, u{k}, {mode})")
    if gen.rng.chance(0.5):
        lines.append(
            f"{_out(gen, 'float32')}[i] = wp.volume_lookup_f({vol}, i % 12 - 2, (i * 7) % 20 - 2, (i * 3) % 12 - 2)"
        )
    if gen.rng.chance(0.4):
        lines.append(f"{_out(gen, 'vec3f')}[i] = wp.volume_index_to_world({vol}, u{k})")
    if gen.rng.chance(0.4):
        lines.append(f"{_out(gen, 'vec3f')}[i] = wp.volume_world_to_index({vol}, {pts}[i])")
    if gen.rng.chance(0.2):
        fn = gen.rng.pick(("volume_index_to_world_dir", "volume_world_to_index_dir"))
        lines.append(f"{_out(gen, 'vec3f')}[i] = wp.{fn}({vol}, {pts}[i])")
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
            closed = shape in CLOSED_SHAPES
            n = gen.rng.integer(2, 4)
            extra = {"winding": 1} if closed and gen.rng.chance(0.5) else {}
            r = recipe(shape=shape, n=n, refit=int(gen.rng.chance(0.4)), **extra)
            mesh = _uint64_param(gen, GeometryKind.MESH, r)
            n_faces = {"box": 12, "sphere": 20, "tetra": 4}.get(shape, 2 * n * n)
            for _ in range(gen.rng.integer(1, 2)):
                k += 1
                pick = gen.rng.integer(0, 9)
                if pick <= 3:
                    lines += _mesh_point_block(gen, k, mesh, closed, pts)
                elif pick <= 5:
                    lines += _mesh_ray_block(gen, k, mesh, pts)
                elif pick == 6 and closed:
                    lines += _mesh_sign_block(gen, k, mesh, pts)
                elif pick == 6:
                    lines += _mesh_furthest_block(gen, k, mesh, pts)
                elif pick == 7:
                    lines += _mesh_faces_block(gen, k, mesh, pts)
                elif pick == 8:
                    lines += _mesh_misc_block(gen, k, mesh, pts, n_faces)
                elif closed:
                    lines += _mesh_sign_block(gen, k, mesh, pts)
                else:
                    lines += _mesh_furthest_block(gen, k, mesh, pts)
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
            vtype = gen.rng.pick(("float", "float", "vec3", "int"))
            typed = {} if vtype == "float" else {"type": vtype}  # float recipes stay as they were
            vol = _uint64_param(
                gen, GeometryKind.VOLUME, recipe(size=gen.rng.pick((0.25, 0.5, 1.0)), **dims, **typed)
            )
            k += 1
            if vtype == "float":
                lines += _volume_block(gen, k, vol, pts)
            else:
                lines += _typed_volume_block(gen, k, vol, pts, vtype)
        else:
            bvh = _uint64_param(gen, GeometryKind.BVH, recipe(n=gen.rng.integer(4, 40)))
            k += 1
            lines += _bvh_block(gen, k, bvh, pts)
    return gen.text_body("".join(line + "\n" for line in lines))
