"""Warp vector / matrix / quaternion / transform type names and their component layout."""

from __future__ import annotations

import re
from dataclasses import dataclass

from grammar.dtypes import BOOL, SCALARS

_SUFFIX = {"f": "float32", "d": "float64", "h": "float16", "i": "int32"}
_VEC = re.compile(r"^vec([234])([fdhi])$")
_MAT = re.compile(r"^mat(22|33|44)([fdh])$")
_QUAT = re.compile(r"^quat([fdh])$")
_XFORM = re.compile(r"^transform([fdh])$")


@dataclass(frozen=True)
class Composite:
    """A composite Warp type: its family ("vec", "mat", "quat", "transform"), scalar, and shape."""

    name: str
    kind: str
    scalar: str
    shape: tuple[int, ...]

    @property
    def size(self) -> int:
        n = 1
        for s in self.shape:
            n *= s
        return n


def composite(dtype: str) -> Composite | None:
    """Parse a composite type name, or None for scalars/bool."""
    if m := _VEC.match(dtype):
        return Composite(dtype, "vec", _SUFFIX[m.group(2)], (int(m.group(1)),))
    if m := _MAT.match(dtype):
        n = int(m.group(1)[0])
        return Composite(dtype, "mat", _SUFFIX[m.group(2)], (n, n))
    if m := _QUAT.match(dtype):
        return Composite(dtype, "quat", _SUFFIX[m.group(1)], (4,))
    if m := _XFORM.match(dtype):
        return Composite(dtype, "transform", _SUFFIX[m.group(1)], (7,))
    return None


def component_scalar(dtype: str) -> str:
    if dtype in SCALARS or dtype == BOOL:
        return dtype
    c = composite(dtype)
    if c is None:
        raise ValueError(f"unknown Warp type {dtype!r}")
    return c.scalar


def component_shape(dtype: str) -> tuple[int, ...]:
    c = composite(dtype)
    return () if c is None else c.shape


def vec_type(n: int, scalar: str) -> str:
    suffix = {v: k for k, v in _SUFFIX.items()}[scalar]
    return f"vec{n}{suffix}"


def mat_type(n: int, scalar: str) -> str:
    suffix = {v: k for k, v in _SUFFIX.items()}[scalar]
    return f"mat{n}{n}{suffix}"
