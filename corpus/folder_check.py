"""Corpus folders are data: check one before anything of it is imported or trusted.

Two checks, shared by every reader (replay, reduce, bisect, and each folder's repro.py, which
carries a copy of this file's text because it must run with warp-lang and numpy alone; keep it
standard-library only and free of `from __future__` lines):

- integrity: meta.json records a sha256 of every other file of the folder; a file missing or
  changed since the folder was written makes the folder damaged (never "fixed", never "failing");
- kernel source allow-list: what Python evaluates at import (and Warp's codegen evaluates in
  Python) may only be one of these named forms, so nothing else can run:
  imports of warp/numpy/math/typing; docstrings; `NAME = wp.constant(...)`; `NAME = <number>`;
  tables `NAME = (f, wp.sin)` / `[...]` / `{"a": f}` of earlier @wp.func names and `wp.<name>`s;
  `@wp.kernel` / `@wp.func` / `@wp.struct` definitions (keyword forms `enable_backward=`,
  `module=` with literal values) and `@wp.func_grad(f)` / `@wp.func_replay(f)` of an earlier
  @wp.func, whose annotations and defaults are plain type expressions; kernel factories (an
  undecorated function whose body holds only what a module may hold, minus imports, plus nested
  definitions and a final `return NAME`) and `NAME = factory(...)` calls of an earlier factory
  with type-expression arguments. In function bodies (compiled by Warp, not run) `wp.static(...)`
  may only hold literals, names, arithmetic, subscripts and int/float/bool/abs/min/max/wp type
  calls.
"""

import ast
import hashlib
import os
import zipfile

ALLOWED_MODULES = frozenset({"warp", "numpy", "math", "typing"})  # typing: `typing.Any` of generic @wp.func
DECORATORS = frozenset({"kernel", "func", "struct", "overload"})  # @wp.overload: a stub of an earlier kernel
GRAD_DECORATORS = frozenset(
    {"func_grad", "func_replay"}
)  # @wp.func_grad(f): one earlier @wp.func, no keywords
# the keyword forms a decorator may take, each with a literal value
DECORATOR_KEYWORDS = {"kernel": frozenset({"enable_backward", "module"}), "func": frozenset({"module"}),
                      "struct": frozenset({"module"})}  # fmt: skip
# calls allowed where Python evaluates them (annotations, defaults, decorators, wp.constant):
# Warp's type constructors, e.g. wp.array(dtype=wp.float32), wp.vec(length=3, dtype=wp.float32)
TYPE_CALLS = frozenset(
    {"array", "array1d", "array2d", "array3d", "array4d", "indexedarray", "vec", "mat", "quat", "constant"}
)
TYPE_PREFIXES = ("int", "uint", "float", "bool", "vec", "mat", "quat", "transform", "spatial_")
STATIC_CALLS = frozenset({"int", "float", "bool", "abs", "min", "max"})  # plain calls inside wp.static(...)
# callables Warp codegen evaluates in Python rather than compiling (wp.static: checked on its own)
BODY_FORBIDDEN = frozenset(
    {"eval", "exec", "compile", "open", "getattr", "setattr", "delattr", "globals", "locals",
     "vars", "breakpoint", "input", "exit", "quit"}
)  # fmt: skip
DAMAGED_EXIT = 3  # exit status of replay/reduce/bisect/repro.py for a damaged or refused folder
META = "meta.json"  # the folder file holding the hashes of all the others


class UnsafeSource(ValueError):
    """A kernel module holds something other than the allow-list; the message names the line."""


def _attr_path(node: ast.expr) -> list[str] | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return parts[::-1]


def _dunder(node: ast.AST) -> str | None:
    name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else None
    return name if name is not None and name.startswith("_") else None


class _Checker:
    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.aliases: set[str] = set()  # names bound to warp/numpy/math ("wp", "np", "math")
        self.funcs: set[str] = set()  # module-level @wp.func names defined so far (tables, func_grad)
        self.factories: set[str] = set()  # module-level kernel factories defined so far
        self.kernels: set[str] = set()  # module-level @wp.kernel names defined so far (wp.overload)
        self.params: set[str] = set()  # the parameters of the factory being checked (table entries)
        self.problems: list[str] = []

    def bad(self, node: ast.AST, what: str) -> None:
        self.problems.append(f"{self.filename}:{getattr(node, 'lineno', '?')}: {what}")

    def warp_call(self, func: ast.expr) -> bool:
        path = _attr_path(func)
        if path is None or len(path) < 2 or path[0] not in self.aliases:
            return False
        last = path[-1]
        return last in TYPE_CALLS or last.startswith(TYPE_PREFIXES)

    def warp_name(self, node: ast.expr) -> bool:
        """`wp.sin`: a warp attribute one level deep (a builtin or type, never called here)."""
        path = _attr_path(node)
        return path is not None and len(path) == 2 and path[0] in self.aliases and not path[1].startswith("_")

    def type_expr(self, node: ast.expr | None, plain_calls: frozenset[str] = frozenset()) -> None:
        """Annotations, defaults, decorator arguments, wp.constant values: evaluated by Python."""
        if node is None:
            return
        for n in ast.walk(node):
            if _dunder(n):
                self.bad(n, f"name {_dunder(n)!r} (underscore names are not allowed)")
            elif isinstance(n, ast.Call):
                plain = isinstance(n.func, ast.Name) and n.func.id in plain_calls
                if not (plain or self.warp_call(n.func)):
                    self.bad(n, f"call of {ast.unparse(n.func)!r} where Python evaluates it at import")
            elif isinstance(n, ast.Lambda | ast.NamedExpr | ast.Await | ast.Yield | ast.YieldFrom):
                self.bad(n, f"{type(n).__name__} expression")
            elif isinstance(n, ast.comprehension):
                self.bad(n, "comprehension where Python evaluates it at import")

    def static(self, call: ast.Call) -> None:
        """`wp.static(expr)`: Warp's codegen evaluates expr in Python, so it is a type expression
        that may also call int/float/bool/abs/min/max (`wp.static(float(j))`)."""
        if len(call.args) != 1 or call.keywords:
            self.bad(call, f"call of 'wp.static' {ast.unparse(call)!r} (exactly one argument)")
            return
        before = len(self.problems)
        self.type_expr(call.args[0], STATIC_CALLS)
        for i in range(before, len(self.problems)):
            where, what = self.problems[i].split(": ", 1)
            self.problems[i] = f"{where}: call of 'wp.static' evaluating {what}"

    def callee_ok(self, func: ast.expr) -> bool:
        """What a call in a compiled body may call: a name path, `wp.static(...)(x)` (a table entry
        chosen at codegen) or `wp.grad(f)(x)` (f a name path); the inner call is checked by itself."""
        if _attr_path(func) is not None:
            return True
        if not isinstance(func, ast.Call) or len(func.args) != 1 or func.keywords:
            return False
        path = _attr_path(func.func)
        if path is None or len(path) != 2 or path[0] not in self.aliases:
            return False
        return path[1] == "static" or (path[1] == "grad" and _attr_path(func.args[0]) is not None)

    def body(self, fn: ast.AST) -> None:
        """Function bodies are compiled by Warp, not run; only its Python-side evaluation is barred."""
        for n in ast.walk(fn):
            if n is fn:
                continue
            if _dunder(n):
                self.bad(n, f"name {_dunder(n)!r} (underscore names are not allowed)")
            elif isinstance(n, ast.Import | ast.ImportFrom):
                self.bad(n, "import inside a function")
            elif isinstance(n, ast.Call):
                path = _attr_path(n.func)
                if path is not None and len(path) == 2 and path[0] in self.aliases and path[1] == "static":
                    self.static(n)
                elif not self.callee_ok(n.func) or (path is not None and path[-1] in BODY_FORBIDDEN):
                    self.bad(n, f"call of {ast.unparse(n.func)!r} (evaluated in Python, not compiled)")
            elif isinstance(n, ast.Lambda | ast.ClassDef | ast.Global | ast.Nonlocal):
                self.bad(n, f"{type(n).__name__} inside a function")

    def decorator(self, dec: ast.expr) -> str | None:
        """The decorator's warp name when it is one of the allowed forms (else None, reported)."""
        target = dec.func if isinstance(dec, ast.Call) else dec
        path = _attr_path(target)
        kind = path[1] if path is not None and len(path) == 2 and path[0] in self.aliases else None
        if kind in GRAD_DECORATORS:
            arg = dec.args[0] if isinstance(dec, ast.Call) and len(dec.args) == 1 else None
            if not isinstance(dec, ast.Call) or dec.keywords or not isinstance(arg, ast.Name):
                self.bad(dec, f"decorator {ast.unparse(dec)!r} (@wp.{kind}(f) takes one @wp.func name)")
            elif arg.id not in self.funcs:
                self.bad(dec, f"decorator {ast.unparse(dec)!r} ({arg.id!r} is not an earlier @wp.func)")
            return kind
        if kind not in DECORATORS:
            self.bad(
                dec,
                f"decorator {ast.unparse(dec)!r} (only @wp.kernel, @wp.func, @wp.struct, "
                "@wp.overload, @wp.func_grad(f), @wp.func_replay(f))",
            )
            return None
        if isinstance(dec, ast.Call):
            for a in dec.args:
                self.bad(a, f"decorator argument {ast.unparse(a)!r} (only keyword arguments)")
            for k in dec.keywords:
                if k.arg not in DECORATOR_KEYWORDS[kind]:
                    self.bad(k.value, f"decorator keyword {k.arg!r} of @wp.{kind} (not on the allow-list)")
                elif not isinstance(k.value, ast.Constant):
                    self.bad(k.value, f"decorator argument {ast.unparse(k.value)!r} (only literals)")
        return kind

    def signature(self, fn: ast.FunctionDef) -> None:
        a = fn.args
        for arg in [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg]:
            if arg is not None:
                self.type_expr(arg.annotation)
        defaults: list[ast.expr | None] = [*a.defaults, *a.kw_defaults]
        for default in defaults:
            self.type_expr(default)
        self.type_expr(fn.returns)

    def function(self, fn: ast.FunctionDef) -> None:
        if not fn.decorator_list:
            self.bad(fn, f"function {fn.name!r} without @wp.kernel or @wp.func")
        kinds = [self.decorator(d) for d in fn.decorator_list]
        self.signature(fn)
        if "kernel" in kinds:
            self.kernels.add(fn.name)
        if "overload" in kinds:
            if fn.name not in self.kernels:
                self.bad(fn, f"@wp.overload stub {fn.name!r} of no earlier @wp.kernel")
            if not all(isinstance(st, ast.Pass) or _docstring(st) or _ellipsis(st) for st in fn.body):
                self.bad(fn, f"@wp.overload stub {fn.name!r} with a body (only `...`, pass or a docstring)")
        for stmt in fn.body:
            self.body(stmt)
        if "func" in kinds:
            self.funcs.add(fn.name)

    def factory(self, fn: ast.FunctionDef) -> None:
        """An undecorated module-level function: a kernel factory, run when the module calls it.
        Its body may hold what a module may (but no import), nested definitions and a final
        `return NAME` of one of them."""
        if fn.name.startswith("_"):
            self.bad(fn, f"name {fn.name!r} (underscore names are not allowed)")
        self.signature(fn)
        a = fn.args
        self.params = {x.arg for x in [*a.posonlyargs, *a.args, *a.kwonlyargs]}
        body = fn.body
        last = body[-1]
        nested: set[str] = set()
        for i, stmt in enumerate(body[:-1]):
            if i == 0 and _docstring(stmt):
                continue
            if isinstance(stmt, ast.FunctionDef) and stmt.decorator_list:
                self.function(stmt)
                nested.add(stmt.name)
            elif isinstance(stmt, ast.ClassDef):
                self.struct(stmt)
                nested.add(stmt.name)
            elif isinstance(stmt, ast.Assign | ast.AnnAssign):
                self.assignment(stmt, in_factory=True)
            else:
                self.bad(
                    stmt,
                    f"{type(stmt).__name__} in factory {fn.name!r} (only nested @wp definitions, "
                    "constants, tables and a final `return NAME`)",
                )
        if not (
            isinstance(last, ast.Return) and isinstance(last.value, ast.Name) and last.value.id in nested
        ):
            self.bad(last, f"factory {fn.name!r} must end with `return NAME` of a definition it makes")
        self.params = set()
        self.factories.add(fn.name)

    def struct(self, cls: ast.ClassDef) -> None:
        if not cls.decorator_list:
            self.bad(cls, f"class {cls.name!r} without @wp.struct")
        for d in cls.decorator_list:
            if self.decorator(d) not in (None, "struct"):
                self.bad(d, f"decorator {ast.unparse(d)!r} on class {cls.name!r} (only @wp.struct)")
        if cls.bases or cls.keywords:
            self.bad(cls, f"class {cls.name!r} with bases")
        for i, stmt in enumerate(cls.body):
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is None:
                self.type_expr(stmt.annotation)
            elif not (i == 0 and _docstring(stmt)):
                self.bad(stmt, f"{type(stmt).__name__} in struct {cls.name!r} (only `field: type` lines)")

    def module(self, tree: ast.Module) -> None:
        for stmt in tree.body:
            if isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    if alias.name not in ALLOWED_MODULES:
                        self.bad(stmt, f"import of {alias.name!r} (only warp, numpy, math, typing)")
                    elif alias.name != "typing":  # typing's names are only read (`typing.Any`)
                        self.aliases.add(alias.asname or alias.name)
            elif isinstance(stmt, ast.ImportFrom):
                if stmt.module == "__future__" and stmt.level == 0:
                    continue
                self.bad(stmt, "`from ... import` (use `import warp as wp`)")
            elif _docstring(stmt) or (isinstance(stmt, ast.Expr) and self.overload_call(stmt.value)):
                continue
            elif isinstance(stmt, ast.Assign | ast.AnnAssign):
                self.assignment(stmt, in_factory=False)
            elif isinstance(stmt, ast.FunctionDef):
                if stmt.decorator_list:
                    self.function(stmt)
                else:
                    self.factory(stmt)
            elif isinstance(stmt, ast.ClassDef):
                self.struct(stmt)
            else:
                self.bad(stmt, f"{type(stmt).__name__} statement at module level")

    def overload_call(self, node: ast.expr | None) -> bool:
        """`wp.overload(KERNEL, [types])` / `wp.overload(KERNEL, {"name": type})` of an earlier
        kernel: declares a generic kernel's instance (its types are checked as type expressions)."""
        if not isinstance(node, ast.Call):
            return False
        path = _attr_path(node.func)
        if path is None or len(path) != 2 or path[0] not in self.aliases or path[1] != "overload":
            return False
        args = node.args
        if (
            node.keywords
            or len(args) != 2
            or not isinstance(args[0], ast.Name)
            or args[0].id not in self.kernels
        ):
            self.bad(
                node,
                "wp.overload call other than `wp.overload(KERNEL, [types] or {name: type})` of an earlier kernel",
            )
            return True
        types = args[1]
        if isinstance(types, ast.List):
            for t in types.elts:
                self.type_expr(t)
        elif isinstance(types, ast.Dict) and all(
            isinstance(k, ast.Constant) and isinstance(k.value, str) for k in types.keys
        ):
            for t in types.values:
                self.type_expr(t)
        else:
            self.bad(
                types, "wp.overload types other than a list of types or a dict of parameter names to types"
            )
        return True

    def table_entry(self, node: ast.expr) -> bool:
        named = isinstance(node, ast.Name) and (node.id in self.funcs or node.id in self.params)
        return named or self.warp_name(node)

    def assignment(self, stmt: ast.Assign | ast.AnnAssign, in_factory: bool) -> None:
        """`NAME = wp.constant(...)`, `NAME = <number>`, a table of functions, or (at module
        level) `NAME = factory(...)`."""
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        value = stmt.value
        if not all(isinstance(t, ast.Name) and not t.id.startswith("_") for t in targets) or value is None:
            self.bad(stmt, "assignment other than `NAME = ...` of an allowed form")
            return
        if isinstance(stmt, ast.AnnAssign):
            self.type_expr(stmt.annotation)
        if isinstance(value, ast.Call):
            path = _attr_path(value.func) or [""]
            if not in_factory and self.overload_call(value):
                return
            if path[-1] == "constant" and self.warp_call(value.func):
                for a in [*value.args, *(k.value for k in value.keywords)]:
                    self.type_expr(a)
                return
            if not in_factory and isinstance(value.func, ast.Name) and value.func.id in self.factories:
                for a in [*value.args, *(k.value for k in value.keywords)]:
                    self.type_expr(a)
                return
        elif _number(value):
            return
        elif isinstance(value, ast.Tuple | ast.List):
            if value.elts and all(self.table_entry(e) for e in value.elts):
                return
        elif isinstance(value, ast.Dict):
            keys_ok = all(isinstance(k, ast.Constant) and isinstance(k.value, str | int) for k in value.keys)
            if value.values and keys_ok and all(self.table_entry(v) for v in value.values):
                return
        self.bad(
            stmt,
            "assignment other than `NAME = wp.constant(...)`, `NAME = <number>`, a table of earlier "
            "@wp.func names, wp.<name>s (and a factory's parameters), or `NAME = factory(...)` of an earlier kernel factory",
        )


def _number(node: ast.expr) -> bool:
    """A literal int/float/bool, optionally negated."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        node = node.operand
    return isinstance(node, ast.Constant) and isinstance(node.value, int | float) and node.value is not None


def _ellipsis(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and stmt.value.value is ...


def _docstring(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and isinstance(stmt.value.value, str)
    )


def source_problems(source: str, filename: str) -> list[str]:
    """Every construct of `source` outside the allow-list, as "FILE:LINE: what"."""
    try:
        tree = ast.parse(source, filename=filename)
    except SyntaxError as e:
        return [f"{filename}:{e.lineno}: does not parse ({e.msg})"]
    c = _Checker(filename)
    c.module(tree)
    return c.problems


def check_source(source: str, filename: str) -> None:
    """Raise UnsafeSource naming the first line outside the allow-list (nothing is executed)."""
    problems = source_problems(source, filename)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise UnsafeSource(
            f"refused to import {filename}: {problems[0]}{more}. A corpus kernel holds only warp/numpy/math "
            "imports and @wp.kernel/@wp.func/@wp.struct definitions; regenerate the folder from its seed"
        )


def sha256_of(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def folder_hashes(folder: str, names: list[str]) -> dict[str, str]:
    """sha256 of each named file of `folder` (meta.json, which holds them, is never among them)."""
    return {n: sha256_of(os.path.join(folder, n)) for n in sorted(names) if n != META}


def folder_damage(folder: str, meta: dict) -> tuple[list[str], str]:
    """(what is damaged, a note): files missing, or differing from meta.json's sha256.

    A folder written before hashes were recorded has none: its .npz files are checked as zip
    archives (CRCs) instead, and the note says the rest could not be verified."""
    hashes = meta.get("sha256")
    names = [n for n in meta.get("files") or [] if n != META]
    damaged: list[str] = []
    for n in names:
        p = os.path.join(folder, n)
        if not os.path.isfile(p):
            damaged.append(f"{p}: missing (meta.json lists it)")
        elif isinstance(hashes, dict) and n in hashes and sha256_of(p) != hashes[n]:
            damaged.append(
                f"{p}: sha256 differs from meta.json (changed or truncated after the folder was written)"
            )
    note = ""
    if not isinstance(hashes, dict):
        note = "written before integrity hashes (no sha256 in meta.json): only its .npz archives were checked"
        for n in names:
            p = os.path.join(folder, n)
            if n.endswith(".npz") and os.path.isfile(p):
                try:
                    with zipfile.ZipFile(p) as z:
                        bad = z.testzip()
                    if bad is not None:
                        damaged.append(f"{p}: member {bad} fails its CRC check")
                except (zipfile.BadZipFile, OSError) as e:
                    damaged.append(f"{p}: not a readable .npz archive ({e})")
    return damaged, note
