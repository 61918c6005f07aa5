"""Kernel shapes a known-differences entry names beyond its constructs (`KnownEntry.pattern`):
small AST predicates over a reduced kernel, so an entry matches the bug's form, not just a word."""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from types import MappingProxyType

from fuzz.engine.gradients import contains_break


def _kernel(source: str, kernel_name: str) -> ast.FunctionDef | None:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    return next((t for t in tree.body if isinstance(t, ast.FunctionDef) and t.name == kernel_name), None)


def _arrays(fn: ast.FunctionDef) -> set[str]:
    return {a.arg for a in fn.args.args if a.annotation is not None and "array" in ast.unparse(a.annotation)}


def overwritten_store(fn: ast.FunctionDef) -> bool:
    """One array element stored twice by plain assignments (`out[i] = a[i]; out[i] = 1.5`)."""
    arrays = _arrays(fn)
    seen: set[str] = set()
    for s in ast.walk(fn):
        if not isinstance(s, ast.Assign):
            continue
        for t in s.targets:
            if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name) and t.value.id in arrays:
                key = ast.dump(t)
                if key in seen:
                    return True
                seen.add(key)
    return False


_BOOLISH = (ast.Compare, ast.BoolOp)


def int_condition_ifexp(fn: ast.FunctionDef) -> bool:
    """`x if c else y` whose condition is a value (a name, element or call), not a comparison."""
    for n in ast.walk(fn):
        if isinstance(n, ast.IfExp):
            t = n.test
            if isinstance(t, ast.UnaryOp) and isinstance(t.op, ast.Not):
                continue
            if isinstance(t, _BOOLISH) or (isinstance(t, ast.Constant) and isinstance(t.value, bool)):
                continue
            return True
    return False


def negated_value(fn: ast.FunctionDef) -> bool:
    """`-x` of a value computed at run time (a name, element or call), not of a literal: Warp
    lowers it to `0 - x`, which loses the sign of a zero."""
    return any(
        isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.USub) and not isinstance(n.operand, ast.Constant)
        for n in ast.walk(fn)
    )


def struct_field_component_store(fn: ast.FunctionDef) -> bool:
    """`=`/`+=`/`-=` to a component of a vector field of a local struct (`s.v[2] = e`,
    `s.v[2] += e`, `t.s.v[0] += e`, `s.v.x = e`): Warp 1.19 drops that component's adjoint.
    Parameters are not local structs (`p.arr[i] = e` stores into an array field of a struct argument)."""
    params = {a.arg for a in fn.args.args}
    for n in ast.walk(fn):
        targets = (
            n.targets if isinstance(n, ast.Assign) else [n.target] if isinstance(n, ast.AugAssign) else []
        )
        for t in targets:
            inner = t.value if isinstance(t, ast.Subscript | ast.Attribute) else None
            if isinstance(inner, ast.Attribute):
                root: ast.expr = inner
                while isinstance(root, ast.Attribute | ast.Subscript):
                    root = root.value
                if isinstance(root, ast.Name) and root.id not in params:
                    return True
    return False


def break_in_loop(fn: ast.FunctionDef) -> bool:
    """A `for`/`while` loop whose body breaks (`break`, at its level or in its `if`s): Warp 1.19's
    backward pass runs such a loop's adjoint over the whole range in reverse and stops at the
    first `break` it meets, so the iterations before it lose their adjoint."""

    return any(
        isinstance(n, ast.For | ast.While) and contains_break(n.body, (ast.Break,)) for n in ast.walk(fn)
    )


PATTERNS: Mapping[str, Callable[[ast.FunctionDef], bool]] = MappingProxyType(
    {
        "break-in-loop": break_in_loop,
        "struct-field-component-store": struct_field_component_store,
        "overwritten-store": overwritten_store,
        "negated-value": negated_value,
        "int-condition-ifexp": int_condition_ifexp,
    }
)


def matches(pattern: str, source: str, kernel_name: str) -> bool:
    """Whether the kernel has `pattern`'s shape; an unknown pattern name is a table error."""
    if pattern not in PATTERNS:
        raise KeyError(
            f"corpus/known.py names pattern {pattern!r}; corpus/patterns.py has {sorted(PATTERNS)}"
        )
    fn = _kernel(source, kernel_name)
    return fn is not None and PATTERNS[pattern](fn)
