"""Which language constructs each warp-lang release accepts: a version-keyed table, confirmed by probes.

Older releases reject (or silently miscompile) constructs the generator can emit; generating them
there would show up as false `compile_error` findings. The table says from which release each
construct works; `fuzz.engine.gateprobe.confirm_gates` compiles one tiny probe kernel per gate on
the installed Warp, so a wrong table entry shows up as one clear message instead of as a flood of
bogus failures (the grammar holds the table and the probe sources; compiling them is the engine's).

Every probe is a kernel `{K}(out: wp.array(dtype=wp.int32), s0, s1, ...)` launched with dim 1 on the
CPU; it writes `out[0] = 1` only when the construct behaved as documented. A kernel that failed to
compile (and was silently dropped, as before 1.17) or computed the wrong thing leaves `out[0] = 0`:
each probe can say no both at compile time and at run time (short-circuit `and`/`or` compiles on
every release and differs only in what it evaluates).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass, field
from typing import Any

GATES_FORMAT = 1


class GateTableError(ValueError):
    """The gate table itself is malformed (bad version string, duplicate name, bad probe)."""


@dataclass(frozen=True)
class Gate:
    """One construct that appeared in a given warp-lang release.

    name: the feature name the generator checks (`"ternary" in features`).
    since: the first release that accepts it, "MAJOR.MINOR.PATCH"; None while no release does (the
      probe then tracks the Warp bug: confirmation says so once a release fixes it).
    probe_source: module-level code defining the probe kernel; `{K}` stands for its unique name
      (helpers must be named `{K}_...`). Its parameters are `out` then one array per `scratch` dtype.
    scratch: Warp scalar dtype names of extra zero-filled length-4 arrays the probe receives.
    backward: compile the probe with backward (adjoint) code, for constructs whose forward code
      works but whose adjoint does not; campaigns compile backward code by default.
    semantic: the construct compiles on every release and only its meaning changed (or was
      wrong): it is generated everywhere, never gated (`missing_features` skips it), and the
      difference it makes on older releases is a finding labelled by corpus/known.py.
    """

    name: str
    since: str | None
    probe_source: str
    description: str
    scratch: tuple[str, ...] = ()
    backward: bool = False
    semantic: bool = False


def parse_version(text: str) -> tuple[int, int, int]:
    """ "1.12.0" -> (1, 12, 0); dev/rc suffixes ("1.13.0rc1", "1.19.0.dev20250101") count as that release."""
    m = re.match(r"^\s*(\d+)\.(\d+)(?:\.(\d+))?", str(text))
    if not m:
        raise GateTableError(f"not a warp-lang version: {text!r} (expected MAJOR.MINOR[.PATCH], e.g. 1.12.0)")
    return int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)


_OUT = "out: wp.array(dtype=wp.int32)"

GATES: tuple[Gate, ...] = (
    Gate(
        "while_break_continue",
        "1.1.0",
        f"""
@wp.kernel
def {{K}}({_OUT}):
    i = int(0)
    s = int(0)
    while i < 10:
        i += 1
        if i == 2:
            continue
        if i == 5:
            break
        s += i
    if s == 8:
        out[0] = 1
""",
        "`break` / `continue` inside a `while` loop",
    ),
    Gate(
        "func_default_args",
        "1.4.0",
        f"""
@wp.func
def {{K}}_f(x: int, y: int = 2):
    return x + y


@wp.kernel
def {{K}}({_OUT}):
    if {{K}}_f(1) == 3:
        out[0] = 1
""",
        "`@wp.func` parameters with default values",
    ),
    Gate(
        "array_index_any_int",
        "1.4.2",
        f"""
@wp.kernel
def {{K}}({_OUT}, s0: wp.array(dtype=wp.int32)):
    s0[wp.int8(1)] = 3
    s0[wp.uint32(2)] = 4
    if s0[wp.int64(1)] + s0[wp.uint8(2)] == 7:
        out[0] = 1
""",
        "indexing arrays with int8/uint8/uint32/int64 values",
        ("int32",),
    ),
    Gate(
        "vec_mat_len",
        "1.6.0",
        f"""
@wp.kernel
def {{K}}({_OUT}):
    v = wp.vec3(1.0, 2.0, 3.0)
    m = wp.mat22(1.0, 2.0, 3.0, 4.0)
    if len(v) == 3:
        if len(m) == 2:
            out[0] = 1
""",
        "`len()` of vectors and matrices",
    ),
    Gate(
        "uint_atomics",
        "1.7.2",
        f"""
@wp.kernel
def {{K}}({_OUT}, s0: wp.array(dtype=wp.uint32), s1: wp.array(dtype=wp.uint64)):
    wp.atomic_add(s0, 0, wp.uint32(3))
    wp.atomic_max(s0, 0, wp.uint32(5))
    wp.atomic_add(s1, 0, wp.uint64(2))
    wp.atomic_sub(s1, 0, wp.uint64(1))
    if s0[0] == wp.uint32(5):
        if s1[0] == wp.uint64(1):
            out[0] = 1
""",
        "atomics on uint32/uint64 arrays",
        ("uint32", "uint64"),
    ),
    Gate(
        "ternary",
        "1.8.0",
        f"""
@wp.kernel
def {{K}}({_OUT}):
    x = 3 if out[0] == 0 else 4
    if x == 3:
        out[0] = 1
""",
        "conditional expressions `a if c else b`",
    ),
    Gate(
        "atomic_cas_exch",
        "1.8.0",
        f"""
@wp.kernel
def {{K}}({_OUT}, s0: wp.array(dtype=wp.int32)):
    wp.atomic_cas(s0, 0, 0, 7)
    wp.atomic_exch(s0, 1, 9)
    if s0[0] == 7:
        if s0[1] == 9:
            out[0] = 1
""",
        "`wp.atomic_cas` and `wp.atomic_exch`",
        ("int32",),
    ),
    Gate(
        "wp_cast",
        "1.10.0",
        f"""
@wp.kernel
def {{K}}({_OUT}):
    b = wp.cast(wp.float32(1.0), wp.int32)
    if b == 1065353216:
        out[0] = 1
""",
        "`wp.cast(x, dtype)` (bit reinterpretation)",
    ),
    Gate(
        "bitwise_atomics",
        "1.10.0",
        f"""
@wp.kernel
def {{K}}({_OUT}, s0: wp.array(dtype=wp.int32)):
    s0[0] = 12
    s0[1] = 12
    s0[2] = 12
    wp.atomic_and(s0, 0, 10)
    wp.atomic_or(s0, 1, 3)
    wp.atomic_xor(s0, 2, 5)
    if s0[0] == 8:
        if s0[1] == 15:
            if s0[2] == 9:
                out[0] = 1
""",
        "`wp.atomic_and` / `atomic_or` / `atomic_xor`",
        ("int32",),
    ),
    Gate(
        "array_bitwise_augassign",
        "1.10.0",
        f"""
@wp.kernel
def {{K}}({_OUT}, s0: wp.array(dtype=wp.int32)):
    s0[0] = 12
    s0[1] = 12
    s0[2] = 12
    s0[0] &= 10
    s0[1] |= 3
    s0[2] ^= 5
    if s0[0] == 8:
        if s0[1] == 15:
            if s0[2] == 9:
                out[0] = 1
""",
        "`&=`, `|=`, `^=` on array elements",
        ("int32",),
    ),
    Gate(
        "composite_index_any_int",
        "1.12.0",
        f"""
@wp.kernel
def {{K}}({_OUT}):
    v = wp.vec3(1.0, 2.0, 3.0)
    m = wp.mat22(1.0, 2.0, 3.0, 4.0)
    j = wp.int64(1)
    if v[j] + v[wp.uint8(0)] == 3.0:
        if m[wp.uint32(1), wp.int8(0)] == 3.0:
            out[0] = 1
""",
        "reading vector/matrix components with int8/uint32/int64 (not only int32) indices; before 1.12 "
        "the forward code compiles but the backward (adjoint) code does not",
        backward=True,
    ),
    Gate(
        "composite_store_any_int",
        None,
        f"""
@wp.kernel
def {{K}}({_OUT}):
    v = wp.vec3(1.0, 2.0, 3.0)
    v[wp.uint32(0)] = 5.0
    m = wp.mat22(1.0, 2.0, 3.0, 4.0)
    m[wp.int64(1), wp.int8(0)] = 6.0
    if v[0] + m[1, 0] == 11.0:
        out[0] = 1
""",
        "assigning vector/matrix components through int8/uint32/int64 indices; no release through "
        "1.19.0 compiles its backward code (no adj_assign_inplace overload for non-int indices)",
        backward=True,
    ),
    Gate(
        "typed_ctor_float_literals",
        "1.13.0",
        f"""
@wp.kernel
def {{K}}({_OUT}):
    v = wp.vec3d(0.5, 0.25, 2.0)
    m = wp.mat22h(0.5, 1.0, 1.5, 2.0)
    if v[0] + v[1] + v[2] == wp.float64(2.75):
        if m[1, 1] == wp.float16(2.0):
            out[0] = 1
""",
        "typed composite constructors from float literals (`wp.vec3d(0.1, ...)`, `wp.mat22h(...)`)",
    ),
    Gate(
        "bfloat16",
        "1.13.0",
        f"""
@wp.kernel
def {{K}}({_OUT}):
    x = wp.bfloat16(1.5)
    if wp.float32(x) == 1.5:
        out[0] = 1
""",
        "the `wp.bfloat16` scalar type",
    ),
    Gate(
        "int_floordiv_floors",
        "1.18.0",
        f"""
@wp.kernel
def {{K}}({_OUT}):
    x = out[0] - 7
    y = wp.int64(x)
    if x // 2 == -4:
        if y // wp.int64(2) == wp.int64(-4):
            if x // -2 == 3:
                out[0] = 1
""",
        "integer `//` floors like Python (-7 // 2 == -4); older releases truncate toward zero (-3)",
        semantic=True,
    ),
    Gate(
        "bit_count",
        "1.19.0",
        f"""
@wp.kernel
def {{K}}({_OUT}):
    x = wp.uint32(out[0] + 7)
    y = wp.int64(out[0] - 1)
    if wp.bit_count(x) == 3:
        if wp.bit_count(y) == 64:
            out[0] = 1
""",
        "`wp.bit_count(x)` (population count of any integer type)",
    ),
    Gate(
        "short_circuit_boolops",
        "1.13.0",
        f"""
@wp.func
def {{K}}_side(s: wp.array(dtype=wp.int32)) -> bool:
    wp.atomic_add(s, 0, 1)
    return True


@wp.kernel
def {{K}}({_OUT}, s0: wp.array(dtype=wp.int32)):
    f = out[0] != 0
    t = out[0] == 0
    a = f and {{K}}_side(s0)
    b = t or {{K}}_side(s0)
    if s0[0] == 0:
        if b:
            if not a:
                out[0] = 1
""",
        "`and` / `or` evaluate their right side only when needed (before: both sides always run)",
        ("int32",),
        semantic=True,
    ),
    Gate(
        "array_subscript_annotations",
        "1.12.0",
        f"""
@wp.kernel
def {{K}}({_OUT}, s0: wp.array[wp.int32], s1: wp.array1d[wp.float32]):
    if s0[1] == 0:
        if s1.shape[0] == 4:
            out[0] = 1
""",
        "arrays annotated by subscript, as Warp's own code writes them (`wp.array[T]`, `wp.array2d[T]`)",
        ("int32", "float32"),
    ),
    Gate(
        "tiles",
        "1.12.0",
        f"""
@wp.kernel
def {{K}}({_OUT}, s0: wp.array(dtype=wp.float32)):
    t = wp.tile_load(s0, shape=8, offset=2)
    u = wp.tile_map(wp.add, t, wp.tile_ones(shape=8, dtype=wp.float32))
    c = wp.tile_scan_inclusive(wp.tile_arange(0, 8, 1, dtype=wp.float32))
    m = wp.tile_reshape(u, shape=(2, 4))
    v = wp.tile_view(m, offset=(1, 0), shape=(1, 4))
    b = wp.tile_broadcast(v, shape=(4, 4))
    p = wp.tile_matmul(wp.tile_transpose(wp.tile_astype(m, dtype=wp.float32)), m)
    a = wp.tile_argmax(c)
    r = wp.tile_reduce(wp.max, wp.tile_sum(b, axis=0))
    w = (u * u) / 2.0
    if wp.tile_sum(u)[0] == 8.0 and wp.tile_extract(c, 7) == 28.0 and a[0] == 7 and wp.tile_sum(w)[0] == 4.0:
        if p[0, 0] == 2.0 and r[0] == 4.0 and wp.tile_min(c)[0] == 0.0:
            out[0] = 1
""",
        "tile builtins of the tiles family (shape=/offset= keywords, tile_view with shape, scans, reshape, "
        "tile * tile and tile / scalar: without the last two the probe passed on 1.10.0-1.11.0, where "
        "13 of 24 tiles-family kernels do not compile)",
        ("float32",),
    ),
    Gate(
        "static_builtin_select",
        "1.19.0",
        f"""
{{K}}_OPS = (wp.abs, wp.sin)


@wp.kernel
def {{K}}({_OUT}):
    if wp.static({{K}}_OPS[0])(-3.0) == 3.0:
        out[0] = 1
""",
        "`wp.static(TABLE[k])(x)` selecting a `wp` builtin (1.18 and older: AttributeError "
        "'Function' object has no attribute 'user_overloads'; @wp.func tables work since 1.10)",
    ),
    Gate(
        "static_function_local",
        "1.15.0",
        f"""
@wp.func
def {{K}}_f(x: float) -> float:
    return x + 1.0


{{K}}_T = ({{K}}_f,)


@wp.kernel
def {{K}}({_OUT}):
    f = wp.static({{K}}_T[0])
    if f(2.0) == 3.0:
        out[0] = 1
""",
        "`f = wp.static(TABLE[k])`: a selected function bound to a local (1.14 and older: "
        "'Referencing undefined symbol'; the probe passes from 1.15.0)",
    ),
    Gate(
        "volume_cpu",
        "1.16.0",
        f"""
def {{K}}_cpu_build() -> int:
    try:
        dense = wp.zeros((8, 8, 8), dtype=wp.float32, device="cpu").numpy()
        wp.Volume.load_from_numpy(dense, bg_value=0.0, device="cpu")
        return 1
    except Exception:
        return 0


{{K}}_CPU = wp.constant({{K}}_cpu_build())


@wp.kernel
def {{K}}({_OUT}, s0: wp.array(dtype=wp.uint64)):
    if {{K}}_CPU == 1:
        if s0[0] != wp.uint64(0):
            out[0] = int(wp.volume_sample_f(s0[0], wp.vec3(0.0, 0.0, 0.0), 1))
        else:
            out[0] = 1
""",
        "`wp.volume_*` queries of a `wp.Volume` built on the CPU (`Volume.load_from_numpy(..., "
        "device='cpu')`, tried when the probe module loads): through 1.14.0 the build raises 'Only "
        "CUDA devices are supported for allocate_by_tiles' (through 1.15.0; the build works from 1.16.0)",
        scratch=("uint64",),
    ),
    Gate(
        "tile_axpy_dot",
        "1.13.0",
        f"""
@wp.kernel
def {{K}}({_OUT}, s0: wp.array(dtype=wp.float32)):
    a = wp.tile_ones(shape=8, dtype=wp.float32)
    b = wp.tile_ones(shape=8, dtype=wp.float32)
    wp.tile_axpy(2.0, a, b)
    d = wp.tile_dot(a, b)
    if d[0] == 24.0:
        out[0] = 1
""",
        "`wp.tile_axpy` and `wp.tile_dot` (1.12.0: no such builtins; probed on 1.10.1-1.19.0)",
        ("float32",),
    ),
    Gate(
        "function_params",
        "1.15.0",
        f"""
@wp.func
def {{K}}_sq(x: float) -> float:
    return x * x


@wp.func
def {{K}}_apply(g: wp.Function, x: float) -> float:
    return g(x) + 1.0


@wp.kernel
def {{K}}({_OUT}):
    if {{K}}_apply({{K}}_sq, 3.0) == 10.0:
        out[0] = 1
""",
        "`@wp.func` parameters annotated `wp.Function` (a function passed as an argument; through "
        "1.14.0: 'Unrecognized type' for the parameter; probed on 1.10.1-1.19.0)",
        backward=True,
    ),
    Gate(
        "quat_twist_angle_signed",
        "1.16.0",
        f"""
@wp.kernel
def {{K}}({_OUT}):
    q = wp.quat_from_axis_angle(wp.vec3(0.0, 0.0, 1.0), 0.5)
    a = wp.quat_twist_angle_signed(wp.vec3(0.0, 0.0, 1.0), q)
    if wp.abs(a - 0.5) < 1.0e-5:
        out[0] = 1
""",
        "`wp.quat_twist_angle_signed` (no such builtin through 1.15.0; probed on 1.10.1-1.19.0)",
    ),
    Gate(
        "mesh_ray_count_parity",
        "1.11.0",
        f"""
@wp.kernel
def {{K}}({_OUT}, s0: wp.array(dtype=wp.uint64)):
    if s0[0] != wp.uint64(0):
        q = wp.mesh_query_point_sign_parity(s0[0], wp.vec3(0.0, 0.0, 0.0), 1.0)
        h = wp.mesh_query_ray_anyhit(s0[0], wp.vec3(0.0, 0.0, 0.0), wp.vec3(1.0, 0.0, 0.0), 1.0)
        out[0] = wp.mesh_query_ray_count_intersections(s0[0], wp.vec3(0.0, 0.0, 0.0), wp.vec3(1.0, 0.0, 0.0))
        if h and q.result:
            out[0] = 2
    else:
        out[0] = 1
""",
        "`wp.mesh_query_point_sign_parity`, `wp.mesh_query_ray_anyhit` and "
        "`wp.mesh_query_ray_count_intersections` (no such builtins in 1.10.1; present in the 1.11.0 "
        "source, not probed on a release)",
        scratch=("uint64",),
    ),
    Gate(
        "minkowski_queries",
        "1.19.0",
        f"""
@wp.kernel
def {{K}}({_OUT}, s0: wp.array(dtype=wp.uint64)):
    if s0[0] != wp.uint64(0):
        i = int(0)
        q = wp.bvh_query_sphere(s0[0], wp.vec3(0.0, 0.0, 0.0), 1.0)
        while wp.bvh_query_next(q, i):
            out[0] = 2
        c = wp.bvh_query_capsule(s0[0], wp.vec3(0.0, 0.0, 0.0), wp.vec3(1.0, 0.0, 0.0), 1.0)
        while wp.bvh_query_next(c, i, 1.0):
            out[0] = 3
        m = wp.mesh_query_sphere(s0[0], wp.vec3(0.0, 0.0, 0.0), 1.0)
        while wp.mesh_query_aabb_next(m, i):
            out[0] = 4
    else:
        out[0] = 1
""",
        "`wp.bvh_query_sphere`, `wp.bvh_query_capsule` (with `bvh_query_next`'s max_dist) and "
        "`wp.mesh_query_sphere` (not in 1.16.0's source; 1.19.0 has them; 1.17 / 1.18 not checked, "
        "so the table asks for 1.19.0)",
        scratch=("uint64",),
    ),
    Gate(
        "tile_map_tanh_backward",
        "1.19.0",
        f"""
@wp.kernel
def {{K}}({_OUT}, s0: wp.array(dtype=wp.float32)):
    t = wp.tile_load(s0, shape=8)
    u = wp.tile_map(wp.tanh, t)
    if wp.tile_sum(u)[0] == 0.0:
        out[0] = 1
""",
        "the backward code of `wp.tile_map(wp.tanh, t)` (through 1.18.0 its adjoint calls `adj_tanh` "
        "without the result: 'no matching function for call to adj_tanh'; probed on 1.10.1-1.19.0)",
        ("float32",),
        backward=True,
    ),
    Gate(
        "tile_scatter_stack",
        "1.13.0",
        f"""
@wp.kernel
def {{K}}({_OUT}, s0: wp.array(dtype=wp.float32)):
    t = wp.tile_ones(shape=4, dtype=wp.float32)
    wp.tile_scatter_add(t, 1, 0.0, True)
    wp.tile_scatter_masked(t, 2, 5.0, False)
    s = wp.tile_stack(capacity=1, dtype=wp.float32)
    wp.tile_stack_push(s, 2.0, True)
    c = wp.tile_stack_count(s)
    v, slot = wp.tile_stack_pop(s)
    wp.tile_stack_clear(s)
    if c == 1 and wp.tile_stack_count(s) == 0 and wp.tile_sum(t)[0] == 4.0:
        out[0] = 1
""",
        "`wp.tile_scatter_add`, `wp.tile_scatter_masked` and the `wp.tile_stack*` builtins (added in "
        "1.13.0 by its changelog; not probed on older releases)",
        ("float32",),
    ),
    Gate(
        "tile_empty",
        "1.14.0",
        f"""
@wp.kernel
def {{K}}({_OUT}, s0: wp.array(dtype=wp.float32)):
    t = wp.tile_empty(shape=4, dtype=wp.float32)
    wp.tile_assign(t, wp.tile_ones(shape=4, dtype=wp.float32), offset=(0,))
    if wp.tile_sum(t)[0] == 4.0:
        out[0] = 1
""",
        "`wp.tile_empty` (added in 1.14.0 by its changelog; not probed on older releases)",
        ("float32",),
    ),
    Gate(
        "tile_slice_indexed",
        "1.16.0",
        f"""
@wp.kernel
def {{K}}({_OUT}, s0: wp.array(dtype=wp.float32)):
    t = wp.tile_reshape(wp.tile_arange(8, dtype=wp.float32), shape=(4, 2))
    ix = wp.tile_arange(-1, -5, -1, dtype=wp.int32)
    g = t[ix, :]
    if g[0, 1] == 7.0 and g[3, 0] == 0.0:
        out[0] = 1
""",
        "`t[indices, :]` on a tile (`wp.tile_slice_indexed`; tile slicing came in 1.16.0 by its "
        "changelog; not probed on older releases)",
        ("float32",),
    ),
    Gate(
        "quat_euler",
        "1.12.0",
        f"""
@wp.kernel
def {{K}}({_OUT}):
    q = wp.quat_from_euler(wp.vec3(0.1, 0.2, 0.3), 0, 1, 2)
    e = wp.quat_to_euler(q, 0, 1, 2)
    if wp.abs(e[2] - 0.3) < 1.0e-4:
        out[0] = 1
""",
        "`wp.quat_from_euler` and `wp.quat_to_euler` (CHANGELOG 1.12.0; not probed on older releases)",
    ),
    Gate(
        "transform_set",
        "1.10.0",
        f"""
@wp.func
def {{K}}_set(t: wp.transform) -> wp.transform:
    wp.transform_set_translation(t, wp.vec3(4.0, 5.0, 6.0))
    return t


@wp.kernel
def {{K}}({_OUT}):
    t = {{K}}_set(wp.transform_identity())
    if t[1] == 5.0:
        out[0] = 1
""",
        "`wp.transform_set_translation/rotation` on a local (the probe passes on 1.10.0, 1.10.1, 1.11.0 "
        "and 1.12.0; CHANGELOG 1.13.0 says they operated on a temporary copy before: a form that does is "
        "a finding, not a gate)",
    ),
    Gate(
        "copysign",
        "1.14.0",
        f"""
@wp.kernel
def {{K}}({_OUT}):
    if wp.copysign(2.0, -0.0) == -2.0:
        out[0] = 1
""",
        "`wp.copysign` (CHANGELOG 1.14.0; not probed on older releases)",
    ),
    Gate(
        "approx_ops",
        "1.12.0",
        f"""
@wp.kernel
def {{K}}({_OUT}):
    m = wp.inverse_approx(wp.mat22(2.0, 0.0, 0.0, 4.0))
    if wp.div_approx(3.0, 2.0) == 1.5:
        if m[1, 1] == 0.25:
            out[0] = 1
""",
        "`wp.div_approx` / `wp.inverse_approx` (probed: absent in 1.10.0, 1.10.1 and 1.11.0, present "
        "from 1.12.0)",
    ),
    Gate(
        "grad_builtin",
        "1.11.0",
        f"""
@wp.func
def {{K}}_g(x: float) -> float:
    return wp.sin(x)


@wp.func_grad({{K}}_g)
def {{K}}_g_grad(x: float, adj_ret: float):
    wp.adjoint[x] += wp.grad(wp.sin)(x) * adj_ret


@wp.kernel
def {{K}}({_OUT}):
    if {{K}}_g(0.0) == 0.0:
        out[0] = 1
""",
        "`wp.grad(f)` of a builtin inside a custom adjoint (probed: absent in 1.10.1, present in 1.11.0)",
    ),
    Gate(
        "newton_math",
        "1.12.0",
        f"""
@wp.kernel
def {{K}}({_OUT}):
    q = wp.quat_from_axis_angle(wp.vec3(0.0, 1.0, 0.0), 0.5)
    t = wp.quat_twist(wp.vec3(0.0, 1.0, 0.0), q)
    a = wp.quat_twist_angle(wp.vec3(0.0, 1.0, 0.0), q)
    r = wp.quat_to_rpy(q)
    s = wp.spatial_vector(0.0, 0.0, 1.0, 0.0, 0.0, 0.0)
    v = wp.velocity_at_point(s, wp.vec3(1.0, 0.0, 0.0))
    w = wp.transform_wrench(wp.transform_identity(), s)
    u = wp.transform_twist(wp.transform_identity(), s)
    if wp.abs(a - 0.5) < 1.0e-4 and wp.abs(r[1] - 0.5) < 1.0e-4 and wp.abs(t[1] - q[1]) < 1.0e-4:
        out[0] = 1
""",
        "quat_twist, quat_twist_angle, quat_to_rpy, velocity_at_point, transform_twist/wrench, written "
        "in Warp's Python (NVIDIA/warp#1237; probed: absent in 1.10.1 and 1.11.0, present in 1.12.0)",
    ),
)


def check_table(gates: tuple[Gate, ...] = GATES) -> None:
    """Fail loudly on a malformed table: unparsable versions, duplicate names, probes without `{K}`."""
    seen: set[str] = set()
    for g in gates:
        if g.name in seen:
            raise GateTableError(f"gate {g.name!r} appears twice in the gate table")
        seen.add(g.name)
        if g.since is not None:
            parse_version(g.since)
        if "@wp.kernel\ndef {K}(" not in g.probe_source:
            raise GateTableError(f"gate {g.name!r}: probe_source must define `@wp.kernel\\ndef {{K}}(...)`")


def enabled_features(warp_version: str, gates: tuple[Gate, ...] = GATES) -> frozenset[str]:
    """Names of the gated constructs that `warp_version` accepts, by the table alone."""
    v = parse_version(warp_version)
    return frozenset(g.name for g in gates if g.since is not None and parse_version(g.since) <= v)


def disabled_features(warp_version: str, gates: tuple[Gate, ...] = GATES) -> frozenset[str]:
    return frozenset(g.name for g in gates) - enabled_features(warp_version, gates)


# ---- confirmation by probe kernels ---------------------------------------------------------------


@dataclass(frozen=True)
class GateCheck:
    """What one probe showed: expected (table) vs observed (compiled and computed `out[0] == 1`)."""

    name: str
    since: str | None
    expected: bool
    observed: bool
    detail: str = ""

    @property
    def agrees(self) -> bool:
        return self.expected == self.observed


@dataclass
class GateReport:
    """The table's view of one Warp release, confirmed (or contradicted) by probe kernels."""

    warp_version: str
    table_hash: str
    checks: list[GateCheck] = field(default_factory=list)
    seconds: float = 0.0
    cached: bool = False

    @property
    def ok(self) -> bool:
        return all(c.agrees for c in self.checks)

    @property
    def disagreements(self) -> list[GateCheck]:
        return [c for c in self.checks if not c.agrees]

    @property
    def features(self) -> frozenset[str]:
        """Constructs that are both listed as present and observed working: what to generate."""
        return frozenset(c.name for c in self.checks if c.expected and c.observed)

    def message(self) -> str:
        if self.ok:
            return (
                f"gate table confirmed for warp {self.warp_version}: "
                f"{sum(c.expected for c in self.checks)} present, "
                f"{sum(not c.expected for c in self.checks)} absent"
                + (" (cached)" if self.cached else f" ({self.seconds:.1f} s)")
            )
        lines = [f"gate table is wrong for warp {self.warp_version} (grammar/gates.py GATES):"]
        for c in self.disagreements:
            if c.expected:
                lines.append(
                    f"  {c.name} (since {c.since}): the table says warp {self.warp_version} has it, "
                    f"but its probe failed: {c.detail or 'no detail'}; the generator will not emit it. "
                    "Raise its `since` or fix the probe."
                )
            elif c.since is None:
                lines.append(
                    f"  {c.name} (no release yet): its probe now compiles and runs correctly on warp "
                    f"{self.warp_version}; set its `since` to the first release that has it."
                )
            else:
                lines.append(
                    f"  {c.name} (since {c.since}): the table says warp {self.warp_version} lacks it, "
                    f"but its probe compiled and ran correctly; lower its `since` to enable it."
                )
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": GATES_FORMAT,
            "warp_version": self.warp_version,
            "table_hash": self.table_hash,
            "seconds": self.seconds,
            "checks": [asdict(c) for c in self.checks],
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> GateReport:
        return cls(
            str(d["warp_version"]),
            str(d["table_hash"]),
            [GateCheck(**c) for c in d["checks"]],
            float(d.get("seconds", 0.0)),
            cached=True,
        )


def table_hash(gates: tuple[Gate, ...] = GATES) -> str:
    """Changes whenever an entry or probe changes, so a cached confirmation is never stale."""
    blob = json.dumps([asdict(g) for g in gates], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def default_cache_dir() -> str:
    """`$XDG_CACHE_HOME/warpfuzz` (or `~/.cache/warpfuzz`), shared with the per-release venvs."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "warpfuzz")


def probe_kernel_name(g: Gate) -> str:
    """The probe kernel's name in a probe module (`{K}` of its `probe_source`)."""
    return f"gate_{g.name}"


def probe_source(g: Gate) -> str:
    """The probe's module-level code with `{K}` filled in; a `backward` gate's kernel builds its
    adjoint even though probe modules compile forward code only."""
    text = g.probe_source
    if g.backward:
        text = text.replace("@wp.kernel\ndef {K}(", "@wp.kernel(enable_backward=True)\ndef {K}(")
    return text.replace("{K}", probe_kernel_name(g))


# ---- which gated constructs a kernel source uses -------------------------------------------------

_TYPED_CTOR = re.compile(r"^(vec[234]|mat(22|33|44)|quat|transform|spatial_vector|spatial_matrix)[dh]$")
_ARRAY_KINDS = frozenset({"array", "array1d", "array2d", "array3d", "array4d"})
_NEWTON_MATH = frozenset(
    {
        "quat_twist",
        "quat_twist_angle",
        "quat_to_rpy",
        "velocity_at_point",
        "transform_twist",
        "transform_wrench",
    }
)
_UNDETECTABLE = frozenset({"composite_index_any_int", "array_index_any_int"})
# every name `features_used` can report (tests/test_gates_detect.py holds it to the function's
# `found.add` calls): a release whose missing gates are all outside it needs no parse per kernel
DETECTABLE: frozenset[str] = frozenset(
    {
        "static_builtin_select", "static_function_local", "ternary", "short_circuit_boolops",
        "int_floordiv_floors", "array_subscript_annotations", "bfloat16", "array_bitwise_augassign",
        "while_break_continue", "func_default_args", "wp_cast", "bit_count", "tiles",
        "bitwise_atomics", "atomic_cas_exch", "typed_ctor_float_literals", "vec_mat_len",
        "volume_cpu", "tile_axpy_dot", "function_params", "quat_twist_angle_signed",
        "tile_map_tanh_backward", "tile_scatter_stack", "tile_empty", "tile_slice_indexed",
        "mesh_ray_count_parity", "minkowski_queries", "quat_euler", "transform_set", "copysign",
        "approx_ops", "grad_builtin", "newton_math",
    }
)  # fmt: skip


def features_used(source: str) -> frozenset[str]:
    """Gated constructs `source` visibly uses (syntax only, no types).

    Indexing with a non-int32 integer (`array_index_any_int`, `composite_index_any_int`) needs
    types to see and is not reported; `len()` is reported whatever its argument, and every `//`
    as `int_floordiv_floors` (float `//` too: conservative).
    """
    import ast

    found: set[str] = set()
    tree = ast.parse(source)

    def wp_name(n: ast.AST) -> str | None:
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "wp":
            return n.attr
        return None

    # module-level tables holding a `wp` builtin (`OPS = (wp.sin, f)`): what wp.static may select
    builtin_tables = {
        t.id
        for st in tree.body
        if isinstance(st, ast.Assign) and isinstance(st.value, ast.Tuple | ast.List | ast.Dict)
        for t in st.targets
        if isinstance(t, ast.Name) and any(wp_name(m) is not None for m in ast.walk(st.value))
    }
    for n in ast.walk(tree):
        static_arg = n.args[0] if isinstance(n, ast.Call) and wp_name(n.func) == "static" and n.args else None
        if static_arg is not None and any(
            isinstance(m, ast.Name) and m.id in builtin_tables for m in ast.walk(static_arg)
        ):
            found.add("static_builtin_select")
        bound = n.value if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call) else None
        if bound is not None and wp_name(bound.func) == "static" and bound.args:
            found |= {"static_function_local"} if isinstance(bound.args[0], ast.Subscript) else set()
        if isinstance(n, ast.IfExp):
            found.add("ternary")
        elif isinstance(n, ast.BoolOp):
            found.add("short_circuit_boolops")
        elif isinstance(n, ast.BinOp) and isinstance(n.op, ast.FloorDiv):
            # types are not visible here: every `//` counts, so releases before 1.18 (where integer
            # `//` truncates) get no `//` at all rather than false mismatches on signed operands
            found.add("int_floordiv_floors")
        elif isinstance(n, ast.Subscript) and wp_name(n.value) in _ARRAY_KINDS:
            found.add("array_subscript_annotations")
        elif isinstance(n, ast.Subscript) and is_index_tile_subscript(n):
            found.add("tile_slice_indexed")
        elif isinstance(n, ast.Attribute) and wp_name(n) == "bfloat16":
            found.add("bfloat16")
        elif isinstance(n, ast.AugAssign) and isinstance(n.op, ast.BitAnd | ast.BitOr | ast.BitXor):
            if isinstance(n.target, ast.Subscript):
                found.add("array_bitwise_augassign")
        elif isinstance(n, ast.While):
            for m in ast.walk(n):
                if isinstance(m, ast.Break | ast.Continue):
                    found.add("while_break_continue")
        elif isinstance(n, ast.FunctionDef):
            if any(a.annotation is not None and wp_name(a.annotation) == "Function" for a in n.args.args):
                found.add("function_params")
            if (n.args.defaults or any(d is not None for d in n.args.kw_defaults)) and any(
                wp_name(d) == "func" for d in n.decorator_list
            ):
                found.add("func_default_args")
        elif isinstance(n, ast.Call):
            fn = wp_name(n.func)
            if fn == "cast":
                found.add("wp_cast")
            elif fn == "bit_count":
                found.add("bit_count")
            elif fn and fn.startswith("tile"):
                found.add("tiles")
                if fn in ("tile_axpy", "tile_dot"):
                    found.add("tile_axpy_dot")
                elif fn == "tile_map" and n.args and wp_name(n.args[0]) == "tanh":
                    found.add("tile_map_tanh_backward")
                elif fn.startswith(("tile_scatter_", "tile_stack")):
                    found.add("tile_scatter_stack")
                elif fn == "tile_empty":
                    found.add("tile_empty")
            elif fn in ("atomic_and", "atomic_or", "atomic_xor"):
                found.add("bitwise_atomics")
            elif fn in ("atomic_cas", "atomic_exch"):
                found.add("atomic_cas_exch")
            elif fn and _TYPED_CTOR.match(fn):
                if any(_bare_float(a) for a in n.args):  # `wp.float64(0.1)` arguments are fine
                    found.add("typed_ctor_float_literals")
            elif isinstance(n.func, ast.Name) and n.func.id == "len":
                found.add("vec_mat_len")
            elif fn and fn.startswith("volume_"):
                found.add("volume_cpu")
            elif fn in (
                "mesh_query_point_sign_parity",
                "mesh_query_ray_anyhit",
                "mesh_query_ray_count_intersections",
            ):
                found.add("mesh_ray_count_parity")
            elif fn in ("bvh_query_sphere", "bvh_query_capsule", "mesh_query_sphere"):
                found.add("minkowski_queries")
            elif fn == "quat_twist_angle_signed":
                found.add("quat_twist_angle_signed")
            elif fn in ("quat_from_euler", "quat_to_euler"):
                found.add("quat_euler")
            elif fn in ("transform_set_translation", "transform_set_rotation"):
                found.add("transform_set")
            elif fn == "copysign":
                found.add("copysign")
            elif fn in ("div_approx", "inverse_approx"):
                found.add("approx_ops")
            elif fn == "grad":
                found.add("grad_builtin")
            elif fn in _NEWTON_MATH:
                found.add("newton_math")
    return frozenset(found)


def is_index_tile_subscript(n: object) -> bool:
    """`t[ix, :]` / `t[:, ix]`: a name beside full `:` slices, as the tiles family writes
    tile_slice_indexed (types are not visible here: any such subscript counts)."""
    import ast

    if not isinstance(n, ast.Subscript) or not isinstance(n.slice, ast.Tuple):
        return False
    elts = n.slice.elts
    full = [isinstance(e, ast.Slice) and e.lower is None and e.upper is None and e.step is None for e in elts]
    names = [isinstance(e, ast.Name) for e in elts]
    return any(full) and sum(names) == 1 and all(f or m for f, m in zip(full, names, strict=True))


def _bare_float(n: object) -> bool:
    import ast

    if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.USub | ast.UAdd):
        n = n.operand
    return isinstance(n, ast.Constant) and isinstance(n.value, float)


def missing_features(source: str, warp_version: str, gates: tuple[Gate, ...] = GATES) -> list[Gate]:
    """Gates `source` uses that `warp_version` lacks (by the table), oldest requirement first;
    semantic gates never count (their construct compiles there, only its meaning differs)."""
    off = disabled_features(warp_version, gates)
    candidates = [g for g in gates if g.name in off and not g.semantic and g.name in DETECTABLE]
    if not candidates:  # e.g. 1.19.0: only an undetectable gate is off, so no source can lack one
        return []
    used = features_used(source)
    return sorted(
        (g for g in candidates if g.name in used),
        key=lambda g: parse_version(g.since) if g.since else (10**6, 0, 0),
    )
