#!/usr/bin/env python3
# Generated from corpus/repro_script.py, template version 10: do not edit; regenerate with `python scripts/refresh_repro.py FOLDER`.
"""Standalone reproducer of one warpfuzz finding; needs only warp-lang and numpy.

It compiles kernel.py (beside this file), launches it on inputs.npz and checks the failure:
a mismatch against the reference values in expected.npz (per-element tolerance, elements
unstable under rounding skipped), a compile error, a launch error, a crash/hang (checked in
a child process), or a setting mismatch: the kernel built under Warp's baseline settings and
under the swept point meta.json names (`sweep_applied`: module options and wp.config flags),
launched on the same inputs, their outputs compared within the point's tolerance. Exit status: 1 while the failure is present, 0 once it is gone, 2 when this
machine cannot judge it (e.g. it needs a CUDA device), 3 when the folder is damaged (a file
missing or differing from meta.json's sha256) or kernel.py holds code outside the allow-list of
a corpus kernel: then nothing of kernel.py is imported. Warp's kernel cache goes to a temporary
folder that is removed at exit.

It imports kernel.py as a Warp module with its own few lines, not through warpfuzz's
`fuzz.engine.wpmodule.WarpModule` (every other place does): a reproducer must run where only
warp-lang and numpy are installed, so it is the one exception.

Usage: python repro.py [--device cpu|cuda:0]
"""

from __future__ import annotations

import atexit
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from typing import Any

import numpy as np

# ---- copied from corpus/folder_check.py ----
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
# ---- end of corpus/folder_check.py ----


# the template version this copy was made from: bump it with any change of this file or of
# corpus/folder_check.py, then regenerate the committed copies (scripts/refresh_repro.py);
# 8: the allow-list accepts generic kernels and their @wp.overload declarations
# 9: int32 and vec3f volumes, meshes with winding-number data
REPRO_TEMPLATE_VERSION = "10"
HERE = os.path.dirname(os.path.abspath(__file__))
CONFIG: dict[str, Any] = json.loads("{\"seed\": 200026, \"kernel\": \"k_200026\", \"verdict\": \"mismatch\", \"stage\": \"judge\", \"signature\": \"judge|cpu~oracle|mismatch|float64:value|float64,vec3d\", \"title\": \"seed 200026 (quaternion): mismatch at judge\", \"dim\": [32], \"devices\": [\"cpu\"], \"cuda_arch\": null, \"enable_backward\": true, \"cpu_opt_level\": null, \"elem_ndim\": {\"a1\": 1, \"a2\": 1, \"out3\": 1, \"out4\": 0}, \"timeout_s\": 60, \"gradient\": null}")
CACHE_PREFIX = "warp-repro-cache-"


def _temp_dir(what: str) -> str:
    """A temporary folder removed when this process exits (its name carries the pid, so the
    folder of a child that crashed is removed by the next run: `_sweep_temp_dirs`)."""
    path = tempfile.mkdtemp(prefix=f"{CACHE_PREFIX}{os.getpid()}-{what}-")
    atexit.register(shutil.rmtree, path, True)
    return path


def _sweep_temp_dirs() -> None:
    """Remove the temporary folders of earlier runs whose process is gone."""
    root = tempfile.gettempdir()
    for name in os.listdir(root):
        pid = name[len(CACHE_PREFIX) :].split("-", 1)[0]
        if not name.startswith(CACHE_PREFIX) or not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(os.path.join(root, name), ignore_errors=True)
        except OSError:
            pass


def _folder_problem() -> str:
    """Why this folder cannot be trusted (empty when it can): files changed since it was written,
    or a kernel.py outside the allow-list. Nothing is imported before this is empty."""
    try:
        with open(os.path.join(HERE, "meta.json"), encoding="utf-8") as f:
            meta = json.load(f)
    except (OSError, ValueError) as e:
        return f"{os.path.join(HERE, 'meta.json')}: unreadable ({e})"
    damaged, note = folder_damage(HERE, meta)
    if damaged:
        return "damaged: " + "; ".join(damaged)
    if note:
        print(f"note: {note}")
    with open(os.path.join(HERE, "kernel.py"), encoding="utf-8", errors="replace") as f:
        source = f.read()
    try:
        check_source(source, os.path.join(HERE, "kernel.py"))
    except UnsafeSource as e:
        return str(e)
    return ""


def _warp() -> Any:
    import warp as wp

    wp.config.quiet = True  # type: ignore[attr-defined]
    wp.config.kernel_cache_dir = _temp_dir("kernels")
    wp.init()
    return wp


def _kernel(wp: Any, tag: str = "", extra: dict[str, Any] | None = None) -> Any:
    """kernel.py's kernel in a module of its own (`tag` names a second one), built with the
    campaign's options plus `extra` (a swept point's module options)."""
    name = f"repro_{CONFIG['kernel']}_{os.getpid()}{tag}"
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, "kernel.py"))
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    options: dict[str, Any] = {"enable_backward": bool(CONFIG.get("enable_backward", False))}
    level = CONFIG.get("cpu_opt_level")  # the campaign's clang -O level for CPU code (None: Warp's default)
    cuda = any(str(d).startswith("cuda") for d in CONFIG.get("devices", [])) or bool(CONFIG.get("cuda_arch"))
    # a run that also compiled CUDA (on a GPU, or with NVRTC for cuda_arch) set the CPU level
    # through the CPU compiler flags (CUDA kept Warp's -O3, which a CUDA build failure may need);
    # the level changes no result, so here CPU+CUDA folders keep Warp's defaults
    if level is not None and not cuda and "optimization_level" in wp.get_module(name).options:
        options["optimization_level"] = level
    options.update(extra or {})
    wp.set_module_options(options, mod)
    return getattr(mod, CONFIG["kernel"])


def _load(module: Any, device: str) -> None:
    """Compile for `device` the variant `wp.launch` uses (CPU launches use block_dim=1 from 1.19)."""
    import inspect

    if "block_dim" in inspect.signature(module.load).parameters and device.startswith("cpu"):
        module.load(device, block_dim=1)
    else:
        module.load(device)


def _inputs() -> dict[str, Any]:
    data = np.load(os.path.join(HERE, "inputs.npz"))
    args: dict[str, Any] = {}
    for key in data.files:
        if "." in key:  # struct field "param.field"
            p, f = key.split(".", 1)
            args.setdefault(p, {})[f] = data[key]
        else:
            args[key] = data[key]
    return args


def _geometry(wp: Any, v: dict[str, Any], device: str) -> Any:
    """The wp.Mesh / HashGrid / Bvh / Volume a geometry argument's arrays describe (by their keys;
    a mesh with `rest` points is built on them, moved to `points` and refit; `winding`: with
    solid-angle data; a volume's voxels say its type: float32, int32 or vec3f (last axis 3))."""

    def arr(key: str, dtype: Any) -> Any:
        return wp.array(np.ascontiguousarray(v[key]), dtype=dtype, device=device)

    def one(key: str) -> float:
        return float(np.asarray(v[key]).reshape(()))

    if "indices" in v:
        mesh = wp.Mesh(
            points=arr("rest" if "rest" in v else "points", wp.vec3),
            indices=arr("indices", wp.int32),
            velocities=arr("velocities", wp.vec3),
            **({"support_winding_number": True} if "winding" in v else {}),
        )
        if "rest" in v:
            mesh.points.assign(arr("points", wp.vec3))
            mesh.refit()
        return mesh
    if "grid_points" in v:
        grid = wp.HashGrid(*(int(d) for d in np.asarray(v["grid_dims"]).reshape(3)), device=device)
        grid.build(arr("grid_points", wp.vec3), one("cell_width"))
        return grid
    if "lowers" in v:
        return wp.Bvh(arr("lowers", wp.vec3), arr("uppers", wp.vec3))
    vox = np.asarray(v["voxels"])  # its dtype and shape say the grid's type (vec3f: last axis 3)
    bg: Any
    if vox.ndim == 4:
        data, bg = (
            np.ascontiguousarray(vox, dtype=np.float32),
            tuple(float(x) for x in np.asarray(v["bg"]).reshape(3)),
        )
    elif vox.dtype.kind in "iu":
        data, bg = np.ascontiguousarray(vox, dtype=np.int32), int(np.asarray(v["bg"]).reshape(()))
    else:
        data, bg = np.ascontiguousarray(vox, dtype=np.float32), one("bg")
    return wp.Volume.load_from_numpy(
        data,
        min_world=tuple(float(x) for x in np.asarray(v["min_world"]).reshape(3)),
        voxel_size=one("voxel_size"),
        bg_value=bg,
        device=device,
    )


def _to_warp(wp: Any, t: Any, v: Any, device: str) -> Any:
    if isinstance(v, dict) and t is wp.uint64:  # a geometry object: the kernel gets its id
        return _geometry(wp, v, device)
    if wp.types.is_array(t):
        scalar = getattr(t.dtype, "_wp_scalar_type_", t.dtype)
        return wp.array(
            np.ascontiguousarray(v, dtype=wp.dtype_to_numpy(scalar)), dtype=t.dtype, device=device
        )
    if hasattr(t, "vars") and hasattr(t, "cls"):  # a @wp.struct
        inst = t()
        for name, var in t.vars.items():
            setattr(inst, name, _to_warp(wp, var.type, v[name], device))
        return inst
    if hasattr(t, "_wp_scalar_type_") and hasattr(t, "_shape_"):  # vector / matrix value
        return t(*np.asarray(v).reshape(-1).tolist())
    return t(np.asarray(v).item())


def _launch(wp: Any, kernel: Any, device: str) -> dict[str, np.ndarray]:
    args = _inputs()
    warp_args, arrays, keep = [], {}, []
    for arg in kernel.adj.args:
        v = _to_warp(wp, arg.type, args[arg.label], device)
        if hasattr(v, "id") and arg.type is wp.uint64:
            keep.append(v)  # the object must outlive the launch
            v = v.id
        if wp.types.is_array(arg.type):
            arrays[arg.label] = v
        warp_args.append(v)
    wp.launch(kernel, dim=tuple(CONFIG["dim"]), inputs=warp_args, device=device)
    wp.synchronize_device(device)
    return {n: a.numpy() for n, a in arrays.items()}


def _bad(obs: np.ndarray, exp: np.ndarray, tol: np.ndarray, unstable: np.ndarray) -> np.ndarray:
    """Elements outside tolerance (NaN matches only NaN, an infinity only the same infinity)."""
    if exp.dtype.kind == "f":
        o, e = obs.astype(np.float64), exp.astype(np.float64)
        both_nan = np.isnan(o) & np.isnan(e)
        same_inf = np.isinf(o) & np.isinf(e) & (np.sign(o) == np.sign(e))
        with np.errstate(invalid="ignore", over="ignore"):
            diff = np.abs(o - e)
        diff[both_nan | same_inf] = 0.0
        diff[np.isnan(diff)] = np.inf
        special = (np.isnan(o) != np.isnan(e)) | ((np.isinf(o) | np.isinf(e)) & ~same_inf & ~both_nan)
        return ((diff > tol) | special) & ~unstable
    return (obs != exp) & ~unstable


def _check_mismatch(outs: dict[str, dict[str, np.ndarray]]) -> int:
    ref = np.load(os.path.join(HERE, "expected.npz"))
    failing = 0
    for device, observed in outs.items():
        for name in sorted(k for k in ref.files if "__" not in k):
            exp = ref[name]
            obs = observed[name]
            if obs.shape != exp.shape:
                print(f"{device}: {name}: shape {obs.shape}, expected {exp.shape}")
                failing += 1
                continue
            bad = _bad(obs, exp, ref[name + "__tol"], ref[name + "__unstable"])
            nd = int(CONFIG["elem_ndim"].get(name, 0))
            elem_bad = bad.any(axis=tuple(range(bad.ndim - nd, bad.ndim))) if nd else bad
            n_bad = int(elem_bad.sum())
            if not n_bad:
                print(f"{device}: {name}: all {elem_bad.size} elements agree")
                continue
            failing += 1
            print(f"{device}: {name}: {n_bad}/{elem_bad.size} elements differ; first ones:")
            for idx in list(zip(*np.nonzero(elem_bad), strict=True))[:5]:
                tol = ref[name + "__tol"][idx]
                where = ", ".join(str(int(k)) for k in idx)
                print(
                    f"  [{where}] observed {obs[idx].tolist()} expected {exp[idx].tolist()} tolerance {tol.tolist()}"
                )
    return 1 if failing else 0


def _check_gradient(wp: Any, kernel: Any, device: str) -> int:
    """Warp's adjoint of one input element under loss = sum(float outputs), against a central
    finite difference of the same loss through Warp's own forward code (float64 sums)."""
    g = CONFIG.get("gradient")
    if not g:
        print("no gradient target recorded; judge with `python -m fuzz replay`")
        return 2
    args = _inputs()
    name, index = g["input"], tuple(g["index"])

    keep: list[Any] = []  # geometry objects outlive their launches

    def run(values: dict[str, Any], tape: Any = None) -> tuple[float, dict[str, Any]]:
        warp_args, arrays = [], {}
        for arg in kernel.adj.args:
            v = _to_warp(wp, arg.type, values[arg.label], device)
            if hasattr(v, "id") and arg.type is wp.uint64:
                keep.append(v)
                v = v.id
            if wp.types.is_array(arg.type):
                v.requires_grad = arg.label == name or arg.label in g["outputs"]
                arrays[arg.label] = v
            warp_args.append(v)
        if tape is not None:
            with tape:
                wp.launch(kernel, dim=tuple(CONFIG["dim"]), inputs=warp_args, device=device)
        else:
            wp.launch(kernel, dim=tuple(CONFIG["dim"]), inputs=warp_args, device=device)
        wp.synchronize_device(device)
        loss = sum(float(np.sum(arrays[o].numpy().astype(np.float64))) for o in g["outputs"])
        return loss, arrays

    tape = wp.Tape()
    _, arrays = run(args, tape)
    tape.backward(grads={arrays[o]: wp.ones_like(arrays[o]) for o in g["outputs"]})
    analytic = float(arrays[name].grad.numpy()[index])
    x = float(np.asarray(args[name])[index])
    h = 1e-3 * max(1.0, abs(x))

    def copy() -> dict[str, Any]:
        return {k: np.array(v, copy=True) if isinstance(v, np.ndarray) else v for k, v in args.items()}

    plus, minus = copy(), copy()
    plus[name][index] = x + h
    minus[name][index] = x - h
    fd = (run(plus)[0] - run(minus)[0]) / (float(plus[name][index]) - float(minus[name][index]))
    tol = 1e-2 * max(1.0, abs(fd))
    print(
        f"{device}: d loss / d {name}{list(index)}: Warp {analytic!r}, finite differences {fd!r} (tolerance {tol:.3g})"
    )
    return 1 if not abs(analytic - fd) <= tol else 0


class _Flags:
    """wp.config flags set for a `with` block and restored after it."""

    def __init__(self, wp: Any, flags: dict[str, Any]) -> None:
        self.wp, self.flags = wp, flags
        self.old: dict[str, Any] = {}

    def __enter__(self) -> None:
        for k, v in self.flags.items():
            self.old[k] = getattr(self.wp.config, k)
            setattr(self.wp.config, k, v)

    def __exit__(self, *exc: object) -> None:
        for k, v in self.old.items():
            setattr(self.wp.config, k, v)


def _check_setting(wp: Any, devices: list[str]) -> int:
    """Baseline against the swept point of meta.json: 1 while the point's outputs differ (or it
    alone fails to build or launch), 0 once they agree, 2 when this machine cannot judge it."""
    with open(os.path.join(HERE, "meta.json"), encoding="utf-8") as f:
        applied = json.load(f).get("sweep_applied") or {}
    if not applied:
        print("no swept point recorded in meta.json; judge with `python -m fuzz replay`")
        return 2
    point, how = next(iter(applied.items()))
    probe = wp.get_module(f"repro_probe_{os.getpid()}")
    lacking = [k for k in how["options"] if k not in probe.options]
    lacking += [f"wp.config.{k}" for k in how["config"] if not hasattr(wp.config, k)]
    if lacking:
        print(f"note: warp {wp.__version__} lacks {', '.join(lacking)}: {point} cannot be judged here")
        return 2
    devs = [d for d in devices if d.split(":")[0] in how["devices"]]
    if not devs:
        print(f"cannot judge here: {point} concerns {'/'.join(how['devices'])} only")
        return 2
    base: dict[str, dict[str, np.ndarray]] = {}
    try:
        kernel = _kernel(wp)
        for d in devs:
            _load(kernel.module, d)
            base[d] = _launch(wp, kernel, d)
    except Exception as e:
        print(f"the baseline build fails now ({type(e).__name__}: {e}); judge with `python -m fuzz replay`")
        return 2
    swept: dict[str, dict[str, np.ndarray]] = {}
    with _Flags(wp, how["config"]):
        try:
            kernel = _kernel(wp, "_point", how["options"])
            for d in devs:
                _load(kernel.module, d)
                swept[d] = _launch(wp, kernel, d)
        except Exception as e:
            print(f"{point}: fails only under this setting: {type(e).__name__}: {e}")
            return 1
    ref = np.load(os.path.join(HERE, "expected.npz"))
    rule = how["tolerance"]
    failing = 0
    for d in devs:
        for name in sorted(k for k in ref.files if "__" not in k):
            b, o = base[d][name], swept[d][name]
            unstable = ref[name + "__unstable"]
            tol = ref[name + "__tol"] * float(rule["scale"]) + float(rule["abs_floor"])
            if rule["skip_nonfinite"] and b.dtype.kind == "f":
                unstable = unstable | ~np.isfinite(b)
            bad = _bad(o, b, tol, unstable)
            if not bad.any():
                print(f"{d}: {name}: {point} agrees with the baseline")
                continue
            failing += 1
            idx = tuple(int(k) for k in np.argwhere(bad)[0])
            print(f"{point} on {d}: {name}{list(idx)} {o[idx].tolist()} != baseline {b[idx].tolist()}")
    return 1 if failing else 0


def _devices(wp: Any, asked: str | None) -> list[str]:
    if asked:
        return [asked]
    have = [d for d in CONFIG["devices"] if d == "cpu" or wp.is_cuda_available()]
    return have


def check(asked: str | None) -> int:
    verdict = CONFIG["verdict"]
    wp = _warp()
    devices = _devices(wp, asked)
    print(f"warp {wp.__version__}; {CONFIG['title']}")
    if verdict == "setting_mismatch":
        return _check_setting(wp, devices)
    cuda_compile = CONFIG["stage"] == "compile:cuda" and not wp.is_cuda_available()
    if not devices and not cuda_compile:
        print(f"cannot judge here: needs one of {CONFIG['devices']}")
        return 2
    try:
        kernel = _kernel(wp)
        if cuda_compile:  # compile the CUDA code with NVRTC, no GPU needed
            wp.compile_aot_module(
                kernel.module, arch=int(CONFIG.get("cuda_arch") or 90), module_dir=_temp_dir("aot")
            )
        for d in devices:
            _load(kernel.module, d)
    except Exception as e:
        print(f"compile error: {type(e).__name__}: {e}")
        return 1
    if verdict == "compile_error":
        print("the kernel compiles now")
        return 0
    if verdict == "gradient_mismatch":
        return max(_check_gradient(wp, kernel, d) for d in devices)
    outs: dict[str, dict[str, np.ndarray]] = {}
    for d in devices:
        try:
            outs[d] = _launch(wp, kernel, d)
        except Exception as e:
            print(f"launch error on {d}: {type(e).__name__}: {e}")
            return 1
    if verdict == "mismatch":
        return _check_mismatch(outs)
    if verdict == "launch_error":
        print("the kernel launches now")
        return 0
    if verdict in ("crash", "timeout"):
        print("ran to completion")
        return 0
    for d, o in outs.items():
        for n, a in o.items():
            print(f"{d}: {n} = {np.array2string(a.reshape(-1)[:8], threshold=8)} ...")
    print(f"verdict {verdict!r} concerns warpfuzz itself; judge it with `python -m fuzz replay {HERE}`")
    return 2


def main(argv: list[str]) -> int:
    asked = argv[argv.index("--device") + 1] if "--device" in argv else None
    if "--child" not in argv:
        _sweep_temp_dirs()
    problem = "" if "--child" in argv else _folder_problem()
    if problem:
        print(f"cannot judge: {problem}")
        return DAMAGED_EXIT
    if "--child" in argv or CONFIG["verdict"] not in ("crash", "timeout"):
        return check(asked)
    # a crash or hang kills the process: run the check in a child and read its fate
    cmd = [sys.executable, os.path.abspath(__file__), "--child", *argv]
    try:
        proc = subprocess.run(cmd, timeout=float(CONFIG.get("timeout_s", 60)), capture_output=True, text=True)
    except subprocess.TimeoutExpired:
        print(f"hang: no answer within {CONFIG.get('timeout_s', 60)} s")
        return 1
    sys.stdout.write(proc.stdout)
    if proc.returncode < 0 or proc.returncode > DAMAGED_EXIT:
        print(f"crash: the child exited with status {proc.returncode}")
        print(proc.stderr[-2000:])
        return 1
    return proc.returncode


if __name__ == "__main__":
    if not CONFIG:
        sys.exit(f"{__file__}: this is the template; run the repro.py of a corpus folder")
    print(json.dumps({k: CONFIG[k] for k in ("seed", "verdict", "signature")}))
    sys.exit(main(sys.argv[1:]))
