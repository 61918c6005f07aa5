"""Reduction passes: each proposes smaller variants of a case as edits of its libcst tree.

A pass is a function `case -> Iterator[Candidate]`, proposing its biggest cuts first; the loop in
`corpus.reduce` tests them and keeps one only when the failure signature survives. Passes never
judge; they may propose invalid code (a deleted definition, a mistyped literal): the oracle and
the compiler reject those. Parameter lists and `ParamSpec`s are edited together so the inputs
stay consistent with the kernel.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import libcst as cst

from grammar.case import KernelCase


@dataclass(frozen=True)
class Candidate:
    case: KernelCase
    what: str


Pass = Callable[[KernelCase], Iterator[Candidate]]
Edit = cst.CSTNode | cst.RemovalSentinel | cst.FlattenSentinel[Any]


class _Rewrite(cst.CSTTransformer):
    """Replace nodes (by identity in the original tree) with new nodes, or remove them."""

    def __init__(self, edits: dict[int, Edit]) -> None:
        super().__init__()
        self.edits = edits

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode):  # type: ignore[no-untyped-def, override]
        if id(original_node) in self.edits:
            return self.edits[id(original_node)]
        return updated_node


def _apply(tree: cst.Module, edits: dict[int, Edit]) -> str | None:
    try:
        return tree.visit(_Rewrite(edits)).code
    except Exception:
        return None


def _parse(case: KernelCase) -> cst.Module | None:
    try:
        return cst.parse_module(case.source)
    except cst.ParserSyntaxError:
        return None


def _functions(tree: cst.Module, case: KernelCase) -> list[cst.FunctionDef]:
    """The kernel and its helpers (top-level defs whose names start with the kernel name)."""
    return [t for t in tree.body if isinstance(t, cst.FunctionDef)]


def _kernel(tree: cst.Module, case: KernelCase) -> cst.FunctionDef | None:
    for t in tree.body:
        if isinstance(t, cst.FunctionDef) and t.name.value == case.kernel_name:
            return t
    return None


# ---------------------------------------------------------------- size


_COMPOUND = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.If, ast.For, ast.AsyncFor, ast.While,
             ast.With, ast.AsyncWith, ast.Match, ast.Try, ast.TryStar)  # fmt: skip


def _counts(case: KernelCase) -> tuple[int, int]:
    """(statements, expression nodes) in the bodies of the kernel and its helpers: every simple
    statement but `pass`, and every if/for/while. Read with the standard `ast` parser, which is
    an order of magnitude faster than libcst's: a reduction sizes every candidate it proposes."""
    try:
        tree = ast.parse(case.source)
    except (SyntaxError, ValueError):
        return 0, 0
    stmts = exprs = 0
    for fn in tree.body:
        if not isinstance(fn, ast.FunctionDef):
            continue
        for top in fn.body:
            for node in ast.walk(top):
                if isinstance(node, ast.stmt):
                    if isinstance(node, ast.If | ast.For | ast.While) or not isinstance(
                        node, (*_COMPOUND, ast.Pass)
                    ):
                        stmts += 1
                elif isinstance(node, ast.expr):
                    exprs += 1
    return stmts, exprs


def statement_count(case: KernelCase) -> int:
    """Statements in the bodies of the kernel and its helpers (`pass` not counted)."""
    return _counts(case)[0]


def size(case: KernelCase) -> tuple[int, int, int, int, int, int, int]:
    """What a reduction shrinks, compared lexicographically: statements, expression nodes,
    parameters, launched threads plus array elements, source length, dtype widths, and how many
    operators are not the canonical `+` (`canonical_forms`), so that two kernels of one bug
    written with `-=` and `+=` reduce to one form."""
    stmts, exprs = _counts(case)
    elems = math.prod(case.dim) + sum(math.prod(p.shape) for p in case.params if p.kind == "array")
    return (stmts, exprs, len(case.params), elems, len(case.source), _dtype_width(case), _uncanonical(case))


def _uncanonical(case: KernelCase) -> int:
    """Binary and augmented operators other than `+` in the functions."""
    try:
        tree = ast.parse(case.source)
    except (SyntaxError, ValueError):
        return 0
    n = 0
    for fn in tree.body:
        if not isinstance(fn, ast.FunctionDef):
            continue
        for node in ast.walk(fn):
            n += isinstance(node, ast.BinOp | ast.AugAssign) and not isinstance(node.op, ast.Add)
    return n


_WIDE = (("float64", "float32"), ("float16", "float32"), ("int64", "int32"), ("uint64", "uint32"),
         ("int16", "int32"), ("int8", "int32"), ("uint16", "uint32"), ("uint8", "uint32"))  # fmt: skip
_COMPOSITE_SUFFIX = re.compile(r"\b((?:vec|mat|quat|transform|spatial_vector|spatial_matrix)\d*)([dh])\b")


def _dtype_width(case: KernelCase) -> int:
    """How far the case's dtypes are from the plain ones (float32, int32, vecNf): 0 when plain."""
    text = case.source + " " + " ".join(p.dtype for p in case.params)
    n = sum(len(re.findall(rf"\b{wide}\b", text)) for wide, _ in _WIDE)
    return n + len(_COMPOSITE_SUFFIX.findall(text))


# ---------------------------------------------------------------- statements


def _blocks(tree: cst.Module, case: KernelCase) -> list[cst.IndentedBlock]:
    out: list[cst.IndentedBlock] = []

    class V(cst.CSTVisitor):
        def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
            out.append(node)

    for fn in _functions(tree, case):
        fn.visit(V())
    return out


_PASS = cst.SimpleStatementLine(body=[cst.Pass()])


def delete_statements(case: KernelCase) -> Iterator[Candidate]:
    """Delete contiguous runs of sibling statements, halves first (ddmin), then one by one."""
    tree = _parse(case)
    if tree is None:
        return
    for block in _blocks(tree, case):
        body = list(block.body)
        n = len(body)
        chunk = n
        while chunk >= 1:
            for start in range(0, n, chunk):
                run = body[start : start + chunk]
                edits: dict[int, Edit] = {id(s): cst.RemoveFromParent() for s in run}
                if len(run) == n:  # an empty block is not Python: keep a `pass`
                    edits[id(run[0])] = _PASS
                    if all(
                        isinstance(s, cst.SimpleStatementLine) and isinstance(s.body[0], cst.Pass)
                        for s in run
                    ):
                        continue
                src = _apply(tree, edits)
                if src is not None:
                    yield Candidate(replace(case, source=src), f"delete {len(run)} statement(s)")
            chunk //= 2


def unwrap_compound(case: KernelCase) -> Iterator[Candidate]:
    """Replace an if/for/while by its body (or an if by its else branch)."""
    tree = _parse(case)
    if tree is None:
        return
    found: list[cst.If | cst.For | cst.While] = []

    class V(cst.CSTVisitor):
        def visit_If(self, node: cst.If) -> None:
            found.append(node)

        def visit_For(self, node: cst.For) -> None:
            found.append(node)

        def visit_While(self, node: cst.While) -> None:
            found.append(node)

    for fn in _functions(tree, case):
        fn.body.visit(V())
    for node in found:
        branches: list[cst.BaseSuite] = [node.body]
        orelse = node.orelse
        if isinstance(orelse, cst.Else):
            branches.append(orelse.body)
        elif isinstance(orelse, cst.If):
            branches.append(cst.IndentedBlock(body=[orelse]))
        for b in branches:
            if not isinstance(b, cst.IndentedBlock):
                continue
            src = _apply(tree, {id(node): cst.FlattenSentinel(list(b.body))})
            if src is not None:
                yield Candidate(replace(case, source=src), f"unwrap {type(node).__name__.lower()}")


# ---------------------------------------------------------------- expressions


def _expressions(tree: cst.Module, case: KernelCase) -> list[cst.BaseExpression]:
    out: list[cst.BaseExpression] = []

    class V(cst.CSTVisitor):
        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            node.body.visit(self)
            return False  # skip decorators and annotations

        def on_visit(self, node: cst.CSTNode) -> bool:
            if isinstance(node, cst.BaseExpression) and not _is_tid(node):
                out.append(node)
            return super().on_visit(node)

    tree.visit(V())
    return out


def _is_tid(node: cst.CSTNode) -> bool:
    return (
        isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "tid"
    )


def _is_store_target(tree: cst.Module) -> set[int]:
    """Expressions that are assignment targets (and their parts): never replaced."""
    targets: set[int] = set()

    class V(cst.CSTVisitor):
        def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
            for n in _walk(node.target):
                targets.add(id(n))

        def visit_AugAssign(self, node: cst.AugAssign) -> None:
            for n in _walk(node.target):
                targets.add(id(n))

        def visit_For(self, node: cst.For) -> None:
            for n in _walk(node.target):
                targets.add(id(n))

        def visit_Subscript(self, node: cst.Subscript) -> None:
            for n in _walk(node.value):  # the array in a[i]: replacing it is never smaller-valid
                targets.add(id(n))

        def visit_Call(self, node: cst.Call) -> None:
            for n in _walk(node.func):
                targets.add(id(n))

    tree.visit(V())
    return targets


def _walk(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    yield node
    for c in node.children:
        yield from _walk(c)


def _children(node: cst.BaseExpression) -> list[cst.BaseExpression]:
    if isinstance(node, cst.BinaryOperation | cst.BooleanOperation):
        return [node.left, node.right]
    if isinstance(node, cst.UnaryOperation):
        return [node.expression]
    if isinstance(node, cst.IfExp):
        return [node.body, node.orelse]
    if isinstance(node, cst.Call):
        return [a.value for a in node.args]
    if isinstance(node, cst.Comparison):
        return [node.left, *(c.comparator for c in node.comparisons)]
    return []


_NEEDS_PARENS = (cst.BinaryOperation, cst.BooleanOperation, cst.UnaryOperation, cst.IfExp, cst.Comparison)


def replace_by_child(case: KernelCase) -> Iterator[Candidate]:
    """Replace an operation or call by one of its operands."""
    tree = _parse(case)
    if tree is None:
        return
    for node in _expressions(tree, case):
        for child in _children(node):
            repl = child
            if isinstance(child, _NEEDS_PARENS) and not child.lpar:
                repl = child.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
            src = _apply(tree, {id(node): repl})
            if src is not None:
                yield Candidate(replace(case, source=src), f"{type(node).__name__} -> operand")


_LITERALS = ("0", "1", "0.0", "1.0")


def replace_by_literal(case: KernelCase) -> Iterator[Candidate]:
    """Replace a non-literal expression (an array read, a call, an operation) by 0/1/0.0/1.0."""
    tree = _parse(case)
    if tree is None:
        return
    protected = _is_store_target(tree)
    for node in _expressions(tree, case):
        if id(node) in protected or isinstance(node, cst.BaseNumber | cst.BaseString):
            continue
        if isinstance(node, cst.Name) and node.value in ("True", "False", "wp"):
            continue
        if isinstance(node, cst.Attribute):
            continue
        for lit in _LITERALS:
            src = _apply(tree, {id(node): cst.parse_expression(lit)})
            if src is not None:
                yield Candidate(replace(case, source=src), f"{type(node).__name__} -> {lit}")


def _simpler_numbers(text: str) -> list[str]:
    out: list[str] = []
    try:
        if any(c in text for c in ".eE") and not text.lower().startswith("0x"):
            v = float(text)
            out += ["0.0", "1.0", "2.0"]
            if math.isfinite(v) and v != 0:
                for digits in (1, 2, 3):
                    out.append(repr(float(f"{v:.{digits}g}")))
        else:
            v = int(text, 0)
            out += ["0", "1", "2", str(v // 2)]
    except ValueError:
        return []
    return [o for o in dict.fromkeys(out) if len(o) < len(text) or (len(o) == len(text) and o < text)]


def simplify_literals(case: KernelCase) -> Iterator[Candidate]:
    """Replace a number by 0, 1, 2, half of it, or a shorter rounding."""
    tree = _parse(case)
    if tree is None:
        return
    for node in _expressions(tree, case):
        if isinstance(node, cst.Integer | cst.Float):
            for s in _simpler_numbers(node.value):
                new = cst.Integer(s) if isinstance(node, cst.Integer) else cst.Float(s)
                src = _apply(tree, {id(node): new})
                if src is not None:
                    yield Candidate(replace(case, source=src), f"literal {node.value} -> {s}")


# ---------------------------------------------------------------- parameters and launch


def drop_parameters(case: KernelCase) -> Iterator[Candidate]:
    """Remove a kernel parameter its body no longer uses (from the signature and the specs)."""
    tree = _parse(case)
    if tree is None:
        return
    kernel = _kernel(tree, case)
    if kernel is None:
        return
    used: set[str] = set()

    class V(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            used.add(node.value)

    kernel.body.visit(V())
    for param in kernel.params.params:
        name = param.name.value
        if name in used:
            continue
        src = _apply(tree, {id(param): cst.RemoveFromParent()})
        if src is None:
            continue
        specs = tuple(p for p in case.params if p.name != name)
        yield Candidate(replace(case, source=src, params=specs), f"drop parameter {name}")


def shrink_launch(case: KernelCase) -> Iterator[Candidate]:
    """Launch fewer threads; arrays whose shape matches the launch shrink with it.

    The sizes tried, smallest first, close in on n geometrically (1, n/2, 3n/4, 7n/8, ..., n-1):
    a failure that needs m threads is reached in about log(n) kept steps. With (1, n/2, n-1)
    alone, a failure needing 33 of 47 threads took 14 kept steps of one thread each, every step
    two compiled rounds."""
    dims = list(case.dim)
    for axis, n in enumerate(dims):
        ladder = [1] + [n - n // 2**k for k in range(1, max(1, n.bit_length()))] + [n - 1]
        for new in dict.fromkeys(ladder):
            if not 1 <= new < n:
                continue
            dim = tuple(new if k == axis else d for k, d in enumerate(dims))
            params = []
            for p in case.params:
                if p.kind == "array" and len(p.shape) == len(dims) and tuple(p.shape) == tuple(case.dim):
                    p = replace(p, shape=dim)
                params.append(p)
            yield Candidate(replace(case, dim=dim, params=tuple(params)), f"dim {case.dim} -> {dim}")


def shrink_inputs(case: KernelCase) -> Iterator[Candidate]:
    """Shrink arrays that are larger than the launch (down to the launch extent)."""
    for k, p in enumerate(case.params):
        if p.kind != "array" or not p.shape:
            continue
        for axis, n in enumerate(p.shape):
            lim = case.dim[axis] if axis < len(case.dim) else 1
            for new in dict.fromkeys((lim, n // 2)):
                if 1 <= new < n:
                    shape = tuple(new if a == axis else s for a, s in enumerate(p.shape))
                    params = list(case.params)
                    params[k] = replace(p, shape=shape)
                    yield Candidate(
                        replace(case, params=tuple(params)), f"{p.name} shape {p.shape} -> {shape}"
                    )


def _single_use_locals(fn: cst.FunctionDef) -> Iterator[tuple[cst.SimpleStatementLine, cst.Name]]:
    """(definition, use) of locals assigned once at the top of `fn`'s body and read once."""
    assigned: dict[str, int] = {}
    uses: dict[str, list[cst.Name]] = {}
    targets: set[int] = set()
    # a query iterator and its index go to `*_query_next` by reference: the call updates the
    # local, so inlining its value (`while wp.bvh_query_next(wp.bvh_query_aabb(...), i)`)
    # would restart the query on every iteration and never end on a hit
    by_ref: set[int] = set()

    class V(cst.CSTVisitor):
        def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
            if isinstance(node.target, cst.Name):
                assigned[node.target.value] = assigned.get(node.target.value, 0) + 1
                targets.add(id(node.target))

        def visit_AugAssign(self, node: cst.AugAssign) -> None:
            if isinstance(node.target, cst.Name):
                assigned[node.target.value] = assigned.get(node.target.value, 0) + 2

        def visit_For(self, node: cst.For) -> None:
            for n in _walk(node.target):
                if isinstance(n, cst.Name):
                    assigned[n.value] = assigned.get(n.value, 0) + 2

        def visit_Call(self, node: cst.Call) -> None:
            f = node.func
            name = (
                f.attr.value if isinstance(f, cst.Attribute) else f.value if isinstance(f, cst.Name) else ""
            )
            if name.endswith("_query_next"):
                by_ref.update(id(a.value) for a in node.args if isinstance(a.value, cst.Name))

        def visit_Name(self, node: cst.Name) -> None:
            if id(node) not in targets:
                # a by-reference argument counts twice: never the single use that is inlined
                uses.setdefault(node.value, []).extend((node, node) if id(node) in by_ref else (node,))

    fn.body.visit(V())
    if not isinstance(fn.body, cst.IndentedBlock):
        return
    for stmt in fn.body.body:
        if not (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1):
            continue
        a = stmt.body[0]
        if not (
            isinstance(a, cst.Assign) and len(a.targets) == 1 and isinstance(a.targets[0].target, cst.Name)
        ):
            continue
        name = a.targets[0].target.value
        if _is_tid(a.value) or assigned.get(name) != 1 or len(uses.get(name, [])) != 1:
            continue
        yield stmt, uses[name][0]


def inline_locals(case: KernelCase) -> Iterator[Candidate]:
    """Replace the one read of a local assigned once by its value, and drop the assignment."""
    tree = _parse(case)
    if tree is None:
        return
    for fn in _functions(tree, case):
        for stmt, use in _single_use_locals(fn):
            a = stmt.body[0]
            assert isinstance(a, cst.Assign)
            value = a.value
            if isinstance(value, _NEEDS_PARENS) and not value.lpar:
                value = value.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
            src = _apply(tree, {id(stmt): cst.RemoveFromParent(), id(use): value})
            if src is not None:
                yield Candidate(replace(case, source=src), f"inline {use.value}")


def canonical_forms(case: KernelCase) -> Iterator[Candidate]:
    """Write one operator as `+` (`a - b` -> `a + b`, `x -= e` -> `x += e`): the same size, but
    kernels of one bug reduced from different operators then share a root-cause key
    (`corpus.rootcause`). Kept only where the failure stays the same. Literals keep their
    kind: an integer where a float was is a type error on releases that check (1.18 on), so a
    repro rewritten so would fail differently there and bisect would lose the fix."""
    tree = _parse(case)
    if tree is None:
        return
    for fn in _functions(tree, case):
        for node in _walk(fn):
            new: cst.CSTNode | None = None
            if isinstance(node, cst.BinaryOperation) and not isinstance(node.operator, cst.Add):
                new = node.with_changes(operator=cst.Add())
            elif isinstance(node, cst.AugAssign) and not isinstance(node.operator, cst.AddAssign):
                new = node.with_changes(operator=cst.AddAssign())
            if new is None:
                continue
            src = _apply(tree, {id(node): new})
            if src is not None:
                yield Candidate(replace(case, source=src), f"canonical {type(node).__name__}")


def simplify_dtypes(case: KernelCase) -> Iterator[Candidate]:
    """Replace one wide or narrow dtype by the plain one everywhere (source and parameter specs):
    float64 -> float32, int64 -> int32, vec3d -> vec3f, ..."""
    kinds = r"\b((?:vec|mat|quat|transform|spatial_vector|spatial_matrix)\d*)"
    swaps = [(a, rf"\b{a}\b", b) for a, b in _WIDE]
    swaps += [("vec/mat/quat ...d", kinds + r"d\b", r"\1f"), ("vec/mat/quat ...h", kinds + r"h\b", r"\1f")]
    text = case.source + " " + " ".join(p.dtype for p in case.params)
    for what, pattern, plain in swaps:
        if not re.search(pattern, text):
            continue
        src = re.sub(pattern, plain, case.source)
        params = tuple(replace(p, dtype=re.sub(pattern, plain, p.dtype)) for p in case.params)
        yield Candidate(
            replace(case, source=src, params=params), f"dtype {what} -> {plain.replace(chr(92) + '1', '...')}"
        )


def _single_return_helpers(tree: cst.Module, case: KernelCase) -> dict[str, cst.FunctionDef]:
    out = {}
    for fn in _functions(tree, case):
        if fn.name.value == case.kernel_name or not isinstance(fn.body, cst.IndentedBlock):
            continue
        body = [
            s
            for s in fn.body.body
            if not (isinstance(s, cst.SimpleStatementLine) and isinstance(s.body[0], cst.Expr))
        ]
        ret = body[0] if len(body) == 1 else None
        if (
            isinstance(ret, cst.SimpleStatementLine)
            and isinstance(ret.body[0], cst.Return)
            and ret.body[0].value is not None
            and all(isinstance(p.name, cst.Name) for p in fn.params.params)
        ):
            out[fn.name.value] = fn
    return out


class _Substitute(cst.CSTTransformer):
    def __init__(self, values: dict[str, cst.BaseExpression]) -> None:
        super().__init__()
        self.values = values

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.BaseExpression:  # type: ignore[override]
        v = self.values.get(original_node.value)
        if v is None:
            return updated_node
        if isinstance(v, _NEEDS_PARENS) and not v.lpar:
            return v.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
        return v


def inline_helpers(case: KernelCase) -> Iterator[Candidate]:
    """Replace a call of a helper whose body is one `return expr` by that expression (its
    parameters replaced by the call's arguments); the helper goes when no call is left."""
    tree = _parse(case)
    if tree is None:
        return
    helpers = _single_return_helpers(tree, case)
    if not helpers:
        return
    calls: list[cst.Call] = []

    class V(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            if isinstance(node.func, cst.Name) and node.func.value in helpers:
                calls.append(node)

    tree.visit(V())
    for call in calls:
        assert isinstance(call.func, cst.Name)
        fn = helpers[call.func.value]
        params = [p.name.value for p in fn.params.params]
        if len(call.args) != len(params) or any(a.keyword or a.star for a in call.args):
            continue
        ret = fn.body.body[-1]
        assert isinstance(ret, cst.SimpleStatementLine) and isinstance(ret.body[0], cst.Return)
        expr = ret.body[0].value
        assert expr is not None
        body = expr.visit(_Substitute({n: a.value for n, a in zip(params, call.args, strict=True)}))
        assert isinstance(body, cst.BaseExpression)
        if not body.lpar:
            body = body.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
        edits: dict[int, Edit] = {id(call): body}
        if sum(1 for c in calls if isinstance(c.func, cst.Name) and c.func.value == fn.name.value) == 1:
            edits[id(fn)] = cst.RemoveFromParent()
        src = _apply(tree, edits)
        if src is not None:
            yield Candidate(replace(case, source=src), f"inline helper {fn.name.value}")


def _bound(st: ast.stmt) -> set[str]:
    if isinstance(st, ast.FunctionDef | ast.ClassDef):
        return {st.name}
    if isinstance(st, ast.Assign | ast.AnnAssign | ast.AugAssign):
        targets = st.targets if isinstance(st, ast.Assign) else [st.target]
        return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    return set()


def _used(st: ast.stmt) -> set[str]:
    return {n.id for n in ast.walk(st) if isinstance(n, ast.Name)}


def drop_unused(case: KernelCase) -> Iterator[Candidate]:
    """Remove the module-level definitions nothing reachable from the kernel names any more (the
    helpers, constants and tables whose calls the other passes deleted), all at once. Imports,
    the kernel's own statements (its def, `@wp.overload` stubs, `wp.overload(k, ...)` calls,
    a factory instance) and anything naming what is kept stay."""
    try:
        tree = ast.parse(case.source)
    except (SyntaxError, ValueError):
        return
    cst_tree = _parse(case)
    if cst_tree is None or len(cst_tree.body) != len(tree.body):
        return  # several statements on one line: leave the module as it is
    k = case.kernel_name
    keep = [
        isinstance(st, ast.Import | ast.ImportFrom) or k in _bound(st) or k in _used(st) or not _bound(st)
        for st in tree.body
    ]
    reach = set().union(*(_used(st) for st, kept in zip(tree.body, keep, strict=True) if kept))
    grew = True
    while grew:
        grew = False
        for j, st in enumerate(tree.body):
            if not keep[j] and _bound(st) & reach:
                keep[j], grew = True, True
                reach |= _used(st)
    if all(keep):
        return
    gone = sorted({n for st, kept in zip(tree.body, keep, strict=True) if not kept for n in _bound(st)})
    body = [st for st, kept in zip(cst_tree.body, keep, strict=True) if kept]
    try:
        src = cst_tree.with_changes(body=body).code
    except Exception:
        return
    yield Candidate(replace(case, source=src), f"drop unused {', '.join(gone)}")


def smaller_only(fn: Pass) -> Pass:
    """Keep a pass's proposals that are strictly smaller (`size`): the loop must terminate."""

    def wrapped(case: KernelCase) -> Iterator[Candidate]:
        base = size(case)
        for c in fn(case):
            if size(c.case) < base:
                yield c

    wrapped.__name__ = fn.__name__
    wrapped.__doc__ = fn.__doc__
    return wrapped


PASSES: tuple[tuple[str, Pass], ...] = (
    ("delete", smaller_only(delete_statements)),
    ("unwrap", smaller_only(unwrap_compound)),
    ("inline", smaller_only(inline_locals)),
    ("helpers", smaller_only(inline_helpers)),
    ("unused", smaller_only(drop_unused)),
    ("child", smaller_only(replace_by_child)),
    ("literal", smaller_only(replace_by_literal)),
    ("simplify", smaller_only(simplify_literals)),
    ("params", smaller_only(drop_parameters)),
    ("launch", smaller_only(shrink_launch)),
    ("inputs", smaller_only(shrink_inputs)),
    ("dtypes", smaller_only(simplify_dtypes)),
    ("canonical", smaller_only(canonical_forms)),
)
