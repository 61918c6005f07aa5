"""Hand-written kernels for the wave-4 builtins: error functions and copysign, vector norms,
Euler angles, axis-angle, 4x4 transform matrices and the in-place setters, the decompositions
(consumed sign- and order-independently) and atomic_exch/cas on a thread's own slot."""

import warp as wp

wp.set_module_options({"enable_backward": False})


@wp.kernel
def scalars(x: wp.array(dtype=wp.float32), y: wp.array(dtype=wp.float32), of: wp.array(dtype=wp.float32)):
    i = wp.tid()
    u = wp.clamp(x[i], -0.99, 0.99)
    of[i * 6] = wp.erf(x[i] * 2.0)
    of[i * 6 + 1] = wp.erfc(x[i] * 2.0)
    of[i * 6 + 2] = wp.erfinv(u)
    of[i * 6 + 3] = wp.erfcinv(u + 1.0)
    of[i * 6 + 4] = wp.copysign(x[i], y[i])
    of[i * 6 + 5] = wp.copysign(wp.erf(y[i]), x[i] - 0.25)


@wp.kernel
def scalars_d(x: wp.array(dtype=wp.float64), of: wp.array(dtype=wp.float64)):
    i = wp.tid()
    ud = wp.clamp(x[i], wp.float64(-0.99), wp.float64(0.99))
    of[i * 3] = wp.erf(x[i]) + wp.erfc(x[i])
    of[i * 3 + 1] = wp.erfinv(ud)
    of[i * 3 + 2] = wp.erfcinv(ud + wp.float64(1.0))


@wp.kernel
def vecnorms(
    a: wp.array(dtype=wp.vec3),
    d: wp.array(dtype=wp.float32),
    of: wp.array(dtype=wp.float32),
    ov: wp.array(dtype=wp.vec3),
):
    i = wp.tid()
    dl = wp.abs(d[i]) + 0.25
    of[i * 3] = wp.norm_huber(a[i], dl)
    of[i * 3 + 1] = wp.norm_pseudo_huber(a[i], dl)
    of[i * 3 + 2] = wp.norm_huber(a[i]) + wp.norm_pseudo_huber(wp.vec2(a[i][0], a[i][1]))
    ov[i * 2] = wp.smooth_normalize(a[i], dl)
    ov[i * 2 + 1] = wp.smooth_normalize(a[i])


@wp.kernel
def euler(
    e: wp.array(dtype=wp.vec3),
    q: wp.array(dtype=wp.quat),
    oq: wp.array(dtype=wp.quat),
    ov: wp.array(dtype=wp.vec3),
):
    i = wp.tid()
    oq[i * 3] = wp.quat_from_euler(e[i], 0, 1, 2)
    oq[i * 3 + 1] = wp.quat_from_euler(e[i], 2, 0, 1)
    oq[i * 3 + 2] = wp.quat_from_euler(e[i], 1, 2, 1)
    qn = wp.normalize(q[i])
    ov[i * 4] = wp.quat_to_euler(qn, 0, 1, 2)
    ov[i * 4 + 1] = wp.quat_to_euler(qn, 2, 1, 0)
    ov[i * 4 + 2] = wp.quat_to_euler(qn, 0, 2, 0)
    ov[i * 4 + 3] = wp.quat_to_euler(wp.quat_from_euler(e[i], 1, 0, 2), 1, 0, 2)


@wp.func
def rotvec(q: wp.quat) -> wp.vec3:
    axis, angle = wp.quat_to_axis_angle(q)
    return axis * angle


@wp.func
def reset(t: wp.transform, p: wp.vec3, q: wp.quat) -> wp.transform:
    wp.transform_set_translation(t, p)
    wp.transform_set_rotation(t, q)
    return t


@wp.func
def decomposed(m: wp.mat44) -> wp.vec3:
    p, r, s = wp.transform_decompose(m)
    return p + wp.quat_rotate(r, s)


@wp.kernel
def xforms(
    a: wp.array(dtype=wp.vec3),
    b: wp.array(dtype=wp.vec3),
    q: wp.array(dtype=wp.quat),
    ov: wp.array(dtype=wp.vec3),
    of: wp.array(dtype=wp.float32),
):
    i = wp.tid()
    qn = wp.normalize(q[i])
    sc = wp.max(b[i], wp.vec3(0.5, 0.5, 0.5))
    m = wp.transform_compose(a[i], qn, sc)
    of[i * 3] = m[0, 1] + m[1, 3] * 2.0 + m[2, 2] * 3.0
    t = wp.transformation(a[i], qn)
    mt = wp.transform_to_matrix(t)
    of[i * 3 + 1] = mt[2, 0] + mt[0, 3] + mt[3, 3]
    ov[i * 4] = wp.transform_point(wp.transform_from_matrix(mt), b[i])
    ov[i * 4 + 1] = decomposed(m)
    ov[i * 4 + 2] = wp.transform_point(reset(t, b[i], wp.quat_identity()), a[i])
    ov[i * 4 + 3] = rotvec(q[i])
    of[i * 3 + 2] = wp.length(rotvec(qn))


@wp.func
def svd3_rec(m: wp.mat33) -> wp.mat33:
    u, s, v = wp.svd3(m)
    return u * wp.diag(s) * wp.transpose(v)


@wp.func
def svd3_vals(m: wp.mat33) -> wp.vec3:
    u, s, v = wp.svd3(m)
    return s


@wp.func
def svd2_rec(m: wp.mat22) -> wp.vec4:
    u, s, v = wp.svd2(m)
    r = u * wp.diag(s) * wp.transpose(v)
    return wp.vec4(r[0, 0], r[0, 1], s[0], s[1])


@wp.func
def qr_parts(m: wp.mat33) -> wp.mat33:
    q, r = wp.qr3(m)
    return q * r + wp.transpose(r) * r


@wp.func
def eig_parts(m: wp.mat33) -> wp.vec3:
    q, d = wp.eig3(m)
    rec = q * wp.diag(d) * wp.transpose(q)
    lo = wp.min(wp.min(d[0], d[1]), d[2])
    hi = wp.max(wp.max(d[0], d[1]), d[2])
    return wp.vec3(lo, hi, rec[1, 0] + rec[2, 2])


@wp.kernel
def decomps(
    q1: wp.array(dtype=wp.quat),
    q2: wp.array(dtype=wp.quat),
    d: wp.array(dtype=wp.vec3),
    om: wp.array(dtype=wp.mat33),
    ov: wp.array(dtype=wp.vec3),
    o4: wp.array(dtype=wp.vec4),
):
    i = wp.tid()
    r1 = wp.quat_to_matrix(wp.normalize(q1[i]))
    r2 = wp.quat_to_matrix(wp.normalize(q2[i]))
    sv = wp.vec3(wp.clamp(d[i][0], 0.5, 1.0), -wp.clamp(d[i][1], 1.5, 2.0), wp.clamp(d[i][2], 2.5, 3.0))
    a = r1 * wp.diag(sv) * r2
    om[i * 3] = svd3_rec(a)
    om[i * 3 + 1] = qr_parts(a)
    sym = r1 * wp.diag(sv) * wp.transpose(r1)
    om[i * 3 + 2] = sym
    ov[i * 2] = svd3_vals(a)
    ov[i * 2 + 1] = eig_parts(sym + wp.mat33(0.0, 5.0, 5.0, 0.0, 0.0, 5.0, 0.0, 0.0, 0.0))
    c = wp.cos(d[i][0] * 3.0)
    s = wp.sin(d[i][0] * 3.0)
    r3 = wp.mat22(c, -s, s, c)
    o4[i] = svd2_rec(r3 * wp.mat22(wp.clamp(d[i][1], 1.5, 2.0), 0.0, 0.0, -wp.clamp(d[i][2], 0.25, 1.0)) * r3)


@wp.kernel
def exch_cas(
    x: wp.array(dtype=wp.int32),
    f: wp.array(dtype=wp.float32),
    acc: wp.array(dtype=wp.int32),
    accf: wp.array(dtype=wp.float32),
    shared: wp.array(dtype=wp.int32),
    out: wp.array(dtype=wp.int32),
):
    i = wp.tid()
    old = wp.atomic_exch(acc, i, x[i] * 3)
    old2 = wp.atomic_cas(acc, i, x[i] * 3, old + 1)
    old3 = wp.atomic_cas(acc, i, 7, 100)
    oldf = wp.atomic_cas(accf, i, 0.5, f[i])
    wp.atomic_and(shared, i % 2, x[i] | 240)
    wp.atomic_xor(shared, 2 + i % 3, x[i])
    out[i] = old * 10000 + old2 * 100 + old3 + int(oldf * 4.0)
