"""Kernel factories: a module-level `k = make_k(2.5, helper)` whose `make_k` defines and returns a
nested `@wp.kernel` closing over its parameters.

Warp evaluates the call in Python and compiles the inner kernel with the closure's values (a
captured number acts as the literal written in place, a captured `@wp.func` as the callee). The
oracle never runs the module, so it binds the captured values from the source: each argument of
the call must be a literal (signed), a module constant or `@wp.func` by name, a `wp.<name>`
function, or a typed scalar of a literal (`wp.float64(2.0)`, what the gradient check's float64
twin writes). The inner kernel is then re-rooted at module level under the bound name with every
captured name replaced by its argument expression, and each inner `@wp.func` likewise under
`<bound name>__<func name>`; line numbers stay those of the source. `@wp.func_grad` and
`@wp.func_replay` definitions inside the factory are skipped: they change only the backward pass.

A factory call the oracle cannot resolve is recorded as the Unsupported it raises, so a kernel
of that name is refused with the reason instead of "not found".
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Collection
from dataclasses import dataclass, field

from oracle.errors import Unsupported
from oracle.types import scalar_from_name, wp_attr

_SKIPPED_DECORATORS = frozenset({"func_grad", "func_replay"})


@dataclass
class Factories:
    """What the module's kernel factories make: kernels and functions by their re-rooted names,
    and the bound names whose factory call the oracle refuses (with why)."""

    kernels: dict[str, ast.FunctionDef] = field(default_factory=dict)
    funcs: dict[str, ast.FunctionDef] = field(default_factory=dict)
    refused: dict[str, Unsupported] = field(default_factory=dict)


def _decorator(fn: ast.FunctionDef) -> str | None:
    for d in fn.decorator_list:
        name = wp_attr(d.func if isinstance(d, ast.Call) else d)
        if name is not None:
            return name
    return None


def _is_factory(fn: ast.FunctionDef) -> bool:
    """A plain (undecorated by Warp) module-level function with a nested @wp.kernel."""
    return _decorator(fn) is None and any(
        isinstance(st, ast.FunctionDef) and _decorator(st) == "kernel" for st in fn.body
    )


def _captured_value(
    arg: ast.expr, funcs: Collection[str], consts: Collection[str], values: dict[str, ast.expr]
) -> ast.expr:
    """The expression to put where the captured name is read, if the oracle can bind it from
    source, else Unsupported. A module name assigned once whose value is not a constant the
    oracle reads by name (`k_SCALE = -wp.float64(0.75)`, as the float64 twin writes) is inlined."""
    if isinstance(arg, ast.UnaryOp) and isinstance(arg.op, ast.USub | ast.UAdd):
        return ast.UnaryOp(arg.op, _captured_value(arg.operand, funcs, consts, values))
    if isinstance(arg, ast.Constant) and isinstance(arg.value, int | float | bool):
        return arg
    if isinstance(arg, ast.Name) and (arg.id in funcs or arg.id in consts):
        return arg
    if isinstance(arg, ast.Name) and arg.id in values:
        return _captured_value(values[arg.id], funcs, consts, {})
    if isinstance(arg, ast.Attribute) and wp_attr(arg) is not None:
        return arg
    if (
        isinstance(arg, ast.Call)
        and not arg.keywords
        and len(arg.args) == 1
        and scalar_from_name(wp_attr(arg.func) or "") is not None
    ):
        return ast.Call(arg.func, [_captured_value(arg.args[0], (), (), {})], [])
    raise Unsupported(
        "kernel factory argument not resolvable from source",
        arg.lineno,
        f"{ast.unparse(arg)}: pass a literal, a module constant or a @wp.func by name",
    )


def _bindings(
    factory: ast.FunctionDef,
    call: ast.Call,
    funcs: Collection[str],
    consts: Collection[str],
    values: dict[str, ast.expr],
) -> dict[str, ast.expr]:
    a = factory.args
    if a.vararg or a.kwarg or a.kwonlyargs or a.posonlyargs:
        raise Unsupported("kernel factory with *args/**kwargs/keyword-only parameters", factory.lineno)
    names = [p.arg for p in a.args]
    if any(isinstance(x, ast.Starred) for x in call.args) or any(k.arg is None for k in call.keywords):
        raise Unsupported("kernel factory call with *args/**kwargs", call.lineno, factory.name)
    if len(call.args) > len(names):
        raise Unsupported("kernel factory call with too many arguments", call.lineno, factory.name)
    given: dict[str, ast.expr] = dict(zip(names, call.args, strict=False))
    for k in call.keywords:
        assert k.arg is not None
        if k.arg not in names or k.arg in given:
            raise Unsupported("kernel factory call with a bad keyword argument", call.lineno, k.arg)
        given[k.arg] = k.value
    defaults = dict(zip(names[len(names) - len(a.defaults) :], a.defaults, strict=True))
    out: dict[str, ast.expr] = {}
    for n in names:
        expr = given.get(n, defaults.get(n))
        if expr is None:
            raise Unsupported("kernel factory call without a value for a parameter", call.lineno, n)
        out[n] = _captured_value(expr, funcs, consts, values)
    return out


def _bound_names(fn: ast.FunctionDef) -> set[str]:
    """Names the function binds itself (parameters, assignment and loop targets)."""
    out = {p.arg for p in fn.args.args}
    for node in ast.walk(fn):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            out.add(node.id)
    return out


class _Substitute(ast.NodeTransformer):
    def __init__(self, values: dict[str, ast.expr]) -> None:
        self.values = values

    def visit_Name(self, node: ast.Name) -> ast.expr:
        v = self.values.get(node.id)
        if v is None or not isinstance(node.ctx, ast.Load):
            return node
        new = copy.deepcopy(v)
        for n in ast.walk(new):  # the value sits where the name was: report that line
            if isinstance(n, ast.expr):
                ast.copy_location(n, node)
        return new


def _instantiate(
    bound: str, factory: ast.FunctionDef, values: dict[str, ast.expr]
) -> tuple[ast.FunctionDef, dict[str, ast.FunctionDef]]:
    """The factory's kernel and functions with the captured values substituted, re-rooted."""
    kernel: ast.FunctionDef | None = None
    inner: dict[str, ast.FunctionDef] = {}
    returned: str | None = None
    for st in factory.body:
        if (
            isinstance(st, ast.Expr)
            and isinstance(st.value, ast.Constant)
            and isinstance(st.value.value, str)
        ):
            continue  # docstring
        if isinstance(st, ast.FunctionDef):
            kind = _decorator(st)
            if kind == "kernel":
                if kernel is not None:
                    raise Unsupported("kernel factory defining two kernels", st.lineno, factory.name)
                kernel = st
                continue
            if kind == "func":
                inner[st.name] = st
                continue
            if kind in _SKIPPED_DECORATORS:
                continue
        if isinstance(st, ast.Return) and isinstance(st.value, ast.Name):
            returned = st.value.id
            continue
        raise Unsupported(
            "kernel factory statement other than @wp.kernel/@wp.func definitions and `return`",
            st.lineno,
            f"{factory.name}: {type(st).__name__}",
        )
    if kernel is None or returned != kernel.name:
        raise Unsupported("kernel factory that does not return its @wp.kernel", factory.lineno, factory.name)
    renames = {n: f"{bound}__{n}" for n in inner}
    subst = dict(values)
    subst.update({n: ast.Name(r, ast.Load()) for n, r in renames.items()})
    made: dict[str, ast.FunctionDef] = {}
    for fn in [kernel, *inner.values()]:
        shadowed = _bound_names(fn) & set(subst)
        if shadowed:
            raise Unsupported(
                "kernel factory body rebinding a captured name", fn.lineno, f"{fn.name}: {sorted(shadowed)}"
            )
        new = _Substitute(subst).visit(copy.deepcopy(fn))
        assert isinstance(new, ast.FunctionDef)
        new.name = bound if fn is kernel else renames[fn.name]
        made[fn.name] = new
    k = made.pop(kernel.name)
    return k, {renames[n]: f for n, f in made.items()}


def factory_kernels(tree: ast.Module, funcs: Collection[str], consts: Collection[str]) -> Factories:
    """Every module-level `NAME = factory(...)` of a kernel factory, instantiated (see the module
    doc). `funcs`/`consts`: the module's @wp.func and constant names a call may pass."""
    out = Factories()
    factories = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef) and _is_factory(n)}
    if not factories:
        return out
    assigned: dict[str, list[ast.expr]] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            assigned.setdefault(node.targets[0].id, []).append(node.value)
    values = {n: v[0] for n, v in assigned.items() if len(v) == 1}
    for node in tree.body:
        if not (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Name)
            and node.value.func.id in factories
        ):
            continue
        bound = node.targets[0].id
        try:
            fac = factories[node.value.func.id]
            kernel, inner = _instantiate(bound, fac, _bindings(fac, node.value, funcs, consts, values))
        except Unsupported as e:
            out.refused[bound] = e
            out.kernels.pop(bound, None)
            continue
        out.refused.pop(bound, None)
        out.kernels[bound] = kernel
        out.funcs.update(inner)
    return out


def _is_function_annotation(ann: ast.expr | None) -> bool:
    """`wp.Function` (also `warp.Function`)."""
    return ann is not None and wp_attr(ann) == "Function"


def _function_target(arg: ast.expr, funcs: Collection[str]) -> str | None:
    """A tag for a function argument the oracle can bind (a module @wp.func or `wp.<name>`)."""
    if isinstance(arg, ast.Name) and arg.id in funcs:
        return arg.id
    name = wp_attr(arg)
    return f"wp_{name}" if name is not None else None


class _Specialize(ast.NodeTransformer):
    """Rewrites calls that pass functions to `wp.Function` parameters into calls of clones."""

    def __init__(self, funcs: dict[str, list[ast.FunctionDef]]) -> None:
        self.funcs = funcs
        self.slots = {
            n: [k for k, a in enumerate(defs[0].args.args) if _is_function_annotation(a.annotation)]
            for n, defs in funcs.items()
            if len(defs) == 1 and any(_is_function_annotation(a.annotation) for a in defs[0].args.args)
        }
        self.made: dict[str, ast.FunctionDef] = {}
        self.pending: list[ast.FunctionDef] = []

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if not isinstance(node.func, ast.Name) or node.func.id not in self.slots or node.keywords:
            return node
        name, slots = node.func.id, self.slots[node.func.id]
        if max(slots) >= len(node.args):
            return node
        tags = [_function_target(node.args[k], self.funcs) for k in slots]
        if any(t is None for t in tags):
            return node  # the interpreter refuses the unbound wp.Function parameter
        clone = f"{name}__{'__'.join(str(t) for t in tags)}"
        if clone not in self.made and clone not in self.funcs:
            fn = self.funcs[name][0]
            values = {fn.args.args[k].arg: node.args[k] for k in slots}
            new = _Substitute(values).visit(copy.deepcopy(fn))
            assert isinstance(new, ast.FunctionDef)
            new.name = clone
            new.args.args = [a for k, a in enumerate(new.args.args) if k not in slots]
            self.made[clone] = new
            self.pending.append(new)  # its body may pass the function on
        call = ast.Call(
            ast.Name(clone, ast.Load()), [a for k, a in enumerate(node.args) if k not in slots], []
        )
        return ast.copy_location(call, node)


def specialize_function_params(
    kernels: dict[str, ast.FunctionDef], funcs: dict[str, list[ast.FunctionDef]]
) -> dict[str, ast.FunctionDef]:
    """`wp.Function`-typed parameters of @wp.funcs, as Warp's codegen resolves them: a call
    `apply(fa, x)` to `def apply(f: wp.Function, x: float)` calls a clone `apply__fa(x)` whose
    body reads `fa` where it read `f` (`wp.cos` gives `apply__wp_cos`), nested calls passing the
    function on included. Kernels and functions are rewritten in place; returns the clones. A
    call whose function argument is anything else is left for the interpreter to refuse."""
    spec = _Specialize(funcs)
    if not spec.slots:
        return {}
    for fn in [*kernels.values(), *(d for defs in funcs.values() for d in defs)]:
        if all(not _is_function_annotation(a.annotation) for a in fn.args.args):
            spec.visit(fn)
    while spec.pending:
        spec.visit(spec.pending.pop())
    return spec.made
