# mypy: ignore-errors
# ruff: noqa: F811  # same-name @wp.funcs are Warp overloads, not redefinitions
"""Compile-time and generic code (tests/test_oracle_compile_time.py): wp.constant, wp.static
(constant expressions, unrolled loops, static if, function selection), generic and overloaded
@wp.func, tuple returns. One module: every kernel compiles together, as in a campaign batch."""

import typing

import warp as wp

CF = wp.constant(1.5)
CI = wp.constant(3)
CD = wp.constant(wp.float64(0.125))
FLAG = wp.constant(False)
N = 4
EARLY = 2  # wp.static(EARLY) is evaluated when the kernel is declared: 2; plain EARLY reads 7


@wp.func
def double(x: float) -> float:
    return x * 2.0


@wp.func
def shift(x: float) -> float:
    return x - 0.75


@wp.func
def square(x: float) -> float:
    return x * x


OPS = (double, shift, square)
NAMED = {"d": double, "s": square}
BUILTINS = [wp.sin, wp.abs]


@wp.func
def gen(a: typing.Any, b: typing.Any):
    return a * b + a


@wp.func
def gadd(a: typing.Any, b: typing.Any):
    return a + b


@wp.func
def gsum(arr: wp.array(dtype=typing.Any), j: int):
    return arr[j] + arr[j]


@wp.func
def ov(x: wp.float32) -> wp.float32:
    return x * 3.0 - 1.0


@wp.func
def ov(x: wp.int32) -> wp.int32:
    return x * 2 + 1


@wp.func
def ov(x: float, y: float) -> float:
    return x - y


@wp.func
def mix(x: typing.Any):
    return x + x


@wp.func
def mix(x: wp.int32):
    return x * 10


@wp.func
def pair(a: float, b: int) -> tuple[float, int]:
    return a * 2.0, b + 3


@wp.func
def split(a: float, b: float):
    if a > b:
        return a, b - a
    return b, a * 0.5


@wp.func
def sumdiff(a: typing.Any, b: typing.Any):
    return a + b, a - b


@wp.kernel
def constants(x: wp.array(dtype=wp.float32), n: wp.array(dtype=wp.int32), out: wp.array(dtype=wp.float32)):
    i = wp.tid()
    a = x[i] * CF + float(CI)
    b = float(CD * wp.float64(x[i]))
    c = float(n[i] % CI + wp.static(CI * CI - 1))
    d = x[i] * wp.static(CF * 2.0 + float(CI)) + wp.static(float(EARLY)) + float(EARLY)
    out[i] = a + b + c + d


@wp.kernel
def static_range(x: wp.array(dtype=wp.float32), out: wp.array(dtype=wp.float32)):
    i = wp.tid()
    acc = 0.0
    for j in range(wp.static(N)):
        acc = acc + x[i] * wp.static(float(j) + 0.5)
        if wp.static(j % 2 == 0):
            acc = acc + 1.0
        else:
            acc = acc - x[i] * wp.static(float(j))
    out[i] = acc + float(j)


@wp.kernel
def static_if(x: wp.array(dtype=wp.float32), out: wp.array(dtype=wp.float32)):
    i = wp.tid()
    if wp.static(FLAG):
        r = 7  # never compiled: an int where the taken branch binds a float
    else:
        r = x[i] + 1.0
    if wp.static(CI == 1):
        s = x[i]
    elif wp.static(CI < 4):
        s = x[i] * 10.0
    else:
        s = x[i] - 1.0
    t = x[i] if wp.static(not FLAG and N > 3) else -x[i]
    out[i] = r + s + t


@wp.kernel
def select(x: wp.array(dtype=wp.float32), out: wp.array(dtype=wp.float32)):
    i = wp.tid()
    r = wp.static(OPS[1])(x[i]) + wp.static(NAMED["s"])(x[i])
    f = wp.static(OPS[2])
    r += f(x[i] + 1.0)
    for j in range(wp.static(len(OPS))):
        r += wp.static(OPS[j])(x[i]) * wp.static(float(j + 1))
    r += wp.static(BUILTINS[0])(x[i]) + wp.static(BUILTINS[1])(-x[i])
    out[i] = r


@wp.kernel
def generic(
    x: wp.array(dtype=wp.float32),
    n: wp.array(dtype=wp.int32),
    out: wp.array(dtype=wp.float32),
    iout: wp.array(dtype=wp.int32),
):
    i = wp.tid()
    f32 = gen(x[i], 0.5)
    f64 = gen(wp.float64(x[i]), wp.float64(0.25))
    v = gadd(wp.vec3(x[i], 1.0, 2.0), wp.vec3(0.5, x[i], -1.0))
    out[i] = f32 + float(f64) + wp.length(v) + gsum(x, i) + gadd(x[i], 1.0)
    iout[i] = gen(n[i], 3) + int(gen(wp.int64(n[i]), wp.int64(2))) + gsum(n, i) + gadd(n[i], 1)


@wp.kernel
def overloads(
    x: wp.array(dtype=wp.float32),
    n: wp.array(dtype=wp.int32),
    out: wp.array(dtype=wp.float32),
    iout: wp.array(dtype=wp.int32),
):
    i = wp.tid()
    out[i] = ov(x[i]) + ov(x[i], 0.5) + mix(x[i]) + float(mix(wp.float64(x[i])))
    iout[i] = ov(n[i]) + mix(n[i])


@wp.kernel
def tuples(x: wp.array(dtype=wp.float32), n: wp.array(dtype=wp.int32), out: wp.array(dtype=wp.float32)):
    i = wp.tid()
    p, q = pair(x[i], n[i])
    u, v = split(x[i], 0.25)
    s, d = sumdiff(x[i], 2.0)
    k, m = sumdiff(n[i], 5)
    out[i] = p + float(q) + u * 10.0 + v + s * d + float(k * m)


EARLY = 7
