"""Read a Warp module's source text: kernels, @wp.func helpers and @wp.struct classes.

Only the text is used (never the generator, never importing the module), so hand-written
kernels work the same as generated ones."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from oracle.errors import Unsupported
from oracle.types import StructT, ValueType, parse_annotation, parse_value_type, wp_attr


@dataclass
class ModuleInfo:
    kernels: dict[str, ast.FunctionDef] = field(default_factory=dict)
    funcs: dict[str, ast.FunctionDef] = field(default_factory=dict)
    structs: dict[str, StructT] = field(default_factory=dict)


def _decorator_name(node: ast.FunctionDef | ast.ClassDef) -> str | None:
    for d in node.decorator_list:
        target = d.func if isinstance(d, ast.Call) else d
        name = wp_attr(target)
        if name is not None:
            return name
    return None


def parse_module(source: str) -> ModuleInfo:
    """Collect definitions; module-level statements other than imports, docstrings and definitions
    are not modelled (a kernel reading a module constant raises Unsupported at the use site)."""
    try:
        tree = ast.parse(source)
    except SyntaxError as e:
        raise Unsupported("source that does not parse", e.lineno or 0, str(e)) from e
    info = ModuleInfo()
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            if _decorator_name(node) != "struct":
                continue
            fields: list[tuple[str, ValueType]] = []
            for st in node.body:
                if isinstance(st, ast.AnnAssign) and isinstance(st.target, ast.Name):
                    ft = parse_annotation(st.annotation, info.structs)
                    if isinstance(ft, StructT):
                        raise Unsupported("nested struct field", st.lineno)
                    fields.append((st.target.id, ft))  # type: ignore[arg-type]
                elif isinstance(st, ast.Expr) and isinstance(st.value, ast.Constant):
                    continue
                else:
                    raise Unsupported(f"struct member {type(st).__name__}", st.lineno)
            info.structs[node.name] = StructT(node.name, tuple(fields))
        elif isinstance(node, ast.FunctionDef):
            kind = _decorator_name(node)
            if kind == "kernel":
                info.kernels[node.name] = node
            elif kind == "func":
                if node.name in info.funcs:
                    raise Unsupported("overloaded @wp.func", node.lineno, node.name)
                info.funcs[node.name] = node
    return info


def param_types(fn: ast.FunctionDef, structs: dict[str, StructT]) -> list[tuple[str, object]]:
    a = fn.args
    if a.vararg or a.kwarg or a.kwonlyargs or a.posonlyargs or a.defaults:
        raise Unsupported("function signature with defaults/varargs/keyword-only", fn.lineno, fn.name)
    out: list[tuple[str, object]] = []
    for arg in a.args:
        if arg.annotation is None:
            raise Unsupported("unannotated parameter", fn.lineno, f"{fn.name}.{arg.arg}")
        out.append((arg.arg, parse_annotation(arg.annotation, structs)))
    return out


def return_type(fn: ast.FunctionDef, structs: dict[str, StructT]) -> ValueType | None:
    if fn.returns is None:
        return None
    if isinstance(fn.returns, ast.Constant) and fn.returns.value is None:
        return None
    t = parse_value_type(fn.returns, structs)
    if isinstance(t, StructT):
        raise Unsupported("struct return value", fn.lineno, fn.name)
    return t
