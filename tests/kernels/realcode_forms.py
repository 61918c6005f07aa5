"""Kernels written the way Warp's own code writes them (checked by tests/test_check_realcode.py)."""

from typing import Any

import warp as wp

Float = wp.float32
vec3x = wp.types.vector(length=3, dtype=float)
SCALE = wp.constant(1.5)
OFFSET = 0.25


@wp.struct
class Grid:
    values: wp.array[wp.float32]
    gain: float


@wp.func
def twice(x: float):
    return 2.0 * x


@wp.func
def split(x: float):
    return x + 1.0, x - 1.0


@wp.kernel
def subscript_1d(a: wp.array[float], out: wp.array1d[Float]):
    i = wp.tid()
    out[i] = twice(a[i]) * SCALE + OFFSET


@wp.kernel
def vec_2d(a: wp.array2d[wp.vec3], out: wp.array2d[vec3x]):
    i, j = wp.tid()
    out[i, j] = a[i, j] * float(i + j)


@wp.kernel
def grid_3d(a: wp.array3d[float], out: wp.array(dtype=float, ndim=3)):
    i, j, k = wp.tid()
    lo, hi = split(a[i, j, k])
    out[i, j, k] = lo * hi


@wp.kernel
def struct_array(g: Grid, out: wp.array[float]):
    i = wp.tid()
    g.values[i] = g.values[i] * g.gain
    out[i] = g.values[i] + 1.0


mat22x = wp.types.matrix(shape=(2, 2), dtype=float)


@wp.kernel
def mat_4d(a: wp.array4d[float], m: wp.array[mat22x], out: wp.array4d[float]):
    i, j, k, n = wp.tid()
    v = m[i] * wp.vec2(a[i, j, k, n], 1.0)
    out[i, j, k, n] = v[0] - v[1]


@wp.func
def scaled(x: Any, s: Any) -> Any:
    return x * s


@wp.kernel
def generic_helper(a: wp.array[float], v: wp.array[wp.vec3], out: wp.array[float], vout: wp.array[wp.vec3]):
    i = wp.tid()
    out[i] = scaled(a[i], 3.0)
    vout[i] = scaled(v[i], a[i])
