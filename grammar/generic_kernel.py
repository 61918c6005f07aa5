"""Generic kernels: a rendered kernel whose parameters become `typing.Any`, with its concrete
instance declared by `@wp.overload` (or the functional `wp.overload(kernel, types)`).

Warp builds every declared overload with the module and picks, at launch, the one whose types fit
the arguments (`Kernel.infer_argument_types`; a launch with other types would instantiate, and
rebuild the module, at launch time). So the declared instance is exactly the case's own parameter
types: the kernel computes what the concrete one would, and the oracle reads the instance from
the stub (or, for the functional form, from the arguments, as Warp's launch does).

Only arrays and float32/int32 scalars become generic: a launch passes a Python scalar, which
Warp's inference types as float32 or int32, so any other scalar dtype would select another
instance than the one declared.
"""

from __future__ import annotations

import libcst as cst

from grammar.gen import Gen, Param

# how the instance is declared
FORMS = ("decorator", "list", "dict")
_GENERIC_SCALARS = frozenset({"float32", "int32"})


def _can_be_generic(p: Param) -> bool:
    return p.spec.kind == "array" or (p.spec.kind == "scalar" and p.spec.dtype in _GENERIC_SCALARS)


def _generic_annotation(p: Param) -> str:
    if p.spec.kind == "scalar":
        return "typing.Any"
    nd = len(p.spec.shape)
    return "wp.array(dtype=typing.Any)" if nd <= 1 else f"wp.array(dtype=typing.Any, ndim={nd})"


def _concrete(p: Param) -> str:
    """The parameter's own annotation as an expression usable outside a signature."""
    return cst.Module(body=[]).code_for_node(p.annotation)


class _Generalize(cst.CSTTransformer):
    def __init__(self, kname: str, generic: dict[str, str]) -> None:
        self.kname, self.generic, self.found = kname, generic, False

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> cst.FunctionDef:
        if updated.name.value != self.kname:
            return updated
        self.found = True
        params = [
            p.with_changes(annotation=cst.Annotation(cst.parse_expression(self.generic[p.name.value])))
            if p.name.value in self.generic
            else p
            for p in updated.params.params
        ]
        return updated.with_changes(params=updated.params.with_changes(params=params))


def generic_kernel(gen: Gen, source: str) -> str:
    """`source` (a rendered case) with kernel `gen.kname` made generic and its instance declared.

    Draws which parameters turn generic (at least one) and the declaration form from `gen.rng`.
    """
    k = gen.kname
    cands = [p for p in gen.params if _can_be_generic(p)]
    if not cands:
        return source
    chosen = [p for p in cands if gen.rng.chance(0.6)] or [gen.rng.pick(cands)]
    generic = {p.spec.name: _generic_annotation(p) for p in chosen}
    tree = cst.parse_module(source)
    visitor = _Generalize(k, generic)
    tree = tree.visit(visitor)
    if not visitor.found:
        raise AssertionError(f"{k}: no kernel def named {k} in its rendered source")
    form = gen.rng.pick(FORMS)
    if form == "decorator":
        sig = ", ".join(f"{p.spec.name}: {_concrete(p)}" for p in gen.params)
        decl = f"@wp.overload\ndef {k}({sig}): ...\n"
    elif form == "list":
        decl = f"{k}_inst = wp.overload({k}, [{', '.join(_concrete(p) for p in gen.params)}])\n"
    else:
        items = ", ".join(f'"{p.spec.name}": {_concrete(p)}' for p in chosen)
        decl = f"wp.overload({k}, {{{items}}})\n"
    text = tree.code
    if "import typing\n" not in text:
        text = "import typing\n" + text
    return f"{text.rstrip()}\n\n\n{decl}"
