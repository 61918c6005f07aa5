"""Hand-written kernels for the random-number oracle (rand.h): every builtin and form, and the
ways Warp's codegen threads the `uint32& state` argument (advanced in place, copied on `s2 = s`,
advanced only on the lanes of a branch, in unrolled and dynamic loops, dropped for a temporary)."""

import warp as wp

wp.set_module_options({"enable_backward": False})


@wp.kernel
def streams(
    seeds: wp.array(dtype=wp.int32),
    offs: wp.array(dtype=wp.int32),
    ui: wp.array(dtype=wp.uint32),
    oi: wp.array(dtype=wp.int32),
    ou: wp.array(dtype=wp.uint32),
    of: wp.array(dtype=wp.float32),
):
    i = wp.tid()
    s1 = wp.rand_init(seeds[i])
    s2 = wp.rand_init(seeds[i], offs[i])
    ui[i * 2] = s1
    ui[i * 2 + 1] = s2
    oi[i * 4] = wp.randi(s1)
    oi[i * 4 + 1] = wp.randi(s1, -7, 20)
    oi[i * 4 + 2] = wp.randi(s2, offs[i] - 1000, offs[i] + 3)
    oi[i * 4 + 3] = wp.randi(s2, 5, -3)
    ou[i * 3] = wp.randu(s1)
    ou[i * 3 + 1] = wp.randu(s2, wp.uint32(3), wp.uint32(400000000))
    ou[i * 3 + 2] = wp.randu(s1, wp.uint32(10), wp.uint32(2))
    of[i * 4] = wp.randf(s1)
    of[i * 4 + 1] = wp.randf(s2, -2.5, 7.0)
    of[i * 4 + 2] = wp.randn(s1)
    of[i * 4 + 3] = wp.randn(s2)


@wp.kernel
def samplers(seeds: wp.array(dtype=wp.int32), v2: wp.array(dtype=wp.vec2), v3: wp.array(dtype=wp.vec3)):
    i = wp.tid()
    s = wp.rand_init(seeds[i], i)
    v2[i * 5] = wp.sample_triangle(s)
    v2[i * 5 + 1] = wp.sample_unit_ring(s)
    v2[i * 5 + 2] = wp.sample_unit_disk(s)
    v2[i * 5 + 3] = wp.sample_unit_square(s)
    v2[i * 5 + 4] = wp.sample_triangle(wp.rand_init(seeds[i]))
    v3[i * 5] = wp.sample_unit_sphere_surface(s)
    v3[i * 5 + 1] = wp.sample_unit_sphere(s)
    v3[i * 5 + 2] = wp.sample_unit_hemisphere_surface(s)
    v3[i * 5 + 3] = wp.sample_unit_hemisphere(s)
    v3[i * 5 + 4] = wp.sample_unit_cube(s)


@wp.kernel
def poissons(
    seeds: wp.array(dtype=wp.int32), lams: wp.array(dtype=wp.float32), out: wp.array(dtype=wp.uint32)
):
    i = wp.tid()
    s = wp.rand_init(seeds[i])
    out[i * 3] = wp.poisson(s, lams[i])
    out[i * 3 + 1] = wp.poisson(s, lams[i] * 4.0)
    out[i * 3 + 2] = wp.randu(s)


@wp.kernel
def threading(
    seeds: wp.array(dtype=wp.int32), n: int, of: wp.array(dtype=wp.float32), ou: wp.array(dtype=wp.uint32)
):
    i = wp.tid()
    state = wp.rand_init(seeds[i], 3)
    a = wp.randf(state)
    copy = state
    b = wp.randf(copy)
    c = wp.randf(state)
    if i % 3 == 0:
        wp.randi(state)
    d = wp.randf(state)
    for _k in range(3):
        wp.randu(state)
    for _j in range(n + i % 2):
        a = a + wp.randf(state)
    e = wp.randf(wp.rand_init(seeds[i]))
    f = wp.randf(state)
    if a > 2.0:
        state = wp.rand_init(i)
    g = wp.randf(state) - wp.randf(state) * 2.0
    of[i * 7] = a
    of[i * 7 + 1] = b
    of[i * 7 + 2] = c
    of[i * 7 + 3] = d
    of[i * 7 + 4] = e
    of[i * 7 + 5] = f
    of[i * 7 + 6] = g
    ou[i * 2] = state
    ou[i * 2 + 1] = copy


@wp.kernel
def ternary(seeds: wp.array(dtype=wp.int32), of: wp.array(dtype=wp.float32), ou: wp.array(dtype=wp.uint32)):
    i = wp.tid()
    s = wp.rand_init(seeds[i])
    x = wp.randf(s) if i % 2 == 0 else wp.randf(s) + 1.0
    of[i] = x
    ou[i] = s


@wp.kernel
def nested(seeds: wp.array(dtype=wp.int32), of: wp.array(dtype=wp.float32), ou: wp.array(dtype=wp.uint32)):
    i = wp.tid()
    s = wp.rand_init(seeds[i])
    of[i * 2] = wp.randf(s, -1.0, wp.randf(s) * 4.0)
    of[i * 2 + 1] = wp.randf(s, wp.randf(wp.rand_init(i, seeds[i])), 3.0)
    ou[i * 2] = wp.randu(s, wp.uint32(1), wp.uint32(5) + wp.randu(s, wp.uint32(2), wp.uint32(9)))
    ou[i * 2 + 1] = s
