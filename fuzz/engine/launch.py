"""Launch one compiled Warp kernel on NumPy-represented arguments and read every array back.

The argument representation is the one the oracle uses, so the same values feed both sides:
arrays are NumPy arrays of shape `array_shape + component_shape` (vec3f -> (..., 3), mat33f ->
(..., 3, 3)), scalars are NumPy scalars (or component arrays for vector/matrix scalars), and
struct arguments are dicts from field name to value.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import warp as wp


def _np_dtype(t: Any) -> Any:
    return wp.dtype_to_numpy(getattr(t, "_wp_scalar_type_", t))


def _is_struct(t: Any) -> bool:
    return hasattr(t, "vars") and hasattr(t, "cls")


def _is_composite(t: Any) -> bool:
    return hasattr(t, "_wp_scalar_type_") and hasattr(t, "_shape_")


def to_warp_value(t: Any, value: Any, device: str) -> Any:
    """Convert one argument to what `wp.launch` expects for a parameter of Warp type `t`."""
    if wp.types.is_array(t):
        data = np.ascontiguousarray(value, dtype=_np_dtype(t.dtype))
        return wp.array(data, dtype=t.dtype, device=device)
    if _is_struct(t):
        inst = t()
        for name, var in t.vars.items():
            setattr(inst, name, to_warp_value(var.type, value[name], device))
        return inst
    if _is_composite(t):
        flat = np.asarray(value).reshape(-1).tolist()
        return t(*flat)
    return t(value.item() if isinstance(value, np.generic | np.ndarray) else value)


def launch(
    kernel: Any, args: dict[str, Any], dim: tuple[int, ...], device: str, block_dim: int | None = None
) -> dict[str, np.ndarray]:
    """Run `kernel` once on `device` and return the final contents of all its array parameters.

    With `block_dim`, the launch is tiled: `dim` is the block grid and every block runs
    `block_dim` threads (`wp.launch_tiled`; on CPU Warp runs one thread per block unless
    `wp.config.enable_cpu_blocks`, which tile semantics do not depend on)."""
    warp_args = []
    arrays: dict[str, Any] = {}
    for arg in kernel.adj.args:
        if arg.label not in args:
            raise KeyError(f"kernel {kernel.key!r}: no value given for parameter {arg.label!r}")
        v = to_warp_value(arg.type, args[arg.label], device)
        if wp.types.is_array(arg.type):
            arrays[arg.label] = v
        elif _is_struct(arg.type):  # arrays held by a struct come back as "param.field"
            for fname, var in arg.type.vars.items():
                if wp.types.is_array(var.type):
                    arrays[f"{arg.label}.{fname}"] = getattr(v, fname)
        warp_args.append(v)
    if block_dim is None:
        wp.launch(kernel, dim=dim, inputs=warp_args, device=device)
    else:
        wp.launch_tiled(kernel, dim=list(dim), inputs=warp_args, block_dim=block_dim, device=device)
    wp.synchronize_device(device)
    return {name: a.numpy() for name, a in arrays.items()}
