"""`wp.static(expr)`: the Python value Warp's codegen computes for `expr`, found from the module's
own source.

Warp evaluates the argument in Python with the module's globals, the closure and the kernel's
compile-time constants (the iteration variable of an unrolled loop); the result replaces the
call (a number acts as the literal, a Warp function as the callee). The oracle never imports the
module, so it evaluates a safe subset from the source text: literals, module-level assignments
(numbers, `wp.constant`, typed scalars, tuples/lists/dicts of them and of `@wp.func` names or
`wp.<builtin>` functions), arithmetic, comparisons, `in`, boolean operators, conditional
expressions, subscripts, `len`, `int`/`float`/`bool`/`abs`/`min`/`max` and `math` functions.
Anything else raises Unsupported naming the construct.

Timing follows Warp: an expression that names no loop variable is evaluated when the function
is declared, so it sees the module's assignments above the `def`; one that fails there (or names
a loop variable) is evaluated at codegen, after the whole module ran, with the final values.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from oracle.errors import Unsupported
from oracle.types import Composite, Scalar, composite_from_name, scalar_from_name, wp_attr


@dataclass(frozen=True)
class FuncRef:
    """A Warp function as a value: a module `@wp.func` (all its overloads) or `wp.<name>`."""

    name: str
    builtin: bool = False


@dataclass(frozen=True)
class TypedConst:
    """A Warp-typed value (`wp.float64(2.0)`, `wp.vec3(1, 2, 3)`): a constant of that type."""

    t: Scalar | Composite
    value: int | float | bool | tuple[float, ...]


@dataclass(frozen=True)
class Assignment:
    """One module-level `NAME = expr`, with its line (declaration-time lookups use the line)."""

    lineno: int
    expr: ast.expr


class _Unknown(Exception):
    """A name the evaluation context lacks (declaration time: retried at codegen time)."""


# Python's meaning of the binary operators on numbers: wp.static and module constants are
# evaluated by Python when Warp builds the module (oracle/source.py folds constants with it too)
BINOPS: dict[type, Callable[[object, object], object]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
    ast.LShift: operator.lshift,
    ast.RShift: operator.rshift,
    ast.BitOr: operator.or_,
    ast.BitAnd: operator.and_,
    ast.BitXor: operator.xor,
}
_CMPOPS: dict[type, Callable[[Any, Any], object]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.In: lambda a, b: operator.contains(b, a),  # type: ignore[arg-type]
    ast.NotIn: lambda a, b: not operator.contains(b, a),  # type: ignore[arg-type]
}
_MATH = {"pi": math.pi, "e": math.e, "tau": math.tau, "inf": math.inf}
_MATH_FUNCS: dict[str, Callable[..., object]] = {
    f: getattr(math, f)
    for f in ("sqrt", "exp", "log", "log2", "log10", "sin", "cos", "tan", "atan2", "floor", "ceil", "pow")
}
_BARE: dict[str, Callable[..., object]] = {
    "int": int,
    "float": float,
    "bool": bool,
    "abs": abs,
    "min": min,
    "max": max,
    "round": round,
}
_PLAIN = int | float | bool | str


def is_static_call(node: ast.expr) -> bool:
    """`wp.static(x)` (one positional argument)."""
    return (
        isinstance(node, ast.Call)
        and wp_attr(node.func) == "static"
        and len(node.args) == 1
        and not node.keywords
    )


@dataclass
class StaticContext:
    """What a `wp.static` argument may read: module assignments and functions, the declaring
    function's line, the enclosing unrolled loops' variables, and the type lengths of locals."""

    assignments: Mapping[str, list[Assignment]]
    funcs: frozenset[str]
    decl_line: int
    loop_vars: Mapping[str, int]
    local_names: frozenset[str]
    local_len: Callable[[str], int | None]


def evaluate_static(node: ast.expr, ctx: StaticContext, lineno: int) -> object:
    """The value of `wp.static(node)`'s argument, at Warp's evaluation time (see module doc)."""
    names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    if not names & set(ctx.loop_vars):
        try:
            return _Eval(ctx, lineno, ctx.decl_line).eval(node)
        except _Unknown:
            pass
    try:
        return _Eval(ctx, lineno, None).eval(node)
    except _Unknown as e:
        raise Unsupported("wp.static of a name", lineno, f"{e} is not a module-level value") from e


class _Eval:
    def __init__(self, ctx: StaticContext, lineno: int, before: int | None) -> None:
        self.ctx = ctx
        self.lineno = lineno
        self.before = before  # declaration time: only assignments above this line exist
        self.active: set[str] = set()

    def refuse(self, what: str, node: ast.AST) -> Unsupported:
        return Unsupported(f"wp.static of {what}", self.lineno, ast.unparse(node))  # type: ignore[arg-type]

    def eval(self, node: ast.expr) -> object:
        try:
            return self._eval(node)
        except (Unsupported, _Unknown):
            raise
        except (ArithmeticError, ValueError, TypeError, IndexError, KeyError) as e:
            # Warp's codegen raises on these ("Error evaluating static expression"): no kernel
            raise Unsupported(
                "wp.static expression that raises", self.lineno, f"{type(e).__name__}: {e}"
            ) from e

    def _eval(self, node: ast.expr) -> object:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, _PLAIN):
                return node.value
            raise self.refuse(f"a {type(node.value).__name__} literal", node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.Tuple | ast.List):
            vals = [self._eval(e) for e in node.elts]
            return tuple(vals) if isinstance(node, ast.Tuple) else vals
        if isinstance(node, ast.Dict):
            if any(k is None for k in node.keys):
                raise self.refuse("a dict with ** unpacking", node)
            return {self._eval(k): self._eval(v) for k, v in zip(node.keys, node.values, strict=True)}  # type: ignore[arg-type]
        if isinstance(node, ast.BinOp) and type(node.op) in BINOPS:
            left, right = self._eval(node.left), self._eval(node.right)
            if isinstance(left, TypedConst) or isinstance(right, TypedConst):
                return self.typed_binop(node, left, right)
            return BINOPS[type(node.op)](self.number_value(left, node), self.number_value(right, node))
        if isinstance(node, ast.UnaryOp):
            v = self._eval(node.operand)
            if isinstance(node.op, ast.Not):
                return not self.plain(v, node)
            if (
                isinstance(v, TypedConst)
                and isinstance(v.t, Scalar)
                and isinstance(node.op, ast.USub | ast.UAdd)
            ):
                sign = -1 if isinstance(node.op, ast.USub) else 1
                return TypedConst(v.t, _typed(v.t, np.asarray(v.value, v.t.np) * sign))
            n = self.number_value(v, node)
            if isinstance(node.op, ast.USub):
                return -n
            if isinstance(node.op, ast.UAdd):
                return +n
            if isinstance(node.op, ast.Invert) and isinstance(n, int):
                return ~n
            raise self.refuse(f"operator {type(node.op).__name__}", node)
        if isinstance(node, ast.BoolOp):
            result: object = None
            for e in node.values:
                result = self._eval(e)
                truth = bool(self.plain(result, e))
                if isinstance(node.op, ast.And) and not truth or isinstance(node.op, ast.Or) and truth:
                    return result
            return result
        if isinstance(node, ast.Compare):
            left = self._eval(node.left)
            for op, right_node in zip(node.ops, node.comparators, strict=True):
                right = self._eval(right_node)
                if type(op) not in _CMPOPS:
                    raise self.refuse(f"comparison {type(op).__name__}", node)
                if not _CMPOPS[type(op)](left, right):
                    return False
                left = right
            return True
        if isinstance(node, ast.IfExp):
            return (
                self._eval(node.body) if self.plain(self._eval(node.test), node) else self._eval(node.orelse)
            )
        if isinstance(node, ast.Subscript):
            base = self._eval(node.value)
            if isinstance(node.slice, ast.Slice):
                raise self.refuse("a slice", node)
            key = self._eval(node.slice)
            if isinstance(base, tuple | list) and isinstance(key, int) and not isinstance(key, bool):
                return base[key]
            if isinstance(base, dict):
                return base[key]
            raise self.refuse("a subscript of something other than a tuple, list or dict", node)
        if isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and node.value.id in ("math", "wp", "warp", "np", "numpy"):
                if node.attr in _MATH:
                    return _MATH[node.attr]
                if node.value.id in ("wp", "warp"):
                    return FuncRef(node.attr, builtin=True)
            raise self.refuse("an attribute", node)
        if isinstance(node, ast.Call):
            return self.call(node)
        raise self.refuse(f"a {type(node).__name__} expression", node)

    def name(self, node: ast.Name) -> object:
        nm = node.id
        if nm in self.ctx.loop_vars:
            return self.ctx.loop_vars[nm]
        if nm in self.ctx.local_names:
            # Warp would read a compile-time constant local here, or a global of the same name
            # if the local is not constant: the oracle does not track which
            raise self.refuse("a local variable", node)
        if nm in ("True", "False"):
            return nm == "True"
        history = [
            a for a in self.ctx.assignments.get(nm, []) if self.before is None or a.lineno < self.before
        ]
        if history:
            if nm in self.active:
                raise self.refuse("a self-referencing module value", node)
            self.active.add(nm)
            try:
                return self.module_value(history[-1].expr)
            finally:
                self.active.discard(nm)
        if nm in self.ctx.funcs:
            return FuncRef(nm)
        raise _Unknown(nm)

    def module_value(self, expr: ast.expr) -> object:
        if isinstance(expr, ast.Call) and wp_attr(expr.func) == "constant":
            if len(expr.args) != 1 or expr.keywords:
                raise self.refuse("wp.constant with other than one argument", expr)
            return self._eval(expr.args[0])  # wp.constant(x) returns x itself
        return self._eval(expr)

    def call(self, node: ast.Call) -> object:
        if node.keywords:
            raise self.refuse("a call with keyword arguments", node)
        if is_static_call(node):
            return self._eval(node.args[0])
        fname = node.func.id if isinstance(node.func, ast.Name) else None
        if fname == "len" and len(node.args) == 1:
            a = node.args[0]
            if isinstance(a, ast.Name) and a.id in self.ctx.local_names:
                n = self.ctx.local_len(a.id)
                if n is None:
                    raise self.refuse("len() of a local without a fixed length", node)
                return n
            v = self._eval(a)
            if isinstance(v, tuple | list | dict | str):
                return len(v)
            raise self.refuse("len() of a non-container", node)
        if fname in _BARE:
            vals = [self._eval(a) for a in node.args]
            args = [self.plain(v, a) for v, a in zip(vals, node.args, strict=True)]
            if fname in ("min", "max") and args:
                # the argument itself (a typed constant keeps its type)
                best = _BARE[fname](*args)
                return vals[next(k for k, a in enumerate(args) if a == best)]
            return _BARE[fname](*args)
        if (
            isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in ("math", "np", "numpy")
            and node.func.attr in _MATH_FUNCS
        ):
            return _MATH_FUNCS[node.func.attr](*(self.number(a) for a in node.args))
        tname = wp_attr(node.func)
        if tname is not None:
            s = scalar_from_name(tname)
            if s is not None and len(node.args) == 1:
                v = self.number(node.args[0])
                return TypedConst(s, bool(v) if s.is_bool else float(v) if s.is_float else int(v))
            c = composite_from_name(tname)
            if c is not None and c.kind == "vec" and len(node.args) == c.shape[0]:
                return TypedConst(c, tuple(float(self.number(a)) for a in node.args))
        raise self.refuse(f"a call of {ast.unparse(node.func)}", node)

    def typed_binop(self, node: ast.BinOp, left: object, right: object) -> TypedConst:
        """Arithmetic on typed scalars in their own precision (the gradient check's float64 twin
        writes `wp.float64(2.0)` for every literal, inside `wp.static` too); both sides typed
        alike, or one a plain number."""
        ts = {v.t for v in (left, right) if isinstance(v, TypedConst)}
        if len(ts) != 1 or not isinstance(next(iter(ts)), Scalar):
            raise self.refuse("arithmetic mixing typed values", node)
        t = next(iter(ts))
        assert isinstance(t, Scalar)
        a, b = (np.asarray(self.number_value(v, node), t.np) for v in (left, right))
        with np.errstate(all="ignore"):
            r = BINOPS[type(node.op)](a, b)
        return TypedConst(t, _typed(t, np.asarray(r).astype(t.np)))

    def plain(self, v: object, node: ast.AST) -> int | float | bool | str:
        if isinstance(v, TypedConst) and isinstance(v.t, Scalar):
            assert not isinstance(v.value, tuple)
            return v.value
        if isinstance(v, _PLAIN):
            return v
        raise self.refuse("an operation on a non-number", node)

    def number_value(self, v: object, node: ast.AST) -> int | float | bool:
        if isinstance(v, TypedConst) and isinstance(v.t, Scalar) and not isinstance(v.value, tuple):
            return v.value
        if isinstance(v, int | float | bool):
            return v
        raise self.refuse("arithmetic on a non-number", node)

    def number(self, node: ast.expr) -> int | float | bool:
        return self.number_value(self._eval(node), node)


def _typed(t: Scalar, r: np.ndarray) -> int | float | bool:
    """A NumPy scalar of type `t` as the Python number a TypedConst holds."""
    v = r.item()
    return bool(v) if t.is_bool else float(v) if t.is_float else int(v)


def static_names(fn: ast.FunctionDef) -> frozenset[str]:
    """The names a function body binds (parameters and assignment/for targets): its locals.

    Every node is visited, as `ast.walk` would, through an explicit stack: it runs once per
    function and interpretation, and the generator layers of `ast.walk` made it twice as dear."""
    out = {a.arg for a in fn.args.args}
    stack: list[ast.AST] = [fn]
    while stack:
        n = stack.pop()
        if isinstance(n, ast.Name):
            if isinstance(n.ctx, ast.Store):
                out.add(n.id)
            continue  # a Name's only child is its context
        for f in n._fields:
            v = getattr(n, f, None)
            if isinstance(v, list):
                stack.extend(x for x in v if isinstance(x, ast.AST))
            elif isinstance(v, ast.AST):
                stack.append(v)
    return frozenset(out)
