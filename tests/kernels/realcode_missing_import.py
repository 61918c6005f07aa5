"""A real-code file whose module-level import fails: check extracts the kernels."""

import math

import warp as wp
import warpfuzz_package_that_is_not_installed as missing  # noqa: F401

LIMIT = wp.constant(1.0)
HALF = 0.5 * math.pi


@wp.func
def bounded(x: float):
    return wp.clamp(x, -LIMIT, LIMIT)


@wp.kernel
def clamp_kernel(a: wp.array[float], out: wp.array[float]):
    i = wp.tid()
    out[i] = bounded(a[i] * 2.0) + HALF


@wp.kernel
def tiled(a: wp.array2d[float], out: wp.array2d[float]):
    i, j = wp.tid()
    t = wp.tile_load(a, shape=(2, 2))
    wp.tile_store(out, t)
