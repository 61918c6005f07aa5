"""Parameter specs for a hand-written kernel, read from its Warp signature, so `check` can
synthesize inputs with the same input machinery as generated cases.

Defaults: floats in [-2, 2]; integers in [0, 7] (small, so they are safe as loop bounds and as
indices into arrays of the launch size); booleans 0/1. Arrays take the launch shape (a 1-D array
in an N-D launch gets the total thread count). Every array is treated as in/out: its whole final
content is compared.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from grammar.case import ParamSpec


@dataclass(frozen=True)
class SynthOptions:
    float_range: tuple[float, float] = (-2.0, 2.0)
    int_range: tuple[int, int] = (0, 7)
    param_ranges: dict[str, tuple[float, float]] = field(default_factory=dict)
    shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)


class SynthError(ValueError):
    """A kernel parameter type that `check` cannot synthesize inputs for."""


def warp_type_name(t: Any) -> str:
    """The name a ParamSpec uses for a Warp scalar/composite type: float32, vec3f, mat33d, ..."""
    import warp as wp

    if t in (int,):
        return "int32"
    if t in (float,):
        return "float32"
    if t in (bool,) or t is getattr(wp, "bool", None):
        return "bool"
    name = getattr(t, "__name__", str(t))
    return str(name)


def _is_struct(t: Any) -> bool:
    return hasattr(t, "vars") and hasattr(t, "cls")


def _scalar_spec(name: str, dtype: str, opts: SynthOptions, kind: str, shape: tuple[int, ...]) -> ParamSpec:
    from grammar.composite import component_scalar

    try:
        scalar = component_scalar(dtype)
    except ValueError as e:
        raise SynthError(f"parameter {name!r}: type {dtype!r} is not supported by `check`") from e
    integral = scalar in ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "bool")
    if name in opts.param_ranges:
        lo, hi = opts.param_ranges[name]
    elif scalar == "bool":
        lo, hi = 0, 1
    elif integral:
        lo, hi = opts.int_range
    else:
        lo, hi = opts.float_range
    if integral and scalar.startswith("uint") and lo < 0:
        raise SynthError(f"parameter {name!r} is {scalar}: its range must not be negative (got {lo}..{hi})")
    role = "inout" if kind == "array" else "in"
    return ParamSpec(name, kind, dtype, shape, role, float(lo), float(hi), True, integral)


def specs_for_kernel(kernel: Any, dim: tuple[int, ...], opts: SynthOptions) -> tuple[ParamSpec, ...]:
    """ParamSpecs for every argument of a compiled-or-not `wp.Kernel`."""
    import warp as wp

    specs = []
    for arg in kernel.adj.args:
        t = arg.type
        if wp.types.is_array(t):
            nd = int(t.ndim)
            if arg.label in opts.shapes:
                shape = opts.shapes[arg.label]
                if len(shape) != nd:
                    raise SynthError(f"--shape {arg.label}: the array has {nd} dimension(s), got {shape}")
            elif nd == len(dim):
                shape = tuple(dim)
            elif nd == 1:
                shape = (int(np.prod(dim)),)
            else:
                shape = tuple(dim[:nd]) + (dim[-1],) * max(0, nd - len(dim))
            specs.append(_scalar_spec(arg.label, warp_type_name(t.dtype), opts, "array", shape))
        elif _is_struct(t):
            fields = tuple(
                _scalar_spec(f"{arg.label}.{fname}", warp_type_name(var.type), opts, "scalar", ())
                for fname, var in t.vars.items()
            )
            fields = tuple(
                ParamSpec(f.name.split(".", 1)[1], f.kind, f.dtype, (), "in", f.low, f.high, True, f.integral)
                for f in fields
            )
            specs.append(ParamSpec(arg.label, "struct", t.key, (), "in", None, None, True, False, fields))
        else:
            specs.append(_scalar_spec(arg.label, warp_type_name(t), opts, "scalar", ()))
    return tuple(specs)
