"""Atomic statements: reductions into a small shared output and per-thread atomics with results.

Shared slots (`acc[i % m]`) use only the commutative result; a returned old value is used only
for a thread's own slot (`acc[i]`), where it is deterministic.
"""

from __future__ import annotations

import math

import libcst as cst

from grammar.dtypes import Interval, cap, scalar
from grammar.expr import call, name
from grammar.fixers import clamp_to
from grammar.gen import Gen
from grammar.scope import ArrayParam, Var

ATOMIC_CALLS = frozenset(
    {
        "atomic_add", "atomic_sub", "atomic_min", "atomic_max", "atomic_and", "atomic_or", "atomic_xor",
        "atomic_exch", "atomic_cas",
    }
)  # fmt: skip
ATOMIC_DTYPES = ("float32", "int32", "float64", "int64", "uint32")


def add_reduction_target(gen: Gen) -> ArrayParam:
    """A small `inout` array (1..8 slots) that every thread accumulates into."""
    t = gen.rng.pick([d for d in gen.dtypes if d in ATOMIC_DTYPES] or ["float32"])
    if t not in gen.dtypes:
        gen.dtypes.append(t)
    m = gen.rng.integer(1, 8)
    return gen.add_array(t, "inout", Interval(0, 10), shape=(m,))


def _slot(gen: Gen, a: ArrayParam) -> cst.BaseExpression:
    i = name(gen.idx[0].name)
    n = a.shape[0]
    if n == 1:
        return cst.Integer("0")
    return cst.BinaryOperation(left=i, operator=cst.Modulo(), right=cst.Integer(str(n)))


def _value(gen: Gen, a: ArrayParam, threads: int) -> cst.BaseExpression:
    """A per-thread contribution small enough that `threads` of them cannot overflow."""
    c = cap(a.dtype)
    assert a.iv is not None
    room = (c.hi - max(abs(a.iv.lo), abs(a.iv.hi))) / max(threads, 1) / 2
    room = min(room, 1.0e3)
    e = gen.expr(a.dtype, max(gen.knobs.max_depth - 1, 1))
    lo = 0 if scalar(a.dtype).kind == "uint" else -room
    if scalar(a.dtype).is_int:
        room = int(room)
        lo = int(lo)
    return clamp_to(e, lo, room).node


def reduce_stmt(gen: Gen, a: ArrayParam) -> cst.BaseStatement:
    """`wp.atomic_add(acc, i % m, e)` (or sub/min/max); the total stays inside the dtype range."""
    threads = 1
    for d in gen.dim:
        threads *= d
    for t in gen.loop_trips:
        threads *= t
    op = gen.rng.weighted(
        ("atomic_add", "atomic_sub", "atomic_min", "atomic_max"), (4, 1, 1, 1) if gen.wave2 else (1, 0, 0, 0)
    )
    if scalar(a.dtype).kind == "uint" and op == "atomic_sub":
        op = "atomic_add"
    if scalar(a.dtype).is_int and gen.wave2 and gen.rng.chance(0.15):
        # commutative bitwise updates of a shared slot (results discarded): any order, same bits
        op = gen.rng.pick(("atomic_and", "atomic_or", "atomic_xor"))
        assert a.iv is not None
        bits = clamp_to(gen.expr(a.dtype, max(gen.knobs.max_depth - 1, 1)), 0, 255).node
        a.iv = a.iv.union(Interval(min(a.iv.lo, 0) - 256, max(a.iv.hi, 0) + 256))
        return cst.SimpleStatementLine([cst.Expr(call(op, name(a.name), _slot(gen, a), bits))])
    v = _value(gen, a, threads)
    return cst.SimpleStatementLine([cst.Expr(call(op, name(a.name), _slot(gen, a), v))])


def atomic_stmt(gen: Gen) -> cst.BaseStatement:
    """An atomic on this thread's own slot of an inout array; its returned old value is kept."""
    a = gen.rng.pick([x for x in gen.arrays if x.role == "inout"])
    if a.shape[0] != gen.dim[0] or len(gen.idx) != 1 or gen.in_loop():
        return reduce_stmt(gen, a)
    ops = ["atomic_add", "atomic_sub", "atomic_min", "atomic_max"]
    if scalar(a.dtype).is_int:
        ops += ["atomic_and", "atomic_or", "atomic_xor"]
    ops += ["atomic_exch", "atomic_cas"]  # order-dependent: only on the thread's own slot
    op = gen.rng.pick(ops)
    assert a.iv is not None
    if op in ("atomic_exch", "atomic_cas"):
        unsigned = scalar(a.dtype).kind == "uint"
        elo = 0 if unsigned else -100
        e = clamp_to(gen.expr(a.dtype, 2), elo, 100)
        args = [name(a.name), name(gen.idx[0].name), e.node]
        if op == "atomic_cas":
            # compare against a value the slot often holds (small ints meet it), swap in e
            c = clamp_to(
                gen.expr(a.dtype, 2), max(elo, math.floor(a.iv.lo)), max(elo, min(math.ceil(a.iv.hi), 100))
            )
            args.insert(2, c.node)
        old = Var(gen.fresh("old"), a.dtype, a.iv, len(gen.loop_trips))
        a.iv = a.iv.union(e.iv)
        gen.scope.add(old)
        return cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(name(old.name))], call(op, *args))])
    if op in ("atomic_and", "atomic_or", "atomic_xor"):
        e = clamp_to(gen.expr(a.dtype, 2), 0, 255)
        new_iv = Interval(0, max(a.iv.hi, 255) * 2) if op != "atomic_and" else a.iv
    else:
        unsigned = scalar(a.dtype).kind == "uint"
        if unsigned and op == "atomic_sub" and a.iv.lo < 100:
            op = "atomic_add"  # the slot could go below 0 and wrap
        e = clamp_to(gen.expr(a.dtype, 2), 0 if unsigned else -100, 100)
        # unsigned: e >= 0, so only a subtraction lowers the slot (and it cannot wrap, above)
        lo = a.iv.lo - 100 if not unsigned or op == "atomic_sub" else a.iv.lo
        new_iv = Interval(lo, a.iv.hi + 100)
    old = Var(gen.fresh("old"), a.dtype, a.iv, len(gen.loop_trips))
    a.iv = a.iv.union(new_iv)
    st = cst.SimpleStatementLine(
        [
            cst.Assign(
                [cst.AssignTarget(name(old.name))], call(op, name(a.name), name(gen.idx[0].name), e.node)
            )
        ]
    )
    gen.scope.add(old)
    return st
