"""Warp's type model as the oracle needs it, built from source annotations alone.

Scalars carry their NumPy dtype and rounding unit; composites (vectors, matrices, quaternions,
transforms) are a scalar type plus a component shape, matching the argument representation of
`fuzz.launch` (vec3f -> trailing axis of 3, mat33f -> trailing (3, 3)).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

import numpy as np

from oracle.errors import Unsupported

SCALAR_NAMES: tuple[str, ...] = (
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float16",
    "float32",
    "float64",
    "bool",
)

_UNIT_ROUNDOFF = {"float16": 2.0**-11, "float32": 2.0**-24, "float64": 2.0**-53}


@dataclass(frozen=True)
class Scalar:
    """A Warp scalar type, named as after `wp.` (bool included)."""

    name: str

    @property
    def np(self) -> np.dtype:
        return np.dtype(np.bool_ if self.name == "bool" else self.name)

    @property
    def is_float(self) -> bool:
        return self.name.startswith("float")

    @property
    def is_int(self) -> bool:
        return "int" in self.name

    @property
    def is_bool(self) -> bool:
        return self.name == "bool"

    @property
    def signed(self) -> bool:
        return self.name.startswith("int")

    @property
    def bits(self) -> int:
        return 8 if self.is_bool else self.np.itemsize * 8

    @property
    def u(self) -> float:
        """Unit roundoff (half an ulp at 1) of a float type."""
        return _UNIT_ROUNDOFF[self.name]

    @property
    def int_range(self) -> tuple[int, int]:
        info = np.iinfo(self.np)
        return int(info.min), int(info.max)

    @property
    def shape(self) -> tuple[int, ...]:
        return ()

    @property
    def scalar(self) -> Scalar:
        return self

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Composite:
    """vec/mat/quat/transform of a scalar type; `name` is Warp's (vec3f, mat33d, quatf...)."""

    kind: str
    shape: tuple[int, ...]
    scalar: Scalar
    name: str

    @property
    def np(self) -> np.dtype:
        return self.scalar.np

    @property
    def is_float(self) -> bool:
        return self.scalar.is_float

    @property
    def is_int(self) -> bool:
        return self.scalar.is_int

    @property
    def is_bool(self) -> bool:
        return False

    def __str__(self) -> str:
        return self.name


ValueType = Scalar | Composite


@dataclass(frozen=True)
class ArrayT:
    dtype: ValueType
    ndim: int

    def __str__(self) -> str:
        return f"array{self.ndim}d({self.dtype})"


@dataclass(frozen=True)
class StructT:
    name: str
    fields: tuple[tuple[str, ValueType | ArrayT], ...]

    def field(self, name: str) -> ValueType | ArrayT | None:
        return dict(self.fields).get(name)


AnyType = Scalar | Composite | ArrayT | StructT

FLOAT32 = Scalar("float32")
FLOAT64 = Scalar("float64")
FLOAT16 = Scalar("float16")
INT32 = Scalar("int32")
INT64 = Scalar("int64")
BOOL = Scalar("bool")

_SUFFIX = {"f": "float32", "d": "float64", "h": "float16", "i": "int32", "ui": "uint32", "b": "int8"}
_SCALAR_SUFFIX = {"float32": "f", "float64": "d", "float16": "h", "int32": "i"}


def composite_name(kind: str, shape: tuple[int, ...], scalar: Scalar) -> str:
    suffix = _SCALAR_SUFFIX.get(scalar.name, scalar.name)
    if kind == "vec":
        return f"vec{shape[0]}{suffix}"
    if kind == "mat":
        return f"mat{shape[0]}{shape[1]}{suffix}"
    return f"{kind}{suffix}"


def make_vec(n: int, scalar: Scalar) -> Composite:
    return Composite("vec", (n,), scalar, composite_name("vec", (n,), scalar))


def make_mat(r: int, c: int, scalar: Scalar) -> Composite:
    return Composite("mat", (r, c), scalar, composite_name("mat", (r, c), scalar))


def make_quat(scalar: Scalar) -> Composite:
    return Composite("quat", (4,), scalar, composite_name("quat", (4,), scalar))


def make_transform(scalar: Scalar) -> Composite:
    return Composite("transform", (7,), scalar, composite_name("transform", (7,), scalar))


def composite_from_name(name: str) -> Composite | None:
    """Parse a Warp composite type name: vec3, vec3f, vec2d, mat33, mat44f, quat, quatd, transformf."""
    for kind in ("transform", "quat", "vec", "mat"):
        if not name.startswith(kind):
            continue
        rest = name[len(kind) :]
        digits = ""
        while rest and rest[0].isdigit():
            digits += rest[0]
            rest = rest[1:]
        scalar_name = _SUFFIX.get(rest) if rest else "float32"
        if scalar_name is None:
            return None
        scalar = Scalar(scalar_name)
        if kind == "vec" and len(digits) == 1 and digits in "234":
            return make_vec(int(digits), scalar)
        if kind == "mat" and len(digits) == 2 and digits[0] == digits[1] and digits[0] in "234":
            return make_mat(int(digits[0]), int(digits[1]), scalar)
        if kind == "quat" and not digits:
            return make_quat(scalar)
        if kind == "transform" and not digits:
            return make_transform(scalar)
    return None


def scalar_from_name(name: str) -> Scalar | None:
    if name in SCALAR_NAMES:
        return Scalar(name)
    return {"float": FLOAT32, "int": INT32}.get(name)


def wp_attr(node: ast.expr) -> str | None:
    """`wp.name` -> "name" (also `warp.name`); None otherwise."""
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id in ("wp", "warp")
    ):
        return node.attr
    return None


def parse_value_type(node: ast.expr, structs: dict[str, StructT]) -> ValueType | StructT:
    """A scalar/composite/struct annotation: `float`, `int`, `wp.int8`, `wp.vec3f`, `MyStruct`."""
    name = wp_attr(node)
    if name is None and isinstance(node, ast.Name):
        if node.id in structs:
            return structs[node.id]
        if node.id in ("float", "int", "bool"):
            return scalar_from_name(node.id) or BOOL
        raise Unsupported(f"annotation {node.id}", node.lineno)
    if name is not None:
        s = scalar_from_name(name)
        if s is not None:
            return s
        c = composite_from_name(name)
        if c is not None:
            return c
    raise Unsupported(f"annotation {ast.unparse(node)}", getattr(node, "lineno", 0))


def parse_annotation(node: ast.expr, structs: dict[str, StructT]) -> AnyType:
    """Any parameter/field annotation, arrays included (`wp.array(dtype=..., ndim=2)`, `wp.array2d`)."""
    if isinstance(node, ast.Call):
        fname = wp_attr(node.func)
        if fname in ("array", "array1d", "array2d", "array3d", "array4d"):
            ndim = 1 if fname in ("array", "array1d") else int(fname[5])
            dtype_node: ast.expr | None = node.args[0] if node.args else None
            for kw in node.keywords:
                if kw.arg == "dtype":
                    dtype_node = kw.value
                elif kw.arg == "ndim" and isinstance(kw.value, ast.Constant):
                    ndim = int(kw.value.value)  # type: ignore[arg-type]
                else:
                    raise Unsupported(f"array annotation keyword {kw.arg}", node.lineno)
            if dtype_node is None:
                raise Unsupported("array annotation without dtype", node.lineno)
            dt = parse_value_type(dtype_node, structs)
            if isinstance(dt, StructT):
                raise Unsupported("array of structs", node.lineno)
            if ndim > 3:
                raise Unsupported(f"array of {ndim} dimensions", node.lineno)
            return ArrayT(dt, ndim)
        raise Unsupported(f"annotation {ast.unparse(node)}", node.lineno)
    return parse_value_type(node, structs)
