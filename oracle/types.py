"""Warp's type model as the oracle needs it, built from source annotations alone.

Scalars carry their NumPy dtype and rounding unit; composites (vectors, matrices, quaternions,
transforms) are a scalar type plus a component shape, matching the argument representation of
`fuzz.engine.launch` (vec3f -> trailing axis of 3, mat33f -> trailing (3, 3)).
"""

from __future__ import annotations

import ast
import functools
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


# a scalar's NumPy dtype and integer range, looked up once per name: the interpreter asks for
# them at nearly every operation, and np.dtype / np.iinfo construction dominated that lookup
@functools.cache
def _np_dtype(name: str) -> np.dtype:
    return np.dtype(np.bool_ if name == "bool" else name)


@functools.cache
def _int_range(name: str) -> tuple[int, int]:
    info = np.iinfo(_np_dtype(name))
    return int(info.min), int(info.max)


@dataclass(frozen=True)
class Scalar:
    """A Warp scalar type, named as after `wp.` (bool included)."""

    name: str

    @property
    def np(self) -> np.dtype:
        return _np_dtype(self.name)

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
        return _int_range(self.name)

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
    fields: tuple[tuple[str, ValueType | ArrayT | StructT], ...]

    def field(self, name: str) -> ValueType | ArrayT | StructT | None:
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


class TypeScope(dict[str, StructT]):
    """The @wp.struct types of a module by name, plus its module-level type aliases
    (`Float = wp.float32`, `vec5 = wp.types.vector(5, dtype=float)`) as unevaluated expressions.

    A dict of structs (what older callers pass) works wherever a TypeScope is expected."""

    def __init__(self, structs: dict[str, StructT] | None = None, aliases: dict[str, ast.expr] | None = None):
        super().__init__(structs or {})
        self.aliases: dict[str, ast.expr] = dict(aliases or {})
        self.broken: dict[str, Unsupported] = {}  # structs whose fields the oracle cannot model


ARRAY_KINDS = {"array": 1, "array1d": 1, "array2d": 2, "array3d": 3, "array4d": 4}
_MAX_ALIAS_DEPTH = 16
ORACLE_MAX_ARRAY_NDIM = 4


def type_path(node: ast.expr) -> str | None:
    """`wp.x` -> "x", `wp.types.x` / `warp.types.x` -> "x", `typing.Any` / `Any` -> "Any"."""
    name = wp_attr(node)
    if name is not None:
        return name
    if isinstance(node, ast.Attribute):
        inner = node.value
        if isinstance(inner, ast.Attribute) and inner.attr == "types" and wp_attr(inner) == "types":
            return node.attr
        if isinstance(inner, ast.Name) and inner.id == "typing":
            return node.attr
    return None


def is_array_annotation(node: ast.expr | None) -> bool:
    """Whether an annotation is an array in any form Warp accepts: `wp.array(dtype=T)`,
    `wp.array2d(...)`, `wp.array[T]`, `wp.array3d[T]`, `wp.types.array[T]`, `wp.indexedarray[T]`
    (syntax only: aliases need a TypeScope, see parse_annotation)."""
    head = (
        node.func if isinstance(node, ast.Call) else node.value if isinstance(node, ast.Subscript) else None
    )
    return head is not None and (type_path(head) in ARRAY_KINDS or type_path(head) == "indexedarray")


def _aliases(structs: dict[str, StructT]) -> dict[str, ast.expr]:
    return structs.aliases if isinstance(structs, TypeScope) else {}


def _resolve_alias(node: ast.expr, structs: dict[str, StructT], depth: int) -> ast.expr:
    """Follow module-level aliases (`Float = wp.float32`) to the expression they name."""
    aliases = _aliases(structs)
    while isinstance(node, ast.Name) and node.id in aliases and node.id not in structs:
        depth += 1
        if depth > _MAX_ALIAS_DEPTH:
            raise Unsupported(f"type alias cycle through {node.id}", node.lineno)
        line = node.lineno
        node = aliases[node.id]
        if not hasattr(node, "lineno"):
            node.lineno = line  # type: ignore[attr-defined]
    return node


def _int_arg(node: ast.Call, pos: int, kw: str) -> ast.expr | None:
    for k in node.keywords:
        if k.arg == kw:
            return k.value
    return node.args[pos] if len(node.args) > pos else None


def _const_int(node: ast.expr | None, what: str, lineno: int) -> int:
    if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
        return node.value
    raise Unsupported(
        f"{what} that is not an integer literal", lineno, ast.unparse(node) if node else "missing"
    )


def _generic_composite(node: ast.Call, kind: str, structs: dict[str, StructT], depth: int) -> Composite:
    """`wp.types.vector(length=N, dtype=T)` / `wp.types.matrix(shape=(R, C), dtype=T)` (also `wp.vec`, `wp.mat`)."""
    line = node.lineno
    dt_node = _int_arg(node, 1, "dtype")
    scalar = FLOAT32 if dt_node is None else parse_value_type(dt_node, structs, depth + 1)
    if not isinstance(scalar, Scalar):
        raise Unsupported(f"{kind} of {scalar}", line, ast.unparse(node))
    if kind == "vector":
        n = _const_int(_int_arg(node, 0, "length"), "vector length", line)
        if not 2 <= n <= 4:
            raise Unsupported(
                f"vector of length {n}", line, f"{ast.unparse(node)}: the oracle models vec2-vec4"
            )
        return make_vec(n, scalar)
    shape = _int_arg(node, 0, "shape")
    if not isinstance(shape, ast.Tuple) or len(shape.elts) != 2:
        raise Unsupported("matrix shape that is not a literal (rows, cols)", line, ast.unparse(node))
    r, c = (_const_int(e, "matrix dimension", line) for e in shape.elts)
    if r != c or not 2 <= r <= 4:
        raise Unsupported(
            f"matrix of shape {r}x{c}", line, f"{ast.unparse(node)}: the oracle models square 2-4"
        )
    return make_mat(r, c, scalar)


def parse_value_type(node: ast.expr, structs: dict[str, StructT], depth: int = 0) -> ValueType | StructT:
    """A scalar/composite/struct annotation: `float`, `int`, `wp.int8`, `wp.vec3f`, `MyStruct`,
    an alias of one, `wp.types.vector(length=3, dtype=float)`."""
    node = _resolve_alias(node, structs, depth)
    line = getattr(node, "lineno", 0)
    if isinstance(node, ast.Name):
        if node.id in structs:
            return structs[node.id]
        if isinstance(structs, TypeScope) and node.id in structs.broken:
            raise structs.broken[node.id]
        if node.id in ("float", "int", "bool"):
            return scalar_from_name(node.id) or BOOL
        if node.id == "Any":
            raise Unsupported(
                "typing.Any generic", line, "the oracle needs concrete types; Warp specializes per call"
            )
        raise Unsupported(f"annotation {node.id}", line)
    if isinstance(node, ast.Call):
        fname = type_path(node.func)
        if fname in ("vector", "vec"):
            return _generic_composite(node, "vector", structs, depth)
        if fname in ("matrix", "mat"):
            return _generic_composite(node, "matrix", structs, depth)
        raise Unsupported(f"annotation {ast.unparse(node)}", line)
    name = type_path(node)
    if name == "Any":
        raise Unsupported(
            "typing.Any generic", line, "the oracle needs concrete types; Warp specializes per call"
        )
    if name is not None:
        s = scalar_from_name(name)
        if s is not None:
            return s
        c = composite_from_name(name)
        if c is not None:
            return c
    raise Unsupported(f"annotation {ast.unparse(node)}", line)


def _array(
    kind: str, dtype_node: ast.expr | None, ndim: int, structs: dict[str, StructT], depth: int, node: ast.expr
) -> ArrayT:
    line = getattr(node, "lineno", 0)
    if kind == "indexedarray":
        raise Unsupported(
            "indexed array (wp.indexedarray)", line, "the oracle does not model index indirection"
        )
    if kind in ("fabricarray", "indexedfabricarray"):
        raise Unsupported(f"wp.{kind}", line)
    if dtype_node is None:
        raise Unsupported("array annotation without dtype", line)
    dt = parse_value_type(dtype_node, structs, depth + 1)
    if isinstance(dt, StructT):
        raise Unsupported(
            "array of structs", line, f"{ast.unparse(node)}: the oracle models arrays of values only"
        )
    if ndim > ORACLE_MAX_ARRAY_NDIM or ndim < 1:
        raise Unsupported(f"array of {ndim} dimensions", line)
    return ArrayT(dt, ndim)


def parse_annotation(node: ast.expr, structs: dict[str, StructT], depth: int = 0) -> AnyType:
    """Any parameter/field/local annotation Warp accepts: values (see parse_value_type) and arrays
    as `wp.array(dtype=T, ndim=N)`, `wp.array2d(dtype=T)`, `wp.array[T]`, `wp.array3d[T]`, or an
    alias of one."""
    node = _resolve_alias(node, structs, depth)
    line = getattr(node, "lineno", 0)
    if isinstance(node, ast.Subscript):
        kind = type_path(node.value)
        if kind in ARRAY_KINDS or kind in ("indexedarray", "fabricarray", "indexedfabricarray"):
            sl = node.slice
            if isinstance(sl, ast.Tuple):
                raise Unsupported(
                    f"annotation {ast.unparse(node)}", line, "expected one dtype in the brackets"
                )
            return _array(kind, sl, ARRAY_KINDS.get(kind, 1), structs, depth, node)
        raise Unsupported(f"annotation {ast.unparse(node)}", line)
    if isinstance(node, ast.Call):
        kind = type_path(node.func)
        if kind in ARRAY_KINDS or kind in ("indexedarray", "fabricarray", "indexedfabricarray"):
            ndim = ARRAY_KINDS.get(kind, 1)
            dtype_node: ast.expr | None = node.args[0] if node.args else None
            for kw in node.keywords:
                if kw.arg == "dtype":
                    dtype_node = kw.value
                elif kw.arg == "ndim":
                    ndim = _const_int(kw.value, "array ndim", line)
                else:
                    raise Unsupported(f"array annotation keyword {kw.arg}", line)
            if len(node.args) > 1:
                ndim = _const_int(node.args[1], "array ndim", line)
            return _array(kind, dtype_node, ndim, structs, depth, node)
        return parse_value_type(node, structs, depth)
    return parse_value_type(node, structs, depth)
