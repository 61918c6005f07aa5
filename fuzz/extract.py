"""Cut one kernel, and everything it references, out of a real source file into a standalone module.

Real files import optional packages, read data files or call GPU-only code at module level, so
importing them to reach a kernel fails for reasons outside the kernel. The kernel's text is all
`check` needs: the AST names what the kernel uses (`@wp.func`s, `@wp.struct`s, `wp.constant`s,
module-level constants and type aliases, imports of installed packages), and those statements
are copied at their original line numbers, so every message about the extracted module names the
user's file's lines. When the file did import, names whose value was computed at import time are
written as the literal they hold (Warp captures them the same way when it compiles).
A kernel made by a factory (`k = make(2.5, helper)` at module level, `make` a plain function
returning a nested @wp.kernel) is extracted as that statement with the factory and what both read.
"""

from __future__ import annotations

import ast
import builtins
import importlib.util
from dataclasses import dataclass, field
from typing import Any

HEADER_LINES = 2  # grammar.case.MODULE_HEADER ("import warp as wp" and a blank line) precedes the source
_KNOWN_ROOTS = frozenset({"wp", "warp"})


class ExtractError(ValueError):
    """The file does not parse or has no such kernel."""


@dataclass(frozen=True)
class KernelDef:
    name: str
    lineno: int
    top_level: bool
    factory: str | None = None  # a factory instance `name = factory(...)`: the factory's name


@dataclass
class Extracted:
    """`source` goes after MODULE_HEADER; line L of the resulting module is line L of the file
    (`line_offset` is added when the imports found no free line above the first definition).
    `unresolved` names what could not be copied, with its line; `included` the kernel and the
    @wp.func / @wp.struct definitions copied with it."""

    kernel: str
    source: str
    line_offset: int = 0
    unresolved: list[str] = field(default_factory=list)
    included: list[str] = field(default_factory=list)


def kernel_defs(source: str, path: str) -> list[KernelDef]:
    """Every `@wp.kernel` of a file in source order: top-level and nested definitions, and each
    module-level factory instance `k = make(...)` (at its line) whose factory returns a nested
    @wp.kernel; the nested definition of an instantiated factory is checked through its instances."""
    tree = _parse(source, path)
    top = {id(n) for n in tree.body}
    instances = factory_instances(tree)
    made = {id(inst.kernel) for inst in instances.values()}
    out = [KernelDef(name, inst.assign.lineno, True, inst.factory.name) for name, inst in instances.items()]
    for n in ast.walk(tree):
        if isinstance(n, ast.FunctionDef) and _decorator(n) == "kernel" and id(n) not in made:
            out.append(KernelDef(n.name, n.lineno, id(n) in top))
    return sorted(out, key=lambda k: k.lineno)


@dataclass(frozen=True)
class FactoryInstance:
    """`name = factory(...)` at module level, `kernel` the nested @wp.kernel the factory returns."""

    assign: ast.Assign
    factory: ast.FunctionDef
    kernel: ast.FunctionDef


def factory_kernel(fn: ast.stmt) -> ast.FunctionDef | None:
    """The nested @wp.kernel a kernel factory returns: `fn` is a plain (not @wp) function whose
    body defines a @wp.kernel and returns it by name; None for anything else."""
    if not isinstance(fn, ast.FunctionDef) or _decorator(fn) is not None:
        return None
    nested = {st.name: st for st in fn.body if isinstance(st, ast.FunctionDef) and _decorator(st) == "kernel"}
    for st in fn.body:
        if isinstance(st, ast.Return) and isinstance(st.value, ast.Name) and st.value.id in nested:
            return nested[st.value.id]
    return None


def factory_instances(tree: ast.Module) -> dict[str, FactoryInstance]:
    """Module-level names bound to a kernel made by a module-level factory, by name; the factory
    is the one bound to its name when the call runs (as at import)."""
    factories: dict[str, ast.FunctionDef] = {}
    out: dict[str, FactoryInstance] = {}
    for st in tree.body:
        if isinstance(st, ast.FunctionDef | ast.ClassDef):
            factories.pop(st.name, None)
            if factory_kernel(st) is not None:
                assert isinstance(st, ast.FunctionDef)
                factories[st.name] = st
        targets = [t.id for t in st.targets if isinstance(t, ast.Name)] if isinstance(st, ast.Assign) else []
        for nm in _bound_names(st):
            out.pop(nm, None)  # rebound later: no longer this instance
        value = getattr(st, "value", None)
        if (
            isinstance(st, ast.Assign)
            and isinstance(value, ast.Call)
            and isinstance(value.func, ast.Name)
            and value.func.id in factories
        ):
            fac = factories[value.func.id]
            made = factory_kernel(fac)
            assert made is not None
            for nm in targets:
                out[nm] = FactoryInstance(st, fac, made)
    return out


def kernel_nodes(tree: ast.Module) -> dict[tuple[str, int], ast.FunctionDef]:
    """The kernel definition of each KernelDef, keyed (name, line): a factory instance's key
    gives the nested @wp.kernel its factory returns."""
    nodes = {(n.name, n.lineno): n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    for name, inst in factory_instances(tree).items():
        nodes[(name, inst.assign.lineno)] = inst.kernel
    return nodes


def kernel_function(module_source: str, kernel: str) -> ast.FunctionDef:
    """The definition of top-level kernel `kernel` of a module, or of the nested kernel that
    factory instance `kernel` is made from (its parameters are the kernel's)."""
    tree = _parse(module_source, "<extracted module>")
    for st in tree.body:
        if isinstance(st, ast.FunctionDef) and st.name == kernel:
            return st
    inst = factory_instances(tree).get(kernel)
    if inst is None:
        raise ExtractError(
            f"<extracted module>: no top-level @wp.kernel or factory instance named {kernel!r}"
        )
    return inst.kernel


def _parse(source: str, path: str) -> ast.Module:
    try:
        return ast.parse(source)
    except SyntaxError as e:
        raise ExtractError(f"{path}: line {e.lineno}: does not parse: {e.msg}") from e


def _decorator(node: ast.FunctionDef | ast.ClassDef) -> str | None:
    for d in node.decorator_list:
        t = d.func if isinstance(d, ast.Call) else d
        if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id in _KNOWN_ROOTS:
            return t.attr
    return None


def _bound_names(node: ast.stmt) -> list[str]:
    if isinstance(node, ast.FunctionDef | ast.ClassDef):
        return [node.name]
    if isinstance(node, ast.Assign):
        return [t.id for t in node.targets if isinstance(t, ast.Name)]
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return [node.target.id]
    if isinstance(node, ast.Import):
        return [(a.asname or a.name).split(".")[0] for a in node.names]
    if isinstance(node, ast.ImportFrom):
        return [a.asname or a.name for a in node.names]
    return []


def free_names(node: ast.AST) -> dict[str, int]:
    """Names a definition reads but does not bind itself, with the first line of each use."""
    bound: set[str] = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
            bound.add(n.id)
        elif isinstance(n, ast.arg):
            bound.add(n.arg)
        elif isinstance(n, ast.FunctionDef | ast.ClassDef) and n is not node:
            bound.add(n.name)
    out: dict[str, int] = {}
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id not in bound:
            out.setdefault(n.id, n.lineno)
    return out


def _start(node: ast.stmt) -> int:
    decos = getattr(node, "decorator_list", [])
    return min([node.lineno, *(d.lineno for d in decos)])


def _literal(value: Any) -> str | None:
    """Source text for a value Warp would capture as a constant; None when there is none."""
    if hasattr(value, "item") and type(value).__module__ == "numpy" and getattr(value, "ndim", 1) == 0:
        value = value.item()  # a NumPy scalar (np.float64 repr is "np.float64(...)")
    if isinstance(value, bool):
        return repr(bool(value))
    if isinstance(value, int):
        return repr(int(value))
    if isinstance(value, float):
        return repr(float(value))
    t = type(value)
    length = getattr(t, "_length_", None)
    scalar = getattr(t, "_wp_scalar_type_", None)
    if length is not None and scalar is not None and hasattr(t, "_shape_"):
        name = getattr(t, "__name__", "")
        if name.startswith(("vec", "mat", "quat")):
            vals = ", ".join(repr(float(x)) for x in list(value))
            return f"wp.{name}({vals})"
    if getattr(t, "__module__", "").startswith("warp") and hasattr(value, "value"):
        inner = value.value
        if isinstance(inner, int | float | bool):
            return f"wp.{t.__name__}({inner!r})"
    return None


def _importable(node: ast.Import | ast.ImportFrom, name: str) -> str | None:
    """None when the import of `name` works here; otherwise why not."""
    if isinstance(node, ast.ImportFrom):
        mod = node.module or ""
        if node.level:
            return f"relative import from {'.' * node.level}{mod}"
    else:
        mod = next(a.name for a in node.names if (a.asname or a.name).split(".")[0] == name)
    try:
        found = importlib.util.find_spec(mod.split(".")[0]) is not None
    except (ImportError, ValueError):
        found = False
    return None if found else f"imported from {mod}, which is not installed"


def _import_line(node: ast.Import | ast.ImportFrom, name: str) -> str:
    if isinstance(node, ast.Import):
        a = next(a for a in node.names if (a.asname or a.name).split(".")[0] == name)
        return f"import {a.name} as {a.asname}" if a.asname else f"import {a.name}"
    a = next(a for a in node.names if (a.asname or a.name) == name)
    alias = f" as {a.asname}" if a.asname else ""
    return f"from {node.module} import {a.name}{alias}"


def extract(source: str, path: str, kernel: str, namespace: dict[str, Any] | None = None) -> Extracted:
    """The standalone module for top-level kernel `kernel` of `source` (see the module docstring).

    `namespace` is the imported module's globals when importing it worked: a module-level name
    whose statement cannot be copied (computed from a call, from another package) is then written
    as the literal it holds. Names that resolve to nothing are listed in `unresolved` with their line.
    """
    tree = _parse(source, path)
    defs: dict[str, ast.stmt] = {}
    overloads: dict[str, list[ast.stmt]] = {}  # every @wp.func of one name: Warp keeps each signature
    for st in tree.body:
        for nm in _bound_names(st):
            defs[nm] = st  # the last binding wins, as at import time
        if isinstance(st, ast.FunctionDef) and _decorator(st) == "func":
            overloads.setdefault(st.name, []).append(st)
    target: ast.stmt | None = next(
        (st for st in tree.body if isinstance(st, ast.FunctionDef) and st.name == kernel),
        None,
    )
    instance = factory_instances(tree).get(kernel)
    if target is None and instance is not None:
        target = instance.assign  # `kernel = make(...)`: its factory and arguments come with it
    if target is None:
        raise ExtractError(f"{path}: no top-level @wp.kernel or factory instance named {kernel!r}")
    lines = source.splitlines()
    placed: dict[int, str] = {}  # file line -> text
    imports: list[str] = []
    unresolved: list[str] = []
    included: list[str] = []
    seen_stmts: set[int] = set()
    seen_names: set[str] = {"wp", kernel}  # the kernel itself: its @wp.overload declarations name it
    pending: list[tuple[str, int]] = []

    def place_stmt(st: ast.stmt) -> None:
        start, end = _start(st), st.end_lineno or st.lineno
        for ln in range(start, end + 1):
            placed[ln] = lines[ln - 1]

    def include(st: ast.stmt) -> None:
        if id(st) in seen_stmts:
            return
        seen_stmts.add(id(st))
        place_stmt(st)
        pending.extend(free_names(st).items())

    include(target)
    for st in _instances_declared(tree, kernel):  # a generic kernel's @wp.overload instances
        include(st)
    included.append(kernel)
    while pending:
        nm, use_line = pending.pop(0)
        if nm in seen_names or (nm not in defs and hasattr(builtins, nm)):
            continue
        seen_names.add(nm)
        found = defs.get(nm)
        if found is None:
            if namespace is not None and nm in namespace and _literal(namespace[nm]) is not None:
                imports.append(f"{nm} = {_literal(namespace[nm])}")
                continue
            unresolved.append(f"name {nm!r} (line {use_line}) is not defined at module level")
            continue
        st = found
        if isinstance(st, ast.Import | ast.ImportFrom):
            why = _importable(st, nm)
            if why is None:
                if nm != "warp" or isinstance(st, ast.ImportFrom):
                    imports.append(_import_line(st, nm))
                continue
            unresolved.append(f"name {nm!r} (line {use_line}) is {why}")
            continue
        if isinstance(st, ast.FunctionDef | ast.ClassDef):
            kind = _decorator(st)
            if factory_kernel(st) is not None:  # a kernel factory a factory instance calls
                include(st)
                included.append(nm)
                continue
            if kind not in ("func", "struct", "kernel", "func_native", "func_grad", "func_replay"):
                unresolved.append(f"name {nm!r} (line {use_line}) is a plain Python {type(st).__name__[:-3]}")
                continue
            for o in overloads.get(nm, [st]) if kind == "func" else [st]:
                include(o)
            included.append(nm)
            continue
        # a module-level assignment: copy it when everything it reads resolves, else its value
        value = getattr(st, "value", None)
        simple = value is not None and _copyable(value, defs)
        if (not simple or _numpy_valued(value)) and namespace is not None and nm in namespace:
            lit = _literal(namespace[nm])
            if lit is not None:
                placed[st.lineno] = f"{nm} = {lit}"
                for ln in range(st.lineno + 1, (st.end_lineno or st.lineno) + 1):
                    placed.pop(ln, None)
                seen_stmts.add(id(st))
                continue
        if value is None or not simple:
            unresolved.append(
                f"name {nm!r} (line {use_line}) is computed at line {st.lineno} by code `check` cannot copy"
            )
            continue
        include(st)
    return _assemble(kernel, placed, imports, unresolved, included)


def _instances_declared(tree: ast.Module, kernel: str) -> list[ast.stmt]:
    """The top-level statements that declare instances of generic kernel `kernel`: `@wp.overload`
    stubs named like it and `wp.overload(kernel, types)` calls (bare or assigned). Nothing names
    them from the kernel, yet Warp builds, and a launch picks, the instances they declare."""
    out: list[ast.stmt] = []
    for st in tree.body:
        if isinstance(st, ast.FunctionDef) and st.name == kernel and _decorator(st) == "overload":
            out.append(st)
        elif isinstance(st, ast.Expr | ast.Assign) and isinstance(st.value, ast.Call):
            call = st.value
            f = call.func
            if (
                isinstance(f, ast.Attribute)
                and f.attr == "overload"
                and isinstance(f.value, ast.Name)
                and f.value.id in ("wp", "warp")
                and call.args
                and isinstance(call.args[0], ast.Name)
                and call.args[0].id == kernel
            ):
                out.append(st)
    return out


def _copyable(value: ast.expr, defs: dict[str, ast.stmt]) -> bool:
    """A module-level right-hand side built from literals, names and `wp.` / `math.` calls only."""
    for n in ast.walk(value):
        if isinstance(n, ast.Call):
            f = n.func
            root = f
            while isinstance(root, ast.Attribute):
                root = root.value
            if not (
                isinstance(root, ast.Name)
                and root.id in ("wp", "warp", "math", "np", "numpy", "int", "float")
            ):
                return False
        elif isinstance(n, ast.Lambda | ast.ListComp | ast.DictComp | ast.GeneratorExp | ast.SetComp):
            return False
    return True


def _numpy_valued(value: ast.expr | None) -> bool:
    """A right-hand side that calls NumPy (`np.float32(0.5)`, `np.sqrt(2.0)`): the oracle folds
    only `math`/`wp` arithmetic, so such a value is better written as the number it holds."""
    for n in ast.walk(value) if value is not None else ():
        if isinstance(n, ast.Call):
            root = n.func
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name) and root.id in ("np", "numpy"):
                return True
    return False


def _assemble(
    kernel: str, placed: dict[int, str], imports: list[str], unresolved: list[str], included: list[str]
) -> Extracted:
    first = min(placed) if placed else HEADER_LINES + 1
    free = [ln for ln in range(HEADER_LINES + 1, first) if ln not in placed]
    offset = 0
    if len(free) < len(imports):
        offset = len(imports) - len(free)
        placed = {ln + offset: text for ln, text in placed.items()}
        first += offset
        free = [ln for ln in range(HEADER_LINES + 1, first) if ln not in placed]
    for ln, text in zip(free, imports, strict=False):
        placed[ln] = text
    last = max(placed) if placed else HEADER_LINES
    body = [placed.get(ln, "") for ln in range(HEADER_LINES + 1, last + 1)]
    return Extracted(kernel, "\n".join(body) + "\n", offset, unresolved, included)
