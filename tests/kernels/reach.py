"""Hand-written kernels for the reach constructs: evaluation order of side-effecting calls, every
lvalue form, reused names, loops with expression bounds and early exits, non-finite values."""

import warp as wp

wp.set_module_options({"enable_backward": False})


@wp.func
def tick(log: wp.array(dtype=wp.int32), cnt: wp.array(dtype=wp.int32), i: int, tag: int) -> int:
    """Record `tag` in the thread's next log slot (own slots only): the log is the call order."""
    c = cnt[i]
    log[i * 8 + c] = tag
    cnt[i] = c + 1
    return tag


@wp.kernel
def order(
    log: wp.array(dtype=wp.int32),
    cnt: wp.array(dtype=wp.int32),
    x: wp.array(dtype=wp.float32),
    out: wp.array(dtype=wp.int32),
    slots: wp.array(dtype=wp.int32),
):
    i = wp.tid()
    p = i % 9
    r = wp.int32(0)
    if p == 0:
        r = tick(log, cnt, i, 1) + tick(log, cnt, i, 2)
    elif p == 1:
        slots[i * 4 + 0 * tick(log, cnt, i, 1)] = tick(log, cnt, i, 2)
    elif p == 2:
        r = wp.max(tick(log, cnt, i, 1), tick(log, cnt, i, 2))
    elif p == 3:
        if (tick(log, cnt, i, 1) > 0 and x[i] > 0.0) or tick(log, cnt, i, 2) > 0:
            r = 5
    elif p == 4:
        if x[i] > 0.0 and tick(log, cnt, i, 1) > 5:
            r = 6
    elif p == 5:
        r = tick(log, cnt, i, 1) if tick(log, cnt, i, 3) > 0 and x[i] > 0.0 else tick(log, cnt, i, 2)
    elif p == 6:
        slots[i * 4 + tick(log, cnt, i, 1) % 4] += tick(log, cnt, i, 2)
    elif p == 7:
        for _k in range(tick(log, cnt, i, 3) - 1):
            r += tick(log, cnt, i, 4)
    else:
        w = wp.int32(0)
        while tick(log, cnt, i, 1) > 0 and w < 2:
            w += 1
        r = w
    out[i] = r + int(wp.atomic_add(cnt, i, 0))


@wp.struct
class Inner:
    f: float
    v: wp.vec3
    n: int


@wp.struct
class Outer:
    s: Inner
    g: float


@wp.func
def make_inner(x: float, n: int) -> Inner:
    s = Inner()
    s.f = x * 0.5
    s.v = wp.vec3(x, 1.0, -x)
    s.n = n
    return s


@wp.kernel
def lvalues(
    x: wp.array(dtype=wp.float32),
    k: wp.array(dtype=wp.int32),
    fo: wp.array(dtype=wp.float32),
    fo2: wp.array2d(dtype=wp.float32),
    io: wp.array(dtype=wp.int32),
    vo: wp.array(dtype=wp.vec3),
    out: wp.array(dtype=wp.float32),
):
    i = wp.tid()
    a = x[i]
    fo[i] = a
    fo[i] *= 1.5
    fo[i] -= 0.25
    fo[i] /= wp.abs(a) + 1.0
    fo2[i, 1] = a
    fo2[i, 1] += 2.0
    io[i] = k[i]
    io[i] %= 7
    io[i] ^= 5
    io[i] |= 8
    io[i] &= 14
    io[i] *= 3
    vo[i] = wp.vec3(a, 2.0 * a, -a)
    vo[i][1] = a + 3.0
    vo[i].z += 1.0
    vo[i][0] -= 0.5
    m = wp.mat22(a, 1.0, 2.0, -a)
    m[0, 1] *= a
    m[1][0] = 4.0
    m[1] = wp.vec2(m[1][0], m[0][0] + 1.0)
    q = wp.quat(0.0, 0.0, 0.0, 1.0)
    q[1] = a
    q.w += 0.5
    t = wp.transform(wp.vec3(a, 1.0, 2.0), wp.quat_identity())
    t[5] = a
    t[1] += 3.0
    s = Inner()
    s.f = a
    s.f += 1.0
    s.v[2] = a * 2.0
    s.v.x = 3.0
    s.n = k[i]
    s.n -= 2
    o = Outer()
    o.s.f = a
    o.s.v[1] += 2.0
    o.g = -a
    c = o.s
    c.f = 10.0
    r = make_inner(a, k[i])
    r.v[0] -= 1.0
    out[i] = m[0, 1] + m[1, 1] + q[1] + q[3] + t[5] + t[1] + s.f + s.v[0] + s.v[2] + float(s.n)
    out[i] += o.s.f + o.s.v[1] + o.g + c.f + r.f + r.v[0] + float(r.n)


@wp.kernel
def names(n: wp.array(dtype=wp.int32), x: wp.array(dtype=wp.float32), out: wp.array(dtype=wp.float32)):
    i = wp.tid()
    t = wp.float32(0.0)
    for k in range(3):
        t += float(k)
    t += float(k) * 10.0
    k = wp.int32(0)
    while k < n[i]:
        k += 1
        t += 0.5
    for k in range(n[i]):
        for k in range(2):
            t += float(k) * 0.25
    if n[i] > 0:
        t += float(k)
    if x[i] > 0.0:
        y = x[i]
    elif x[i] > -0.5:
        y = 2.0
    else:
        y = -x[i] * 3.0
    z = float(x[i])
    for _j in range(2):
        z = z * 0.5 + 1.0
    for _j in range(n[i]):
        z = z * 0.5 - 1.0
    c = wp.int32(0)
    while c < n[i] - 1:
        c += 1
        z = z - 0.25
    out[i] = t + y + z


@wp.func
def first_over(x: float, n: int, th: float) -> float:
    acc = wp.float32(0.0)
    for _k in range(n):
        acc += x
        if acc > th:
            return acc * 2.0
    return acc - 1.0


@wp.func
def seek(x: float, n: int) -> float:
    c = wp.int32(0)
    while c < n:
        c += 1
        if x * float(c) < -1.0:
            return float(c)
    return -1.0


@wp.kernel
def loops(
    a: wp.array(dtype=wp.int32),
    b: wp.array(dtype=wp.int32),
    x: wp.array(dtype=wp.float32),
    out: wp.array(dtype=wp.float32),
):
    i = wp.tid()
    r = wp.float32(0.0)
    for k in range(a[i] - 4, b[i], wp.clamp(a[i] % 3, 1, 3)):
        r += float(k)
    for k in range(b[i], a[i] - 4, -wp.clamp(b[i] % 3, 1, 3)):
        r += float(k) * 0.5
    for _k3 in range(a[i], b[i], -1):
        r += 100.0  # empty unless a > b
    for k in range(4):
        for k2 in range(a[i]):
            if k2 == b[i] % 3:
                break
            if k2 == 1:
                continue
            r += 0.25
        if k == a[i] % 4:
            continue
        if k == 3 and x[i] > 0.5:
            break
        r -= 0.5
    c = wp.int32(0)
    while c < 5:
        c += 1
        if c == b[i] % 4:
            continue
        r += x[i] * 0.125
        if c == a[i]:
            break
    w = wp.vec3(0.0)
    s = Inner()
    for k in range(a[i]):
        w = w * 0.5 + wp.vec3(x[i], float(k), 1.0)
        s.f += w[1]
        s.v[1] = s.f * 0.5
    out[i] = r + first_over(x[i], a[i], 1.0) + seek(x[i], b[i]) + w[0] + w[2] + s.f + s.v[1]


@wp.kernel
def nonfinite(
    x: wp.array(dtype=wp.float32),
    y: wp.array(dtype=wp.float32),
    out: wp.array(dtype=wp.float32),
    flags: wp.array(dtype=wp.int32),
):
    i = wp.tid()
    v = x[i]
    out[i * 8 + 0] = wp.min(v, y[i])
    out[i * 8 + 1] = wp.max(v, 0.5)
    out[i * 8 + 2] = wp.clamp(v, -1.0, 1.0)
    out[i * 8 + 3] = v - v + v * 0.0
    out[i * 8 + 4] = v * 2.0 + wp.inf * (wp.abs(y[i]) + 0.5)
    out[i * 8 + 5] = wp.float32(wp.float16(y[i] * 20000.0)) + wp.float32(wp.float16(v))
    out[i * 8 + 6] = wp.min(wp.abs(v), -wp.inf) + wp.max(v * 1.0e38, wp.inf * 0.0)
    out[i * 8 + 7] = wp.where(wp.isnan(v), 1.0, 0.0) + wp.sign(v) + wp.abs(v)
    f = wp.int32(0)
    if wp.isnan(v):
        f += 1
    if wp.isinf(v):
        f += 2
    if wp.isfinite(v):
        f += 4
    if v < y[i]:
        f += 8
    elif v >= 0.0:
        f += 16
    if v != v:
        f += 32
    if v == v:
        f += 64
    flags[i] = f
