"""Records that describe one generated kernel: what the runner, oracle, judge and store exchange.

A `KernelCase` is everything needed to rebuild a kernel's inputs and re-run its check, so it is
stored as JSON with every verdict and every corpus seed.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

MODULE_HEADER = "import warp as wp\n\n"


@dataclass(frozen=True)
class ParamSpec:
    """One kernel parameter.

    kind: "array" (wp.array/array2d/array3d of `dtype`, shape `shape`), "scalar" (a value of
    `dtype`), or "struct" (`dtype` names a @wp.struct defined in the case source; `fields` lists
    its members as scalar/vector ParamSpecs).
    dtype: a Warp type name as written after `wp.`: "float32", "int8", "uint64", "vec3f",
    "mat33f", "quatf", "transformf", ... or the struct's name for kind == "struct".
    role: "in" (read only), "out" (written; filled with a sentinel before launch), "inout".
    low/high: the value range of each scalar component of an input (inclusive), chosen by the
    generator's domain guards. None for outputs and structs.
    edge: mix edge values (0, -0.0, ±1, range ends, branch thresholds) into the input.
    thresholds: values the kernel compares against (branch thresholds, clamp bounds) that lie in
    [low, high]; inputs mix them in as edge values.
    special: a float input that also holds NaN, ±Inf, -0.0, subnormals and the dtype's max
    (`grammar.inputs.SPECIAL_FLOATS`), outside [low, high] on purpose.
    recipe: how a geometry parameter (kind "mesh", "hash_grid" or "bvh", dtype "uint64": the
    object's id) or an array derived from one (`("points_of", name)`) is built from the case
    seed (grammar.geometry_ops); JSON scalars only, left out of the stored form when empty so
    every other parameter's JSON is unchanged.
    """

    name: str
    kind: str
    dtype: str
    shape: tuple[int, ...] = ()
    role: str = "in"
    low: float | None = None
    high: float | None = None
    edge: bool = True
    integral: bool = False
    fields: tuple[ParamSpec, ...] = ()
    thresholds: tuple[float, ...] = ()
    special: bool = False
    recipe: tuple[tuple[str, str | int | float], ...] = ()

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["shape"] = list(self.shape)
        d["fields"] = [f.to_json() for f in self.fields]
        del d["recipe"]
        if self.recipe:
            d["recipe"] = dict(self.recipe)
        return d

    def recipe_dict(self) -> dict[str, str | int | float]:
        return dict(self.recipe)

    @staticmethod
    def from_json(d: dict[str, Any]) -> ParamSpec:
        d = dict(d)
        d["shape"] = tuple(d.get("shape", ()))
        d["fields"] = tuple(ParamSpec.from_json(f) for f in d.get("fields", ()))
        d["thresholds"] = tuple(d.get("thresholds", ()))
        d["recipe"] = tuple(sorted(dict(d.get("recipe", {})).items()))
        return ParamSpec(**d)


@dataclass(frozen=True)
class KernelCase:
    """A generated kernel and its launch: source (no imports), parameters and launch dims.

    Every top-level name in `source` (the kernel, its @wp.func helpers and @wp.structs) starts
    with `kernel_name`, so many cases can share one Warp module without clashes.
    """

    kernel_name: str
    source: str
    family: str
    seed: int
    generator_version: str
    params: tuple[ParamSpec, ...]
    dim: tuple[int, ...]
    constructs: tuple[str, ...] = field(default=())
    # threads per block of a tiled launch (`wp.launch_tiled(..., dim=dim, block_dim=...)`: `dim`
    # is then the block grid); None is a plain `wp.launch` and is left out of the stored form
    block_dim: int | None = None

    def module_source(self) -> str:
        """The case as a standalone, importable Python module."""
        return MODULE_HEADER + self.source

    def to_json(self) -> dict[str, Any]:
        return {
            "kernel_name": self.kernel_name,
            "source": self.source,
            "family": self.family,
            "seed": self.seed,
            "generator_version": self.generator_version,
            "params": [p.to_json() for p in self.params],
            "dim": list(self.dim),
            "constructs": list(self.constructs),
            **({"block_dim": self.block_dim} if self.block_dim is not None else {}),
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), sort_keys=True)

    @staticmethod
    def from_json(d: dict[str, Any]) -> KernelCase:
        return KernelCase(
            kernel_name=d["kernel_name"],
            source=d["source"],
            family=d["family"],
            seed=int(d["seed"]),
            generator_version=d["generator_version"],
            params=tuple(ParamSpec.from_json(p) for p in d["params"]),
            dim=tuple(d["dim"]),
            constructs=tuple(d.get("constructs", ())),
            block_dim=None if d.get("block_dim") is None else int(d["block_dim"]),
        )
