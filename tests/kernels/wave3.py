"""Hand-written kernels for oracle wave 3: inverse, identity, 4x4 determinant, quaternion
slerp/rpy/from_matrix/normalize, transforms and bit_count."""

import warp as wp

wp.set_module_options({"enable_backward": False})


@wp.kernel
def mat_inv(
    m2: wp.array(dtype=wp.mat22),
    m3: wp.array(dtype=wp.mat33),
    m4: wp.array(dtype=wp.mat44),
    o2: wp.array(dtype=wp.mat22),
    o3: wp.array(dtype=wp.mat33),
    o4: wp.array(dtype=wp.mat44),
    det4: wp.array(dtype=float),
):
    i = wp.tid()
    o2[i] = wp.inverse(m2[i])
    o3[i] = wp.inverse(m3[i]) + wp.identity(n=3, dtype=float)
    o4[i] = wp.inverse(m4[i])
    det4[i] = wp.determinant(m4[i])


@wp.kernel
def mat_inv_d(
    m3: wp.array(dtype=wp.mat33d),
    m4: wp.array(dtype=wp.mat44d),
    o3: wp.array(dtype=wp.mat33d),
    o4: wp.array(dtype=wp.mat44d),
    det4: wp.array(dtype=wp.float64),
):
    i = wp.tid()
    o3[i] = wp.inverse(m3[i])
    o4[i] = wp.inverse(m4[i]) * wp.identity(n=4, dtype=wp.float64)
    det4[i] = wp.determinant(m4[i])


@wp.kernel
def quat_more(
    q0: wp.array(dtype=wp.quat),
    q1: wp.array(dtype=wp.quat),
    t: wp.array(dtype=float),
    rpy: wp.array(dtype=wp.vec3),
    m: wp.array(dtype=wp.mat33),
    m4: wp.array(dtype=wp.mat44),
    os: wp.array(dtype=wp.quat),
    orpy: wp.array(dtype=wp.quat),
    om: wp.array(dtype=wp.quat),
    om4: wp.array(dtype=wp.quat),
    on: wp.array(dtype=wp.quat),
):
    i = wp.tid()
    os[i] = wp.quat_slerp(q0[i], q1[i], t[i])
    orpy[i] = wp.quat_rpy(rpy[i][0], rpy[i][1], rpy[i][2])
    om[i] = wp.quat_from_matrix(m[i])
    om4[i] = wp.quat_from_matrix(m4[i])
    on[i] = wp.normalize(q0[i] * 0.0) + wp.normalize(q1[i])


@wp.kernel
def xforms(
    ta: wp.array(dtype=wp.transform),
    tb: wp.array(dtype=wp.transform),
    x: wp.array(dtype=wp.vec3),
    p: wp.array(dtype=wp.vec3),
    q: wp.array(dtype=wp.quat),
    ot: wp.array(dtype=wp.transform),
    oi: wp.array(dtype=wp.transform),
    op: wp.array(dtype=wp.vec3),
    ov: wp.array(dtype=wp.vec3),
    oc: wp.array(dtype=wp.transform),
    oq: wp.array(dtype=wp.quat),
):
    i = wp.tid()
    ot[i] = wp.transform_multiply(ta[i], tb[i])
    oi[i] = wp.transform_inverse(ta[i])
    op[i] = wp.transform_point(ta[i], x[i]) + wp.transform_get_translation(tb[i])
    ov[i] = wp.transform_vector(ta[i], x[i])
    c = wp.transformation(p[i], q[i])
    if i % 3 == 0:
        c = wp.transform_identity()
    elif i % 3 == 1:
        c = wp.transform_multiply(wp.transformf(p[i], q[i]), c)
    oc[i] = c
    oq[i] = wp.transform_get_rotation(ta[i]) * wp.quat_identity()


@wp.kernel
def xforms_d(ta: wp.array(dtype=wp.transformd), x: wp.array(dtype=wp.vec3d), op: wp.array(dtype=wp.vec3d)):
    i = wp.tid()
    t = wp.transform_multiply(ta[i], wp.transform_identity(dtype=wp.float64))
    op[i] = wp.transform_point(wp.transform_inverse(t), x[i])


@wp.kernel
def bits(
    a: wp.array(dtype=wp.int32),
    b: wp.array(dtype=wp.uint64),
    c: wp.array(dtype=wp.int8),
    d: wp.array(dtype=wp.uint16),
    out: wp.array(dtype=wp.int32),
):
    i = wp.tid()
    out[i] = (
        wp.bit_count(a[i]) * 1000000
        + wp.bit_count(b[i]) * 1000
        + wp.bit_count(c[i]) * 10
        + wp.bit_count(d[i]) % 10
        + wp.bit_count(45)
    )
