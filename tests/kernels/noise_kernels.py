"""Hand-written kernels for the noise oracle (noise.h): noise and pnoise in 1-4 D on a grid of
points, for a seeded state."""

import warp as wp

wp.set_module_options({"enable_backward": False})


@wp.kernel
def noises(
    seed: int,
    p: wp.array(dtype=wp.vec4),
    periods: wp.array(dtype=wp.int32),
    out: wp.array(dtype=wp.float32),
):
    i = wp.tid()
    s = wp.rand_init(seed)
    x = p[i]
    out[i * 8] = wp.noise(s, x[0])
    out[i * 8 + 1] = wp.noise(s, wp.vec2(x[0], x[1]))
    out[i * 8 + 2] = wp.noise(s, wp.vec3(x[0], x[1], x[2]))
    out[i * 8 + 3] = wp.noise(s, x)
    px = periods[i]
    out[i * 8 + 4] = wp.pnoise(s, x[0], px)
    out[i * 8 + 5] = wp.pnoise(s, wp.vec2(x[0], x[1]), px, px + 1)
    out[i * 8 + 6] = wp.pnoise(s, wp.vec3(x[0], x[1], x[2]), px, 3, px + 2)
    out[i * 8 + 7] = wp.pnoise(s, x, px, px, 2, 5)


@wp.kernel
def curls(seed: int, p: wp.array(dtype=wp.vec4), o2: wp.array(dtype=wp.vec2), o3: wp.array(dtype=wp.vec3)):
    i = wp.tid()
    s = wp.rand_init(seed)
    x = p[i]
    o2[i * 2] = wp.curlnoise(s, wp.vec2(x[0], x[1]))
    o2[i * 2 + 1] = wp.curlnoise(s, wp.vec2(x[2], x[3]), wp.uint32(3), 2.0, 0.5)
    o3[i * 3] = wp.curlnoise(s, wp.vec3(x[0], x[1], x[2]))
    o3[i * 3 + 1] = wp.curlnoise(s, wp.vec3(x[1], x[2], x[3]), wp.uint32(2), 1.7, 0.6)
    o3[i * 3 + 2] = wp.curlnoise(s, x, wp.uint32(2))
