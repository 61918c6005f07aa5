"""Statement productions: assignments, stores, if/elif/else, for/while loops, break/continue/return.

Loop bodies keep intervals sound: variables the body may reassign are chosen on entry and made
unreadable inside it, and augmented assignments scale their bound by the enclosing trip counts.
"""

from __future__ import annotations

from collections.abc import Mapping

import libcst as cst

from grammar.dtypes import BOOL, Interval
from grammar.expr import Expr, bare_call, call, literal, name
from grammar.fixers import clamp_to
from grammar.gen import Gen
from grammar.scope import Var

STMT_KINDS = (
    "assign",
    "reassign",
    "aug",
    "store",
    "if",
    "for",
    "while",
    "return",
    "break",
    "atomic",
    "mutate",
)


def statements(gen: Gen, n: int, weights: Mapping[str, float], depth: int = 0) -> list[cst.BaseStatement]:
    """Up to `n` statements drawn by `weights` (block nesting limited by `depth`)."""
    out: list[cst.BaseStatement] = []
    for _ in range(n):
        if gen.stmt_budget <= 0:
            break
        kinds = [k for k in STMT_KINDS if weights.get(k, 0) > 0 and _possible(gen, k, depth)]
        if not kinds:
            break
        k = gen.rng.weighted(kinds, [weights[k] for k in kinds])
        gen.stmt_budget -= 1
        out.extend(_one(gen, k, weights, depth))
    return out


def _possible(gen: Gen, k: str, depth: int) -> bool:
    if k in ("if", "for", "while") and depth >= 3:
        return False
    if k in ("for", "while") and len(gen.loop_trips) >= gen.knobs.max_loop_nesting:
        return False
    if k == "reassign" or k == "aug":
        return bool(gen.writable())
    if k == "store":
        return any(a.role == "out" for a in gen.arrays)
    if k == "return":
        return gen.allow_return and not gen.in_loop() and gen.wave2
    if k == "break":
        return gen.in_loop() and gen.wave2
    if k == "atomic":
        return any(a.role == "inout" for a in gen.arrays)
    if k == "mutate":
        return bool(_mutable(gen))
    if k in ("for", "while"):
        return gen.wave2
    return True


def _one(gen: Gen, k: str, weights: Mapping[str, float], depth: int) -> list[cst.BaseStatement]:
    if k == "assign":
        types = gen.dtypes + gen.ctypes
        return [gen.assign_new(gen.rng.pick(types))[0]]
    if k == "mutate":
        return [mutate_stmt(gen, gen.rng.pick(_mutable(gen)))]
    if k == "reassign":
        return [gen.reassign(gen.rng.pick(gen.writable()))]
    if k == "aug":
        return [gen.augassign(gen.rng.pick(gen.writable()))]
    if k == "store":
        return [gen.store(gen.rng.pick([a for a in gen.arrays if a.role == "out"]))]
    if k == "if":
        return [if_stmt(gen, weights, depth)]
    if k == "for":
        return for_stmt(gen, weights, depth)
    if k == "while":
        return while_stmt(gen, weights, depth)
    if k == "return":
        return [_guarded(gen, cst.Return())]
    if k == "break":
        return [_guarded(gen, gen.rng.pick((cst.Break(), cst.Continue())))]
    if k == "atomic":
        from grammar.atomics import atomic_stmt

        return [atomic_stmt(gen)]
    raise AssertionError(k)


def _mutable(gen: Gen) -> list[Var]:
    return [v for v in gen.writable() if v.name in gen.mutable]


def mutate_stmt(gen: Gen, v: Var) -> cst.BaseStatement:
    """`v[k] = e` / `m[i, j] = e`: one component of a fresh vector/matrix local."""
    from grammar.composite import component_scalar, composite
    from grammar.composite_ops import ccap
    from grammar.expr import subscript

    c = composite(v.dtype)
    assert c is not None
    s = component_scalar(v.dtype)
    e = clamp_to(gen.expr(s, gen.knobs.max_depth - 1), -ccap(s), ccap(s))
    idx = [cst.Integer(str(gen.rng.integer(0, n - 1))) for n in c.shape]
    v.iv = v.iv.union(e.iv)
    tgt = subscript(name(v.name), *idx)
    return cst.SimpleStatementLine([cst.Assign(targets=[cst.AssignTarget(tgt)], value=e.node)])


def _guarded(gen: Gen, small: cst.BaseSmallStatement) -> cst.If:
    c = gen.cond()
    return cst.If(test=c.node, body=gen.block([cst.SimpleStatementLine([small])]))


def if_stmt(gen: Gen, weights: Mapping[str, float], depth: int) -> cst.If:
    """if / elif* / else? with bodies drawn from the same statement weights."""
    n_elif = gen.rng.integer(0, 2) if gen.rng.chance(0.4) else 0
    has_else = gen.rng.chance(0.5)
    tests = [gen.cond() for _ in range(1 + n_elif)]
    bodies = []
    for _ in range(len(tests) + int(has_else)):
        gen.scope.push()
        inner = statements(gen, gen.rng.integer(1, 3), weights, depth + 1) or [_fallback(gen)]
        gen.scope.pop()
        bodies.append(inner)
    orelse: cst.If | cst.Else | None = cst.Else(body=gen.block(bodies[-1])) if has_else else None
    for t, b in reversed(list(zip(tests[1:], bodies[1 : len(tests)], strict=True))):
        orelse = cst.If(test=t.node, body=gen.block(b), orelse=orelse)
    return cst.If(test=tests[0].node, body=gen.block(bodies[0]), orelse=orelse)


def _fallback(gen: Gen) -> cst.BaseStatement:
    outs = [a for a in gen.arrays if a.role == "out"]
    if outs:
        return gen.store(gen.rng.pick(outs))
    return gen.assign_new(gen.rng.pick(gen.dtypes))[0]


def _loop_body(
    gen: Gen, trips: int, kind: str, weights: Mapping[str, float], depth: int, pre: list[cst.BaseStatement]
) -> cst.IndentedBlock:
    """Generate a loop body: pick the outer variables it may reassign and hide them meanwhile."""
    cands = [v for v in gen.writable() if v.readable]
    mutated: list[Var] = []
    for _ in range(min(len(cands), gen.rng.integer(0, 2))):
        v = gen.rng.pick(cands)
        if v not in mutated:
            mutated.append(v)
    for v in mutated:
        v.readable = False
    gen.loop_trips.append(trips)
    gen.loop_kinds.append(kind)
    gen.scope.push()
    body = list(pre)
    body += statements(gen, gen.rng.integer(1, 3), weights, depth + 1)
    for v in mutated:
        if gen.rng.chance(0.7):
            body.append(gen.augassign(v) if gen.rng.chance(0.7) else gen.reassign(v))
    if len(body) == len(pre):
        body.append(_fallback(gen))
    gen.scope.pop()
    gen.loop_trips.pop()
    gen.loop_kinds.pop()
    for v in mutated:
        v.readable = True
    return gen.block(body)


def for_stmt(gen: Gen, weights: Mapping[str, float], depth: int) -> list[cst.BaseStatement]:
    """`for k in range(...)`: static bounds, or per-lane bounds clamped to a small trip count."""
    form = gen.rng.integer(0, 3)
    if form == 0:
        n = gen.rng.integer(1, 6)
        args: list[cst.BaseExpression] = [cst.Integer(str(n))]
        trips, kiv = n, Interval(0, max(n - 1, 0))
    elif form == 1:
        a = gen.rng.integer(-3, 3)
        b = a + gen.rng.integer(1, 6)
        args = [literal("int32", a).node, literal("int32", b).node]
        trips, kiv = b - a, Interval(a, b - 1)
    elif form == 2:
        step = gen.rng.pick((2, 3, -1, -2))
        a, b = (0, gen.rng.integer(2, 9)) if step > 0 else (gen.rng.integer(2, 8), -1)
        args = [literal("int32", a).node, literal("int32", b).node, literal("int32", step).node]
        trips = len(range(a, b, step))
        kiv = Interval(min(a, b), max(a, b))
    else:  # per-lane trip count from an int expression, clamped to [0, 6]
        e = gen.expr("int32", 2) if "int32" in gen.dtypes else gen.leaf("int32")
        e = clamp_to(e, 0, 6)
        args = [e.node]
        trips, kiv = int(e.iv.hi), Interval(0, max(int(e.iv.hi) - 1, 0))
    k = Var(gen.fresh("k"), "int32", kiv, len(gen.loop_trips) + 1, readable=True, assignable=False)
    gen.scope.push()
    gen.scope.add(k)
    saved = list(gen.dtypes)
    if "int32" not in gen.dtypes:
        gen.dtypes.append("int32")
    body = _loop_body(gen, max(trips, 1), "for", weights, depth, [])
    gen.dtypes = saved
    gen.scope.pop()
    return [cst.For(target=name(k.name), iter=bare_call("range", *args), body=body)]


def while_stmt(gen: Gen, weights: Mapping[str, float], depth: int) -> list[cst.BaseStatement]:
    """`c = 0; while c < N: c += 1; ...`: the counter is bumped first, so `continue` cannot skip it."""
    n = gen.rng.integer(1, 5)
    c = Var(gen.fresh("c"), "int32", Interval(0, n), len(gen.loop_trips), readable=True, assignable=False)
    init = cst.SimpleStatementLine(
        [cst.Assign(targets=[cst.AssignTarget(name(c.name))], value=bare_call("int", cst.Integer("0")))]
    )
    gen.scope.add(c)
    bump = cst.SimpleStatementLine(
        [cst.AugAssign(target=name(c.name), operator=cst.AddAssign(), value=cst.Integer("1"))]
    )
    test = cst.Comparison(
        left=name(c.name), comparisons=[cst.ComparisonTarget(cst.LessThan(), cst.Integer(str(n)))]
    )
    body = _loop_body(gen, n, "while", weights, depth, [bump])
    return [init, cst.While(test=test, body=body)]


def bool_to(gen: Gen, dtype: str, e: Expr) -> Expr:
    """Cast a bool into a numeric dtype (`wp.float32(cond)`)."""
    assert e.dtype == BOOL
    return Expr(call(dtype, e.node), dtype, Interval(0, 1))
