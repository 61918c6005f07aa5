"""Hand-written kernels for atomic_or on a shared slot, ddot, div_approx and inverse_approx."""

import warp as wp

wp.set_module_options({"enable_backward": False})


@wp.kernel
def extras(
    x: wp.array(dtype=wp.int32),
    a: wp.array(dtype=wp.mat33),
    b: wp.array(dtype=wp.mat33),
    d: wp.array(dtype=wp.mat22d),
    f: wp.array(dtype=wp.float32),
    shared: wp.array(dtype=wp.int32),
    of: wp.array(dtype=wp.float32),
    om: wp.array(dtype=wp.mat33),
    od: wp.array(dtype=wp.float64),
):
    i = wp.tid()
    wp.atomic_or(shared, i % 3, x[i])
    of[i * 3] = wp.ddot(a[i], b[i])
    of[i * 3 + 1] = wp.div_approx(f[i], wp.clamp(f[(i + 1) % 40], 1.0, 4.0))
    of[i * 3 + 2] = wp.ddot(a[i], a[i])
    om[i] = wp.inverse_approx(a[i] + wp.identity(n=3, dtype=wp.float32) * 10.0)
    od[i] = wp.ddot(wp.inverse_approx(d[i]), d[i])
