"""Atomic read-modify-write on arrays: every active lane's contribution lands; the returned old
value is exact only when no other active lane hits the same address (else order-dependent,
hence tainted). Float sums get a recursive-summation error bound per address.

Where lanes share an address and some atomic's result is used, old values follow a real order
(an exclusive prefix in lane order, or in reverse lane order for the re-run in
`oracle.interpreter.evaluate_many` that proves the outputs do not depend on it)."""

from __future__ import annotations

from typing import Any

import numpy as np

from oracle.access import SharedAtomic
from oracle.arrays import flat_index
from oracle.builtin_table import Builtin
from oracle.numeric import OpCtx, int_finish, scalar_of, wrap_int
from oracle.races import element_name, record_atomic
from oracle.values import ArrayRef, Value

KINDS = ("add", "sub", "min", "max", "and", "or", "xor")


def atomic_update(kind: str, arr: ArrayRef, idx: list[Value], v: Value, ctx: OpCtx) -> Value:
    """Apply `kind` for every active lane in lane order (the CPU's order) and return old values."""
    if v.t != arr.t.dtype:
        raise ctx.unsupported(f"call wp.atomic_{kind}", f"value {v.t} into {arr.t}")
    s = scalar_of(v.t)
    if kind in ("and", "or", "xor") and not (s.is_int and not v.t.shape):
        raise ctx.unsupported(f"call wp.atomic_{kind}", f"on {v.t}")
    if kind in ("min", "max") and v.t.shape:
        raise ctx.unsupported(f"call wp.atomic_{kind}", f"on {v.t}")
    flat, ok = flat_index(arr, idx, ctx.mask, ctx.lineno)
    comp = arr.t.dtype.shape
    n = arr.elements
    data = arr.data.reshape(n, *comp)
    err = arr.err.reshape(n, *comp)
    uns = arr.unstable.reshape(n)
    lanes = np.nonzero(ctx.mask)[0]
    f = flat[lanes]
    old = data[flat].copy()
    old_err = err[flat].copy()
    counts = np.bincount(f, minlength=n) if n else np.zeros(0, np.int64)
    shared = np.zeros(v.lanes, bool)
    shared[lanes] = counts[f] > 1
    vals = v.data[lanes]
    record_atomic(arr, f, lanes, ctx.lineno)
    log = arr.log
    if log is not None and log.atomic_results_used and shared.any():
        old[lanes] = ordered_old(kind, data[f], vals, f, lanes, log.reverse_atomics, s)
        if log.shared_atomic is None:
            e = f[shared[lanes]][0]
            group = lanes[f == e]
            log.shared_atomic = SharedAtomic(
                arr.name, element_name(arr, int(e)), (log.tid(group[0]), log.tid(group[-1])), ctx.lineno
            )
    if s.is_float:
        ctx.count(len(lanes) * max(1, int(np.prod(comp))))
        with np.errstate(all="ignore"):
            if kind in ("add", "sub"):
                mag = np.zeros(data.shape)
                np.add.at(mag, f, np.abs(vals.astype(np.float64)))
                terms = np.zeros(data.shape)
                np.add.at(terms, f, v.err[lanes])
                base = np.abs(data.astype(np.float64))
                np.add.at(data, f, vals if kind == "add" else -vals)
                k = counts.reshape(n, *([1] * len(comp)))
                touched = k > 0
                err[...] = np.where(touched, err + terms + k * s.u * (base + mag), err)
            else:
                (np.fmin if kind == "min" else np.fmax).at(data, f, vals)
                np.maximum.at(err, f, v.err[lanes])
    else:
        exact = data.astype(object)
        contrib = vals.astype(object)
        if kind == "add":
            np.add.at(exact, f, contrib)
        elif kind == "sub":
            np.subtract.at(exact, f, contrib)
        elif kind == "min":
            np.minimum.at(exact, f, contrib)
        elif kind == "max":
            np.maximum.at(exact, f, contrib)
        elif kind == "and":
            np.bitwise_and.at(exact, f, contrib)
        elif kind == "or":
            np.bitwise_or.at(exact, f, contrib)
        else:
            np.bitwise_xor.at(exact, f, contrib)
        touched_mask = np.zeros(n, bool)
        touched_mask[f] = True
        sub = OpCtx(touched_mask, ctx.lineno, ctx.stats)
        data[...] = int_finish(s, exact, sub, f"atomic_{kind}")
    ct = ctx.ctl_taint if ctx.ctl_taint is not None else np.zeros(v.lanes, bool)
    itaint = np.zeros(v.lanes, bool)
    for iv in idx:
        itaint |= iv.taint
    uns[f] |= (v.taint | ct | itaint)[lanes]
    maybe = (ct | itaint) & ~ctx.mask & ok
    uns[flat[maybe]] = True
    taint = shared | v.taint | itaint | (uns[flat] & ok)
    return Value(v.t, old, old_err, taint)


_SCAN: dict[str, Any] = {
    "add": np.add,
    "sub": np.add,  # old = start - (sum of the earlier contributions)
    "and": np.bitwise_and,
    "or": np.bitwise_or,
    "xor": np.bitwise_xor,
}


def ordered_old(
    kind: str, start: np.ndarray, vals: np.ndarray, f: np.ndarray, lanes: np.ndarray, reverse: bool, s: Any
) -> np.ndarray:
    """Old value each lane's atomic returns when the lanes of one address run in lane order
    (`reverse`: the opposite order): a segmented exclusive scan (doubling steps, vectorised)."""
    k = len(lanes)
    key = -lanes if reverse else lanes
    order = np.lexsort((key, f))
    fs = f[order]
    floats = bool(s.is_float)
    x = vals[order].astype(np.float64 if floats else object)
    init = start[order].astype(np.float64 if floats else object)
    if kind in ("min", "max"):
        op: Any = (
            (np.fmin if kind == "min" else np.fmax)
            if floats
            else (np.minimum if kind == "min" else np.maximum)
        )
    else:
        op = _SCAN[kind]
    first = np.ones(k, bool)
    first[1:] = fs[1:] != fs[:-1]
    seg = np.maximum.accumulate(np.where(first, np.arange(k), 0))  # start of each entry's group
    pos = np.arange(k)
    inc = x
    d = 1
    with np.errstate(all="ignore"):
        while d < k:
            src = pos - d
            ok = src >= seg
            if not ok.any():
                break
            okb = ok.reshape(ok.shape + (1,) * (inc.ndim - 1))
            inc = np.where(okb, op(inc[np.where(ok, src, pos)], inc), inc)
            d *= 2
        prev = inc[np.maximum(pos - 1, 0)]
        firstb = first.reshape(first.shape + (1,) * (x.ndim - 1))
        if kind == "sub":
            res = np.where(firstb, init, init - prev)
        else:
            res = np.where(firstb, init, op(init, prev))
    out = np.empty_like(start)
    out[order] = res.astype(start.dtype) if floats else wrap_int(res, s)
    return out


def _atomic(kind: str) -> Any:
    def fn(args: list[Any], ctx: OpCtx) -> Value:
        if (
            len(args) < 3
            or not isinstance(args[0], ArrayRef)
            or not all(isinstance(a, Value) for a in args[1:])
        ):
            raise ctx.unsupported(f"call wp.atomic_{kind}", "expects (array, index..., value)")
        return atomic_update(kind, args[0], list(args[1:-1]), args[-1], ctx)

    return fn


def atomic_builtins() -> list[Builtin]:
    return [
        Builtin(f"atomic_{k}", _atomic(k), "all active lanes accumulate; old value tainted if shared")
        for k in KINDS
    ]
