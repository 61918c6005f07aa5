"""Layouts for the bitwise, helper-function and struct families, and the helper-call production.

Helpers are `@wp.func`s with typed parameters and return, generated before the kernel in an
isolated scope (no arrays, no thread index). Each parameter has a declared domain; a call site
clamps its arguments into those domains, so the return interval computed while generating the
body holds for every call. A helper may call helpers defined before it (chains of depth <= 3,
never recursive). Structs are `@wp.struct` parameters whose fields (scalars and vectors) are
read as leaves `p.field`.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from grammar.case import ParamSpec
from grammar.composite import component_scalar, composite, vec_type
from grammar.dtypes import FLOATS, INTS, Interval, scalar
from grammar.expr import Expr, Rejected, call, checked, name, wp_attr
from grammar.family_base import any_dtypes, dim1, finish, inputs
from grammar.fixers import clamp_to
from grammar.gen import Gen, Param
from grammar.production import Production
from grammar.scope import Scope, Var
from grammar.stmts import statements

HELPER_STMTS = {"assign": 2.0, "aug": 1.0, "if": 1.0, "for": 0.5, "mutate": 0.5}


@dataclass(frozen=True)
class Helper:
    """A generated `@wp.func`: parameter types and domains, return type and return interval."""

    name: str
    params: tuple[tuple[str, Interval], ...]
    ret: str
    ret_iv: Interval


def bitwise_body(gen: Gen) -> list[cst.BaseStatement]:
    """Integer-only kernels: bit operations and shifts over one or two integer dtypes."""
    dim1(gen)
    gen.dtypes = [gen.rng.pick(("int32", *INTS))]
    if gen.rng.chance(0.3):
        t = gen.rng.pick(INTS)
        if t not in gen.dtypes:
            gen.dtypes.append(t)
    inputs(gen, gen.rng.integer(1, 2))
    gen.add_array(gen.dtypes[0], "out", None)
    body = statements(
        gen, gen.rng.integer(0, min(3, gen.knobs.max_stmts)), {"assign": 2, "aug": 1, "if": 0.5}
    )
    return finish(gen, body)


# ---- helper functions --------------------------------------------------------------------------


def _param_domain(gen: Gen, t: str) -> Interval:
    if composite(t) is not None:
        r = gen.rng.pick((1.0, 4.0, 10.0)) if component_scalar(t) != "int32" else gen.rng.pick((4, 10))
        return Interval(-r, r)
    return gen.input_interval(t)


def _annotation(t: str) -> cst.Annotation:
    return cst.Annotation(wp_attr(t))


def define_helper(gen: Gen, types: list[str]) -> Helper:
    """Generate one `@wp.func` in an isolated scope and append it to `gen.helpers`."""
    hname = f"{gen.kname}_f{len(gen.funcs) + 1}"
    nparams = gen.rng.integer(1, 3)
    ptypes = [gen.rng.pick(types) for _ in range(nparams)]
    doms = [_param_domain(gen, t) for t in ptypes]
    ret = gen.rng.pick(types)
    saved = (
        gen.scope,
        gen.arrays,
        gen.idx,
        gen.fields,
        gen.stmt_budget,
        gen.allow_return,
        gen.mutable,
        gen.loop_trips,
        gen.loop_kinds,
    )
    gen.scope, gen.arrays, gen.idx, gen.fields = Scope(), [], [], []
    gen.stmt_budget, gen.allow_return, gen.mutable = gen.rng.integer(0, 3), False, set()
    gen.loop_trips, gen.loop_kinds = [], []
    pnames = []
    for t, dom in zip(ptypes, doms, strict=True):
        v = gen.scope.add(Var(gen.fresh("p"), t, dom, 0, readable=True, assignable=False))
        pnames.append(v.name)
    try:
        body: list[cst.BaseStatement] = []
        if _helpers(gen) and gen.rng.chance(0.8):  # chain: call the helper defined just before
            e = call_helper(gen, _helpers(gen)[-1], gen.knobs.max_depth - 2)
            v = gen.scope.add(Var(gen.fresh("v"), e.dtype, e.iv, 0))
            body.append(cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(name(v.name))], e.node)]))
        body += statements(gen, gen.stmt_budget, HELPER_STMTS)
        r = gen.expr(ret, gen.knobs.max_depth - 1)
    finally:
        (
            gen.scope,
            gen.arrays,
            gen.idx,
            gen.fields,
            gen.stmt_budget,
            gen.allow_return,
            gen.mutable,
            gen.loop_trips,
            gen.loop_kinds,
        ) = saved
    body.append(cst.SimpleStatementLine([cst.Return(r.node)]))
    fn = cst.FunctionDef(
        name=name(hname),
        params=cst.Parameters(
            [cst.Param(name(n), _annotation(t)) for n, t in zip(pnames, ptypes, strict=True)]
        ),
        body=cst.IndentedBlock(body),
        decorators=[cst.Decorator(wp_attr("func"))],
        returns=_annotation(ret),
    )
    gen.helpers.append(fn)
    h = Helper(hname, tuple(zip(ptypes, doms, strict=True)), ret, r.iv)
    gen.funcs.append(h)
    return h


def _helpers(gen: Gen) -> list[Helper]:
    return [h for h in gen.funcs if isinstance(h, Helper)]


def clamp_into(x: Expr, t: str, dom: Interval) -> Expr:
    """An argument brought into a helper parameter's declared domain."""
    from grammar.composite_ops import fit

    return fit(x, dom.hi) if composite(t) is not None else clamp_to(x, dom.lo, dom.hi)


def call_helper(gen: Gen, h: Helper, depth: int) -> Expr:
    """A direct call of helper `h` with drawn arguments (used to make chains and uses certain)."""
    args = [clamp_into(gen.expr(t, max(depth, 0)), t, dom) for t, dom in h.params]
    return checked(Expr(call(name(h.name), *[a.node for a in args]), h.ret, h.ret_iv))


def _call_args(gen: Gen, d: str) -> tuple[str, ...] | None:
    hs = [h for h in _helpers(gen) if h.ret == d]
    if not hs:
        return None
    h = gen.rng.pick(hs)
    return (f"@{h.name}", *(t for t, _ in h.params))


def helper_call_production() -> Production:
    """`k_f2(x, y)`: a call of a helper defined earlier, arguments clamped into its domains.

    The callee travels as the first operand (an `Expr` naming it, typed "@name"), so guard,
    interval and emitter see which helper was drawn.
    """
    from grammar.composite_ops import COMPOSITE_TYPES

    def build_callee(gen: Gen, d: str, a: list[Expr]) -> list[Expr]:
        callee, args = a[0], a[1:]
        h = next(h for h in _helpers(gen) if h.name == callee.dtype[1:])
        return [Expr(name(h.name), d, h.ret_iv)] + [
            clamp_into(x, t, dom) for x, (t, dom) in zip(args, h.params, strict=True)
        ]

    def emit(gen: Gen, d: str, a: list[Expr]) -> cst.BaseExpression:
        return call(a[0].node, *[x.node for x in a[1:]])

    def args(gen: Gen, d: str) -> tuple[str, ...] | None:
        return _call_args(gen, d)

    from grammar.dtypes import SCALARS

    makes = tuple(SCALARS) + tuple(t for t in COMPOSITE_TYPES if t.startswith("vec"))
    return Production(
        name="helper_call",
        tag="func",
        args=args,
        interval=lambda d, a: a[0].iv,
        emit=_no_plain_emit,
        guard=build_callee,
        calls=frozenset({"clamp", "min", "max"}),
        rounds=False,
        emit_typed=emit,
        available=lambda g: bool(g.funcs),
        makes=frozenset(makes),
    )


def _no_plain_emit(a: list[cst.BaseExpression]) -> cst.BaseExpression:
    raise AssertionError("helper calls emit through emit_typed")


def helper_body(gen: Gen) -> list[cst.BaseStatement]:
    """1-3 helpers (each may call the earlier ones), then a kernel that calls them."""
    dim1(gen)
    any_dtypes(gen)
    if gen.rng.chance(0.3):
        gen.ctypes = [vec_type(gen.rng.integer(2, 4), gen.rng.pick(("float32", "float64")))]
        s = component_scalar(gen.ctypes[0])
        if s not in gen.dtypes:
            gen.dtypes.append(s)
    types = gen.dtypes + gen.ctypes
    for _ in range(gen.rng.integer(1, 3)):
        define_helper(gen, types)
    inputs(gen, gen.rng.integer(1, 2))
    last = _helpers(gen)[-1]
    out = gen.add_array(last.ret, "out", None)
    n = gen.rng.integer(0, min(3, gen.knobs.max_stmts))
    body = statements(gen, n, {"assign": 2.0, "aug": 1.0, "if": 0.7, "for": 0.4})
    body.append(gen.store(out, call_helper(gen, last, gen.knobs.max_depth - 2)))
    return body


# ---- structs -----------------------------------------------------------------------------------

_FIELD_TYPES = (
    "float32",
    "float32",
    "int32",
    "float64",
    "float16",
    "int8",
    "uint32",
    "int64",
    "vec3f",
    "vec2d",
)


def struct_body(gen: Gen) -> list[cst.BaseStatement]:
    """A `@wp.struct` parameter with 2-4 scalar/vector fields, read as `p.field` leaves."""
    from grammar.composite_ops import composite_input_interval

    dim1(gen)
    sname = f"{gen.kname}_S"
    fields: list[ParamSpec] = []
    members: list[cst.BaseStatement] = []
    pname = gen.fresh("p")
    ftypes = [gen.rng.pick(_FIELD_TYPES) for _ in range(gen.rng.integer(2, 4))]
    for k, t in enumerate(ftypes):
        fname = f"f{k}"
        iv = composite_input_interval(gen, t) if composite(t) is not None else gen.input_interval(t)
        integral = scalar(component_scalar(t)).is_int
        fields.append(ParamSpec(fname, "scalar", t, (), "in", iv.lo, iv.hi, True, integral))
        members.append(
            cst.SimpleStatementLine(
                [cst.AnnAssign(target=name(fname), annotation=_annotation(t), value=None)]
            )
        )
        node = cst.Attribute(value=name(pname), attr=name(fname))
        gen.fields.append(checked(Expr(node, t, iv)))
    gen.helpers.append(
        cst.ClassDef(
            name=name(sname), body=cst.IndentedBlock(members), decorators=[cst.Decorator(wp_attr("struct"))]
        )
    )
    spec = ParamSpec(pname, "struct", sname, (), "in", None, None, True, False, tuple(fields))
    gen.params.append(Param(spec, name(sname)))
    scalars = [component_scalar(t) for t in ftypes]
    gen.dtypes = list(dict.fromkeys(s for s in scalars if s in FLOATS + INTS))
    gen.ctypes = list(dict.fromkeys(t for t in ftypes if composite(t) is not None))
    if gen.rng.chance(0.5):
        t = gen.rng.pick(gen.dtypes)
        gen.add_array(t, "in", gen.input_interval(t))
    gen.add_array(gen.rng.pick(gen.dtypes + gen.ctypes), "out", None)
    n = gen.rng.integer(1, min(4, gen.knobs.max_stmts))
    return finish(gen, statements(gen, n, {"assign": 2.0, "aug": 1.0, "if": 0.7, "for": 0.3, "mutate": 0.5}))


__all__ = [
    "Helper",
    "Rejected",
    "bitwise_body",
    "define_helper",
    "helper_body",
    "helper_call_production",
    "struct_body",
]
