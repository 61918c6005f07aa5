"""Hand-written kernels using the wave-1 subset: 1-D float32/int32 arrays, scalars, branches,
arithmetic, casts and the scalar builtins. Compiled by real Warp and interpreted by the oracle."""

import warp as wp


@wp.kernel
def saxpy_clamp(
    x: wp.array(dtype=wp.float32), y: wp.array(dtype=float), out: wp.array(dtype=float), a: float
):
    i = wp.tid()
    out[i] = wp.clamp(a * x[i] + y[i], -1.0, 1.0)


@wp.kernel
def branchy(
    x: wp.array(dtype=float), n: wp.array(dtype=int), out: wp.array(dtype=float), flag: wp.array(dtype=int)
):
    i = wp.tid()
    v = x[i]
    k = n[i]
    r = 0.0
    if v > 0.5 and k % 2 == 0:
        r = v * 2.0
        flag[i] = 1
    elif v < -0.5 or not k:
        r = -v + float(k)
        flag[i] = 2
    else:
        r = wp.sqrt(wp.abs(v))
        r += 1.0
        flag[i] = 3
    if r >= 1.0:
        r -= 0.25
    out[i] = r


@wp.kernel
def int_divmod(
    a: wp.array(dtype=wp.int32),
    b: wp.array(dtype=int),
    q: wp.array(dtype=int),
    f: wp.array(dtype=int),
    r: wp.array(dtype=int),
):
    i = wp.tid()
    q[i] = a[i] / b[i]
    f[i] = a[i] // b[i]
    r[i] = a[i] % b[i]


@wp.kernel
def float_divmod(
    a: wp.array(dtype=float),
    b: wp.array(dtype=float),
    q: wp.array(dtype=float),
    f: wp.array(dtype=float),
    r: wp.array(dtype=float),
):
    i = wp.tid()
    q[i] = a[i] / b[i]
    f[i] = a[i] // b[i]
    r[i] = a[i] % b[i]


@wp.kernel
def unary_sweep(x: wp.array(dtype=float), o: wp.array2d(dtype=float)):
    i = wp.tid()
    v = x[i]
    o[i, 0] = wp.abs(v)
    o[i, 1] = wp.sign(v)
    o[i, 2] = wp.floor(v)
    o[i, 3] = wp.ceil(v)
    o[i, 4] = wp.round(v)
    o[i, 5] = wp.rint(v)
    o[i, 6] = wp.trunc(v)
    o[i, 7] = wp.frac(v)
    o[i, 8] = wp.sqrt(wp.abs(v))
    o[i, 9] = wp.cbrt(v)
    o[i, 10] = wp.exp(v)
    o[i, 11] = wp.log(wp.abs(v) + 0.5)
    o[i, 12] = wp.log2(wp.abs(v) + 0.5)
    o[i, 13] = wp.log10(wp.abs(v) + 0.5)
    o[i, 14] = wp.sin(v)
    o[i, 15] = wp.cos(v)
    o[i, 16] = wp.tan(v)
    o[i, 17] = wp.asin(wp.clamp(v, -1.0, 1.0))
    o[i, 18] = wp.acos(wp.clamp(v, -1.0, 1.0))
    o[i, 19] = wp.atan(v)
    o[i, 20] = wp.sinh(v)
    o[i, 21] = wp.cosh(v)
    o[i, 22] = wp.tanh(v)
    o[i, 23] = wp.step(v)
    o[i, 24] = wp.nonzero(v)
    o[i, 25] = wp.degrees(v)
    o[i, 26] = wp.radians(v)
    o[i, 27] = -v


@wp.kernel
def binary_sweep(
    x: wp.array(dtype=float), y: wp.array(dtype=float), o: wp.array2d(dtype=float), c: wp.array2d(dtype=int)
):
    i = wp.tid()
    a = x[i]
    b = y[i]
    o[i, 0] = wp.min(a, b)
    o[i, 1] = wp.max(a, b)
    o[i, 2] = wp.atan2(a, b)
    o[i, 3] = wp.pow(wp.abs(a) + 0.1, b)
    o[i, 4] = wp.lerp(a, b, 0.3)
    o[i, 5] = wp.smoothstep(-1.0, 2.0, a)
    o[i, 6] = wp.where(a < b, a - b, b * 2.0)
    o[i, 7] = wp.clamp(a, -0.5, b)
    o[i, 8] = a * b - a / (wp.abs(b) + 1.0)
    o[i, 9] = (wp.abs(a) + 0.1) ** b
    c[i, 0] = wp.where(wp.isfinite(a / b), 1, 0)
    c[i, 1] = wp.where(wp.isnan(a / b), 1, 0)
    c[i, 2] = wp.where(wp.isinf(a / b), 1, 0)
    c[i, 3] = wp.where(a <= b, 1, 0)
    c[i, 4] = wp.where(a == b, 1, 0) + wp.where(a != b, 2, 0)


@wp.kernel
def casts(
    x: wp.array(dtype=float), n: wp.array(dtype=int), fo: wp.array2d(dtype=float), io: wp.array2d(dtype=int)
):
    i = wp.tid()
    io[i, 0] = int(x[i])
    io[i, 1] = wp.int32(x[i] * 3.0)
    fo[i, 0] = float(n[i])
    fo[i, 1] = wp.float32(n[i] * 1000003)
    fo[i, 2] = wp.float32(0.1) + wp.float32(n[i])


@wp.kernel
def int_builtins(a: wp.array(dtype=int), b: wp.array(dtype=int), o: wp.array2d(dtype=int)):
    i = wp.tid()
    u = a[i]
    v = b[i]
    o[i, 0] = wp.abs(u)
    o[i, 1] = wp.sign(u)
    o[i, 2] = wp.step(u)
    o[i, 3] = wp.nonzero(u)
    o[i, 4] = wp.min(u, v)
    o[i, 5] = wp.max(u, v)
    o[i, 6] = wp.clamp(u, -3, v)
    o[i, 7] = -u + v * 3 - 7
    w = u
    w *= 2
    w -= v
    w += 1
    o[i, 8] = w
    o[i, 9] = wp.where(u, 10, 20)


@wp.kernel
def wrong_floordiv(a: wp.array(dtype=int), b: wp.array(dtype=int), q: wp.array(dtype=int)):
    i = wp.tid()
    q[i] = a[i] / b[i]
