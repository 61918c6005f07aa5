"""Root-cause keys: what a *reduced* kernel says about its bug, so failures found by different
kernels group when they shrink to the same thing.

A key is (stage, device pattern, verdict, kind of difference, shape). The shape is the kernel's
normalized AST (helpers it calls inlined at the call): names become their kinds (array parameter,
scalar parameter, local), literals their kinds (int, float, bool), dtypes their kinds (`float32`
and `float64` are both `float`); Warp builtins and operators stay, since they are the bug. The
kind of difference drops dtype widths the same way ("d/dfloat32:zero" -> "d/dfloat:zero").

Signatures (`fuzz.engine.signature`) list every construct on the differing path of the *original*
kernel, so two kernels with one root cause almost never share one; a reduced kernel has only what
the failure needs, and its shape is the cause.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any

from fuzz.engine.signature import Signature, failure_bucket, key_digest

_DTYPE = re.compile(r"^(?P<base>float|int|uint|bfloat)(?P<bits>\d+)$")
_COMPOSITE = re.compile(
    r"^(?P<base>vec|mat|quat|transform|spatial_vector|spatial_matrix)(?P<shape>\d*)(?P<t>[a-z]*)$"
)
_WIDTH = re.compile(r"\b(float|int|uint|bfloat)\d+\b")
_SKIP_FIELDS = frozenset({"ctx", "type_comment", "type_params", "kind", "returns", "decorator_list"})


def dtype_kind(name: str) -> str | None:
    """`float64` -> `float`, `vec3d` -> `vec3`, `int8` -> `int`; None when not a dtype name."""
    m = _DTYPE.match(name)
    if m:
        return "float" if m.group("base") == "bfloat" else m.group("base")
    m = _COMPOSITE.match(name)
    if m and (m.group("shape") or m.group("t")):
        return m.group("base") + m.group("shape")
    return None


def kind_of_difference(kind: str) -> str:
    """A signature's kind with dtype widths dropped: "float64:value" -> "float:value"."""
    return _WIDTH.sub(lambda m: m.group(1), kind)


class _Shaper:
    """Renders one kernel (and the helpers it calls) as a name- and literal-free string."""

    def __init__(self, kernel: ast.FunctionDef, helpers: dict[str, ast.FunctionDef]) -> None:
        self.helpers = helpers
        self.stack: list[str] = []
        self.roles: list[dict[str, str]] = [self._param_roles(kernel)]

    @staticmethod
    def _param_roles(fn: ast.FunctionDef) -> dict[str, str]:
        roles = {}
        for a in fn.args.args:
            ann = a.annotation
            text = ast.unparse(ann) if ann is not None else ""
            roles[a.arg] = "A" if "array" in text else "S"
        return roles

    def name(self, n: str) -> str:
        return self.roles[-1].get(n, "v")

    def render(self, node: Any) -> str:
        if isinstance(node, list):
            return "[" + ",".join(self.render(x) for x in node) + "]"
        if not isinstance(node, ast.AST):
            return "" if node is None else type(node).__name__
        if isinstance(node, ast.Name):
            return self.name(node.id)
        if isinstance(node, ast.Constant):
            v = node.value
            return "bool" if isinstance(v, bool) else type(v).__name__
        if isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and node.value.id == "wp":
                k = dtype_kind(node.attr)
                return f"wp.{k}" if k else f"wp.{node.attr}"
            if node.attr in ("x", "y", "z", "w"):
                return f"{self.render(node.value)}.c"
            return f"{self.render(node.value)}.f"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in self.helpers:
            return self._inline(node)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            return ""  # a docstring
        parts = [
            self.render(v) for f, v in ast.iter_fields(node) if f not in _SKIP_FIELDS and v not in (None, [])
        ]
        return f"{type(node).__name__}({','.join(p for p in parts if p)})"

    def _inline(self, call: ast.Call) -> str:
        """A helper call is its body with the arguments' kinds in the parameters' places."""
        assert isinstance(call.func, ast.Name)
        fn = self.helpers[call.func.id]
        args = [self.render(a) for a in call.args]
        if fn.name in self.stack:  # recursion is not Warp, but never loop on it
            return f"call({','.join(args)})"
        roles = {a.arg: f"p{k}" for k, a in enumerate(fn.args.args)}
        self.stack.append(fn.name)
        self.roles.append(roles)
        try:
            body = self.render(fn.body)
        finally:
            self.roles.pop()
            self.stack.pop()
        return f"func({','.join(args)}:{body})"


def kernel_shape(source: str, kernel_name: str) -> str:
    """The normalized AST of `kernel_name` in `source` ("" when it does not parse)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return ""
    funcs = {t.name: t for t in tree.body if isinstance(t, ast.FunctionDef)}
    kernel = funcs.pop(kernel_name, None)
    if kernel is None:
        return ""
    return _Shaper(kernel, funcs).render(kernel.body)


@dataclass(frozen=True)
class RootKey:
    """A reduced failure's root-cause key; `key()` groups, `digest()` names a group."""

    stage: str
    devices: str
    verdict: str
    kind: str
    shape: str

    def bucket(self) -> str:
        return failure_bucket(self.stage, self.devices, self.verdict, self.kind)

    def key(self) -> str:
        return self.bucket() + "|" + self.shape

    def digest(self) -> str:
        return key_digest(self.key())

    def to_json(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "devices": self.devices,
            "verdict": self.verdict,
            "kind": self.kind,
            "shape": self.shape,
            "digest": self.digest(),
        }


def root_key(signature: Signature, source: str, kernel_name: str) -> RootKey:
    """The key of a reduced kernel failing with `signature` (its own, not its original's)."""
    return RootKey(
        signature.stage,
        signature.devices,
        signature.verdict,
        kind_of_difference(signature.kind),
        kernel_shape(source, kernel_name),
    )
