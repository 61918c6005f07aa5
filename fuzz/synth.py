"""Parameter specs for a hand-written kernel, read from its Warp signature, so `check` can
synthesize inputs with the same input machinery as generated cases.

Defaults: floats in [-2, 2]; integers in [0, 7] (small, so they are safe as loop bounds and as
indices into arrays of the launch size); booleans 0/1. `int_fixed` pins every integer scalar to
one value instead (`check` tries the launch's side length when the range makes a kernel index out
of bounds: widths, counts and strides of real kernels). The launch shape comes from how the
kernel unpacks `wp.tid()` when `--dim` is not given (`i, j = wp.tid()`: 8x8; three names: 4x4x4;
one: 64; none: a single thread, arrays of 64). Arrays take the launch shape when they have its dimensionality (a 1-D array in an N-D
launch gets the total thread count); arrays held by structs likewise. Every array is treated as
in/out: its whole final content is compared.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from grammar.case import ParamSpec
from oracle.types import SCALAR_NAMES, Scalar, wp_attr


@dataclass(frozen=True)
class SynthOptions:
    float_range: tuple[float, float] = (-2.0, 2.0)
    int_range: tuple[int, int] = (0, 7)
    param_ranges: dict[str, tuple[float, float]] = field(default_factory=dict)
    shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)
    int_fixed: int | None = None
    array_scale: int = 1  # 1-D arrays get this many elements per thread (`a[3 * i + k]`)
    shape_dim: tuple[int, ...] | None = None  # size arrays as for this launch (a one-thread kernel's arrays)


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
    name = str(getattr(t, "__name__", str(t)))
    shape = getattr(t, "_shape_", None)
    scalar = getattr(t, "_wp_scalar_type_", None)
    if name in ("vec_t", "mat_t") and shape is not None and scalar is not None:
        # `wp.types.vector(length=3, dtype=float)` builds a class named vec_t: name it as Warp's vec3f
        from oracle.types import composite_name

        kind = "vec" if len(shape) == 1 else "mat"
        return composite_name(kind, tuple(shape), Scalar(warp_type_name(scalar)))
    return name


def _is_struct(t: Any) -> bool:
    return hasattr(t, "vars") and hasattr(t, "cls")


def _scalar_spec(name: str, dtype: str, opts: SynthOptions, kind: str, shape: tuple[int, ...]) -> ParamSpec:
    from grammar.composite import component_scalar

    try:
        scalar = component_scalar(dtype)
    except ValueError as e:
        raise SynthError(f"parameter {name!r}: type {dtype!r} is not supported by `check`") from e
    integral = scalar in SCALAR_NAMES and not Scalar(scalar).is_float  # bool counts as integral
    if name in opts.param_ranges:
        lo, hi = opts.param_ranges[name]
    elif scalar == "bool":
        lo, hi = 0, 1
    elif integral and kind == "scalar" and opts.int_fixed is not None:
        lo = hi = opts.int_fixed
    elif integral:
        lo, hi = opts.int_range
    else:
        lo, hi = opts.float_range
    if integral and scalar.startswith("uint") and lo < 0:
        raise SynthError(f"parameter {name!r} is {scalar}: its range must not be negative (got {lo}..{hi})")
    role = "inout" if kind == "array" else "in"
    return ParamSpec(name, kind, dtype, shape, role, float(lo), float(hi), True, integral)


DEFAULT_DIMS: dict[int, tuple[int, ...]] = {1: (64,), 2: (8, 8), 3: (4, 4, 4), 4: (4, 4, 2, 2)}
HOST_OBJECT_PREFIXES = {
    "mesh_": "wp.Mesh",
    "bvh_": "wp.Bvh",
    "hash_grid_": "wp.HashGrid",
    "volume_": "wp.Volume",
    "marching_cubes": "wp.MarchingCubes",
}


def tid_ndim(fn: ast.FunctionDef) -> int | None:
    """How many names the kernel unpacks `wp.tid()` into (None: it never calls wp.tid())."""
    for n in ast.walk(fn):
        if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call):
            f = n.value.func
            if isinstance(f, ast.Attribute) and f.attr == "tid" and isinstance(f.value, ast.Name):
                t = n.targets[0]
                return len(t.elts) if isinstance(t, ast.Tuple) else 1
    return None


SINGLE_THREAD_ARRAYS = (64,)


def launch_dim(fn: ast.FunctionDef) -> tuple[int, ...]:
    """A kernel that never calls wp.tid() is written for one thread (`wp.launch(k, dim=1)`)."""
    n = tid_ndim(fn)
    return (1,) if n is None else DEFAULT_DIMS[min(max(n, 1), 4)]


def _tree(code: str | ast.AST) -> ast.AST:
    return ast.parse(code) if isinstance(code, str) else code


def host_object_params(code: str | ast.AST) -> list[tuple[str, str, int]]:
    """(call, host type, line) for every geometry-query call of a module (or one definition):
    their `wp.uint64` arguments are ids of host objects (meshes, volumes, ...) `check` cannot build."""
    out = []
    for n in ast.walk(_tree(code)):
        if isinstance(n, ast.Call) and (name := wp_attr(n.func)) is not None:
            for prefix, host in HOST_OBJECT_PREFIXES.items():
                if name.startswith(prefix):
                    out.append((f"wp.{name}", host, n.lineno))
    return sorted(out, key=lambda x: x[2])


def tile_calls(code: str | ast.AST, supported: frozenset[str]) -> list[tuple[str, int]]:
    """(call, line) of every `wp.tile*` / `wp.untile` call the oracle does not model: a tiled
    kernel also needs the launch's block_dim to compile, which a plain launch does not give."""
    out = []
    for n in ast.walk(_tree(code)):
        if (
            isinstance(n, ast.Call)
            and (name := wp_attr(n.func)) is not None
            and name.startswith(("tile", "untile"))
            and name not in supported
        ):
            out.append((f"wp.{name}", n.lineno))
    return sorted(out, key=lambda x: x[1])


MAX_LAUNCH = 1 << 18


def grid_sizes(module: str, ndim: int) -> tuple[int, ...] | None:
    """A launch shape from the module's integer constants (`grid_width = wp.constant(256)`,
    `N_GRID = 512`): kernels index arrays of those sizes and clamp or wrap with them. None when
    the module has none, or their launch would exceed MAX_LAUNCH threads."""
    from oracle.source import parse_module

    sizes: list[int] = []
    for c in sorted(parse_module(module).constants.values(), key=lambda c: c.lineno):
        v = c.value
        if isinstance(v, int) and not isinstance(v, bool) and 8 < v <= 4096 and v not in sizes:
            sizes.append(v)
    if not sizes:
        return None
    dim = tuple(sizes[:ndim]) + (sizes[min(len(sizes), ndim) - 1],) * max(0, ndim - len(sizes))
    return dim if int(np.prod(dim)) <= MAX_LAUNCH else None


def index_stride(module: str, kernel: str) -> int:
    """The largest constant `c` in an index `c * i + k` of a 1-D array in `kernel` (1 if none):
    triangle indices, packed vectors."""
    best = 1
    for fn in ast.parse(module).body:
        if not (isinstance(fn, ast.FunctionDef) and fn.name == kernel):
            continue
        for n in ast.walk(fn):
            if isinstance(n, ast.Subscript) and not isinstance(n.slice, ast.Tuple):
                for m in ast.walk(n.slice):
                    if isinstance(m, ast.BinOp) and isinstance(m.op, ast.Mult):
                        for side in (m.left, m.right):
                            if (
                                isinstance(side, ast.Constant)
                                and type(side.value) is int
                                and 1 < side.value <= 16
                            ):
                                best = max(best, side.value)
    return best


def _array_shape(label: str, nd: int, dim: tuple[int, ...], opts: SynthOptions) -> tuple[int, ...]:
    dim = opts.shape_dim or dim
    if label in opts.shapes:
        shape = opts.shapes[label]
        if len(shape) != nd:
            raise SynthError(f"--shape {label}: the array has {nd} dimension(s), got {shape}")
        return shape
    if nd == 1 and opts.array_scale > 1:
        return (int(np.prod(dim)) * opts.array_scale,)
    if nd == len(dim):
        return tuple(dim)
    if nd == 1:
        return (int(np.prod(dim)),)
    return tuple(dim[:nd]) + (dim[-1],) * max(0, nd - len(dim))


def _array_spec(label: str, t: Any, dim: tuple[int, ...], opts: SynthOptions) -> ParamSpec:
    if _is_struct(t.dtype):
        raise SynthError(
            f"parameter {label!r}: array of structs ({t.dtype.key}) is not modelled by the oracle yet"
        )
    return _scalar_spec(
        label, warp_type_name(t.dtype), opts, "array", _array_shape(label, int(t.ndim), dim, opts)
    )


def specs_for_kernel(kernel: Any, dim: tuple[int, ...], opts: SynthOptions) -> tuple[ParamSpec, ...]:
    """ParamSpecs for every argument of a compiled-or-not `wp.Kernel`. A generic kernel
    (`typing.Any` parameters) is checked as its first declared instance (`@wp.overload`)."""
    import warp as wp

    if getattr(kernel, "is_generic", False):
        if not kernel.overloads:
            raise SynthError(
                f"generic kernel {kernel.key!r} has no declared instance: declare the types to check "
                "it with @wp.overload (a stub) or wp.overload(kernel, types)"
            )
        kernel = next(iter(kernel.overloads.values()))
    specs = []
    for arg in kernel.adj.args:
        t = arg.type
        if wp.types.is_array(t):
            specs.append(_array_spec(arg.label, t, dim, opts))
        elif _is_struct(t):
            fields = []
            for fname, var in t.vars.items():
                if wp.types.is_array(var.type):
                    f = _array_spec(f"{arg.label}.{fname}", var.type, dim, opts)
                    fields.append(
                        ParamSpec(fname, "array", f.dtype, f.shape, "inout", f.low, f.high, True, f.integral)
                    )
                elif _is_struct(var.type):
                    raise SynthError(
                        f"parameter {arg.label!r}: nested struct field {fname!r} is not supported"
                    )
                else:
                    f = _scalar_spec(f"{arg.label}.{fname}", warp_type_name(var.type), opts, "scalar", ())
                    fields.append(
                        ParamSpec(fname, "scalar", f.dtype, (), "in", f.low, f.high, True, f.integral)
                    )
            specs.append(
                ParamSpec(arg.label, "struct", t.key, (), "in", None, None, True, False, tuple(fields))
            )
        elif t is Any:
            raise SynthError(f"parameter {arg.label!r}: generic type {t} (typing.Any) needs a concrete type")
        else:
            specs.append(_scalar_spec(arg.label, warp_type_name(t), opts, "scalar", ()))
    return tuple(specs)
