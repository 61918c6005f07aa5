"""Normalized kernel source: the identity used for pair ids and exact dedup.

Two generated kernels that differ only in the kernel's name, the names of their parameters,
locals, helpers and structs, whitespace or comments are the same training example. The
normalized form renames every name the case defines to a positional placeholder (`kernel`,
`func0`, `struct0`, `v0`, ...) and prints the tree back with `ast.unparse`, which drops comments
and fixes the layout. Names the case does not define (`wp`, `range`, `int`, ...) and attribute
names (`wp.sin`, struct fields) are kept: they carry the semantics.
"""

from __future__ import annotations

import ast
import builtins
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

_PY_BUILTINS = frozenset(dir(builtins))
_KEEP = _PY_BUILTINS | {"wp", "warp"}


class NormalizeError(ValueError):
    """The source does not parse as Python (a stored case is damaged)."""


class _Canonicalizer(ast.NodeVisitor):
    """Rename definitions in place, in order of first appearance (depth-first, source order);
    leave outside names alone; collect the builtins the function bodies call.

    A visitor that mutates in place instead of a NodeTransformer: export normalizes every case,
    and rebuilding each node list costs twice the time for the same result.
    """

    def __init__(self, kernel_name: str) -> None:
        self.kernel_name = kernel_name
        self.names: dict[str, str] = {}
        self.counts = {"func": 0, "struct": 0, "v": 0}
        self.calls: set[str] = set()
        self.in_body = False

    def _new(self, old: str, kind: str) -> str:
        if old not in self.names:
            if old == self.kernel_name:
                self.names[old] = "kernel"
            else:
                self.names[old] = f"{kind}{self.counts[kind]}"
                self.counts[kind] += 1
        return self.names[old]

    def predeclare(self, tree: ast.Module) -> None:
        """Name top-level definitions first, so a helper used before its definition maps consistently."""
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name != self.kernel_name:
                self._new(node.name, "func")
            elif isinstance(node, ast.ClassDef):
                self._new(node.name, "struct")
        self._new(self.kernel_name, "func")

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        node.name = self._new(node.name, "func")
        _strip_docstring(node)
        outer = self.in_body
        self.in_body = False  # decorators, parameters and annotations are the signature
        for d in node.decorator_list:
            self.visit(d)
        self.visit(node.args)
        if node.returns is not None:
            self.visit(node.returns)
        self.in_body = True
        for stmt in node.body:
            self.visit(stmt)
        self.in_body = outer

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        node.name = self._new(node.name, "struct")
        _strip_docstring(node)
        self.generic_visit(node)

    def visit_arg(self, node: ast.arg) -> None:
        node.arg = self._new(node.arg, "v")
        if node.annotation is not None:
            self.visit(node.annotation)

    def visit_Name(self, node: ast.Name) -> None:
        if node.id in self.names:
            node.id = self.names[node.id]
        elif isinstance(node.ctx, ast.Store) and node.id not in _KEEP:
            node.id = self._new(node.id, "v")

    def visit_Call(self, node: ast.Call) -> None:
        if self.in_body:
            f = node.func
            if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "wp":
                self.calls.add(f"wp.{f.attr}")
            elif isinstance(f, ast.Name) and f.id in _PY_BUILTINS and f.id not in self.names:
                self.calls.add(f.id)
        self.generic_visit(node)


def _strip_docstring(node: ast.FunctionDef | ast.ClassDef) -> None:
    body = node.body
    if (
        len(body) > 1
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        del body[0]


def _parse(source: str, kernel_name: str) -> ast.Module:
    try:
        return ast.parse(source)
    except SyntaxError as e:
        raise NormalizeError(f"kernel {kernel_name}: source does not parse ({e})") from e


def _canonical(source: str, kernel_name: str) -> tuple[str, list[str]]:
    tree = _parse(source, kernel_name)
    tree.body = [n for n in tree.body if not isinstance(n, ast.Import | ast.ImportFrom)]
    canon = _Canonicalizer(kernel_name)
    canon.predeclare(tree)
    canon.visit(tree)
    return ast.unparse(tree) + "\n", sorted(canon.calls)


def normalize_source(source: str, kernel_name: str) -> str:
    """Canonical text of a case's source (imports dropped, names canonicalized, layout fixed)."""
    return _canonical(source, kernel_name)[0]


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def pair_id(normalized: str, warp_version: str | None, codegen_options: dict[str, Any] | None) -> str:
    """Identity of a (source -> emitted code) pair: the same source under other codegen is another pair."""
    opts = json.dumps(codegen_options, sort_keys=True)
    return sha256_text("\0".join((normalized, str(warp_version), opts)))[:32]


_TOKEN = re.compile(r"[A-Za-z_]\w*|\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|\S")


def code_tokens(normalized: str) -> list[str]:
    """Token stream of normalized source (names already canonical), the unit of near-dup shingles.

    `ast.unparse` output is regular (4-space indents, one statement a line), so a regex splits it
    as well as `tokenize` does, at a tenth of the cost; each line starts with its indent depth.
    """
    toks: list[str] = []
    for line in normalized.splitlines():
        body = line.lstrip(" ")
        if not body:
            continue
        toks.append(f"<{(len(line) - len(body)) // 4}>")
        toks.extend(_TOKEN.findall(body))
    return toks


def builtins_used(source: str) -> list[str]:
    """Sorted calls a kernel body makes to Warp builtins and Python builtins: ["range", "wp.sin", ...].

    Only calls inside function bodies count (annotations such as `wp.array(dtype=...)` are the
    signature, not the computation); calls to the case's own helpers are left out.
    """
    try:
        return _canonical(source, "")[1]
    except NormalizeError:
        return []


@dataclass(frozen=True)
class Normalized:
    """What export keeps of a source between its passes."""

    text: str
    source_sha: str
    tokens: tuple[str, ...]
    builtins: tuple[str, ...]


def normalize(source: str, kernel_name: str) -> Normalized:
    """Normalized text, its hash, its tokens and the builtins called: one parse per case."""
    text, calls = _canonical(source, kernel_name)
    return Normalized(text, sha256_text(text), tuple(code_tokens(text)), tuple(calls))
