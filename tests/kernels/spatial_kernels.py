"""Hand-written kernels for the spatial builtins (spatial.h): constructors, dot, cross, dual
cross, top/bottom and the 6x6 adjoint applied to a twist, in float32 and float64."""

import warp as wp

wp.set_module_options({"enable_backward": False})


@wp.kernel
def spatial_f(
    a: wp.array(dtype=wp.vec3),
    b: wp.array(dtype=wp.vec3),
    c: wp.array(dtype=wp.vec3),
    d: wp.array(dtype=wp.vec3),
    r: wp.array(dtype=wp.mat33),
    s: wp.array(dtype=wp.mat33),
    ov: wp.array(dtype=wp.vec3),
    of: wp.array(dtype=wp.float32),
):
    i = wp.tid()
    x = wp.spatial_vector(a[i], b[i])
    y = wp.spatial_vector(c[i][0], c[i][1], c[i][2], d[i][0], d[i][1], d[i][2])
    cr = wp.spatial_cross(x, y)
    cd = wp.spatial_cross_dual(x, y)
    ad = wp.spatial_adjoint(r[i], s[i])
    t = ad * y
    ov[i * 6] = wp.spatial_top(cr)
    ov[i * 6 + 1] = wp.spatial_bottom(cr)
    ov[i * 6 + 2] = wp.spatial_top(cd)
    ov[i * 6 + 3] = wp.spatial_bottom(cd)
    ov[i * 6 + 4] = wp.spatial_top(t)
    ov[i * 6 + 5] = wp.spatial_bottom(t)
    of[i * 3] = wp.spatial_dot(x, y)
    of[i * 3 + 1] = ad[4, 1] + ad[1, 4] + ad[5][5]
    of[i * 3 + 2] = x[4] - y[2]


@wp.kernel
def spatial_d(
    a: wp.array(dtype=wp.vec3d),
    b: wp.array(dtype=wp.vec3d),
    r: wp.array(dtype=wp.mat33d),
    ov: wp.array(dtype=wp.vec3d),
    of: wp.array(dtype=wp.float64),
):
    i = wp.tid()
    x = wp.spatial_vectord(a[i][0], a[i][1], a[i][2], b[i][0], b[i][1], b[i][2])
    y = wp.spatial_vectord(b[i][0], b[i][1], b[i][2], a[i][0], a[i][1], a[i][2])
    ad = wp.spatial_adjoint(r[i], r[i])
    ov[i * 3] = wp.spatial_top(wp.spatial_cross(x, y))
    ov[i * 3 + 1] = wp.spatial_bottom(wp.spatial_cross_dual(y, x))
    ov[i * 3 + 2] = wp.spatial_bottom(ad * x)
    of[i] = wp.spatial_dot(x, y)


@wp.kernel
def math_funcs(
    a: wp.array(dtype=wp.vec3),
    b: wp.array(dtype=wp.vec3),
    q: wp.array(dtype=wp.quat),
    t: wp.array(dtype=wp.transform),
    ov: wp.array(dtype=wp.vec3),
    oq: wp.array(dtype=wp.quat),
    of: wp.array(dtype=wp.float32),
):
    i = wp.tid()
    x = wp.spatial_vector(a[i], b[i])
    tw = wp.transform_twist(t[i], x)
    wr = wp.transform_wrench(t[i], x)
    ov[i * 6] = wp.spatial_top(tw)
    ov[i * 6 + 1] = wp.spatial_bottom(tw)
    ov[i * 6 + 2] = wp.spatial_top(wr)
    ov[i * 6 + 3] = wp.spatial_bottom(wr)
    ov[i * 6 + 4] = wp.velocity_at_point(x, b[i])
    ov[i * 6 + 5] = wp.quat_to_rpy(q[i])
    axis = wp.normalize(a[i])
    oq[i] = wp.quat_twist(axis, q[i])
    of[i * 2] = wp.quat_twist_angle(axis, q[i])
    of[i * 2 + 1] = wp.quat_twist_angle_signed(axis, q[i])
