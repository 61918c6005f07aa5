"""Atomic read-modify-write on arrays: every active lane's contribution lands; the returned old
value is exact only when no other active lane hits the same address (else order-dependent,
hence tainted). Float sums get a recursive-summation error bound per address."""

from __future__ import annotations

from typing import Any

import numpy as np

from oracle.arrays import flat_index
from oracle.builtins import Builtin
from oracle.numeric import OpCtx, int_finish, scalar_of
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
