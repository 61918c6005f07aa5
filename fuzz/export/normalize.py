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
import io
import json
import tokenize
from dataclasses import dataclass
from typing import Any

_PY_BUILTINS = frozenset(dir(builtins))
_KEEP = _PY_BUILTINS | {"wp", "warp"}


class NormalizeError(ValueError):
    """The source does not parse as Python (a stored case is damaged)."""


class _Renamer(ast.NodeTransformer):
    """Rename definitions in order of first appearance; leave outside names alone."""

    def __init__(self, kernel_name: str) -> None:
        self.kernel_name = kernel_name
        self.names: dict[str, str] = {}
        self.counts = {"func": 0, "struct": 0, "v": 0}

    def _new(self, old: str, kind: str) -> str:
        if old not in self.names:
            if old == self.kernel_name:
                self.names[old] = "kernel"
            else:
                self.names[old] = f"{kind}{self.counts[kind]}"
                self.counts[kind] += 1
        return self.names[old]

    def visit_FunctionDef(self, node: ast.FunctionDef) -> Any:
        node.name = self._new(node.name, "func")
        self._strip_docstring(node)
        self.generic_visit(node)
        return node

    def visit_ClassDef(self, node: ast.ClassDef) -> Any:
        node.name = self._new(node.name, "struct")
        self._strip_docstring(node)
        self.generic_visit(node)
        return node

    def visit_arg(self, node: ast.arg) -> Any:
        node.arg = self._new(node.arg, "v")
        self.generic_visit(node)
        return node

    def visit_Name(self, node: ast.Name) -> Any:
        if node.id in self.names:
            node.id = self.names[node.id]
        elif isinstance(node.ctx, ast.Store) and node.id not in _KEEP:
            node.id = self._new(node.id, "v")
        return node

    @staticmethod
    def _strip_docstring(node: ast.FunctionDef | ast.ClassDef) -> None:
        body = node.body
        if (
            len(body) > 1
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            del body[0]


def _predeclare(tree: ast.Module, renamer: _Renamer) -> None:
    """Name top-level definitions first, so a helper used before its definition maps consistently."""
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name != renamer.kernel_name:
            renamer._new(node.name, "func")
        elif isinstance(node, ast.ClassDef):
            renamer._new(node.name, "struct")
    renamer._new(renamer.kernel_name, "func")


def normalize_source(source: str, kernel_name: str) -> str:
    """Canonical text of a case's source (imports dropped, names canonicalized, layout fixed)."""
    try:
        tree = ast.parse(source)
    except SyntaxError as e:
        raise NormalizeError(f"kernel {kernel_name}: source does not parse ({e})") from e
    tree.body = [n for n in tree.body if not isinstance(n, ast.Import | ast.ImportFrom)]
    renamer = _Renamer(kernel_name)
    _predeclare(tree, renamer)
    tree = renamer.visit(tree)
    return ast.unparse(tree) + "\n"


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def pair_id(normalized: str, warp_version: str | None, codegen_options: dict[str, Any] | None) -> str:
    """Identity of a (source -> emitted code) pair: the same source under other codegen is another pair."""
    opts = json.dumps(codegen_options, sort_keys=True)
    return sha256_text("\0".join((normalized, str(warp_version), opts)))[:32]


def code_tokens(normalized: str) -> list[str]:
    """Token stream of normalized source (names already canonical), the unit of near-dup shingles."""
    toks: list[str] = []
    skip = {tokenize.NEWLINE, tokenize.NL, tokenize.COMMENT, tokenize.ENCODING, tokenize.ENDMARKER}
    for t in tokenize.generate_tokens(io.StringIO(normalized).readline):
        if t.type in skip:
            continue
        if t.type == tokenize.INDENT:
            toks.append("<in>")
        elif t.type == tokenize.DEDENT:
            toks.append("<de>")
        else:
            toks.append(t.string)
    return toks


def builtins_used(source: str) -> list[str]:
    """Sorted calls a kernel body makes to Warp builtins and Python builtins: ["range", "wp.sin", ...].

    Only calls inside function bodies count (annotations such as `wp.array(dtype=...)` are the
    signature, not the computation); calls to the case's own helpers are left out.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    found: set[str] = set()
    for fn in ast.walk(tree):
        if not isinstance(fn, ast.FunctionDef):
            continue
        for stmt in fn.body:
            for node in ast.walk(stmt):
                if not isinstance(node, ast.Call):
                    continue
                f = node.func
                if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "wp":
                    found.add(f"wp.{f.attr}")
                elif isinstance(f, ast.Name) and f.id in _PY_BUILTINS:
                    found.add(f.id)
    return sorted(found)


@dataclass(frozen=True)
class Normalized:
    """What export keeps of a source between its passes."""

    text: str
    source_sha: str
    tokens: tuple[str, ...]


def normalize(source: str, kernel_name: str) -> Normalized:
    text = normalize_source(source, kernel_name)
    return Normalized(text, sha256_text(text), tuple(code_tokens(text)))
