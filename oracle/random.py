"""Warp's random numbers (warp/native/rand.h, 1.19.0) on lane values.

The generator is a PCG hash of a `uint32` state (Jarzynski and Olano, JCGT 2020): integers are
reproduced bit for bit in uint32 arithmetic. rand.h takes the state by reference (`uint32&`), so a
call advances the caller's variable: every state-taking builtin here returns a `StateAdvance` (its
result and the new state) and the interpreter writes the state back to the argument's variable on
the active lanes. Float results are composed from the oracle's scalar operations (`sop`, the
registry's sqrt/log/cos/...), so their error bounds are the ones the rest of the oracle uses.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from oracle.builtin_table import Builtin
from oracle.composite import sop, stack
from oracle.numeric import OpCtx
from oracle.scalar_builtins import call_scalar
from oracle.types import FLOAT32, INT32, Scalar, make_vec
from oracle.values import StateAdvance, Value, const_value

UINT32 = Scalar("uint32")
M_PI_F = float(np.float32(np.pi))  # rand.h: 3.14159265358979323846f
TWO_PI_F = float(np.float32(2.0) * np.float32(np.pi))  # 2.f * M_PI_F, exact in float32
RANDN_EPSILON = float(np.float32(5.96e-8))
ONE_THIRD_F = float(np.float32(1.0) / np.float32(3.0))  # 1.f / 3.f


def pcg(state: np.ndarray) -> np.ndarray:
    """rand_pcg: one PCG-RXS-M-XS step of a uint32 array (wrapping arithmetic)."""
    s = state.astype(np.uint32)
    with np.errstate(over="ignore"):
        b = s * np.uint32(747796405) + np.uint32(2891336453)
        c = ((b >> ((b >> np.uint32(28)) + np.uint32(4))) ^ b) * np.uint32(277803737)
    return ((c >> np.uint32(22)) ^ c).astype(np.uint32)


def as_u32(data: np.ndarray) -> np.ndarray:
    """`uint32(x)` of an integer array: two's-complement wrap."""
    return (data.astype(np.int64) & 0xFFFFFFFF).astype(np.uint32)


def _need(ok: bool, name: str, args: list[Any], ctx: OpCtx) -> None:
    if not ok:
        sig = ", ".join(str(getattr(a, "t", type(a).__name__)) for a in args)
        raise ctx.unsupported(f"call wp.{name}", f"argument types ({sig})")


def _typed(name: str, args: list[Any], ctx: OpCtx, types: tuple[Scalar, ...]) -> list[Value]:
    ok = len(args) == len(types) and all(
        isinstance(a, Value) and a.t == t for a, t in zip(args, types, strict=False)
    )
    _need(ok, name, args, ctx)
    return list(args)


def _u32_value(data: np.ndarray, taint: np.ndarray) -> Value:
    return Value(UINT32, data.astype(np.uint32), np.zeros(data.shape, dtype=np.float64), taint.copy())


def _f32(x: float, lanes: int) -> Value:
    return const_value(FLOAT32, x, lanes)


class Stream:
    """The state of one call: each draw advances it, as rand.h's `state = rand_pcg(state)`."""

    def __init__(self, state: Value, ctx: OpCtx) -> None:
        self.data = state.data.astype(np.uint32)
        self.taint = state.taint.copy()
        self.ctx = ctx

    def next_u32(self) -> np.ndarray:
        self.data = pcg(self.data)
        return self.data

    def randf(self) -> Value:
        """(state >> 8) * 2^-24: exact in float32, so no error bound."""
        u = self.next_u32()
        f = ((u >> np.uint32(8)).astype(np.float64) * 2.0**-24).astype(np.float32)
        return Value(FLOAT32, f, np.zeros(f.shape, dtype=np.float64), self.taint.copy())

    def randf_range(self, lo: Value, hi: Value) -> Value:
        r = self.randf()
        return sop("Add", sop("Mult", sop("Sub", hi, lo, self.ctx), r, self.ctx), lo, self.ctx)

    def state(self) -> Value:
        return _u32_value(self.data, self.taint)

    def done(self, result: Value) -> StateAdvance:
        return StateAdvance(result, self.state())


def _rand_init(args: list[Any], ctx: OpCtx) -> Value:
    if len(args) == 1:
        (seed,) = _typed("rand_init", args, ctx, (INT32,))
        return _u32_value(pcg(as_u32(seed.data)), seed.taint)
    seed, offset = _typed("rand_init", args, ctx, (INT32, INT32))
    with np.errstate(over="ignore"):
        s = as_u32(seed.data) + pcg(as_u32(offset.data))
    return _u32_value(pcg(s), seed.taint | offset.taint)


def draw_range(name: str, scalar: Scalar) -> Callable[[list[Any], OpCtx], StateAdvance]:
    """randi / randu: `state % (max - min) + min` (rand.h) in uint32 arithmetic; a zero range
    divides by zero (undefined), and `max - min` overflowing int32 is signed overflow."""

    def fn(args: list[Any], ctx: OpCtx) -> StateAdvance:
        if len(args) == 1:
            (st,) = _typed(name, args, ctx, (UINT32,))
            s = Stream(st, ctx)
            u = s.next_u32()
            data = u.view(np.int32) if scalar == INT32 else u
            return s.done(Value(scalar, data.copy(), np.zeros(u.shape), s.taint.copy()))
        st, lo, hi = _typed(name, args, ctx, (UINT32, scalar, scalar))
        s = Stream(st, ctx)
        u = s.next_u32().astype(np.int64)
        span = hi.data.astype(np.int64) - lo.data.astype(np.int64)
        active = ctx.mask
        if scalar == INT32 and np.any(active & ((span > 2**31 - 1) | (span < -(2**31)))):
            raise ctx.ub(f"wp.{name}: max - min overflows int32")
        if np.any(active & (span == 0)):
            raise ctx.ub(f"wp.{name}: min == max (state % 0)")
        span_u = np.where(span == 0, 1, span & 0xFFFFFFFF)
        r = ((u % span_u) + (lo.data.astype(np.int64) & 0xFFFFFFFF)) & 0xFFFFFFFF
        data = r.astype(np.uint32)
        out = data.view(np.int32) if scalar == INT32 else data
        taint = s.taint | lo.taint | hi.taint
        return s.done(Value(scalar, out.copy(), np.zeros(u.shape), taint))

    return fn


def _randf(args: list[Any], ctx: OpCtx) -> StateAdvance:
    if len(args) == 1:
        (st,) = _typed("randf", args, ctx, (UINT32,))
        s = Stream(st, ctx)
        return s.done(s.randf())
    st, lo, hi = _typed("randf", args, ctx, (UINT32, FLOAT32, FLOAT32))
    s = Stream(st, ctx)
    return s.done(s.randf_range(lo, hi))


def _randn(args: list[Any], ctx: OpCtx) -> StateAdvance:
    """sqrt(-2 log(randf + eps)) * cos(2 pi randf): the host compiler evaluates the left operand's
    draw first (checked against Warp on CPU by tests/test_oracle_random.py)."""
    (st,) = _typed("randn", args, ctx, (UINT32,))
    s = Stream(st, ctx)
    x = s.randf()
    return s.done(box_muller(x, s.randf(), ctx))


def box_muller(x: Value, angle: Value, ctx: OpCtx) -> Value:
    """sqrt(-2.f * log(x + RANDN_EPSILON)) * cos(2.f * M_PI_F * angle), in float32 ops."""
    n = x.lanes
    lg = call_scalar("log", [sop("Add", x, _f32(RANDN_EPSILON, n), ctx)], ctx)
    rad = call_scalar("sqrt", [sop("Mult", _f32(-2.0, n), lg, ctx)], ctx)
    c = call_scalar("cos", [sop("Mult", _f32(TWO_PI_F, n), angle, ctx)], ctx)
    return sop("Mult", rad, c, ctx)


def _sampler(name: str) -> Callable[[list[Any], OpCtx], StateAdvance]:
    def fn(args: list[Any], ctx: OpCtx) -> StateAdvance:
        (st,) = _typed(name, args, ctx, (UINT32,))
        s = Stream(st, ctx)
        n = st.lanes
        parts = SAMPLERS[name](s, n, ctx)
        return s.done(stack(make_vec(len(parts), FLOAT32), parts))

    return fn


def _mul(a: Value, b: Value, ctx: OpCtx) -> Value:
    return sop("Mult", a, b, ctx)


def _triangle(s: Stream, n: int, ctx: OpCtx) -> list[Value]:
    r = call_scalar("sqrt", [s.randf()], ctx)
    u = sop("Sub", _f32(1.0, n), r, ctx)
    v = _mul(s.randf(), r, ctx)
    return [u, v]


def _ring(s: Stream, n: int, ctx: OpCtx) -> list[Value]:
    theta = s.randf_range(_f32(0.0, n), _f32(TWO_PI_F, n))
    return [call_scalar("cos", [theta], ctx), call_scalar("sin", [theta], ctx)]


def _disk(s: Stream, n: int, ctx: OpCtx) -> list[Value]:
    r = call_scalar("sqrt", [s.randf()], ctx)
    theta = s.randf_range(_f32(0.0, n), _f32(TWO_PI_F, n))
    return [_mul(r, call_scalar("cos", [theta], ctx), ctx), _mul(r, call_scalar("sin", [theta], ctx), ctx)]


def _sphere_like(hemi: bool, solid: bool) -> Callable[[Stream, int, OpCtx], list[Value]]:
    """phi = acos(1 - 2 randf) (hemisphere: 1 - randf), theta in [0, 2 pi), r = randf^(1/3)."""

    def parts(s: Stream, n: int, ctx: OpCtx) -> list[Value]:
        x = s.randf() if hemi else _mul(_f32(2.0, n), s.randf(), ctx)
        phi = call_scalar("acos", [sop("Sub", _f32(1.0, n), x, ctx)], ctx)
        theta = s.randf_range(_f32(0.0, n), _f32(TWO_PI_F, n))
        sp, cp = call_scalar("sin", [phi], ctx), call_scalar("cos", [phi], ctx)
        ct, st = call_scalar("cos", [theta], ctx), call_scalar("sin", [theta], ctx)
        if not solid:
            return [_mul(ct, sp, ctx), _mul(st, sp, ctx), cp]
        r = call_scalar("pow", [s.randf(), _f32(ONE_THIRD_F, n)], ctx)
        return [_mul(_mul(r, ct, ctx), sp, ctx), _mul(_mul(r, st, ctx), sp, ctx), _mul(r, cp, ctx)]

    return parts


def _centered(k: int) -> Callable[[Stream, int, OpCtx], list[Value]]:
    def parts(s: Stream, n: int, ctx: OpCtx) -> list[Value]:
        return [sop("Sub", s.randf(), _f32(0.5, n), ctx) for _ in range(k)]

    return parts


SAMPLERS: dict[str, Callable[[Stream, int, OpCtx], list[Value]]] = {
    "sample_triangle": _triangle,
    "sample_unit_ring": _ring,
    "sample_unit_disk": _disk,
    "sample_unit_sphere_surface": _sphere_like(False, False),
    "sample_unit_sphere": _sphere_like(False, True),
    "sample_unit_hemisphere_surface": _sphere_like(True, False),
    "sample_unit_hemisphere": _sphere_like(True, True),
    "sample_unit_square": _centered(2),
    "sample_unit_cube": _centered(3),
}


def _poisson(args: list[Any], ctx: OpCtx) -> StateAdvance:
    """rand.h's poisson: 0 for lam == 0, Knuth's product method below 10, Hoermann's transformed
    rejection from 10 up. Run in float32 per lane; a lane whose accept/reject test is decided
    within a relative 1e-5 (where libm ulps or lam's own error bound could flip it) is tainted,
    and so is one whose lam carries a relative error above 1e-6."""
    st, lam = _typed("poisson", args, ctx, (UINT32, FLOAT32))
    if np.any(ctx.mask & ~np.isfinite(lam.data)) or np.any(ctx.mask & (lam.data < 0)):
        raise ctx.unsupported("wp.poisson", "a negative or non-finite lam")
    n = st.lanes
    state = st.data.astype(np.uint32).copy()
    out = np.zeros(n, dtype=np.uint32)
    taint = st.taint | lam.taint | (lam.err > 1e-6 * np.abs(lam.data.astype(np.float64)))
    for i in np.flatnonzero(ctx.mask):
        state[i], out[i], near = _poisson_lane(int(state[i]), np.float32(lam.data[i]))
        taint[i] |= near
    return StateAdvance(
        Value(UINT32, out, np.zeros(n), taint.copy()), _u32_value(state, st.taint | lam.taint)
    )


MAX_POISSON_DRAWS = 100_000


def _near(a: np.float32, b: np.float32) -> bool:
    return bool(abs(float(a) - float(b)) <= 1e-5 * max(abs(float(a)), abs(float(b)), 1e-30))


def _poisson_lane(state: int, lam: np.float32) -> tuple[int, int, bool]:
    f32 = np.float32
    s = np.array([state], dtype=np.uint32)

    def randf() -> np.float32:
        s[:] = pcg(s)
        return f32((int(s[0]) >> 8) * 2.0**-24)

    near = False
    with np.errstate(all="ignore"):
        if lam >= f32(10.0):
            slam, loglam = np.sqrt(lam), np.log(lam)
            b = f32(0.931) + f32(2.53) * slam
            a = f32(-0.059) + f32(0.02483) * b
            invalpha = f32(1.1239) + f32(1.1328) / (b - f32(3.4))
            vr = f32(0.9277) - f32(3.6224) / (b - f32(2.0))
            for _ in range(MAX_POISSON_DRAWS):
                u = randf() - f32(0.5)
                v = randf()
                us = f32(0.5) - abs(u)
                k = np.floor((f32(2.0) * a / us + b) * u + lam + f32(0.43))
                if (us >= f32(0.07)) and (v <= vr):
                    return int(s[0]), int(k) & 0xFFFFFFFF, near
                if (k < 0) or ((us < f32(0.013)) and (v > us)):
                    continue
                lhs = np.log(v) + np.log(invalpha) - np.log(a / (us * us) + b)
                rhs = -lam + k * loglam - _loggam(k + f32(1.0))
                near |= _near(lhs, rhs)
                if lhs <= rhs:
                    return int(s[0]), int(k) & 0xFFFFFFFF, near
            raise ValueError("poisson: no acceptance within the draw limit")
        if lam == f32(0.0):
            return state, 0, False
        enlam = np.exp(-lam)
        x, prod = 0, f32(1.0)
        for _ in range(MAX_POISSON_DRAWS):
            prod = prod * randf()
            near |= _near(prod, enlam)
            if prod > enlam:
                x += 1
            else:
                return int(s[0]), x, near
    raise ValueError("poisson: product did not fall below exp(-lam) within the draw limit")


_LOGGAM_A = tuple(
    np.float32(c)
    for c in (
        8.333333333333333e-02,
        -2.777777777777778e-03,
        7.936507936507937e-04,
        -5.952380952380952e-04,
        8.417508417508418e-04,
        -1.917526917526918e-03,
        6.410256410256410e-03,
        -2.955065359477124e-02,
        1.796443723688307e-01,
        -1.39243221690590e00,
    )
)


def _loggam(x: np.float32) -> np.float32:
    """rand.h random_loggam (SPECFUN), in float32."""
    f32 = np.float32
    if x == f32(1.0) or x == f32(2.0):
        return f32(0.0)
    n = int(f32(7.0) - x) if x < f32(7.0) else 0
    x0 = x + f32(n)
    x2 = (f32(1.0) / x0) * (f32(1.0) / x0)
    gl0 = _LOGGAM_A[9]
    for i in range(8, -1, -1):
        gl0 = gl0 * x2
        gl0 = gl0 + _LOGGAM_A[i]
    gl = gl0 / x0 + f32(0.5) * f32(1.8378770664093453) + (x0 - f32(0.5)) * np.log(x0) - x0
    if x < f32(7.0):
        for _ in range(n):
            gl = gl - np.log(x0 - f32(1.0))
            x0 = x0 - f32(1.0)
    return f32(gl)


def random_builtins() -> list[Builtin]:
    out = [
        Builtin("rand_init", _rand_init, "rand.h: rand_pcg(seed) / rand_pcg(seed + rand_pcg(offset))"),
        Builtin("randi", draw_range("randi", INT32), "rand.h: int(pcg) / pcg % (max - min) + min"),
        Builtin("randu", draw_range("randu", UINT32), "rand.h: pcg / pcg % (max - min) + min"),
        Builtin("randf", _randf, "rand.h: (pcg >> 8) * 2^-24, (max - min) * randf + min"),
        Builtin("randn", _randn, "rand.h: Box-Muller, sqrt(-2 log(randf + 5.96e-8)) cos(2 pi randf)"),
        Builtin("poisson", _poisson, "rand.h: product method (lam < 10), transformed rejection"),
    ]
    out += [Builtin(nm, _sampler(nm), "rand.h sampling helper") for nm in SAMPLERS]
    return out
