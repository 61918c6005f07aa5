"""Warp's own builtin table, read from the installed release.

The table is internal to Warp: `warp._src.context.builtin_functions` from 1.10 on (1.19 included),
`warp.context.builtin_functions` before. Reading the release's table (rather than a list of our
own) is what makes "never reached" mean what it says for that release.
"""

from __future__ import annotations

import ast
import importlib
from dataclasses import dataclass

CONTEXT_MODULES = ("warp._src.context", "warp.context")
CODEGEN_MODULES = ("warp._src.codegen", "warp.codegen")


@dataclass(frozen=True)
class Builtin:
    """One name of the table: Warp's documentation group; hidden ones are codegen internals."""

    name: str
    group: str
    hidden: bool


class BuiltinTableError(RuntimeError):
    """The installed Warp has no builtin table where we look for one."""


def builtin_table() -> tuple[str, dict[str, Builtin]]:
    """(warp version, name -> Builtin) of the installed release."""
    import warp

    for where in CONTEXT_MODULES:
        try:
            mod = importlib.import_module(where)
        except ImportError:
            continue
        table = getattr(mod, "builtin_functions", None)
        if isinstance(table, dict) and table:
            out = {
                str(name): Builtin(str(name), str(getattr(f, "group", "") or "Other"), _hidden(f))
                for name, f in table.items()
            }
            return str(warp.__version__), out
    raise BuiltinTableError(
        f"warp {warp.__version__}: no builtin_functions in {' or '.join(CONTEXT_MODULES)}; "
        "the coverage section needs Warp's builtin table (install a warp-lang release >= 1.10)"
    )


def _hidden(func: object) -> bool:
    """Hidden from Warp's documentation: every overload hidden (the table's entry carries the flag
    of whichever overload registered first, so `cosh` would read hidden)."""
    overloads = getattr(func, "overloads", None) or []
    if overloads:
        return all(bool(getattr(o, "hidden", False)) for o in overloads)
    return bool(getattr(func, "hidden", False))


def operator_builtins() -> dict[str, str]:
    """Python operator node name -> the builtin Warp's codegen lowers it to (`Add` -> `add`), from
    the release's own `codegen.builtin_operators`; empty where a release lacks that table (the
    operators then count as constructs only)."""
    for where in CODEGEN_MODULES:
        try:
            mod = importlib.import_module(where)
        except ImportError:
            continue
        table = getattr(mod, "builtin_operators", None)
        if isinstance(table, dict):
            return {getattr(k, "__name__", str(k)): str(v) for k, v in table.items()}
    return {}


def composite_types() -> tuple[str, ...]:
    """Warp's vector/matrix/quaternion/transform type names (`wp.vec3f(...)` is a construct: a
    constructor call, not a builtin of the table)."""
    import warp

    names = []
    for n in dir(warp):
        v = getattr(warp, n, None)
        if isinstance(v, type) and hasattr(v, "_wp_scalar_type_"):
            names.append(n)
    return tuple(sorted(names))


def python_operators() -> tuple[str, ...]:
    """Every Python operator node name the generator's construct list can hold (grammar.constructs
    records BinOp/UnaryOp/BoolOp/AugAssign operators, comparisons and IfExp by class name)."""
    bases: tuple[type, ...] = (ast.operator, ast.unaryop, ast.boolop, ast.cmpop)
    names: set[str] = set()
    for base in bases:
        subclasses: list[type] = base.__subclasses__()
        names.update(c.__name__ for c in subclasses)
    return tuple(sorted(names | {"IfExp"}))
