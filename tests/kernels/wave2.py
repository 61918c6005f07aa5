"""Hand-written kernels beyond wave 1: loops, early return, funcs, structs, 2-D stencils,
uint32 hashing, atomics, mixed dtypes, vectors, matrices and quaternions."""

import warp as wp


@wp.struct
class Params:
    scale: float
    offset: wp.vec3
    n: int


@wp.func
def soft(x: float, k: float) -> float:
    if x > k:
        return k + wp.log(1.0 + x - k)
    return x


@wp.kernel
def loop_break(
    x: wp.array(dtype=float), n: wp.array(dtype=int), out: wp.array(dtype=float), steps: wp.array(dtype=int)
):
    i = wp.tid()
    acc = float(0.0)  # noqa: UP018 (Warp needs a dynamic variable)
    s = int(0)  # noqa: UP018
    for k in range(n[i]):
        if k % 3 == 2:
            continue
        acc += x[i] * float(k)
        s += 1
        if acc > 10.0:
            break
    j = int(0)  # noqa: UP018
    while j < n[i] and acc > 1.0:
        acc = acc * 0.5
        j += 1
    out[i] = soft(acc, 3.0)
    steps[i] = s * 100 + j


@wp.kernel
def early_return(x: wp.array(dtype=float), out: wp.array(dtype=float)):
    i = wp.tid()
    out[i] = -1.0
    if x[i] < 0.0:
        return
    out[i] = wp.sqrt(x[i]) if x[i] < 4.0 else x[i] * 0.5


@wp.kernel
def stencil(a: wp.array2d(dtype=float), out: wp.array2d(dtype=float)):
    i, j = wp.tid()
    h = a.shape[0]
    w = a.shape[1]
    s = a[i, j] * 4.0
    if i > 0:
        s -= a[i - 1, j]
    if i < h - 1:
        s -= a[i + 1, j]
    if j > 0:
        s -= a[i, j - 1]
    if j < w - 1:
        s -= a[i, j + 1]
    out[i, j] = s


@wp.kernel
def hash_u32(seed: wp.array(dtype=wp.uint32), out: wp.array(dtype=wp.uint32), bits: wp.array(dtype=int)):
    i = wp.tid()
    h = seed[i] ^ wp.uint32(216613626)
    for _r in range(4):
        h = h * wp.uint32(16777619)
        h = h ^ (h >> wp.uint32(13))
        h = h + (h << wp.uint32(5))
    out[i] = h
    bits[i] = (int(h & wp.uint32(1023)) << 2) | 3


@wp.kernel
def histogram(
    v: wp.array(dtype=float), bins: wp.array(dtype=int), sums: wp.array(dtype=float), old: wp.array(dtype=int)
):
    i = wp.tid()
    b = wp.clamp(int(v[i] * 4.0), 0, 7)
    old[i] = wp.atomic_add(bins, b, 1)
    sums[b] += v[i]
    wp.atomic_max(bins, 8, b)


@wp.kernel
def mixes(
    d: wp.array(dtype=wp.float64),
    h: wp.array(dtype=wp.float16),
    lv: wp.array(dtype=wp.int64),
    b: wp.array(dtype=wp.int8),
    od: wp.array(dtype=wp.float64),
    oh: wp.array(dtype=wp.float16),
    ol: wp.array(dtype=wp.int64),
    ob: wp.array(dtype=wp.int8),
):
    i = wp.tid()
    od[i] = d[i] * wp.float64(0.1) + wp.float64(h[i]) - wp.float64(lv[i])
    oh[i] = h[i] * wp.float16(1.5) + wp.float16(b[i]) / wp.float16(3.0)
    ol[i] = lv[i] * wp.int64(3000000) + wp.int64(b[i])
    ob[i] = b[i] * wp.int8(3) + wp.int8(lv[i])


@wp.kernel
def vec_ops(
    p: wp.array(dtype=wp.vec3),
    q: wp.array(dtype=wp.vec3),
    m: wp.array(dtype=wp.mat33),
    prm: Params,
    ov: wp.array(dtype=wp.vec3),
    os: wp.array(dtype=float),
):
    i = wp.tid()
    a = p[i] * prm.scale + prm.offset
    n = wp.length(a)
    if n > 1.0:
        a = wp.normalize(a)
    c = wp.cross(a, q[i])
    r = m[i] * c + wp.transpose(m[i]) * q[i]
    r[1] = r[1] + wp.dot(a, q[i])
    ov[i] = r
    os[i] = wp.determinant(m[i]) + r.x + wp.trace(m[i] * m[i]) + float(prm.n)


@wp.kernel
def quat_ops(
    axis: wp.array(dtype=wp.vec3),
    ang: wp.array(dtype=float),
    v: wp.array(dtype=wp.vec3),
    o: wp.array(dtype=wp.vec3),
    om: wp.array(dtype=wp.mat33),
):
    i = wp.tid()
    qq = wp.quat_from_axis_angle(wp.normalize(axis[i]), ang[i])
    r = wp.quat_rotate(qq, v[i])
    o[i] = wp.quat_rotate_inv(qq, r) + r
    om[i] = wp.quat_to_matrix(qq * wp.quat_inverse(qq) * qq)
