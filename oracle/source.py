"""Read a Warp module's source text: kernels, @wp.func helpers, @wp.struct classes, module-level
type aliases and constants.

Only the text is used (never the generator, never importing the module), so hand-written
kernels work the same as generated ones."""

from __future__ import annotations

import ast
import math
from collections.abc import Callable
from dataclasses import dataclass, field

from oracle.closures import factory_kernels, specialize_function_params
from oracle.errors import Unsupported
from oracle.static import BINOPS, Assignment
from oracle.types import (
    ARRAY_KINDS,
    ArrayT,
    Scalar,
    StructT,
    TypeScope,
    ValueType,
    composite_from_name,
    parse_annotation,
    parse_value_type,
    scalar_from_name,
    type_path,
    wp_attr,
)


@dataclass(frozen=True)
class ModuleConst:
    """A module-level constant a kernel may read: `t` is None for a plain Python number (Warp
    treats it like a literal written in place), a Warp type for `wp.constant(wp.float64(2.0))`."""

    value: int | float | bool | tuple[float, ...]
    t: ValueType | None
    lineno: int


@dataclass
class ModuleInfo:
    """`funcs` holds each @wp.func name's first definition, `overloads` every definition of it in
    source order (Warp keeps one overload per signature); `assignments` every module-level
    `NAME = expr` (what `wp.static` reads, oracle.static); `kernel_overloads` the `@wp.overload`
    stubs of each generic kernel."""

    kernels: dict[str, ast.FunctionDef] = field(default_factory=dict)
    funcs: dict[str, ast.FunctionDef] = field(default_factory=dict)
    structs: TypeScope = field(default_factory=TypeScope)
    constants: dict[str, ModuleConst] = field(default_factory=dict)
    overloads: dict[str, list[ast.FunctionDef]] = field(default_factory=dict)
    assignments: dict[str, list[Assignment]] = field(default_factory=dict)
    kernel_overloads: dict[str, list[ast.FunctionDef]] = field(default_factory=dict)
    # kernels bound by a factory call the oracle cannot resolve (oracle.closures), with why
    refused_kernels: dict[str, Unsupported] = field(default_factory=dict)
    # False when the source text holds no `atomic_` at all: no atomic call can then exist, and
    # the interpreter skips walking every function for one whose result is used
    mentions_atomics: bool = True


def _decorator_name(node: ast.FunctionDef | ast.ClassDef) -> str | None:
    for d in node.decorator_list:
        target = d.func if isinstance(d, ast.Call) else d
        name = wp_attr(target)
        if name is not None:
            return name
    return None


_TYPE_CALLS = frozenset({"vector", "vec", "matrix", "mat"})
_MATH_CONSTS = {"pi": math.pi, "e": math.e, "tau": math.tau, "inf": math.inf}
_MATH_FUNCS: dict[str, Callable[..., object]] = {
    f: getattr(math, f)
    for f in ("sqrt", "exp", "log", "log2", "log10", "sin", "cos", "tan", "atan2", "floor", "ceil", "pow")
}


def is_type_expr(node: ast.expr, aliases: dict[str, ast.expr]) -> bool:
    """Whether a module-level right-hand side names a Warp type (an alias the annotations may use)."""
    if isinstance(node, ast.Name):
        return node.id in aliases
    if isinstance(node, ast.Subscript):
        return type_path(node.value) in ARRAY_KINDS
    if isinstance(node, ast.Call):
        return type_path(node.func) in _TYPE_CALLS or type_path(node.func) in ARRAY_KINDS
    name = type_path(node)
    return name is not None and (scalar_from_name(name) is not None or composite_from_name(name) is not None)


class _NotConstant(Exception):
    pass


def _fold(node: ast.expr, consts: dict[str, ModuleConst]) -> int | float | bool:
    """Fold a constant expression of literals, earlier constants and math/wp constants."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float | bool):
        return node.value
    if isinstance(node, ast.Name) and node.id in consts:
        v = consts[node.id].value
        if isinstance(v, int | float | bool):
            return v
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id in ("math", "wp", "warp", "np", "numpy")
        and node.attr in _MATH_CONSTS
    ):
        return _MATH_CONSTS[node.attr]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        v = _fold(node.operand, consts)
        return -v if isinstance(node.op, ast.USub) else +v
    if isinstance(node, ast.BinOp) and type(node.op) in BINOPS:
        r = BINOPS[type(node.op)](_fold(node.left, consts), _fold(node.right, consts))
        if isinstance(r, int | float):
            return r
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id in ("math", "np", "numpy")
        and node.func.attr in _MATH_FUNCS
        and not node.keywords
    ):
        r = _MATH_FUNCS[node.func.attr](*(float(_fold(a, consts)) for a in node.args))
        if isinstance(r, int | float):
            return r
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in ("int", "float")
        and len(node.args) == 1
        and not node.keywords
    ):
        return (int if node.func.id == "int" else float)(_fold(node.args[0], consts))
    raise _NotConstant


def _constant(node: ast.expr, consts: dict[str, ModuleConst]) -> ModuleConst | None:
    """`wp.constant(x)` or a plain numeric expression; None when it is neither."""
    line = node.lineno
    wrapped = isinstance(node, ast.Call) and wp_attr(node.func) == "constant"
    if wrapped:
        assert isinstance(node, ast.Call)
        if len(node.args) != 1 or node.keywords:
            return None
        inner = _constant(node.args[0], consts)
        if inner is not None and inner.t is not None:
            return ModuleConst(inner.value, inner.t, line)  # wp.constant(<typed value>)
        node = node.args[0]
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub | ast.UAdd)
        and isinstance(node.operand, ast.Call)
        and not wrapped
    ):
        # `-wp.float64(2.5)` (the gradient check's float64 twin writes negative literals so)
        inner = _constant(node.operand, consts)
        if inner is None or isinstance(inner.value, tuple) or inner.t is None:
            return None
        v = -inner.value if isinstance(node.op, ast.USub) else inner.value
        return ModuleConst(v, inner.t, line)
    try:
        if isinstance(node, ast.Call) and not node.keywords:
            tname = wp_attr(node.func)
            s = scalar_from_name(tname) if tname else None
            if s is not None and len(node.args) == 1:
                arg = node.args[0]
                inner = _constant(arg, consts) if isinstance(arg, ast.UnaryOp) else None
                if inner is not None and not isinstance(inner.value, tuple):
                    return ModuleConst(inner.value, s, line)  # wp.float64(-wp.float64(2.5))
                return ModuleConst(_fold(arg, consts), s, line)
            c = composite_from_name(tname) if tname else None
            if c is not None and c.kind == "vec" and len(node.args) == c.shape[0]:
                return ModuleConst(tuple(float(_fold(a, consts)) for a in node.args), c, line)
            return None
        v = _fold(node, consts)
    except (_NotConstant, ZeroDivisionError, OverflowError, ValueError, TypeError):
        return None
    if wrapped and not isinstance(v, bool):
        # wp.constant(1.5) is a float32 constant, wp.constant(3) an int32 one
        return ModuleConst(v, Scalar("float32") if isinstance(v, float) else Scalar("int32"), line)
    return ModuleConst(v, None, line)


def _struct(node: ast.ClassDef, scope: TypeScope) -> StructT:
    fields: list[tuple[str, ValueType | ArrayT | StructT]] = []
    for st in node.body:
        if isinstance(st, ast.AnnAssign) and isinstance(st.target, ast.Name):
            ft = parse_annotation(st.annotation, scope)
            fields.append((st.target.id, ft))
        elif isinstance(st, ast.Expr) and isinstance(st.value, ast.Constant):
            continue
        else:
            raise Unsupported(f"struct member {type(st).__name__}", st.lineno)
    return StructT(node.name, tuple(fields))


def parse_module(source: str) -> ModuleInfo:
    """Collect definitions. Module-level `NAME = <type>` is an alias, `NAME = wp.constant(...)` or
    a numeric expression a constant; other module-level statements are not modelled (a kernel
    reading such a name raises Unsupported at the use site). A struct whose fields the oracle
    cannot model is recorded as the error it raises, so kernels that never use it still run."""
    try:
        tree = ast.parse(source)
    except SyntaxError as e:
        raise Unsupported("source that does not parse", e.lineno or 0, str(e)) from e
    info = ModuleInfo(mentions_atomics="atomic_" in source)
    scope = info.structs
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            if _decorator_name(node) != "struct":
                continue
            try:
                scope[node.name] = _struct(node, scope)
            except Unsupported as e:
                scope.broken[node.name] = e
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if len(targets) != 1 or not isinstance(targets[0], ast.Name) or node.value is None:
                continue
            nm = targets[0].id
            info.assignments.setdefault(nm, []).append(Assignment(node.lineno, node.value))
            if is_type_expr(node.value, scope.aliases):
                scope.aliases[nm] = node.value
                continue
            c = _constant(node.value, info.constants)
            if c is not None:
                info.constants[nm] = c
        elif isinstance(node, ast.FunctionDef):
            kind = _decorator_name(node)
            if kind == "kernel":
                info.kernels[node.name] = node
            elif kind == "func":
                info.funcs.setdefault(node.name, node)
                info.overloads.setdefault(node.name, []).append(node)
            elif kind == "overload":
                info.kernel_overloads.setdefault(node.name, []).append(node)
    made = factory_kernels(tree, info.funcs, info.constants)  # kernel factories (closures)
    info.refused_kernels.update(made.refused)
    for nm, fn in made.funcs.items():
        info.funcs.setdefault(nm, fn)
        info.overloads.setdefault(nm, []).append(fn)
    for nm, fn in made.kernels.items():
        info.kernels.setdefault(nm, fn)
    for nm, fn in specialize_function_params(info.kernels, info.overloads).items():  # wp.Function
        info.funcs.setdefault(nm, fn)
        info.overloads.setdefault(nm, []).append(fn)
    return info


@dataclass(frozen=True)
class Generic:
    """A `typing.Any` parameter of a @wp.func (`x: Any`, `a: wp.array(dtype=Any)`): Warp builds
    one overload per call's argument types, so the argument's own type is the parameter's."""

    annotation: str


def param_types(
    fn: ast.FunctionDef, structs: dict[str, StructT], generic_ok: bool = False
) -> list[tuple[str, object]]:
    """Parameter types in order; with `generic_ok` (a @wp.func) an Any parameter is a Generic."""
    a = fn.args
    if a.vararg or a.kwarg or a.kwonlyargs or a.posonlyargs or a.defaults:
        raise Unsupported("function signature with defaults/varargs/keyword-only", fn.lineno, fn.name)
    out: list[tuple[str, object]] = []
    for arg in a.args:
        if arg.annotation is None:
            raise Unsupported("unannotated parameter", fn.lineno, f"{fn.name}.{arg.arg}")
        try:
            out.append((arg.arg, parse_annotation(arg.annotation, structs)))
        except Unsupported as e:
            if not (generic_ok and e.construct == "typing.Any generic"):
                raise
            out.append((arg.arg, Generic(ast.unparse(arg.annotation))))
    return out


ReturnType = ValueType | StructT | tuple[ValueType, ...]


def return_type(fn: ast.FunctionDef, structs: dict[str, StructT]) -> ReturnType | None:
    """The declared return type: a value type, a `tuple[...]` of them, or None (no annotation:
    inferred from the returned values, see `returns_value`)."""
    if fn.returns is None:
        return None
    if isinstance(fn.returns, ast.Constant) and fn.returns.value is None:
        return None
    r = fn.returns
    if type_path(r) == "Any" or (isinstance(r, ast.Name) and r.id == "Any"):
        return None  # inferred from the returns, as for a function without annotation
    if isinstance(r, ast.Subscript) and isinstance(r.value, ast.Name) and r.value.id in ("tuple", "Tuple"):
        elts = r.slice.elts if isinstance(r.slice, ast.Tuple) else [r.slice]
        ts = tuple(parse_value_type(e, structs) for e in elts)
        if any(isinstance(t, StructT) for t in ts):
            raise Unsupported("struct return value", fn.lineno, fn.name)
        return ts  # type: ignore[return-value]
    t = parse_value_type(r, structs)
    return t


def returns_value(fn: ast.FunctionDef) -> bool:
    """Whether a function body has a `return <value>` (outside nested definitions)."""
    stack: list[ast.AST] = list(fn.body)
    while stack:
        n = stack.pop()
        if isinstance(n, ast.Return) and n.value is not None:
            return True
        if isinstance(n, ast.FunctionDef | ast.ClassDef | ast.Lambda):
            continue
        stack.extend(ast.iter_child_nodes(n))
    return False
