"""Corpus folders are data: check one before anything of it is imported or trusted.

Two checks, shared by every reader (replay, reduce, bisect, and each folder's repro.py, which
carries a copy of this file's text because it must run with warp-lang and numpy alone; keep it
standard-library only and free of `from __future__` lines):

- integrity: meta.json records a sha256 of every other file of the folder; a file missing or
  changed since the folder was written makes the folder damaged (never "fixed", never "failing");
- kernel source allow-list: a kernel module may hold only imports of warp/numpy/math, docstrings,
  `NAME = wp.constant(...)` assignments and `@wp.kernel` / `@wp.func` / `@wp.struct` definitions
  whose decorators, annotations and defaults are plain type expressions. Python evaluates those
  at import time and Warp's codegen evaluates `wp.static(...)`, so nothing else may appear there.
"""

import ast
import hashlib
import os
import zipfile

ALLOWED_MODULES = frozenset({"warp", "numpy", "math"})
DECORATORS = frozenset({"kernel", "func", "struct"})
# calls allowed where Python evaluates them (annotations, defaults, decorators, wp.constant):
# Warp's type constructors, e.g. wp.array(dtype=wp.float32), wp.vec(length=3, dtype=wp.float32)
TYPE_CALLS = frozenset(
    {"array", "array1d", "array2d", "array3d", "array4d", "indexedarray", "vec", "mat", "quat", "constant"}
)
TYPE_PREFIXES = ("int", "uint", "float", "bool", "vec", "mat", "quat", "transform", "spatial_")
# callables Warp codegen evaluates in Python rather than compiling
BODY_FORBIDDEN = frozenset(
    {"static", "eval", "exec", "compile", "open", "getattr", "setattr", "delattr", "globals", "locals",
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
        self.aliases: set[str] = set()  # names bound to allowed modules ("wp", "np", "math")
        self.problems: list[str] = []

    def bad(self, node: ast.AST, what: str) -> None:
        self.problems.append(f"{self.filename}:{getattr(node, 'lineno', '?')}: {what}")

    def warp_call(self, func: ast.expr) -> bool:
        path = _attr_path(func)
        if path is None or len(path) < 2 or path[0] not in self.aliases:
            return False
        last = path[-1]
        return last in TYPE_CALLS or last.startswith(TYPE_PREFIXES)

    def type_expr(self, node: ast.expr | None) -> None:
        """Annotations, defaults, decorator arguments, wp.constant values: evaluated by Python."""
        if node is None:
            return
        for n in ast.walk(node):
            if _dunder(n):
                self.bad(n, f"name {_dunder(n)!r} (underscore names are not allowed)")
            elif isinstance(n, ast.Call):
                if not self.warp_call(n.func):
                    self.bad(n, f"call of {ast.unparse(n.func)!r} where Python evaluates it at import")
            elif isinstance(n, ast.Lambda | ast.NamedExpr | ast.Await | ast.Yield | ast.YieldFrom):
                self.bad(n, f"{type(n).__name__} expression")
            elif isinstance(n, ast.comprehension):
                self.bad(n, "comprehension where Python evaluates it at import")

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
                if path is None or path[-1] in BODY_FORBIDDEN:
                    self.bad(n, f"call of {ast.unparse(n.func)!r} (evaluated in Python, not compiled)")
            elif isinstance(n, ast.Lambda | ast.ClassDef | ast.Global | ast.Nonlocal):
                self.bad(n, f"{type(n).__name__} inside a function")

    def decorator(self, dec: ast.expr) -> None:
        target = dec.func if isinstance(dec, ast.Call) else dec
        path = _attr_path(target)
        if path is None or len(path) != 2 or path[0] not in self.aliases or path[1] not in DECORATORS:
            self.bad(dec, f"decorator {ast.unparse(dec)!r} (only @wp.kernel, @wp.func, @wp.struct)")
            return
        if isinstance(dec, ast.Call):
            for a in [*dec.args, *(k.value for k in dec.keywords)]:
                if not isinstance(a, ast.Constant):
                    self.bad(a, f"decorator argument {ast.unparse(a)!r} (only literals)")

    def function(self, fn: ast.FunctionDef) -> None:
        if not fn.decorator_list:
            self.bad(fn, f"function {fn.name!r} without @wp.kernel or @wp.func")
        for d in fn.decorator_list:
            self.decorator(d)
        a = fn.args
        for arg in [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg]:
            if arg is not None:
                self.type_expr(arg.annotation)
        defaults: list[ast.expr | None] = [*a.defaults, *a.kw_defaults]
        for default in defaults:
            self.type_expr(default)
        self.type_expr(fn.returns)
        for stmt in fn.body:
            self.body(stmt)

    def struct(self, cls: ast.ClassDef) -> None:
        if not cls.decorator_list:
            self.bad(cls, f"class {cls.name!r} without @wp.struct")
        for d in cls.decorator_list:
            self.decorator(d)
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
                        self.bad(stmt, f"import of {alias.name!r} (only warp, numpy, math)")
                    else:
                        self.aliases.add(alias.asname or alias.name)
            elif isinstance(stmt, ast.ImportFrom):
                if stmt.module == "__future__" and stmt.level == 0:
                    continue
                self.bad(stmt, "`from ... import` (use `import warp as wp`)")
            elif _docstring(stmt):
                continue
            elif isinstance(stmt, ast.Assign | ast.AnnAssign):
                self.constant(stmt)
            elif isinstance(stmt, ast.FunctionDef):
                self.function(stmt)
            elif isinstance(stmt, ast.ClassDef):
                self.struct(stmt)
            else:
                self.bad(stmt, f"{type(stmt).__name__} statement at module level")

    def constant(self, stmt: ast.Assign | ast.AnnAssign) -> None:
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        value = stmt.value
        ok = (
            all(isinstance(t, ast.Name) and not t.id.startswith("_") for t in targets)
            and isinstance(value, ast.Call)
            and (_attr_path(value.func) or [""])[-1] == "constant"
            and self.warp_call(value.func)
        )
        if not ok:
            self.bad(stmt, "assignment other than `NAME = wp.constant(...)`")
            return
        assert isinstance(value, ast.Call)
        for a in [*value.args, *(k.value for k in value.keywords)]:
            self.type_expr(a)
        if isinstance(stmt, ast.AnnAssign):
            self.type_expr(stmt.annotation)


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
