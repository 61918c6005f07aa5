"""Warp's Perlin noise (warp/native/noise.h, 1.19.0): `noise` and `pnoise` in 1-4 D, `curlnoise`
in 2-4 D (analytic gradients of the same noise, summed over octaves).

Per axis: `d = x - floor(x)`, cell corners `x0 = int(floor(x))`, `x1 = x0 + 1` (pnoise: both
`% p`, C's truncated remainder). Each corner's gradient comes from hashing its integer
coordinates into a rand.h state (`ix * 73856093 ^ iy * 19349663 ^ ... + state`: C binds `+`
tighter than `^`, so the seed joins the last term), drawn with randf and, in 2-4 D, normalised
from sample_unit_square/cube/hypercube. The corner values `dot(d - corner, gradient)` are blended
with `interpolate(a0, a1, t) = (a1 - a0) * smootherstep(t) + a0` along x, then y, z, t. Every float
step goes through the oracle's scalar ops, so the bound composes; a coordinate within its error
of an integer (the cell could differ) taints the lane through `floor`. The state is by value
(noise does not advance it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from oracle.builtin_table import Builtin
from oracle.composite import comp, sop, stack
from oracle.numeric import OpCtx, cast, negate
from oracle.random import UINT32, Stream
from oracle.scalar_builtins import call_scalar
from oracle.spatial import vec_normalize
from oracle.types import FLOAT32, INT32, Composite, make_vec
from oracle.values import Value, const_value

PRIMES = (73856093, 19349663, 53471161, 10000019)


def _f(x: float, n: int) -> Value:
    return const_value(FLOAT32, x, n)


def _smootherstep(t: Value, ctx: OpCtx) -> Value:
    """t * t * t * (t * (t * 6 - 15) + 10), in that association."""
    n = t.lanes
    inner = sop("Sub", sop("Mult", t, _f(6.0, n), ctx), _f(15.0, n), ctx)
    inner = sop("Add", sop("Mult", t, inner, ctx), _f(10.0, n), ctx)
    return sop("Mult", sop("Mult", sop("Mult", t, t, ctx), t, ctx), inner, ctx)


def _interpolate(a0: Value, a1: Value, t: Value, ctx: OpCtx) -> Value:
    return sop("Add", sop("Mult", sop("Sub", a1, a0, ctx), _smootherstep(t, ctx), ctx), a0, ctx)


def _hash(state: np.ndarray, corner: list[np.ndarray]) -> np.ndarray:
    """`ix * p1 ^ iy * p2 ^ ... + state` in uint32: the seed is added to the last product."""
    with np.errstate(over="ignore"):
        terms = [(c.astype(np.int64) * p) & 0xFFFFFFFF for c, p in zip(corner, PRIMES, strict=False)]
        terms[-1] = (terms[-1] + state.astype(np.int64)) & 0xFFFFFFFF
        out = terms[0]
        for t in terms[1:]:
            out = out ^ t
    return out.astype(np.uint32)


def _gradient(state: Value, corner: list[np.ndarray], ctx: OpCtx) -> list[Value]:
    """random_gradient_Nd: randf(idx, -1, 1) in 1 D, else normalize(sample_unit_*(idx))."""
    n = state.lanes
    idx = Value(UINT32, _hash(state.data, corner), np.zeros(n), state.taint.copy())
    s = Stream(idx, ctx)
    if len(corner) == 1:
        return [s.randf_range(_f(-1.0, n), _f(1.0, n))]
    parts = [sop("Sub", s.randf(), _f(0.5, n), ctx) for _ in corner]
    v = vec_normalize(stack(make_vec(len(corner), FLOAT32), parts), ctx)
    return [comp(v, i) for i in range(len(corner))]


def _corner_value(state: Value, corner: list[np.ndarray], d: list[Value], ctx: OpCtx) -> Value:
    g = _gradient(state, corner, ctx)
    acc = sop("Mult", d[0], g[0], ctx)
    for di, gi in zip(d[1:], g[1:], strict=True):
        acc = sop("Add", acc, sop("Mult", di, gi, ctx), ctx)
    return acc


def _blend(state: Value, lo: list[np.ndarray], hi: list[np.ndarray], d: list[Value], ctx: OpCtx) -> Value:
    """noise_Nd: corners in x-fastest order, interpolated along x, then y, z, t."""
    k = len(d)
    n = state.lanes
    one = _f(1.0, n)
    d1 = [sop("Sub", di, one, ctx) for di in d]
    values = []
    for code in range(2**k):
        bits = [(code >> a) & 1 for a in range(k)]
        corner = [hi[a] if b else lo[a] for a, b in enumerate(bits)]
        offs = [d1[a] if b else d[a] for a, b in enumerate(bits)]
        values.append(_corner_value(state, corner, offs, ctx))
    for a in range(k):
        values = [_interpolate(values[j], values[j + 1], d[a], ctx) for j in range(0, len(values), 2)]
    return values[0]


def _coords(name: str, args: list[Any], ctx: OpCtx) -> tuple[Value, list[Value]]:
    ok = len(args) >= 2 and isinstance(args[0], Value) and args[0].t == UINT32 and isinstance(args[1], Value)
    if ok and args[1].t == FLOAT32:
        return args[0], [args[1]]
    x = args[1] if ok else None
    if (
        x is None
        or not isinstance(x.t, Composite)
        or x.t.kind != "vec"
        or x.t.scalar != FLOAT32
        or x.t.shape[0] not in (2, 3, 4)
    ):
        sig = ", ".join(str(getattr(a, "t", type(a).__name__)) for a in args)
        raise ctx.unsupported(f"call wp.{name}", f"argument types ({sig})")
    return args[0], [comp(x, i) for i in range(x.t.shape[0])]


def _cells(xs: list[Value], ctx: OpCtx) -> tuple[list[Value], list[np.ndarray]]:
    d, lo = [], []
    for x in xs:
        if np.any(ctx.mask & ~(np.abs(x.data.astype(np.float64)) < 2.0**31 - 1)):
            raise ctx.ub("wp.noise: int(floor(x)) of a coordinate outside int32 (or not finite)")
        fl = call_scalar("floor", [x], ctx)
        d.append(sop("Sub", x, fl, ctx))
        lo.append(cast(fl, INT32, ctx).data.astype(np.int64))
    return d, lo


def _noise(args: list[Any], ctx: OpCtx) -> Value:
    state, xs = _coords("noise", args, ctx)
    if len(args) != 2:
        raise ctx.unsupported("call wp.noise", f"{len(args)} arguments")
    d, lo = _cells(xs, ctx)
    out = _blend(state, lo, [c + 1 for c in lo], d, ctx)
    return _with_taint(out, xs)


def _pnoise(args: list[Any], ctx: OpCtx) -> Value:
    state, xs = _coords("pnoise", args, ctx)
    periods = args[2:]
    if len(periods) != len(xs) or not all(isinstance(p, Value) and p.t == INT32 for p in periods):
        raise ctx.unsupported("call wp.pnoise", "one int32 period per coordinate")
    if any(np.any(ctx.mask & (p.data == 0)) for p in periods):
        raise ctx.ub("wp.pnoise: a zero period (x % 0)")
    d, lo = _cells(xs, ctx)
    safe = [np.where(p.data == 0, 1, p.data).astype(np.int64) for p in periods]
    x0 = [np.fmod(c, p) for c, p in zip(lo, safe, strict=True)]
    x1 = [np.fmod(c + 1, p) for c, p in zip(x0, safe, strict=True)]
    out = _blend(state, x0, x1, d, ctx)
    return _with_taint(out, xs + list(periods))


def _smootherstep_gradient(t: Value, ctx: OpCtx) -> Value:
    """30 * t * t * (t * (t - 2) + 1)."""
    n = t.lanes
    inner = sop("Add", sop("Mult", t, sop("Sub", t, _f(2.0, n), ctx), ctx), _f(1.0, n), ctx)
    return sop("Mult", sop("Mult", sop("Mult", _f(30.0, n), t, ctx), t, ctx), inner, ctx)


def _vadd(a: list[Value], b: list[Value], ctx: OpCtx) -> list[Value]:
    return [sop("Add", x, y, ctx) for x, y in zip(a, b, strict=True)]


def _vscale(a: list[Value], k: Value, ctx: OpCtx) -> list[Value]:
    return [sop("Mult", x, k, ctx) for x in a]


def _interp_gradient(
    a0: Value, a1: Value, t: Value, g0: list[Value], g1: list[Value], axis: int, ctx: OpCtx
) -> list[Value]:
    """interpolate_gradient_Nd: (g1 - g0) * smootherstep(t) + (a1 - a0) * smootherstep'(t) * e_axis + g0."""
    n = t.lanes
    diff = [sop("Sub", y, x, ctx) for x, y in zip(g0, g1, strict=True)]
    first = _vscale(diff, _smootherstep(t, ctx), ctx)
    k = sop("Mult", sop("Sub", a1, a0, ctx), _smootherstep_gradient(t, ctx), ctx)
    unit = [_f(1.0 if j == axis else 0.0, n) for j in range(len(g0))]
    return _vadd(_vadd(first, [sop("Mult", k, u, ctx) for u in unit], ctx), g0, ctx)


def _blend_gradient(
    state: Value, lo: list[np.ndarray], hi: list[np.ndarray], d: list[Value], ctx: OpCtx
) -> list[Value]:
    """noise_Nd_gradient (2-4 D): corner values and gradients, blended along x, then y, z, t."""
    k = len(d)
    one = _f(1.0, state.lanes)
    d1 = [sop("Sub", di, one, ctx) for di in d]
    pairs: list[tuple[Value, list[Value]]] = []
    for code in range(2**k):
        bits = [(code >> a) & 1 for a in range(k)]
        corner = [hi[a] if b else lo[a] for a, b in enumerate(bits)]
        offs = [d1[a] if b else d[a] for a, b in enumerate(bits)]
        g = _gradient(state, corner, ctx)
        pairs.append((_dot_list(offs, g, ctx), g))
    for a in range(k):
        nxt = []
        for j in range(0, len(pairs), 2):
            (v0, g0), (v1, g1) = pairs[j], pairs[j + 1]
            nxt.append((_interpolate(v0, v1, d[a], ctx), _interp_gradient(v0, v1, d[a], g0, g1, a, ctx)))
        pairs = nxt
    return pairs[0][1]


def _dot_list(a: list[Value], b: list[Value], ctx: OpCtx) -> Value:
    """vec.h dot: vec2/vec3 sum their products directly, vec4 accumulates from 0."""
    terms = [sop("Mult", x, y, ctx) for x, y in zip(a, b, strict=True)]
    acc = terms[0] if len(terms) < 4 else sop("Add", _f(0.0, a[0].lanes), terms[0], ctx)
    for t in terms[1:]:
        acc = sop("Add", acc, t, ctx)
    return acc


CURL_OFFSETS = (10019689, 13112221)


def _curlnoise(args: list[Any], ctx: OpCtx) -> Value:
    """curlnoise(state, x, octaves=1, lacunarity=2, gain=0.5): 2 D rotates one gradient field,
    3/4 D take the curl of three fields whose states chain through rand_init(state, offset)
    (the chain carries over to the next octave). The octave count must be lane-uniform."""
    state, xs = _coords("curlnoise", args, ctx)
    if len(xs) == 1 or len(args) > 5:
        raise ctx.unsupported("call wp.curlnoise", "a vec2/vec3/vec4 point and at most 3 more arguments")
    n = state.lanes
    octv = args[2] if len(args) > 2 else Value(UINT32, np.ones(n, np.uint32), np.zeros(n), np.zeros(n, bool))
    lac = args[3] if len(args) > 3 else _f(2.0, n)
    gain = args[4] if len(args) > 4 else _f(0.5, n)
    if not (isinstance(octv, Value) and octv.t == UINT32 and isinstance(lac, Value) and lac.t == FLOAT32):
        raise ctx.unsupported("call wp.curlnoise", "octaves uint32, lacunarity and gain float32")
    if not (isinstance(gain, Value) and gain.t == FLOAT32):
        raise ctx.unsupported("call wp.curlnoise", "gain float32")
    octs = np.unique(octv.data[ctx.mask]) if np.any(ctx.mask) else np.array([0])
    if len(octs) > 1 or int(octs[0]) > 16:
        raise ctx.unsupported("wp.curlnoise", "an octave count that differs between lanes or exceeds 16")
    k = len(xs)
    fields = 1 if k == 2 else 3
    sums = [[_f(0.0, n) for _ in range(k)] for _ in range(fields)]
    freq, amp = _f(1.0, n), _f(1.0, n)
    st = state
    for _ in range(int(octs[0])):
        pt = [sop("Mult", freq, x, ctx) for x in xs]
        d, lo = _cells(pt, ctx)
        hi = [c + 1 for c in lo]
        for f in range(fields):
            if f > 0:
                st = _rand_init_u32(st, CURL_OFFSETS[f - 1])
            g = _blend_gradient(st, lo, hi, d, ctx)
            sums[f] = _vadd(sums[f], [sop("Mult", amp, gi, ctx) for gi in g], ctx)
        amp = sop("Mult", amp, gain, ctx)
        freq = sop("Mult", freq, lac, ctx)
    if k == 2:
        c = sums[0]
        out = [negate(c[1], ctx), c[0]]
    else:
        s1, s2, s3 = sums
        out = [sop("Sub", s3[1], s2[2], ctx), sop("Sub", s1[2], s3[0], ctx), sop("Sub", s2[0], s1[1], ctx)]
    return _with_taint(stack(make_vec(len(out), FLOAT32), out), [*xs, octv, lac, gain])


def _rand_init_u32(state: Value, offset: int) -> Value:
    """rand_init(int(state), offset): pcg(state + pcg(offset)) in uint32."""
    from oracle.random import pcg

    with np.errstate(over="ignore"):
        s = state.data.astype(np.uint32) + pcg(np.array([offset], dtype=np.uint32))
    return Value(UINT32, pcg(s), np.zeros(state.lanes), state.taint.copy())


def _with_taint(v: Value, parts: list[Value]) -> Value:
    t = v.taint.copy()
    for p in parts:
        t |= p.taint
    return Value(v.t, v.data, v.err, t)


def noise_builtins() -> list[Builtin]:
    fns: list[tuple[str, Callable[[list[Any], OpCtx], Value], str]] = [
        ("noise", _noise, "noise.h: Perlin noise, 1-4 D, PCG-hashed corner gradients"),
        ("pnoise", _pnoise, "noise.h: periodic Perlin noise, corners % period"),
        ("curlnoise", _curlnoise, "noise.h: curl of analytic noise gradients over octaves"),
    ]
    return [Builtin(n, f, r) for n, f, r in fns]
