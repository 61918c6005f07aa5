"""Deterministic kernel inputs in the oracle representation, with edge values mixed in."""

from __future__ import annotations

from typing import Any

import numpy as np

from grammar.case import KernelCase, ParamSpec
from grammar.composite import component_scalar, component_shape
from grammar.geometry_ops import GEOMETRY_KINDS, geometry_value

_INPUT_STREAM = 0x5EED1A  # separates the input stream from the generator's stream of the seed
SPECIAL_SHARE = 0.3  # of a special input's elements
# the values a `special` float input mixes in (float16 gets them rounded: max -> inf, 1e-40 -> 0)
SPECIAL_FLOATS = (
    float("nan"),
    float("inf"),
    float("-inf"),
    -0.0,
    1e-40,  # float32 subnormal
    -3e-42,
    3.4028234663852886e38,  # float32 max
    -3.4028234663852886e38,
    1.1754943508222875e-38,  # smallest normal float32
)


def np_dtype(dtype: str) -> Any:
    return np.dtype(component_scalar(dtype)) if component_scalar(dtype) != "bool" else np.dtype(np.bool_)


def make_inputs(case: KernelCase) -> dict[str, Any]:
    """Arguments for `case`, from (case.seed, case.params) alone.

    Inputs are uniform in [low, high] with edge values (0, -0.0, ±1, range ends, thresholds)
    mixed in; outputs get a deterministic fill that goes to device and oracle alike. A geometry
    parameter is a dict of the arrays its object is built from (grammar.geometry_ops).
    """
    out: dict[str, Any] = {}
    derived = []
    for k, p in enumerate(case.params):
        rng = np.random.default_rng([case.seed, _INPUT_STREAM, k])
        if p.kind in GEOMETRY_KINDS:  # a wp.Mesh / HashGrid / Bvh: the arrays it is built from
            out[p.name] = geometry_value(p.kind, p.recipe_dict(), rng)
        elif p.recipe:
            derived.append(p)
        else:
            out[p.name] = _value(rng, p)
    for p in derived:  # an array holding a geometry parameter's points (or boxes)
        r = p.recipe_dict()
        src = out.get(str(r.get("of")))
        if not isinstance(src, dict) or str(r.get("key")) not in src:
            raise ValueError(f"seed {case.seed}, parameter {p.name!r}: recipe {r} names no geometry array")
        out[p.name] = np.array(src[str(r["key"])], copy=True)
    return {p.name: out[p.name] for p in case.params} if derived else out


def _value(rng: np.random.Generator, p: ParamSpec) -> Any:
    if p.kind == "struct":
        return {f.name: _value(rng, f) for f in p.fields}
    comp = component_shape(p.dtype)
    full = tuple(p.shape) + comp
    dt = np_dtype(p.dtype)
    if p.role == "out" or p.low is None or p.high is None:
        fill = rng.integers(0 if dt.kind == "u" else -99, 100, size=full)
        arr = fill.astype(dt)
    else:
        arr = _draw(rng, p, full, dt)
    if p.kind == "scalar":
        return arr.reshape(comp) if comp else dt.type(arr.reshape(()).item())
    return arr


def _draw(rng: np.random.Generator, p: ParamSpec, shape: tuple[int, ...], dt: np.dtype) -> np.ndarray:
    assert p.low is not None and p.high is not None
    lo, hi = p.low, p.high
    n = int(np.prod(shape)) if shape else 1
    if p.integral:
        vals = rng.integers(
            int(lo), int(hi), size=n, endpoint=True, dtype=np.int64 if dt.kind != "u" else np.uint64
        )
        base = vals.astype(object)
    else:
        base = rng.uniform(lo, hi, size=n).astype(object)
    if p.edge and n > 0:
        edges = _edges(p)
        if edges:
            mask = rng.random(n) < 0.25
            picks = rng.integers(0, len(edges), size=n)
            for j in np.nonzero(mask)[0]:
                base[j] = edges[int(picks[j])]
    arr = np.array([_to(dt, v, lo, hi) for v in base], dtype=dt).reshape(shape)
    if p.special and dt.kind == "f" and n > 0:
        flat = arr.reshape(-1)
        mask = rng.random(n) < SPECIAL_SHARE
        picks = rng.integers(0, len(SPECIAL_FLOATS), size=n)
        with np.errstate(over="ignore"):
            for j in np.nonzero(mask)[0]:
                flat[j] = dt.type(SPECIAL_FLOATS[int(picks[j])])
    return arr


def _to(dt: np.dtype, v: Any, lo: float, hi: float) -> Any:
    """Round to the dtype; a float that rounds outside [lo, hi] is pulled back to the bound."""
    if dt.kind in "iu":
        return int(v)
    x = dt.type(v)
    if float(x) > hi:
        x = np.nextafter(dt.type(hi), dt.type(-np.inf)) if float(dt.type(hi)) > hi else dt.type(hi)
    if float(x) < lo:
        x = np.nextafter(dt.type(lo), dt.type(np.inf)) if float(dt.type(lo)) < lo else dt.type(lo)
    return x


def _edges(p: ParamSpec) -> list[Any]:
    assert p.low is not None and p.high is not None
    lo, hi = p.low, p.high
    cands: list[Any] = [lo, hi, 0, 1, -1, *p.thresholds]
    if not p.integral:
        cands += [-0.0, 0.5, -0.5]
    out: list[Any] = []
    for c in cands:
        if lo <= c <= hi and (not p.integral or float(c).is_integer()):
            v = int(c) if p.integral else float(c)
            if not any(type(v) is type(o) and v == o and str(v) == str(o) for o in out):
                out.append(v)
    return out
