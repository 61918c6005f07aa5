"""Launch one compiled Warp kernel on NumPy-represented arguments and read every array back.

The argument representation is the one the oracle uses, so the same values feed both sides:
arrays are NumPy arrays of shape `array_shape + component_shape` (vec3f -> (..., 3), mat33f ->
(..., 3, 3)), scalars are NumPy scalars (or component arrays for vector/matrix scalars), and
struct arguments are dicts from field name to value. A `wp.uint64` argument given as a dict of
arrays is a geometry object (oracle.geometry): built here, passed by id.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import warp as wp

from oracle.geometry import GeometryKind, geometry_kind


def _np_dtype(t: Any) -> Any:
    return wp.dtype_to_numpy(getattr(t, "_wp_scalar_type_", t))


def _is_struct(t: Any) -> bool:
    return hasattr(t, "vars") and hasattr(t, "cls")


def _is_composite(t: Any) -> bool:
    return hasattr(t, "_wp_scalar_type_") and hasattr(t, "_shape_")


def build_geometry(value: dict[str, Any], device: str) -> Any:
    """The `wp.Mesh` / `wp.HashGrid` / `wp.Bvh` / `wp.Volume` a geometry argument describes
    (oracle.geometry's arrays). A mesh with `rest` points is built on those, then moved to `points`
    and refit, as a simulation deforms a mesh; with `winding` it keeps solid-angle data
    (`support_winding_number=True`). The caller keeps the object alive until the launch finished:
    the kernel only gets its id."""
    kind = geometry_kind(value)
    vec = wp.vec3
    wp.init()  # a HashGrid needs the runtime before the first launch would start it

    def arr(key: str, dtype: Any) -> Any:
        return wp.array(np.ascontiguousarray(value[key]), dtype=dtype, device=device)

    if kind is GeometryKind.MESH:
        first = "rest" if "rest" in value else "points"
        mesh = wp.Mesh(
            points=arr(first, vec),
            indices=arr("indices", wp.int32),
            velocities=arr("velocities", vec),
            support_winding_number="winding" in value,
        )
        if first == "rest":
            mesh.points.assign(arr("points", vec))
            mesh.refit()
        return mesh
    if kind is GeometryKind.HASH_GRID:
        dx, dy, dz = (int(d) for d in np.asarray(value["grid_dims"]).reshape(3))
        grid = wp.HashGrid(dx, dy, dz, device=device)
        grid.build(arr("grid_points", vec), float(np.asarray(value["cell_width"]).reshape(())))
        return grid
    if kind is GeometryKind.BVH:
        return wp.Bvh(arr("lowers", vec), arr("uppers", vec))
    if kind is GeometryKind.VOLUME:
        # the voxels' dtype and shape say the grid's type: int32, float32, or vec3f (last axis 3)
        origin = tuple(float(x) for x in np.asarray(value["min_world"]).reshape(3))
        vox, bg = np.asarray(value["voxels"]), np.asarray(value["bg"])
        bg_value: Any
        if vox.ndim == 4:
            data, bg_value = (
                np.ascontiguousarray(vox, dtype=np.float32),
                tuple(float(x) for x in bg.reshape(3)),
            )
        elif vox.dtype.kind in "iu":
            data, bg_value = np.ascontiguousarray(vox, dtype=np.int32), int(bg.reshape(()))
        else:
            data, bg_value = np.ascontiguousarray(vox, dtype=np.float32), float(bg.reshape(()))
        return wp.Volume.load_from_numpy(
            data,
            min_world=origin,
            voxel_size=float(np.asarray(value["voxel_size"]).reshape(())),
            bg_value=bg_value,
            device=device,
        )
    raise ValueError(
        f"a geometry argument needs the arrays of a mesh, hash grid or BVH; got keys {sorted(value)}"
    )


def to_warp_value(t: Any, value: Any, device: str) -> Any:
    """Convert one argument to what `wp.launch` expects for a parameter of Warp type `t`."""
    if isinstance(value, dict) and t is wp.uint64:
        return build_geometry(value, device)
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


def _fits(t: Any, value: Any) -> bool:
    """Whether an argument in the oracle's representation has the concrete Warp type `t`."""
    if wp.types.is_array(t):
        comp = tuple(getattr(t.dtype, "_shape_", ()))
        return (
            isinstance(value, np.ndarray)
            and value.dtype == np.dtype(_np_dtype(t.dtype))
            and value.shape[value.ndim - len(comp) :] == comp
            and value.ndim == t.ndim + len(comp)
        )
    if _is_struct(t):
        return isinstance(value, dict)
    if _is_composite(t):
        return np.shape(value) == tuple(t._shape_)
    v = np.asarray(value)
    if v.ndim != 0:
        return False
    want = np.dtype(_np_dtype(t))
    return v.dtype == want if isinstance(value, np.generic) else v.dtype.kind == want.kind


def instance_for(kernel: Any, args: dict[str, Any]) -> Any:
    """The kernel a launch with `args` runs: `kernel` itself, or for a generic kernel (`typing.Any`
    parameters) its declared instance (`@wp.overload` / `wp.overload(kernel, types)`), whose
    concrete types convert the arguments. The only declared instance, else the one whose types
    fit the arguments. A generic kernel without a declared instance is refused: launching it
    would instantiate and rebuild its whole module at launch time."""
    if not getattr(kernel, "is_generic", False):
        return kernel
    overloads = list(kernel.overloads.values())
    if len(overloads) == 1:
        return overloads[0]
    fits = [k for k in overloads if all(_fits(a.type, args.get(a.label)) for a in k.adj.args)]
    if len(fits) == 1:
        return fits[0]
    what = "no declared instance fits" if not fits else f"{len(fits)} declared instances fit"
    raise TypeError(
        f"generic kernel {kernel.key!r}: {what} the arguments "
        f"({', '.join(f'{n}: {np.asarray(v).dtype}' for n, v in args.items())}); declare exactly one "
        "with @wp.overload for the types it is launched with"
    )


def launch(
    kernel: Any, args: dict[str, Any], dim: tuple[int, ...], device: str, block_dim: int | None = None
) -> dict[str, np.ndarray]:
    """Run `kernel` once on `device` and return the final contents of all its array parameters.

    With `block_dim`, the launch is tiled: `dim` is the block grid and every block runs
    `block_dim` threads (`wp.launch_tiled`; on CPU Warp runs one thread per block unless
    `wp.config.enable_cpu_blocks`, which tile semantics do not depend on)."""
    kernel = instance_for(kernel, args)
    warp_args = []
    arrays: dict[str, Any] = {}
    keep: list[Any] = []
    for arg in kernel.adj.args:
        if arg.label not in args:
            raise KeyError(f"kernel {kernel.key!r}: no value given for parameter {arg.label!r}")
        v = to_warp_value(arg.type, args[arg.label], device)
        if isinstance(v, wp.Mesh | wp.HashGrid | wp.Bvh | wp.Volume):
            keep.append(v)  # the object outlives the launch; the kernel gets its id
            v = v.id
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
    out = {name: a.numpy() for name, a in arrays.items()}
    del keep  # geometry objects are freed only once the launch has finished
    return out
